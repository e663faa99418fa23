package benchreport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Results holds parsed `go test -bench` results: for each benchmark name
// (without the -GOMAXPROCS suffix, package-qualified as pkg.Name) and unit,
// one value per run (-count).
type Results map[string]map[string][]float64

// benchLine matches a result line: name-procs, iterations, value unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// Parse reads `go test -bench` text output. Lines that are not results
// are skipped; prefix (e.g. a package name and ".") goes before each name.
func (r Results) Parse(rd io.Reader, prefix string) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			continue
		}
		name := prefix + m[1]
		if r[name] == nil {
			r[name] = map[string][]float64{}
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a number", name, f[i])
			}
			r[name][f[i+1]] = append(r[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// Median returns the median of a benchmark's unit over its runs, and
// whether it was measured.
func (r Results) Median(name, unit string) (float64, bool) {
	v := r[name][unit]
	if len(v) == 0 {
		return 0, false
	}
	return Median(v), true
}

// GoBench is one `go test -bench` invocation.
type GoBench struct {
	Prefix    string // prepended to every name, e.g. "emf."
	Package   string // ./emf
	Bench     string // -bench regexp
	Count     int
	BenchTime string // -benchtime; empty: the default
}

// Args are the go command's arguments.
func (g GoBench) Args() []string {
	args := []string{"test", "-run", "^$", "-bench", g.Bench, "-benchmem", "-count", strconv.Itoa(max(g.Count, 1))}
	if g.BenchTime != "" {
		args = append(args, "-benchtime", g.BenchTime)
	}
	return append(args, "-timeout", "20m", g.Package)
}

// Run runs the benchmarks in dir and adds their results to r. The
// command's output is copied to log.
func (g GoBench) Run(ctx context.Context, dir string, r Results, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", g.Args()...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(g.Args(), " "), err)
	}
	return r.Parse(&out, g.Prefix)
}
