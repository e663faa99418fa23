package benchreport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Runtime is one way to run a trigger's job: a command started as Lambda
// starts a custom runtime (AWS_LAMBDA_RUNTIME_API set, the invocation
// already waiting).
type Runtime struct {
	Name string   // "go", "python", "node"
	Argv []string // the command
	Env  []string // the whole environment, AWS_LAMBDA_RUNTIME_API excepted
	Dir  string
}

// Sample is what one start of a runtime measured.
type Sample struct {
	// FirstAnswer is process start to the first answer's arrival.
	FirstAnswer time.Duration
	// InitCPU is the CPU time (user+system) the process used until its
	// first answer, start and first invocation included.
	InitCPU time.Duration
	// WarmWall and WarmCPU are per warm invocation, averaged.
	WarmWall, WarmCPU time.Duration
	// MaxRSS is the peak resident set of the process's own memory, in
	// bytes (VmHWM, read before the process is stopped: wait4's ru_maxrss
	// would also count the starting process's memory, which Linux carries
	// over exec).
	MaxRSS int64
}

// Check validates one answer; it is given the payload sent.
type Check func(payload []byte, a Answer) error

// SameJSON is the Check of a trigger that lets the user through: the
// answer is the event it got, as JSON.
func SameJSON(payload []byte, a Answer) error {
	if a.Error {
		return fmt.Errorf("runtime answered an error: %s", a.Body)
	}
	var want, got any
	if err := json.Unmarshal(payload, &want); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if err := json.Unmarshal(a.Body, &got); err != nil {
		return fmt.Errorf("answer is not JSON: %w: %.200s", err, a.Body)
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("answer differs from the event: %.300s", a.Body)
	}
	return nil
}

// Measure starts rt once, sends payload as its first (cold) invocation and
// warm more, checks every answer, and stops the process.
func Measure(ctx context.Context, rt Runtime, payload []byte, warm int, check Check) (Sample, error) {
	api, err := StartRuntimeAPI()
	if err != nil {
		return Sample{}, err
	}
	defer func() { _ = api.Close() }()

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.Command(rt.Argv[0], rt.Argv[1:]...)
	cmd.Env = append(append([]string(nil), rt.Env...), "AWS_LAMBDA_RUNTIME_API="+api.Addr)
	cmd.Dir = rt.Dir
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return Sample{}, fmt.Errorf("%s: start: %w", rt.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
		cancel()
	}()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}

	var s Sample
	a, err := api.Invoke(ctx, payload)
	if err == nil {
		s.FirstAnswer = a.At.Sub(t0)
		s.InitCPU, err = processCPU(cmd.Process.Pid)
	}
	if err == nil {
		err = check(payload, a)
	}
	if err == nil && warm > 0 {
		w0 := time.Now()
		for range warm {
			if a, err = api.Invoke(ctx, payload); err != nil {
				break
			}
			if err = check(payload, a); err != nil {
				break
			}
		}
		if err == nil {
			s.WarmWall = time.Since(w0) / time.Duration(warm)
			var cpu time.Duration
			cpu, err = processCPU(cmd.Process.Pid)
			s.WarmCPU = (cpu - s.InitCPU) / time.Duration(warm)
		}
	}
	if err == nil {
		s.MaxRSS, err = peakRSS(cmd.Process.Pid)
	}
	stop()
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w; output: %s", rt.Name, err, out.String())
	}
	return s, nil
}

// processCPU is the CPU time of a running process, every live thread
// included: the sum of /proc/<pid>/task/*/schedstat's first field
// (nanoseconds on a CPU). Threads that already exited are not counted.
func processCPU(pid int) (time.Duration, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, errors.New("empty schedstat")
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		total += ns
	}
	return time.Duration(total), nil
}

// peakRSS is a running process's VmHWM from /proc/<pid>/status, in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// tail keeps the last 4 KiB written, for error messages.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
