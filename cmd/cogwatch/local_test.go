package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// TestLocalSimulatesPrintsSummaryAndStops gives --duration far less time
// than the simulation takes: the simulation still runs to its end, and the
// summary shows its traffic, however loaded the machine.
func TestLocalSimulatesPrintsSummaryAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	ep := filepath.Join(t.TempDir(), "endpoints.json")
	var out, errOut bytes.Buffer
	code := execute(t.Context(), []string{"local", "--simulate", "8", "--duration", "1ms", "--endpoints-file", ep, "--warm-interval", "0"},
		strings.NewReader(""), &out, &errOut)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())

	var e local.Endpoints
	b, err := os.ReadFile(ep)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &e))
	require.NotEmpty(t, e.UserPoolID)
	require.NotEmpty(t, e.Exporter)
	require.Equal(t, e.Lambda+"/dashboard/", e.Dashboard)
	for _, want := range []string{
		"cogwatch local is up", e.Cognito, e.Lambda, e.TopicARN,
		"Dashboard (live charts)  " + e.Dashboard,
		"simulated 8 users",
		"--duration 1ms passed during the simulation, which ran to its end",
		"User events published to SNS, by type:",
		"CloudWatch PutMetricData (recorded):",
		"Prometheus exporter (scraped /metrics",
		`cogwatch_user_events_total{reason="",type="cogwatch.signup.accepted"}`,
		"Failed sign-ins",
	} {
		require.Contains(t, out.String(), want)
	}
	// Every simulated user attempted a sign-up: nothing was cut short.
	attempted := 0
	for line := range strings.Lines(out.String()) {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "sign-up," {
			n, err := strconv.Atoi(f[3])
			require.NoError(t, err, line)
			attempted += n
		}
	}
	require.Equal(t, 8, attempted, out.String())
	// And 2 legacy users (--legacy's default 0.2 of 8, one of them in no
	// directory) signed in for the first time: the demo migration function
	// migrated one and failed the other, as the events counted.
	for _, row := range []string{"legacy users migrated", "migrations failed (unknown, wrong)"} {
		require.Regexp(t, `(?m)^  `+regexp.QuoteMeta(row)+`\s+([1-9]\d*) = ([1-9]\d*)$`, out.String())
	}
	require.Contains(t, out.String(), "Failed migrations, by reason (adding up to the ")
	// Everything stopped: the emulator's port no longer answers.
	_, err = (&http.Client{Timeout: time.Second}).Get(e.Cognito + "/health")
	require.Error(t, err)
}

func TestLocalRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "negative users", args: []string{"local", "--simulate", "-1"}, want: "--simulate -1: want 0 or more users"},
		{name: "negative pull replicas", args: []string{"local", "--pull-replicas", "-1"}, want: "--pull-replicas -1: want 0 or more replicas"},
		{name: "negative duration", args: []string{"local", "--duration", "-1s"}, want: "--duration -1s: want a positive duration"},
		{name: "legacy share over one", args: []string{"local", "--simulate", "2", "--legacy", "1.5"}, want: "--legacy 1.5: want a share between 0 and 1"},
		{name: "no cognito-local", args: []string{"local", "--cognito-local", "/nonexistent/cognito-local"}, want: "cognito-local is not installed at /nonexistent/cognito-local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := execute(t.Context(), tc.args, strings.NewReader(""), &out, &errOut)
			require.Equal(t, exitUsage, code)
			require.Contains(t, errOut.String(), tc.want)
		})
	}
}

