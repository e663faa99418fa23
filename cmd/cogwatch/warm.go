package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/cobra"

	"github.com/cogwatch/cogwatch/warmers"
)

type warmFlags struct {
	targets          []string
	userPoolID       string
	instances        int
	hold, timeout    time.Duration
	endpoint, region string
	cognitoEndpoint  string
	jsonOut          bool
	noProgress       bool
}

func newWarmCmd() *cobra.Command {
	var f warmFlags
	cmd := &cobra.Command{
		Use:   "warm (--target FUNCTION[=N] ... | --user-pool-id ID) [-n N]",
		Short: "Warm Lambda functions now, as the warmer does, and say how many instances answered",
		Long: `Run one warm-up round from this machine, exactly as the scheduled warmer does:
invoke each target N times at once with the warm-up payload, every invocation
holding until one shared moment so that all N overlap and reach N distinct
execution environments, then count the distinct instances that answered,
how many were cold, the errors and the slowest latency.

Targets are function names, ARNs or name:alias (--target, repeatable, with an
optional =N), and/or every function a user pool's Lambda configuration names
(--user-pool-id): exactly what Cognito invokes. Every target must honour the
warm-up protocol (cogwatch's functions do); others count as NotWarmable.

Credentials and region are the SDK's defaults (AWS_PROFILE, AWS_REGION, …);
--endpoint points the Lambda client elsewhere, e.g. at the local stack.
Exits 1 when a target answered with fewer instances than asked. The table
counts errors by code; below it, each cause of failed calls is said once, in
one line, with its remedy: no credentials, a refused connection, an
unresolvable or unreachable endpoint, access denied, a function not found.`,
		Example: `  cogwatch warm --user-pool-id eu-west-1_AbCdEfGhI -n 3
  cogwatch warm --target cogwatch-PreSignUpFunction=5 --target cogwatch-AuthenticationFunction:live --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWarm(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, getenvOf(cmd.Context()))
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.targets, "target", nil, "function name, ARN or name:alias to warm, with an optional =N instances (repeatable)")
	fl.StringVar(&f.userPoolID, "user-pool-id", "", "also warm every function this user pool's Lambda configuration names")
	fl.IntVarP(&f.instances, "instances", "n", 1, "instances per target when the target does not say")
	fl.DurationVar(&f.hold, "hold", warmers.DefaultConfig.Hold, "how long after the start every invocation holds (longer covers slower cold starts)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "deadline of the whole round")
	fl.StringVar(&f.region, "region", "", "AWS region (default: the SDK's, e.g. AWS_REGION)")
	fl.StringVar(&f.endpoint, "endpoint", "", "Lambda API endpoint URL (default: the SDK's)")
	fl.StringVar(&f.cognitoEndpoint, "cognito-endpoint", "", "Cognito API endpoint URL, for --user-pool-id (default: the SDK's)")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as JSON instead of a table")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar (it is shown only when standard error is a terminal)")
	return cmd
}

func runWarm(ctx context.Context, stdout, stderr io.Writer, f warmFlags, getenv func(string) string) error {
	var targets []warmers.Target
	for _, s := range f.targets {
		t, err := warmers.ParseTargets(s)
		if err != nil {
			return usageErrorf("--target %q: %v", s, err)
		}
		targets = append(targets, t...)
	}
	if len(targets) == 0 && f.userPoolID == "" {
		return usageErrorf("name what to warm: --target or --user-pool-id")
	}
	if f.instances < 1 || f.instances > warmers.MaxInstances {
		return usageErrorf("--instances %d: want 1 to %d", f.instances, warmers.MaxInstances)
	}
	if f.hold <= 0 || f.hold >= f.timeout {
		return usageErrorf("--hold %s: want a positive duration shorter than --timeout %s", f.hold, f.timeout)
	}
	lc, err := lambdaClient(ctx, f.endpoint, f.region, getenv)
	if err != nil {
		return usageError(err)
	}
	var describe warmers.DescribeUserPoolFunc
	if f.userPoolID != "" {
		cc, err := cognitoClient(ctx, f.cognitoEndpoint, f.region, getenv)
		if err != nil {
			return usageError(err)
		}
		describe = cc.DescribeUserPool
	}
	// Every failed call's cause, said once after the report: the report
	// has only counts by error code.
	var why causes
	invoke := func(ctx context.Context, in *awslambda.InvokeInput, o ...func(*awslambda.Options)) (*awslambda.InvokeOutput, error) {
		out, err := lc.Invoke(ctx, in, o...)
		why.add(err, warmers.FunctionName(aws.ToString(in.FunctionName)))
		return out, err
	}
	opts := warmers.Options{Config: warmers.Config{Instances: f.instances, Hold: f.hold}, Timeout: f.timeout}
	w := warmers.New(invoke, describe, opts)
	in := warmers.Input{Targets: targets, UserPoolID: f.userPoolID, Instances: f.instances}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	if !f.noProgress && isTerminal(stderr) {
		// Resolve the targets first: the bar needs its total.
		resolved, err := w.Targets(ctx, in)
		if err != nil {
			return explained(err, f.userPoolID)
		}
		total := 0
		for _, t := range resolved {
			total += t.Instances
		}
		opts.Progress = warmProgress(stderr, total)
		w = warmers.New(invoke, describe, opts)
		in = warmers.Input{Targets: resolved}
	}
	rep, err := w.Handle(ctx, in)
	if err != nil {
		if errors.Is(err, warmers.ErrNoTargets) {
			return fmt.Errorf("user pool %s names no Lambda function", f.userPoolID)
		}
		return explained(err, f.userPoolID)
	}
	if err := printWarmReport(stdout, rep, f.jsonOut); err != nil {
		return err
	}
	why.print(stderr, "cogwatch warm")
	short := 0
	for _, t := range rep.Targets {
		if t.Instances < t.Requested {
			short++
		}
	}
	if short > 0 {
		return fmt.Errorf("%d of %d targets answered with fewer instances than asked", short, len(rep.Targets))
	}
	return nil
}

// warmProgress draws a bar on w advanced by each finished invocation.
func warmProgress(w io.Writer, total int) func(string, error) {
	bar := newBar(w, total, "warming", 50*time.Millisecond)
	var mu sync.Mutex
	return func(string, error) {
		mu.Lock()
		defer mu.Unlock()
		_ = bar.Add(1)
	}
}

func printWarmReport(w io.Writer, rep warmers.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "function\tasked\tinstances\tcold\terrors\tslowest\terrors by code")
	for _, t := range rep.Targets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", warmers.FunctionName(t.Function), t.Requested, t.Instances, t.Cold, t.Errors,
			time.Duration(t.LatencyMs)*time.Millisecond, counts(t.ErrorCodes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nround took %s\n", time.Duration(rep.DurationMs)*time.Millisecond)
	return err
}

// explained is err said as its cause and remedy when explain knows it,
// naming the user pool whose description failed, else err itself.
func explained(err error, userPoolID string) error {
	line, ok := explain(err, "")
	switch {
	case ok && userPoolID != "":
		return fmt.Errorf("describe user pool %s: %s", userPoolID, line)
	case ok:
		return errors.New(line)
	}
	return err
}
