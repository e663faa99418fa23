package local_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/eventsource"
	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/local/recording"
)

// TestSummaryReconciles: every figure of the summary can be put beside
// another, and where two differ by design a note says why. The figures are
// those of a `make run` (50 users: 35 accepted, 15 rejected).
func TestSummaryReconciles(t *testing.T) {
	sum := local.Summary{
		Events:     map[event.Type]int{event.SignUpAccepted: 35, event.SignUpRejected: 15, event.UserConfirmed: 35, event.SignInSucceeded: 35},
		Rejections: map[string]int{event.ReasonDisposableDomain: 10, event.ReasonInvalidEmail: 5},
		Functions: map[string]lambdahost.Stats{
			"PreSignUpFunction": {Invocations: 50, Errors: 15, Warmups: 4, Environments: 6},
		},
		Queues:      map[string]eventsource.Stats{"cogwatch-tap": {Received: 120, Invocations: 36, Deleted: 120}},
		DeadLetters: map[string]int{},
		PutMetricData: recording.MetricDataSummary{Calls: 4, Datums: 47,
			Samples: map[string]float64{"SignUpRejected": 45, "SignUpAccepted": 70},
			PerPool: map[string]float64{"SignUpRejected": 15, "SignUpAccepted": 35}},
		Exporter: map[string]float64{exporter.MetricReceived: 121, exporter.MetricConfirmed: 1},
	}
	var b bytes.Buffer
	sum.Print(&b)
	out := b.String()
	for _, line := range []string{
		"  all                          120",
		"Rejected sign-ups, by reason (adding up to the 15 cogwatch.signup.rejected):",
		"Failed sign-ins, from the events (attempted − succeeded): not countable here: cognito-local calls no pre",
		"  authentication trigger, so there is no cogwatch.signin.attempted event to subtract the 35 succeeded from",
		"  note: a rejected sign-up is the pre sign-up trigger's error (PreSignUpFunction 15 = 15 rejected); warm-ups are answered",
		"  note: each queue receives every event once (120); its function is invoked once per batch",
		"  SignUpAccepted  35      × 2             70",
		"  SignUpRejected  15      × 3             45",
		"EventBridge PutEvents (recorded): 0 calls, 0 entries (one per event)",
		"  " + exporter.MetricReceived + " 121 (120 notifications + 1 subscription confirmation)",
	} {
		require.Contains(t, out, line+"\n")
	}

	// On AWS, pre authentication counts the attempts: failed = attempted − succeeded.
	sum.Events[event.SignInAttempted] = 46
	n, ok := sum.FailedSignIns()
	require.True(t, ok)
	require.Equal(t, 11, n)
	b.Reset()
	sum.Print(&b)
	require.Contains(t, b.String(), "Failed sign-ins, from the events (attempted − succeeded): 46 − 35 = 11\n")
	require.False(t, strings.Contains(b.String(), "not countable"))
}

// TestSummaryPullReplicas: the pull-mode replicas' counts are shown per
// replica and summed beside the events published.
func TestSummaryPullReplicas(t *testing.T) {
	sum := local.Summary{
		Events: map[event.Type]int{event.SignUpAccepted: 5, event.UserConfirmed: 4},
		PullExporters: []map[string]float64{
			{exporter.MetricUserEvents + `{reason="",type="cogwatch.signup.accepted"}`: 2, exporter.MetricUserEvents + `{reason="",type="cogwatch.user.confirmed"}`: 4,
				exporter.MetricSQSAbandoned + `{reason="expired"}`: 3, exporter.MetricSQSAbandoned + `{reason="delete_unconfirmed"}`: 1},
			{exporter.MetricUserEvents + `{reason="",type="cogwatch.signup.accepted"}`: 3, exporter.MetricSQSDups: 1},
		},
	}
	var b bytes.Buffer
	sum.Print(&b)
	for _, line := range []string{
		"Pull-mode exporters (2 replicas on cogwatch-exporter, scraped /metrics):",
		"  replica 0: 6 user events, 0 duplicates, 4 messages abandoned (left for their next receiver)",
		"  replica 1: 3 user events, 1 duplicates, 0 messages abandoned (left for their next receiver)",
		"  sum over the replicas: 9 (events published: 9); dead-lettered: 0",
	} {
		require.Contains(t, b.String(), line+"\n")
	}
	b.Reset()
	sum.PullExporters = nil
	sum.Print(&b)
	require.NotContains(t, b.String(), "Pull-mode")
}

// TestSummaryJourneys: the tokens and codes of a run are listed by trigger
// source, codes by medium, and the triggers' EMF counts stand beside the
// events, a difference marked.
func TestSummaryJourneys(t *testing.T) {
	sum := local.Summary{
		Events: map[event.Type]int{event.SignUpAccepted: 35, event.TokenIssued: 53, event.CodeSent: 42, event.PasswordReset: 7},
		Sources: map[string]int{"PreSignUp_SignUp": 35, "TokenGeneration_Authentication": 35, "TokenGeneration_RefreshTokens": 18,
			"CustomMessage_SignUp": 35, "CustomMessage_ForgotPassword": 7, "PostConfirmation_ConfirmForgotPassword": 7},
		Media: map[string]int{event.MediumEmail: 42},
		EMF:   map[string]float64{"SignUpAccepted": 35, "TokensIssued": 53, "CodesSent": 42, "PasswordReset": 6},
	}
	var b bytes.Buffer
	sum.Print(&b)
	out := b.String()
	for _, line := range []string{
		"User events by Cognito trigger source (the journeys):",
		"  CustomMessage_ForgotPassword             7",
		"  TokenGeneration_RefreshTokens            18",
		"Codes sent by medium (adding up to the 42 cogwatch.code.sent): email=42",
		"The triggers' EMF counts (namespace Cogwatch, [UserPoolId] set) beside the events:",
		"  TokensIssued                    53 = 53 cogwatch.token.issued",
		"  CodesSent                       42 = 42 cogwatch.code.sent",
		"  PasswordReset                    6 ≠ 7 cogwatch.password.reset",
		"  SMSSent                          0 (SMS among the codes: 0 by the events' medium)",
	} {
		require.Contains(t, out, line+"\n")
	}
	require.NotContains(t, out, "UserConfirmed", "a metric with neither events nor EMF samples is left out")
}
