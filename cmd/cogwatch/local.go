package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/simulate"
)

type localFlags struct {
	simulate      int
	duration      time.Duration
	endpointsFile string
	dir           string
	cognitoLocal  string
	warmInterval  time.Duration
	seed          uint64
	legacy        float64
	eventSink     string
	logForwarder  bool
	pullReplicas  int
	noProgress    bool
	verbose       bool
}

// drainTimeout bounds the wait for queued events before the summary.
const drainTimeout = 20 * time.Second

func newLocalCmd() *cobra.Command {
	var f localFlags
	cmd := &cobra.Command{
		Use:   "local [--simulate N] [--duration D] [--endpoints-file F]",
		Short: "Run the whole pipeline on this machine: Cognito, SNS/SQS, triggers, consumers, exporter",
		Long: `Run the whole cogwatch pipeline on this machine, with no AWS account and no Docker:
cognito-local (npm, pinned in local/) as Cognito, goaws as SNS and SQS, a Lambda
host serving the Invoke API for every function by its template name, SQS
pollers feeding the consumers as Lambda's event-source mappings do, the
exporter subscribed over HTTP, and the warmer on a schedule. It creates the
user pool, app client, topic, queues, dead-letter queues and subscriptions.

It prints every endpoint on start (--endpoints-file writes them as JSON),
among them the local dashboard page at /dashboard/ on the Lambda host's
address: the on-call dashboard's widgets as charts of the stack's live
metrics (the functions' EMF lines and the CloudWatch consumer's
PutMetricData calls). It runs until interrupted or --duration (counted from
the moment the stack is up, and never cutting a --simulate run short), then
prints a summary: events by type, rejections by reason, failed sign-ins,
what the exporter counted and the PutMetricData calls the CloudWatch
consumer made (recorded to a file, as no CloudWatch emulator runs here). It
stops every process it started.

--simulate N signs up N users (valid, disposable and invalid addresses),
confirms them and signs them in, some first with a wrong password, through
the Cognito API. A share of further users (--legacy) never sign up: they are
in a demo legacy directory and sign in for the first time, which calls the
stack's demo user migration function (an adopter's handler in cogwatch's
middleware); some of them first type a wrong password, and some are in no
directory at all, so their migrations fail. The simulation always runs to its end (only Ctrl-C stops it
early), so the summary shows all of its traffic even when it takes longer
than --duration; the command then stops as soon as it has finished.`,
		Example: `  cogwatch local --simulate 50 --duration 60s
  cogwatch local --endpoints-file endpoints.json   # until Ctrl-C; drive it with cogwatch simulate or the AWS CLI`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLocal(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.simulate, "simulate", 0, "sign up, confirm and sign in N simulated users once the stack is up")
	fl.DurationVar(&f.duration, "duration", 0, "stop this long after the stack is up, but not before a --simulate run has finished (default: run until interrupted)")
	fl.StringVar(&f.endpointsFile, "endpoints-file", "", "write the endpoints as JSON to this file (keys cognito, sns, lambda, exporter, dashboard, userPoolId, clientId, topicArn)")
	fl.StringVar(&f.dir, "dir", "", "run directory for logs and recorded calls, kept afterwards (default: a temporary one, removed)")
	fl.StringVar(&f.cognitoLocal, "cognito-local", "", "cognito-local executable (default $"+local.CognitoLocalEnv+" or local/node_modules/.bin/cognito-local)")
	fl.DurationVar(&f.warmInterval, "warm-interval", local.DefaultWarmInterval, "how often the warmer runs; 0 never")
	fl.StringVar(&f.eventSink, "event-sink", "sns", "where the triggers send user events: sns, or log (their log lines, published by the log forwarder)")
	fl.BoolVar(&f.logForwarder, "log-forwarder", false, "run the log forwarder with --event-sink sns too, recovering the events the triggers could not publish")
	fl.IntVar(&f.pullReplicas, "pull-replicas", 0, "also run N exporters in pull mode, sharing a queue subscribed to the topic; the summary shows what each counted")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the simulation's plan")
	fl.Float64Var(&f.legacy, "legacy", simulate.DefaultLegacy, "with --simulate: share of further users who are migrated from the demo legacy directory at their first sign-in (0: none)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar (it is shown only when standard error is a terminal)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the stack's own events (timeouts, failed batches) to standard error")
	return cmd
}

func runLocal(ctx context.Context, stdout, stderr io.Writer, f localFlags) (err error) {
	if f.simulate < 0 {
		return usageErrorf("--simulate %d: want 0 or more users", f.simulate)
	}
	if f.duration < 0 {
		return usageErrorf("--duration %s: want a positive duration", f.duration)
	}
	if f.warmInterval < 0 {
		return usageErrorf("--warm-interval %s: want a positive duration, or 0 for never", f.warmInterval)
	}
	if f.endpointsFile != "" {
		// Found out before anything starts, not once the stack is up.
		dir := filepath.Dir(f.endpointsFile)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usageErrorf("--endpoints-file %s: no directory %s to write it in", f.endpointsFile, dir)
		}
		if st, err := os.Stat(f.endpointsFile); err == nil && st.IsDir() {
			return usageErrorf("--endpoints-file %s: is a directory", f.endpointsFile)
		}
	}
	if _, err := local.CognitoLocalPath(f.cognitoLocal); err != nil {
		return usageError(err)
	}
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelInfo
	}
	if f.legacy < 0 || f.legacy > 1 {
		return usageErrorf("--legacy %v: want a share between 0 and 1", f.legacy)
	}
	if f.pullReplicas < 0 {
		return usageErrorf("--pull-replicas %d: want 0 or more replicas", f.pullReplicas)
	}
	if f.eventSink != "sns" && f.eventSink != "log" {
		return usageErrorf("--event-sink %q: want sns or log", f.eventSink)
	}
	opts := local.Options{
		Dir: f.dir, CognitoLocal: f.cognitoLocal, WarmInterval: f.warmInterval,
		EventSink: f.eventSink, LogForwarder: f.logForwarder, PullReplicas: f.pullReplicas,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if f.warmInterval == 0 {
		opts.WarmInterval = -1
	}
	begun := time.Now()
	s, err := local.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("start the local stack: %w", err)
	}
	defer func() {
		// Also on panic: no emulator outlives this command.
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	// --duration counts from the moment the stack is up; it ends the wait
	// after the simulation, never the simulation itself, which only ctx
	// (Ctrl-C) cuts short: a summary without the simulated traffic would
	// show nothing the user asked for.
	started := time.Now()
	end := ctx
	if f.duration > 0 {
		var cancel context.CancelFunc
		end, cancel = context.WithDeadline(ctx, started.Add(f.duration))
		defer cancel()
	}
	fmt.Fprintf(stdout, "started in %s\n", started.Sub(begun).Round(time.Millisecond))
	s.PrintEndpoints(stdout)
	if f.endpointsFile != "" {
		if err := s.WriteEndpoints(f.endpointsFile); err != nil {
			return fmt.Errorf("--endpoints-file: %w", err)
		}
		fmt.Fprintf(stdout, "  endpoints written to %s\n", f.endpointsFile)
	}
	fmt.Fprintln(stdout)

	var sim *simulate.Result
	if f.simulate > 0 {
		e := s.Endpoints()
		simOpts := simulate.Options{
			Users: f.simulate, Seed: f.seed, ClientID: e.ClientID, UserPoolID: e.UserPoolID,
			ConfirmationCode: local.DefaultConfirmationCode,
			Legacy:           noneIfZero(f.legacy), Directory: s.Legacy(),
		}
		if !f.noProgress && isTerminal(stderr) {
			simOpts.Progress = progress(stderr, f.simulate)
		}
		sim, err = simulate.Run(ctx, s.Cognito(), simOpts)
		if sim != nil {
			if perr := printResult(stdout, sim, false); perr != nil {
				return perr
			}
			fmt.Fprintln(stdout)
		}
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}

	var crashed error
	if f.duration == 0 {
		fmt.Fprintln(stdout, "running until interrupted (Ctrl-C)")
	} else if left := time.Until(started.Add(f.duration)); left > 0 {
		fmt.Fprintf(stdout, "running for %s more (Ctrl-C to stop now)\n", left.Round(time.Second))
	} else if sim != nil && ctx.Err() == nil {
		fmt.Fprintf(stdout, "--duration %s passed during the simulation, which ran to its end\n", f.duration)
	}
	select {
	case <-end.Done():
	case crashed = <-s.Crashed():
	}
	fmt.Fprintln(stdout, "stopping: draining the queues")

	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	if crashed == nil {
		if derr := s.Drain(dctx); derr != nil {
			fmt.Fprintf(stderr, "warning: %v\n", derr)
		}
	}
	sum, serr := s.Summary(dctx)
	if serr != nil {
		fmt.Fprintf(stderr, "warning: summary incomplete: %v\n", serr)
	}
	fmt.Fprintln(stdout)
	sum.Print(stdout)
	if sim != nil {
		printReconciliation(stdout, sim, sum)
	}
	fmt.Fprintf(stdout, "\nran for %s\n", time.Since(started).Round(time.Millisecond))
	if crashed != nil {
		s.KeepDir()
		fmt.Fprintf(stdout, "run directory kept: %s\n", s.Dir())
		return fmt.Errorf("an emulator crashed: %w", crashed)
	}
	if sim != nil && sim.Unexpected() > 0 {
		return fmt.Errorf("%d unexpected outcomes in the simulation (see the table)", sim.Unexpected())
	}
	return nil
}

