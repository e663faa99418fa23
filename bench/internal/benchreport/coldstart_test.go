package benchreport

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	return root
}

// TestColdStartsGo starts the real bootstraps through the Runtime API and
// checks their answers and published events (ColdStarts fails otherwise).
func TestColdStartsGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the trigger bootstraps")
	}
	res, err := ColdStarts(t.Context(), ColdConfig{Root: repoRoot(t), Work: t.TempDir(), Runs: 2, Warm: 3, Runtimes: []string{"go"}, Log: t.Logf})
	require.NoError(t, err)
	require.Len(t, res, len(Triggers))
	for _, r := range res {
		require.Len(t, r.Samples, 2)
		for _, s := range r.Samples {
			require.Positive(t, s.FirstAnswer)
			require.Less(t, s.FirstAnswer, 10*time.Second)
			require.Positive(t, s.MaxRSS)
		}
		require.Positive(t, r.Size)
	}
}

// TestColdStartsScripts runs the Python and Node.js jobs once each, when
// their interpreters and SDKs are installed (make bench installs them).
func TestColdStartsScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts interpreters")
	}
	root := repoRoot(t)
	cfg := ColdConfig{Root: root, Work: t.TempDir(), Runs: 1, Warm: 2, Python: "/usr/bin/python3", Log: t.Logf}
	if exec.Command(cfg.Python, "-c", "import boto3").Run() == nil {
		cfg.Runtimes = append(cfg.Runtimes, "python")
	}
	if node, err := exec.LookPath("node"); err == nil {
		if _, err := os.Stat(filepath.Join(root, "bench", "node", "node_modules", "@aws-sdk", "client-sns")); err == nil {
			cfg.Node, cfg.Runtimes = node, append(cfg.Runtimes, "node")
		}
	}
	if len(cfg.Runtimes) == 0 {
		t.Skip("neither python3-boto3 nor bench/node's packages are installed (make bench-deps)")
	}
	res, err := ColdStarts(t.Context(), cfg)
	require.NoError(t, err)
	require.Len(t, res, len(Triggers)*len(cfg.Runtimes))
}
