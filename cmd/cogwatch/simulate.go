package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cogwatch/cogwatch/local/simulate"
)

// clientSecretEnv is where simulate reads an app client secret from, so it
// never appears in a process listing.
const clientSecretEnv = "COGWATCH_CLIENT_SECRET"

type simulateFlags struct {
	endpoint, region     string
	userPoolID, clientID string
	confirmationCode     string
	runID                string
	users, concurrency   int
	seed                 uint64
	timeout              time.Duration
	disposable, invalid  float64
	wrongPassword        float64
	refresh, forgot      float64
	phone                float64
	jsonOut, noProgress  bool
}

func newSimulateCmd() *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate --client-id ID --user-pool-id ID [-n N]",
		Short: "Sign up, confirm, sign in, refresh and reset simulated users through a Cognito endpoint",
		Long: `Sign up N simulated users through the Cognito API, with valid, disposable
(e.g. @mailinator.com) and invalid email addresses, confirm the accepted ones
(AdminConfirmSignUp, or ConfirmSignUp with --confirmation-code), and sign
them in with USER_PASSWORD_AUTH, some first with a wrong password; then some
refresh their tokens (REFRESH_TOKEN_AUTH) and some reset their password
(ForgotPassword, then ConfirmForgotPassword when --confirmation-code gives
the code). Some sign up with a phone number reserved for fiction. Then print
what was done and how Cognito answered, by kind of address and error code.

It runs against any Cognito endpoint: real AWS (the SDK's default endpoint,
credentials and region) or an emulator (--endpoint; on a loopback endpoint
with no AWS credentials in the environment, dummy ones are used). The app
client must allow USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH; if it has a secret, put it in
$COGWATCH_CLIENT_SECRET. Addresses are unique per run (--run-id) and never
printed: only their domains are.

Exits 1 when an outcome was not the one provoked: a valid address rejected,
a confirmation failed, a right password refused or a wrong one accepted, a
refresh or reset refused, a call that timed out. Rejected disposable and
invalid addresses and refused wrong passwords are what the simulation is
for. The table counts failures by error code; below it, each cause it knows
(a refused connection, missing credentials, access denied, a user pool or
app client not found) is said once, in one line, with its remedy.`,
		Example: `  cogwatch simulate --endpoint "$(jq -r .cognito endpoints.json)" \
    --user-pool-id "$(jq -r .userPoolId endpoints.json)" --client-id "$(jq -r .clientId endpoints.json)" -n 50
  cogwatch simulate --region eu-west-1 --user-pool-id eu-west-1_AbC --client-id 1example23456789 -n 20 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSimulate(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, getenvOf(cmd.Context()))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.endpoint, "endpoint", "", "Cognito API endpoint URL (default: the SDK's, from the region or AWS_ENDPOINT_URL)")
	fl.StringVar(&f.region, "region", "", "AWS region (default: the SDK's, e.g. AWS_REGION)")
	fl.StringVar(&f.userPoolID, "user-pool-id", "", "user pool id, for AdminConfirmSignUp")
	fl.StringVar(&f.clientID, "client-id", "", "app client id (required)")
	fl.StringVar(&f.confirmationCode, "confirmation-code", "", "confirm with ConfirmSignUp and this code instead of AdminConfirmSignUp (cognito-local run with CODE=...)")
	fl.IntVarP(&f.users, "users", "n", simulate.DefaultUsers, "number of users to sign up")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the plan: kinds of address, domains, who types a wrong password")
	fl.StringVar(&f.runID, "run-id", "", "string put in every address to keep runs apart (default random)")
	fl.Float64Var(&f.disposable, "disposable", simulate.DefaultDisposable, "share of users with a disposable address")
	fl.Float64Var(&f.invalid, "invalid", simulate.DefaultInvalid, "share of users with a malformed address")
	fl.Float64Var(&f.wrongPassword, "wrong-password", simulate.DefaultWrongPassword, "share of confirmed users who first type a wrong password")
	fl.Float64Var(&f.refresh, "refresh", simulate.DefaultRefresh, "share of signed-in users who then refresh their tokens once")
	fl.Float64Var(&f.forgot, "forgot-password", simulate.DefaultForgot, "share of signed-in users who then reset their password")
	fl.Float64Var(&f.phone, "phone", simulate.DefaultPhone, "share of users who sign up with a (fictional) phone number too")
	fl.IntVar(&f.concurrency, "concurrency", simulate.DefaultConcurrency, "users going through Cognito at once")
	fl.DurationVar(&f.timeout, "timeout", simulate.DefaultCallTimeout, "deadline of each API call")
	fl.BoolVar(&f.jsonOut, "json", false, "print the result as JSON instead of a table")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar (it is shown only when standard error is a terminal)")
	return cmd
}

func runSimulate(ctx context.Context, stdout, stderr io.Writer, f simulateFlags, getenv func(string) string) error {
	if f.clientID == "" {
		return usageErrorf("--client-id is required")
	}
	if f.users <= 0 {
		return usageErrorf("--users %d: want at least 1", f.users)
	}
	for name, v := range map[string]float64{"--disposable": f.disposable, "--invalid": f.invalid, "--wrong-password": f.wrongPassword,
		"--refresh": f.refresh, "--forgot-password": f.forgot, "--phone": f.phone} {
		if v < 0 || v > 1 {
			return usageErrorf("%s %v: want a share between 0 and 1", name, v)
		}
	}
	if f.disposable+f.invalid > 1 {
		return usageErrorf("--disposable %v + --invalid %v: the shares add up to more than 1", f.disposable, f.invalid)
	}
	if f.concurrency < 1 {
		return usageErrorf("--concurrency %d: want at least 1", f.concurrency)
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout %s: want a positive duration", f.timeout)
	}
	if f.userPoolID == "" && f.confirmationCode == "" {
		return usageErrorf("--user-pool-id is required to confirm users (or give --confirmation-code)")
	}
	api, err := cognitoClient(ctx, f.endpoint, f.region, getenv)
	if err != nil {
		return usageError(err)
	}
	opts := simulate.Options{
		Users: f.users, Seed: f.seed, RunID: f.runID,
		ClientID: f.clientID, ClientSecret: getenv(clientSecretEnv),
		UserPoolID: f.userPoolID, ConfirmationCode: f.confirmationCode,
		Disposable: noneIfZero(f.disposable), Invalid: noneIfZero(f.invalid), WrongPassword: noneIfZero(f.wrongPassword),
		Refresh: noneIfZero(f.refresh), ForgotPassword: noneIfZero(f.forgot), Phone: noneIfZero(f.phone),
		Concurrency: f.concurrency, CallTimeout: f.timeout,
	}
	if !f.noProgress && isTerminal(stderr) {
		opts.Progress = progress(stderr, f.users)
	}
	r, err := simulate.Run(ctx, api, opts)
	if errors.Is(err, simulate.ErrConfig) {
		return usageError(err)
	}
	if r != nil {
		if perr := printResult(stdout, r, f.jsonOut); perr != nil {
			return perr
		}
		printCauses(stderr, "cogwatch simulate", r)
	}
	if err != nil {
		return err
	}
	if n := r.Unexpected(); n > 0 {
		return fmt.Errorf("%d unexpected outcomes (see the table)", n)
	}
	return nil
}

// printCauses says, once each, the causes it knows behind the failed calls
// of r (a refused connection, missing credentials, …): the table only
// counts them by error code.
func printCauses(w io.Writer, prefix string, r *simulate.Result) {
	var why causes
	errs := r.Errors()
	for _, code := range slices.Sorted(maps.Keys(errs)) {
		why.add(errs[code], "")
	}
	why.print(w, prefix)
}

// noneIfZero maps a flag's 0 ("none") to simulate's "none" (negative);
// simulate reads 0 as "the default".
func noneIfZero(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress returns a simulate.Options.Progress that draws a progress bar on w.
func progress(w io.Writer, total int) func(done, total int) {
	bar := newBar(w, total, "simulating users", 100*time.Millisecond)
	return func(done, _ int) { _ = bar.Set(done) }
}

// newBar returns the progress bar of simulate, warm and local: on w, with
// description, the count done of total and the time left, redrawn at most
// every throttle, its line ended when it completes.
func newBar(w io.Writer, total int, description string, throttle time.Duration) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

func printResult(w io.Writer, r *simulate.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "simulated %d users (run %s) in %s\n\n", r.Users, r.RunID, r.Elapsed.Round(time.Millisecond))
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tattempted\tsucceeded\tfailed\tfailures by error code")
	row := func(name string, s simulate.Stage) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", name, s.Attempted, s.Succeeded, s.FailedTotal(), counts(s.Failed))
	}
	for _, k := range simulate.Kinds() {
		row("sign-up, "+string(k)+" address", *r.SignUp[k])
	}
	row("confirmation", r.Confirm)
	row("sign-in, wrong password", r.SignInWrong)
	row("sign-in, right password", r.SignInRight)
	row("token refresh", r.Refresh)
	row("forgot password", r.ForgotPassword)
	row("password reset confirmed", r.ConfirmForgotPassword)
	if r.MigrateRight.Attempted+r.MigrateWrong.Attempted+r.MigrateUnknown.Attempted > 0 {
		row("legacy sign-in, wrong password", r.MigrateWrong)
		row("legacy sign-in, unknown user", r.MigrateUnknown)
		row("legacy sign-in, right password", r.MigrateRight)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	if r.AutoConfirmed > 0 {
		fmt.Fprintf(w, "auto-confirmed by Cognito: %d\n", r.AutoConfirmed)
	}
	attempted := 0
	for _, n := range r.Domains {
		attempted += n
	}
	fmt.Fprintf(w, "\nsign-up attempts by domain (%d): %s\n", attempted, counts(r.Domains))
	_, err := fmt.Fprintf(w, "  of which accepted (%d): %s\n", r.Accepted(), counts(r.AcceptedDomains))
	return err
}

// counts renders a map of counts as "a=1 b=2", sorted by key.
func counts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