// TestLocalStopsOnInterrupt cancels the command's context as main's
// signal.NotifyContext does on Ctrl-C: the command drains, prints the
// summary and exits 0, leaving nothing running.
func TestLocalStopsOnInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	ep := filepath.Join(t.TempDir(), "endpoints.json")
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	go func() {
		// Interrupt once the stack is up (the endpoints file exists).
		for ctx.Err() == nil {
			if _, err := os.Stat(ep); err == nil {
				interrupt()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := execute(ctx, []string{"local", "--endpoints-file", ep, "--warm-interval", "0"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	require.Less(t, time.Since(start), time.Minute)
	require.Contains(t, out.String(), "running until interrupted")
	require.Contains(t, out.String(), "User events published to SNS, by type:")

	var e local.Endpoints
	b, err := os.ReadFile(ep)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &e))
	_, err = (&http.Client{Timeout: time.Second}).Get(e.Cognito + "/health")
	require.Error(t, err, "cognito-local stopped")
}

// TestLocalBinaryExitsZeroOnInterrupt sends the built binary SIGINT, as
// Ctrl-C does: it drains, prints the summary and exits 0. (`go run` would
// exit 1 here whatever the program did: the go command reports its own
// interruption. Hence make run and the README run the binary.)
func TestLocalBinaryExitsZeroOnInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and starts the whole local stack")
	}
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "cogwatch")
	out, err := exec.CommandContext(t.Context(), goCmd, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	ep := filepath.Join(t.TempDir(), "endpoints.json")
	cmd := exec.CommandContext(t.Context(), bin, "local", "--endpoints-file", ep, "--warm-interval", "0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	up := false
	for start := time.Now(); time.Since(start) < 2*time.Minute; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(ep); err == nil {
			up = true
			break
		}
	}
	require.True(t, up, "the stack never came up:\n%s\n%s", stdout.String(), stderr.String())
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), "exit 0 after Ctrl-C\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	require.Contains(t, stdout.String(), "User events published to SNS, by type:")
}

// TestReconciliation: what the simulation did, beside what the events
// counted, marked where they differ; failed sign-ins from the events when
// they can count them.
func TestReconciliation(t *testing.T) {
	sim := &simulate.Result{
		SignUp: map[simulate.Kind]*simulate.Stage{
			simulate.Valid:      {Attempted: 35, Succeeded: 35},
			simulate.Disposable: {Attempted: 10, Failed: map[string]int{"UserLambdaValidationException": 10}},
			simulate.Invalid:    {Attempted: 5, Failed: map[string]int{"UserLambdaValidationException": 4, simulate.Interrupted: 1}},
		},
		Confirm:               simulate.Stage{Attempted: 35, Succeeded: 35},
		SignInWrong:           simulate.Stage{Attempted: 11, Failed: map[string]int{"InvalidPasswordException": 11}},
		SignInRight:           simulate.Stage{Attempted: 35, Succeeded: 35},
		Refresh:               simulate.Stage{Attempted: 18, Succeeded: 18},
		ForgotPassword:        simulate.Stage{Attempted: 7, Succeeded: 7},
		ConfirmForgotPassword: simulate.Stage{Attempted: 7, Succeeded: 7},
		MigrateWrong:          simulate.Stage{Attempted: 2, Failed: map[string]int{"NotAuthorizedException": 2}},
		MigrateUnknown:        simulate.Stage{Attempted: 1, Failed: map[string]int{"NotAuthorizedException": 1}},
		MigrateRight:          simulate.Stage{Attempted: 4, Succeeded: 4},
	}
	sum := local.Summary{Events: map[event.Type]int{
		event.SignUpAccepted: 35, event.SignUpRejected: 15, event.UserConfirmed: 35, event.SignInSucceeded: 38,
		event.TokenIssued: 57, event.CodeSent: 41, event.PasswordReset: 7, event.UserMigrated: 4, event.MigrationFailed: 2,
	}}
	var b bytes.Buffer
	printReconciliation(&b, sim, sum)
	require.Equal(t, `The simulation beside the events:
  sign-ups accepted                     35 = 35
  sign-ups rejected by the trigger      14 ≠ 15
  users confirmed                       35 = 35
  sign-ins succeeded (migrated too)     39 ≠ 38
  token sets (sign-ins + refreshes)     57 = 57
  codes sent (sign-ups + forgotten)     42 ≠ 41
  passwords reset                        7 = 7
  legacy users migrated                  4 = 4
  migrations failed (unknown, wrong)     3 ≠ 2
  sign-ins refused                      11 (the simulation's count: the events cannot count them here)
`, b.String())

	sum.Events[event.SignInAttempted] = 49
	b.Reset()
	printReconciliation(&b, sim, sum)
	require.Contains(t, b.String(), "  sign-ins refused (attempted − succeeded)    11 = 11\n")
}
