package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes; every subcommand returns one.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad usage or configuration: nothing was done
)

// exitError carries the exit code a command's error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as bad usage or configuration: exit code 2. Any other
// error a command returns exits 1.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// usageErrorf is usageError(fmt.Errorf(format, args...)).
func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Errorf(format, args...))
}

// newRootCmd builds the whole command tree. Every subcommand lives in a
// file of its own with a newXCmd function, listed here.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cogwatch",
		Short: "Operations toolkit for Amazon Cognito user pools",
		Long: `cogwatch publishes every Cognito sign-up and sign-in as a user event and turns
the events into CloudWatch metrics, EventBridge events and Prometheus metrics.

This command runs the whole pipeline on this machine (local), drives simulated
users through any Cognito endpoint (simulate), checks user events (events) and
prints its version.

Exit codes: 0 success, 1 failure, 2 bad usage or configuration.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(newVersionCmd(), newLocalCmd(), newSimulateCmd(), newEventsCmd(), newWarmCmd(), newCfnCmd(), newDashboardsCmd(), newAttachCmd(), newDetachCmd())
	return root
}

// execute runs the command line args with the given standard streams and
// returns the process's exit code.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	prepare(root)
	if group, rest, err := root.Find(args); err == nil && group.HasParent() && group.HasSubCommands() && !group.Runnable() {
		// cobra prints a group's help and exits 0 for `cogwatch events nope`.
		for _, a := range rest {
			if !strings.HasPrefix(a, "-") {
				return report(stderr, group, usageErrorf("unknown command %q for %q", a, group.CommandPath()))
			}
		}
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	return report(stderr, cmd, err)
}

// report writes cmd's error to stderr and returns the exit code it means.
func report(stderr io.Writer, cmd *cobra.Command, err error) int {
	code := exitUsage // errors cobra returns before a command runs: unknown command, flags, arguments
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	if code == exitUsage {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// prepare readies every command of the tree, the other files' included: an
// error a command's RunE returns is a failure (exit 1) unless it says
// otherwise, so that the errors cobra itself returns (before RunE) are the
// only unmarked ones: usage errors (exit 2).
func prepare(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				err = &exitError{code: exitFailure, err: err}
			}
			return err
		}
	}
	for _, sub := range c.Commands() {
		prepare(sub)
	}
}

// noArgs is cobra.NoArgs; its errors are usage errors like cobra's own.
var noArgs = cobra.NoArgs

// getenvKey carries, in a command's context, the environment its AWS
// configuration is read from: os.Getenv unless the caller (a test) gives
// its own, which then need not set the process environment.
type getenvKey struct{}

// withGetenv returns ctx carrying getenv for the commands.
func withGetenv(ctx context.Context, getenv func(string) string) context.Context {
	return context.WithValue(ctx, getenvKey{}, getenv)
}

// getenvOf returns the getenv ctx carries, or os.Getenv.
func getenvOf(ctx context.Context) func(string) string {
	if g, ok := ctx.Value(getenvKey{}).(func(string) string); ok {
		return g
	}
	return os.Getenv
}
