package startcost

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runs are what BenchmarkStart measures: a program beneath this package,
// its argument and what it must answer.
var runs = []struct{ name, program, arg, want string }{
	{"empty", "empty", "x.mailinator.com", "false"},
	{"disposable", "disposable", "x.mailinator.com", "true"},
	{"upstream", "upstream", "mailinator.com", "true"}, // exact match only upstream
	{"presignup-handler", "presignup", "", "Please use a permanent email address"},
	{"presignup-handler-with-sns-client", "presignup", "sns", "ready"},
	{"pretokengeneration-handler", "pretokengeneration", "", "TokenGeneration_RefreshTokens"},
	{"custommessage-handler-sms", "custommessage", "", "998"},
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

func run(tb testing.TB, bin, arg string) (string, *syscall.Rusage) {
	tb.Helper()
	cmd := exec.Command(bin)
	if arg != "" {
		cmd.Args = append(cmd.Args, arg)
	}
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s: %v", bin, err)
	}
	return strings.TrimSpace(string(out)), cmd.ProcessState.SysUsage().(*syscall.Rusage)
}

// TestPrograms checks that the cogwatch programs answer what they must, so
// the benchmark measures programs that work. (The upstream one is slow to
// build; BenchmarkStart checks its answer.)
func TestPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	dir := t.TempDir()
	bins := map[string]string{"disposable": build(t, dir, "disposable"), "presignup": build(t, dir, "presignup"),
		"pretokengeneration": build(t, dir, "pretokengeneration"), "custommessage": build(t, dir, "custommessage")}
	for _, r := range runs {
		bin, ok := bins[r.program]
		if !ok {
			continue
		}
		t.Run(r.name, func(t *testing.T) {
			if got, _ := run(t, bin, r.arg); got != r.want {
				t.Fatalf("got %q, want %q", got, r.want)
			}
		})
	}
	if got, _ := run(t, bins["disposable"], "gmail.com"); got != "false" {
		t.Fatalf("gmail.com: got %q, want false", got)
	}
}

// BenchmarkStart runs each program once per iteration: ns/op is exec to exit
// (process start, package initialisation, the work, exit); peak-RSS-KB is
// the largest resident set seen.
func BenchmarkStart(b *testing.B) {
	dir := b.TempDir()
	bins := map[string]string{}
	for _, r := range runs {
		if _, ok := bins[r.program]; !ok {
			bins[r.program] = build(b, dir, r.program)
		}
	}
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) {
			if got, _ := run(b, bins[r.program], r.arg); got != r.want {
				b.Fatalf("got %q, want %q", got, r.want)
			}
			var maxRSS int64
			for b.Loop() {
				_, ru := run(b, bins[r.program], r.arg)
				maxRSS = max(maxRSS, ru.Maxrss)
			}
			b.ReportMetric(float64(maxRSS), "peak-RSS-KB")
		})
	}
}
