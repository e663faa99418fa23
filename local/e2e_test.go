package local_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/redact"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// TestEndToEnd drives simulated users through cognito-local → triggers on
// the Lambda host → goaws SNS → SQS → consumers (and → the exporter), and
// checks that every stage counted exactly what was done.
func TestEndToEnd(t *testing.T) {
	begun := time.Now()
	s := start(t, local.Options{WarmInterval: time.Hour, VisibilityTimeout: 5 * time.Second})
	e := s.Endpoints()

	const users = 30
	simOpts := simulate.Options{
		Users: users, Seed: 7, ClientID: e.ClientID, UserPoolID: e.UserPoolID,
		ConfirmationCode: local.DefaultConfirmationCode,
		Disposable:       0.2, Invalid: 0.2, WrongPassword: 0.4,
		Legacy: 0.3, Directory: s.Legacy(),
	}
	r, err := simulate.Run(t.Context(), s.Cognito(), simOpts)
	require.NoError(t, err)
	require.Zero(t, r.Unexpected(), "%+v", r)
	t.Logf("simulated %d users in %s", users, r.Elapsed)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Drain(ctx))
	sum, err := s.Summary(ctx)
	require.NoError(t, err)

	// What was done, from the simulation's side.
	valid, disposable, invalid := r.SignUp[simulate.Valid], r.SignUp[simulate.Disposable], r.SignUp[simulate.Invalid]
	require.Equal(t, users, valid.Attempted+disposable.Attempted+invalid.Attempted)
	require.Positive(t, disposable.Attempted)
	require.Positive(t, invalid.Attempted)
	require.Positive(t, r.SignInWrong.Attempted)
	require.Positive(t, r.Refresh.Succeeded)
	require.Positive(t, r.ConfirmForgotPassword.Succeeded)
	require.Positive(t, r.MigrateRight.Succeeded)
	require.Positive(t, r.MigrateWrong.Attempted)
	require.Positive(t, r.MigrateUnknown.Attempted)
	migrated, migrationsFailed := r.MigrateRight.Succeeded, r.MigrateWrong.FailedTotal()+r.MigrateUnknown.FailedTotal()
	require.Equal(t, map[string]int{"NotAuthorizedException": r.MigrateWrong.Attempted}, r.MigrateWrong.Failed,
		"cognito-local answers NotAuthorizedException when the migration function fails")
	require.Equal(t, map[string]int{"NotAuthorizedException": r.MigrateUnknown.Attempted}, r.MigrateUnknown.Failed)
	rejectedByTrigger := disposable.Failed["UserLambdaValidationException"] + invalid.Failed["UserLambdaValidationException"]
	reachedTrigger := r.Accepted() + rejectedByTrigger

	// Cognito → triggers on the Lambda host.
	require.Equal(t, reachedTrigger, sum.Functions[local.PreSignUpFunction].Invocations)
	require.Equal(t, r.Confirm.Succeeded+r.ConfirmForgotPassword.Succeeded, sum.Functions[local.PostConfirmationFunction].Invocations)
	signIns := r.SignInRight.Succeeded + migrated // a migrated user's first sign-in goes on as any other
	require.Equal(t, signIns, sum.Functions[local.AuthenticationFunction].Invocations,
		"cognito-local calls PostAuthentication on success only, and never PreAuthentication")
	require.Equal(t, r.MigrateRight.Attempted+r.MigrateWrong.Attempted+r.MigrateUnknown.Attempted,
		sum.Functions[local.UserMigrationFunction].Invocations, "UserMigration for each sign-in of a user the pool does not have")
	tokens := signIns + r.Refresh.Succeeded
	require.Equal(t, tokens, sum.Functions[local.PreTokenGenerationFunction].Invocations, "a token set per sign-in and per refresh")
	codes := r.Accepted() + r.ForgotPassword.Succeeded
	require.Equal(t, codes, sum.Functions[local.CustomMessageFunction].Invocations, "a code per accepted sign-up and per forgotten password")
	for name, st := range sum.Functions {
		wantErrors := 0
		switch name {
		case local.PreSignUpFunction:
			wantErrors = rejectedByTrigger // a rejection is the trigger's error, shown to the user
		case local.UserMigrationFunction:
			wantErrors = migrationsFailed // a migration function says no with an error
		}
		require.Equal(t, wantErrors, st.Errors, name)
		require.Zero(t, st.Timeouts, name)
	}

	// Triggers → SNS, counted by the stack's own subscription.
	want := map[event.Type]int{
		event.SignUpAccepted:  r.Accepted(),
		event.SignUpRejected:  rejectedByTrigger,
		event.UserConfirmed:   r.Confirm.Succeeded,
		event.SignInSucceeded: signIns,
		event.PasswordReset:   r.ConfirmForgotPassword.Succeeded,
		event.TokenIssued:     tokens,
		event.CodeSent:        codes,
		event.UserMigrated:    migrated,
		event.MigrationFailed: migrationsFailed,
	}
	require.Equal(t, want, nonZero(sum.Events))
	require.Equal(t, want, local.Expected(r), "local.Expected, which the fault suite relies on")
	// The journeys, by trigger source: cognito-local sends every code by
	// email (its custom message event carries an empty smsMessage).
	require.Equal(t, map[string]int{
		"PreSignUp_SignUp":                       r.Accepted() + rejectedByTrigger,
		"PostConfirmation_ConfirmSignUp":         r.Confirm.Succeeded,
		"PostConfirmation_ConfirmForgotPassword": r.ConfirmForgotPassword.Succeeded,
		"PostAuthentication_Authentication":      signIns,
		"TokenGeneration_Authentication":         signIns,
		"UserMigration_Authentication":           migrated + migrationsFailed,
		"TokenGeneration_RefreshTokens":          r.Refresh.Succeeded,
		"CustomMessage_SignUp":                   r.Accepted(),
		"CustomMessage_ForgotPassword":           r.ForgotPassword.Succeeded,
	}, sum.Sources)
	require.Equal(t, map[string]int{event.MediumEmail: codes}, sum.Media)
	// The triggers' own EMF counts: one per invocation, equal to the events
	// (token events are on locally; the metric is written either way).
	for typ, n := range want {
		require.Equal(t, float64(n), sum.EMF[catalog.ForEvent(typ)], typ)
	}
	require.Zero(t, sum.EMF[catalog.SMSSent])
	require.Equal(t, map[string]int{
		event.ReasonDisposableDomain: disposable.Failed["UserLambdaValidationException"],
		event.ReasonInvalidEmail:     invalid.Failed["UserLambdaValidationException"],
	}, sum.Rejections)
	require.Equal(t, map[string]int{event.ReasonMigrationRejected: migrationsFailed}, sum.MigrationFailures,
		"unknown users and wrong passwords: the demo function says no")
	require.Zero(t, sum.Malformed)
	require.Zero(t, sum.NoClientID, "sign-up, ConfirmSignUp and sign-in all carry the app client id")

	// SNS → SQS → consumers: every message delivered, deleted, none dead.
	total := 0
	for _, n := range want {
		total += n
	}
	for q, st := range sum.Queues {
		require.Equal(t, total, st.Received, q)
		require.Equal(t, total, st.Deleted, q)
		require.Zero(t, st.Retained, q)
	}
	for q, n := range sum.DeadLetters {
		require.Zero(t, n, q)
	}

	// CloudWatch consumer: one count per event in each dimension set
	// ([UserPoolId], [UserPoolId, ClientId], and [UserPoolId, Reason] for
	// rejections), one latency sample per event per set.
	for typ, n := range want {
		wantSamples := 2 * n
		if typ == event.SignUpRejected || typ == event.MigrationFailed {
			wantSamples = 3 * n // and [UserPoolId, Reason]
		}
		require.Equal(t, float64(wantSamples), sum.PutMetricData.Samples[catalog.ForEvent(typ)], typ)
		require.Equal(t, float64(n), sum.PutMetricData.PerPool[catalog.ForEvent(typ)], "%s: once per event in [UserPoolId]", typ)
	}
	require.Equal(t, float64(2*total), sum.PutMetricData.Samples[catalog.TriggerLatency])
	require.Positive(t, sum.PutMetricData.Calls)
	require.Less(t, sum.PutMetricData.Calls, total, "the consumer aggregates")

	// EventBridge consumer: one entry per event, by type.
	require.Equal(t, total, sum.PutEvents.Entries)
	for typ, n := range want {
		require.Equal(t, n, sum.PutEvents.ByDetailType[string(typ)], typ)
	}
	// SNS → HTTP → exporter, scraped and parsed as Prometheus would.
	for typ, n := range want {
		key := `cogwatch_user_events_total{reason="",type="` + string(typ) + `"}`
		if typ == event.SignUpRejected || typ == event.MigrationFailed {
			continue
		}
		require.Equal(t, float64(n), sum.Exporter[key], key)
	}
	for reason, n := range sum.Rejections {
		key := `cogwatch_user_events_total{reason="` + reason + `",type="` + string(event.SignUpRejected) + `"}`
		require.Equal(t, float64(n), sum.Exporter[key], key)
	}
	for reason, n := range sum.MigrationFailures {
		key := `cogwatch_user_events_total{reason="` + reason + `",type="` + string(event.MigrationFailed) + `"}`
		require.Equal(t, float64(n), sum.Exporter[key], key)
	}
	require.Equal(t, float64(total+1), sum.Exporter["cogwatch_exporter_sns_messages_received_total"], "every event and the subscription confirmation")
	require.Equal(t, 1.0, sum.Exporter["cogwatch_exporter_sns_subscriptions_confirmed_total"])
	for k, v := range sum.Exporter {
		if strings.HasPrefix(k, "cogwatch_exporter_sns_messages_rejected_total") || strings.HasPrefix(k, "cogwatch_exporter_sns_messages_failed_total") ||
			strings.HasPrefix(k, "cogwatch_exporter_sns_messages_duplicates_total") {
			require.Zero(t, v, k)
		}
	}

	// The warmer ran once at start, through the Invoke API, and kept
	// warmInstances environments of each trigger.
	require.Equal(t, 1, sum.Functions[local.WarmerFunction].Invocations)
	require.Len(t, local.TriggerFunctionNames(), 5)
	for _, fn := range local.TriggerFunctionNames() {
		require.Equal(t, 2, sum.Functions[fn].Warmups, fn)
		require.GreaterOrEqual(t, sum.Functions[fn].Environments, 2, fn)
	}

	// No address in any log of the run directory: cognito-local prints
	// each user's address, and the stack saves its output redacted. No
	// phone number anywhere either: some users signed up with one, which
	// the custom message and token triggers saw.
	planned, err := simulate.Plan(simOpts)
	require.NoError(t, err)
	require.NotEmpty(t, simulate.LegacyUsers(planned))
	requireNoAddresses(t, s.Dir(), planned)
	requireNoPhones(t, s.Dir(), planned)
	requireNoPasswords(t, s.Dir(), planned)

	t.Logf("end-to-end in %s: %d events", time.Since(begun), total)
}

