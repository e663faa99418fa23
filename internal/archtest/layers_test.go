package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/cogwatch/cogwatch"

// ranks places each top-level folder of the module in its layer; a package
// may import only packages of its rank or lower. A folder missing here fails
// the test: say where it belongs (and in docs/architecture.md).
var ranks = map[string]int{
	"internal": 0,
	"event":    1, "emf": 1,
	"triggers": 2, "consumers": 2, "warmers": 2, "custom-resources": 2, "dashboards": 2, "api": 2,
	"local": 3,
	"cmd":   4, "docs": 4, "deploy": 4,
}

// linksLocal is the one production package that may link local/: the CLI
// whose `cogwatch local` runs the stack. Lambda functions and the exporter
// must not carry the emulators.
const linksLocal = module + "/cmd/cogwatch"

// pkg is what `go list -json` says of a package (its non-test imports).
type pkg struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // transitive
	Error      *struct{ Err string }
}

// folder returns the top-level folder of a path in the module, or "" for a
// path outside it (the standard library, other modules).
func folder(path string) string {
	rel, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rel, "/")
	return top
}

func isLocal(path string) bool {
	return path == module+"/local" || strings.HasPrefix(path, module+"/local/")
}

// violations lists every import that breaks the layers.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		top := folder(p.ImportPath)
		rank, ok := ranks[top]
		if !ok {
			out = append(out, fmt.Sprintf("%s: folder %q is in no layer", p.ImportPath, top))
			continue
		}
		for _, imp := range p.Imports {
			if r, ok := ranks[folder(imp)]; ok && r > rank {
				out = append(out, fmt.Sprintf("%s (%s) imports %s, a layer above it", p.ImportPath, top, imp))
			}
		}
		if isLocal(p.ImportPath) || p.ImportPath == linksLocal {
			continue
		}
		for _, dep := range p.Deps {
			if isLocal(dep) {
				out = append(out, fmt.Sprintf("%s links %s: only %s may carry the local stack", p.ImportPath, dep, linksLocal))
				break
			}
		}
	}
	return out
}

// list runs go list over the whole module.
func list(t *testing.T) []pkg {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps,Error", "./...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		require.Nil(t, p.Error, p.ImportPath)
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayers(t *testing.T) {
	pkgs := list(t)
	paths := make([]string, len(pkgs))
	for i, p := range pkgs {
		paths[i] = p.ImportPath
	}
	// Not a vacuous pass: every layer is there, and bench is not.
	for _, want := range []string{"/internal/catalog", "/event", "/emf", "/triggers", "/local", "/local/lambdahost", "/cmd/cogwatch", "/cmd/presignup"} {
		require.Contains(t, paths, module+want)
	}
	require.False(t, slices.ContainsFunc(paths, func(p string) bool { return folder(p) == "bench" }),
		"bench/ is a module of its own: its packages are not the main module's")
	if v := violations(pkgs); len(v) > 0 {
		t.Fatalf("%d imports break the layers (docs/architecture.md):\n%s", len(v), strings.Join(v, "\n"))
	}
}

// TestViolations: the check catches each kind of break.
func TestViolations(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	got := violations([]pkg{
		{ImportPath: m("internal/catalog"), Imports: []string{"fmt", m("event")}},
		{ImportPath: m("internal/logging"), Imports: []string{m("local/redact")}},
		{ImportPath: m("event"), Imports: []string{m("internal/jsonlex"), m("consumers/exporter")}},
		{ImportPath: m("emf"), Imports: []string{m("triggers")}},
		{ImportPath: m("triggers"), Imports: []string{m("emf"), m("warmers/warmup"), m("local/lambdahost")}},
		{ImportPath: m("cmd/presignup"), Imports: []string{m("triggers")}, Deps: []string{m("triggers"), m("local/redact")}},
		{ImportPath: m("cmd/cogwatch"), Imports: []string{m("local")}, Deps: []string{m("local"), m("local/goaws")}},
		{ImportPath: m("local"), Imports: []string{m("triggers"), m("local/goaws")}, Deps: []string{m("local/goaws")}},
		{ImportPath: m("tools/gen")},
	})
	require.Equal(t, []string{
		m("internal/catalog") + " (internal) imports " + m("event") + ", a layer above it",
		m("internal/logging") + " (internal) imports " + m("local/redact") + ", a layer above it",
		m("event") + " (event) imports " + m("consumers/exporter") + ", a layer above it",
		m("emf") + " (emf) imports " + m("triggers") + ", a layer above it",
		m("triggers") + " (triggers) imports " + m("local/lambdahost") + ", a layer above it",
		m("cmd/presignup") + " links " + m("local/redact") + ": only " + linksLocal + " may carry the local stack",
		m("tools/gen") + `: folder "tools" is in no layer`,
	}, got)
}
