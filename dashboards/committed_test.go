package dashboards

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/stretchr/testify/require"
)

// committed maps the renderings that users pick up from the repository (a
// Prometheus rules file, a Grafana dashboard to provision) to the function
// that renders them. They are generated from the one definition and kept in
// the repository so that nobody needs Go to use them.
var committed = map[string]func() ([]byte, error){
	"../prometheus/cogwatch.rules.yml": RulesFile,
	"../grafana/cogwatch.json":         Grafana,
}

// TestCommittedFilesUpToDate fails when a committed rendering differs from
// what the definition renders now; -update rewrites it, as for template.yaml.
func TestCommittedFilesUpToDate(t *testing.T) {
	for path, render := range committed {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got, err := render()
			require.NoError(t, err)
			if testutil.Update() {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./dashboards -update")
			if d := firstDiff(string(want), string(got)); d != "" {
				t.Errorf("%s is out of date: run `go test ./dashboards -update`:\n%s", path, d)
			}
		})
	}
}

// TestRulesFilePromtool checks the committed rules file with promtool, as a
// user's CI would before loading it into Prometheus. promtool comes from
// Debian's prometheus package (make deps installs it as root).
func TestRulesFilePromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool")
	}
	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool is missing: run make deps as root, or apt-get install prometheus")
	t.Run("committed file", func(t *testing.T) {
		out, err := exec.CommandContext(t.Context(), promtool, "check", "rules", "../prometheus/cogwatch.rules.yml").CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "SUCCESS")
	})
	t.Run("refuses a broken rule", func(t *testing.T) {
		// The check above is only worth something if promtool, as run here, fails on bad rules.
		bad := filepath.Join(t.TempDir(), "bad.rules.yml")
		require.NoError(t, os.WriteFile(bad, []byte("groups:\n- name: x\n  rules:\n  - alert: Broken\n    expr: sum(rate(cogwatch_user_events_total[5m])\n"), 0o644))
		out, err := exec.CommandContext(t.Context(), promtool, "check", "rules", bad).CombinedOutput()
		require.Error(t, err, "%s", out)
	})
}