// requireNoAddresses fails when a log file in dir holds one of the users'
// addresses, or anything but the mask before an @ and one of their domains;
// and when cognito-local's log shows no redacted address at all (then this
// check proves nothing: the emulator stopped printing them).
func requireNoAddresses(t *testing.T, dir string, users []simulate.User) {
	t.Helper()
	var domains []string
	for _, u := range users {
		domains = append(domains, regexp.QuoteMeta(u.Domain))
	}
	slices.SortFunc(domains, func(a, b string) int { return len(b) - len(a) }) // longest first
	addr := regexp.MustCompile(`([^\s"'<>(),;:\[\]]*)@(` + strings.Join(domains, "|") + `)`)
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	require.NoError(t, err)
	require.Contains(t, logs, filepath.Join(dir, "cognito-local.log"))
	for _, path := range logs {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, u := range users {
			require.NotContains(t, string(b), u.Email, path)
		}
		for _, m := range addr.FindAllStringSubmatch(string(b), -1) {
			require.Equal(t, redact.Mask, m[1], "%s: %q", path, m[0])
		}
		if filepath.Base(path) == "cognito-local.log" {
			require.Contains(t, string(b), redact.Mask+"@", "cognito-local printed no address")
		}
	}
}

// requireNoPhones fails when a file of the run directory (logs, recorded
// CloudWatch and EventBridge calls) holds one of the users' phone numbers,
// in E.164 or as its digits alone.
func requireNoPhones(t *testing.T, dir string, users []simulate.User) {
	t.Helper()
	var phones []string
	for _, u := range users {
		if u.Phone != "" {
			phones = append(phones, u.Phone, strings.TrimPrefix(u.Phone, "+"))
		}
	}
	require.NotEmpty(t, phones, "no user had a phone number: the check proves nothing")
	files, err := filepath.Glob(filepath.Join(dir, "*.*"))
	require.NoError(t, err)
	require.Contains(t, files, filepath.Join(dir, local.CustomMessageFunction+".log"))
	for _, path := range files {
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			continue // .cognito: cognito-local's database, Cognito's own store
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, p := range phones {
			require.NotContains(t, string(b), p, path)
		}
	}
}

// requireNoPasswords fails when a file of the run directory (logs,
// recorded calls) holds one of the users' passwords, the wrong ones they
// typed, or the reset ones: the legacy users' among them, which the demo
// migration function and its middleware saw.
func requireNoPasswords(t *testing.T, dir string, users []simulate.User) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.*"))
	require.NoError(t, err)
	require.Contains(t, files, filepath.Join(dir, local.UserMigrationFunction+".log"))
	for _, path := range files {
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			continue // .cognito: cognito-local's database, Cognito's own store
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, u := range users {
			require.NotContains(t, string(b), u.Password, path) // the wrong and reset ones extend it
		}
	}
}

func nonZero(m map[event.Type]int) map[event.Type]int {
	out := map[event.Type]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
