package startcost

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// programs are the directories beneath this package, baseline first.
var programs = []string{"empty", "disposable", "upstream", "presignup"}

// runs are what BenchmarkStart measures: a program and its argument.
var runs = []struct{ name, program, arg string }{
	{"empty", "empty", "x.mailinator.com"},
	{"disposable", "disposable", "x.mailinator.com"},
	{"upstream", "upstream", "x.mailinator.com"},
	{"presignup-handler", "presignup", ""},
	{"presignup-handler-with-sns-client", "presignup", "sns"},
}

func build(tb testing.TB, dir, name string) string {
	tb.Helper()
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, "./"+name).CombinedOutput()
	if err != nil {
		tb.Fatalf("go build ./%s: %v\n%s", name, err, out)
	}
	return bin
}

func run(tb testing.TB, bin string, env []string, arg string) (string, *syscall.Rusage) {
	tb.Helper()
	cmd := exec.Command(bin)
	if arg != "" {
		cmd.Args = append(cmd.Args, arg)
	}
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s: %v", bin, err)
	}
	return strings.TrimSpace(string(out)), cmd.ProcessState.SysUsage().(*syscall.Rusage)
}

// TestPrograms checks that each program answers, so the benchmark measures
// programs that work.
func TestPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	dir := t.TempDir()
	for _, name := range programs[1:3] {
		t.Run(name, func(t *testing.T) {
			bin := build(t, dir, name)
			got, _ := run(t, bin, nil, "x.mailinator.com")
			if name == "upstream" { // exact match only upstream
				got, _ = run(t, bin, nil, "mailinator.com")
			}
			if got != "true" {
				t.Fatalf("%s: got %q, want true", name, got)
			}
			got, _ = run(t, bin, nil, "gmail.com")
			if got != "false" {
				t.Fatalf("%s: got %q for gmail.com, want false", name, got)
			}
		})
	}
}

func TestPresignupProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	bin := build(t, t.TempDir(), "presignup")
	got, _ := run(t, bin, nil, "")
	if got != "Please use a permanent email address" {
		t.Fatalf("got %q, want the rejection", got)
	}
	got, _ = run(t, bin, nil, "sns")
	if got != "ready" {
		t.Fatalf("got %q, want ready", got)
	}
}

// BenchmarkStart runs each program once per iteration: ns/op is exec to exit
// (process start, package initialisation, one lookup, exit); peak-RSS-KB is
// the largest resident set seen.
func BenchmarkStart(b *testing.B) {
	dir := b.TempDir()
	bins := map[string]string{}
	for _, name := range programs {
		bins[name] = build(b, dir, name)
	}
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) {
			var maxRSS int64
			for b.Loop() {
				_, ru := run(b, bins[r.program], nil, r.arg)
				maxRSS = max(maxRSS, ru.Maxrss)
			}
			b.ReportMetric(float64(maxRSS), "peak-RSS-KB")
		})
	}
}