// printReconciliation sets what the simulation did beside what the events
// counted: equal figures are the pipeline working; a difference is marked.
// Failed sign-ins come from the events where they can (on AWS: attempted −
// succeeded); cognito-local calls no pre authentication trigger, so here
// the simulation's own refusals stand in, and the line says so.
func printReconciliation(w io.Writer, sim *simulate.Result, sum local.Summary) {
	fmt.Fprintln(w, "The simulation beside the events:")
	row := func(what string, did, counted int) {
		mark := "="
		if did != counted {
			mark = "≠"
		}
		fmt.Fprintf(w, "  %-34s %5d %s %d\n", what, did, mark, counted)
	}
	row("sign-ups accepted", sim.Accepted(), sum.Events[event.SignUpAccepted])
	row("sign-ups rejected by the trigger", local.RejectedByTrigger(sim), sum.Events[event.SignUpRejected])
	row("users confirmed", sim.Confirm.Succeeded, sum.Events[event.UserConfirmed])
	signIns := sim.SignInRight.Succeeded + sim.SignInWrong.Succeeded + local.Migrated(sim)
	row("sign-ins succeeded (migrated too)", signIns, sum.Events[event.SignInSucceeded])
	row("token sets (sign-ins + refreshes)", signIns+sim.Refresh.Succeeded, sum.Events[event.TokenIssued])
	row("codes sent (sign-ups + forgotten)", sim.Accepted()+sim.ForgotPassword.Succeeded, sum.Events[event.CodeSent])
	row("passwords reset", sim.ConfirmForgotPassword.Succeeded, sum.Events[event.PasswordReset])
	row("legacy users migrated", local.Migrated(sim), sum.Events[event.UserMigrated])
	row("migrations failed (unknown, wrong)", local.MigrationsFailed(sim), sum.Events[event.MigrationFailed])
	refused := sim.SignInWrong.FailedTotal() + sim.SignInRight.FailedTotal()
	if n, ok := sum.FailedSignIns(); ok {
		row("sign-ins refused (attempted − succeeded)", refused, n)
	} else {
		fmt.Fprintf(w, "  %-34s %5d (the simulation's count: the events cannot count them here)\n", "sign-ins refused", refused)
	}
}
