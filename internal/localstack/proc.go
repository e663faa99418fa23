package localstack

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a child's process group has between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// child is an emulator process in a process group of its own, so that stopping
// it stops whatever it started too. It dies with this process even when this
// process is killed outright (Pdeathsig).
type child struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // valid once exited is closed
	stopped sync.Once
	logPath string
}

// startChild starts path with args in dir, with env added to this process's
// environment, its output appended to logPath.
func startChild(name, path string, args []string, dir string, env []string, logPath string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, exited: make(chan struct{}), logPath: logPath}
	go func() {
		c.err = cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	return c, nil
}

// Exited is closed when the child has exited.
func (c *child) Exited() <-chan struct{} { return c.exited }

// Err describes how the child exited; nil before it did.
func (c *child) Err() error {
	select {
	case <-c.exited:
		if c.err == nil {
			return fmt.Errorf("%s exited (log: %s)", c.name, c.logPath)
		}
		return fmt.Errorf("%s: %w (log: %s)", c.name, c.err, c.logPath)
	default:
		return nil
	}
}

// stop sends SIGTERM to the child's process group, then SIGKILL after
// stopGrace, and waits for the child to exit. It is safe to call more than
// once and after the child exited (the group's other members still get the
// signals).
func (c *child) stop() {
	c.stopped.Do(func() {
		pgid := c.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(stopGrace):
		}
		// Whatever is left in the group, the leader included.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.exited
	})
}

// waitReady polls ready until it reports nil, the child exits, or limit passes.
func (c *child) waitReady(limit time.Duration, ready func() error) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("%w before it was ready", c.Err())
		default:
		}
		if last = ready(); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s: %w (log: %s)", c.name, limit, last, c.logPath)
}

// freePort returns a loopback port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailFile returns the last n bytes of the file at path, for error messages.
func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

var errNotReady = errors.New("not ready")

// GroupAlive reports whether any process of the process group pgid lives.
func GroupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
