// Command bench runs cogwatch's benchmarks beside their alternatives and
// writes BENCHMARKS.md (make bench). See bench/internal/benchreport.
//
// bench is a module of its own, so that the harness's dependencies stay out
// of what cogwatch's users get; run it from bench/ (cd bench && go run .).
// It measures the cogwatch module at -root, the parent folder by default.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/bench/internal/benchreport"
)

func main() {
	out := flag.String("out", "../BENCHMARKS.md", "file to write")
	root := flag.String("root", "..", "the cogwatch repository whose code is measured")
	runs := flag.Int("runs", 10, "recorded cold starts per trigger and runtime")
	warm := flag.Int("warm", 200, "warm invocations after each cold start")
	count := flag.Int("count", 5, "go test -count for the Go benchmarks (medians are reported)")
	benchtime := flag.String("benchtime", "0.5s", "go test -benchtime for the Go benchmarks (BenchmarkCalls runs once)")
	pools := flag.Int("exporter.pools", 20, "exporter load: user pools (pools × clients × 5 notifications)")
	clients := flag.Int("exporter.clients", 100, "exporter load: app clients per pool")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with Debian's python3-boto3")
	quick := flag.Bool("quick", false, "tiny bounds, to check the pipeline (figures meaningless)")
	flag.Parse()
	if *quick {
		*runs, *warm, *count, *benchtime, *pools, *clients = 1, 2, 1, "1x", 2, 5
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *root, *out, *runs, *warm, *count, *benchtime, *pools, *clients, *python, *quick); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// mainModule is the module bench measures.
const mainModule = "github.com/cogwatch/cogwatch"

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, ">> "+format+"\n", args...) }

func run(ctx context.Context, root, out string, runs, warm, count int, benchtime string, pools, clients int, python string, quick bool) error {
	start := time.Now()
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.HasPrefix(string(b), "module "+mainModule+"\n") {
		return fmt.Errorf("-root %s: not the %s module (run from bench/, or set -root)", root, mainModule)
	}
	work, err := os.MkdirTemp("", "cogwatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	rep := &benchreport.Report{Command: "make bench", ColdRuns: runs, Warm: warm, Go: benchreport.Results{}}
	rep.Machine = machine(root, python)

	cold := benchreport.ColdConfig{Root: root, Work: work, Runs: runs, Warm: warm, Python: python, Log: logf, Runtimes: []string{"go"}}
	if exec.Command(python, "-c", "import boto3").Run() == nil {
		cold.Runtimes = append(cold.Runtimes, "python")
	} else {
		logf("no boto3 for %s: Python cold starts skipped (bench/setup.sh installs it)", python)
	}
	if node, err := exec.LookPath("node"); err == nil {
		if _, err := os.Stat(filepath.Join(root, "bench", "node", "node_modules", "@aws-sdk", "client-sns")); err == nil {
			cold.Node, cold.Runtimes = node, append(cold.Runtimes, "node")
		}
	}
	if len(cold.Runtimes) < 3 {
		logf("cold starts measured for %v only", cold.Runtimes)
	}
	logf("cold starts: %d per trigger and runtime, %d warm invocations each", runs, warm)
	if rep.Cold, err = benchreport.ColdStarts(ctx, cold); err != nil {
		return err
	}

	logf("wire sizes of the triggers, for the cost model")
	if rep.Wire, err = benchreport.MeasureWire(ctx, root); err != nil {
		return err
	}

	calls := "1x"
	benches := []benchreport.GoBench{
		{Prefix: "triggers.", Package: "./triggers/", Bench: "^BenchmarkHandle$", Count: count, BenchTime: benchtime},
		{Prefix: "triggers.", Package: "./triggers/", Bench: "^BenchmarkSNSHanging$/^breaker-off$", Count: 1, BenchTime: "3x"},
		{Prefix: "triggers.", Package: "./triggers/", Bench: "^BenchmarkSNSHanging$/^breaker-on$", Count: 1, BenchTime: "1000x"},
		{Prefix: "emf.", Package: "./emf/", Bench: "^(BenchmarkTriggerDocument|BenchmarkLargeDocument)$", Count: count, BenchTime: benchtime},
		{Prefix: "cloudwatch.", Package: "./consumers/cloudwatch/", Bench: "^BenchmarkHandle$", Count: count, BenchTime: benchtime},
		{Prefix: "cloudwatch.", Package: "./consumers/cloudwatch/", Bench: "^BenchmarkCalls$", Count: 1, BenchTime: calls},
		{Prefix: "eventbridge.", Package: "./consumers/eventbridge/", Bench: "^BenchmarkHandle$", Count: count, BenchTime: benchtime},
		{Prefix: "exporter.", Package: "./consumers/exporter/", Bench: "^BenchmarkVerifiedNotifications$", Count: count, BenchTime: benchtime},
		{Prefix: "exporter.", Package: "./consumers/exporter/", Bench: "^BenchmarkPull$", Count: count, BenchTime: benchtime},
		{Prefix: "disposable.", Package: "./triggers/disposable/", Bench: "^(BenchmarkLookup|BenchmarkLoad)$", Count: count, BenchTime: benchtime},
	}
	if quick {
		benches[3].Bench = "^BenchmarkCalls$/^10k$"
	}
	for _, g := range benches {
		logf("go %s", strings.Join(g.Args(), " "))
		if err := g.Run(ctx, root, rep.Go, io.Discard); err != nil {
			return err
		}
	}

	logf("exporter: %d pools × %d clients × 5 types", pools, clients)
	if rep.Loads, rep.Scrapes, err = benchreport.ExporterBench(ctx, benchreport.ExporterConfig{
		Pools: pools, Clients: clients, Workers: 4, MaxTime: 60 * time.Second, Scrapes: 20, Log: logf,
	}); err != nil {
		return err
	}

	rep.Machine.Date, rep.Machine.Duration = time.Now(), time.Since(start)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := rep.Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	logf("wrote %s in %s", out, time.Since(start).Round(time.Second))
	return nil
}

// machine describes this host and the alternatives' versions.
func machine(root, python string) benchreport.Machine {
	m := benchreport.Machine{CPUs: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/debian_version"); err == nil {
		m.OS += ", Debian " + strings.TrimSpace(string(b))
	}
	m.Python = cmdOut(python, "--version")
	m.Boto3 = cmdOut(python, "-c", "import boto3; print(boto3.__version__)")
	m.Node = cmdOut("node", "--version")
	m.NodeSDK = cmdOut("node", "-p", "require(process.argv[1]).version", filepath.Join(root, "bench", "node", "node_modules", "@aws-sdk", "client-sns", "package.json"))
	return m
}

func cmdOut(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "not installed"
	}
	return strings.TrimSpace(string(b))
}
