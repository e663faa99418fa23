package triggers

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

var testKey = []byte("0123456789abcdef")

// testTrigger builds the trigger a function name stands for, with an
// in-process SNS stand-in, EMF and logs captured and a fixed clock.
type testTrigger struct {
	h    lambda.Handler
	rec  *recorder
	emf  *syncBuffer
	logs *syncBuffer
}

func newTestTrigger(t testing.TB, function string, cfg Config) testTrigger {
	tt := testTrigger{rec: &recorder{}, emf: &syncBuffer{}, logs: &syncBuffer{}}
	metrics, log := NewMetrics(tt.emf, cfg), testLogger(tt.logs)
	var b *base
	switch function {
	case "presignup":
		p := NewPreSignUp(cfg, tt.rec.publish, metrics, log)
		tt.h, b = p, &p.base
	case "authentication":
		a := NewAuthentication(cfg, tt.rec.publish, metrics, log)
		tt.h, b = a, &a.base
	case "postconfirmation":
		p := NewPostConfirmation(cfg, tt.rec.publish, metrics, log)
		tt.h, b = p, &p.base
	case "pretokengeneration":
		p := NewPreTokenGeneration(cfg, tt.rec.publish, metrics, log)
		tt.h, b = p, &p.base
	case "custommessage":
		c := NewCustomMessage(cfg, tt.rec.publish, metrics, log, phone.CountryCode)
		tt.h, b = c, &c.base
	default:
		t.Fatalf("unknown function %q", function)
	}
	b.now = fixedClock(time.Millisecond) // what the trigger reports; deadlines follow the real clock
	b.cold = func() bool { return false }
	return tt
}

func testConfig() Config {
	cfg := DefaultConfig
	cfg.TopicARN = testTopic
	cfg.HashKey = testKey
	return cfg
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	require.NoError(t, err)
	return b
}

// attrs returns a fixture's userAttributes and header fields.
func fixtureFields(t *testing.T, payload []byte) (header map[string]any, attrs map[string]string) {
	t.Helper()
	var ev struct {
		Request struct {
			UserAttributes map[string]string `json:"userAttributes"`
		} `json:"request"`
	}
	require.NoError(t, json.Unmarshal(payload, &header))
	require.NoError(t, json.Unmarshal(payload, &ev))
	return header, ev.Request.UserAttributes
}

// TestFixtures replays every recorded Cognito event (aws-lambda-go's own
// testdata and cognito-local captures) through its function and checks the
// answer, the published event and the EMF line.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		function   string
		wantErr    string
		wantType   event.Type
		wantReason string
		wantMetric string
	}{
		{name: "aws-lambda-go pre sign-up (placeholder email)", file: "aws-lambda-go/cognito-event-userpools-presignup.json", function: "presignup",
			wantErr: "Please enter a valid email address", wantType: event.SignUpRejected, wantReason: event.ReasonInvalidEmail, wantMetric: "SignUpRejected"},
		{name: "aws-lambda-go pre authentication", file: "aws-lambda-go/cognito-event-userpools-preauthentication.json", function: "authentication",
			wantType: event.SignInAttempted, wantMetric: "SignInAttempted"},
		{name: "aws-lambda-go post authentication", file: "aws-lambda-go/cognito-event-userpools-postauthentication.json", function: "authentication",
			wantType: event.SignInSucceeded, wantMetric: "SignInSucceeded"},
		{name: "aws-lambda-go post confirmation", file: "aws-lambda-go/cognito-event-userpools-postconfirmation.json", function: "postconfirmation",
			wantType: event.UserConfirmed, wantMetric: "UserConfirmed"},
		{name: "cognito-local sign-up", file: "cognito-local/PreSignUp_SignUp.json", function: "presignup",
			wantType: event.SignUpAccepted, wantMetric: "SignUpAccepted"},
		{name: "cognito-local disposable sign-up", file: "cognito-local/PreSignUp_SignUp-disposable.json", function: "presignup",
			wantErr: "Please use a permanent email address", wantType: event.SignUpRejected, wantReason: event.ReasonDisposableDomain, wantMetric: "SignUpRejected"},
		{name: "cognito-local confirmation", file: "cognito-local/PostConfirmation_ConfirmSignUp.json", function: "postconfirmation",
			wantType: event.UserConfirmed, wantMetric: "UserConfirmed"},
		{name: "cognito-local admin confirmation (null clientId)", file: "cognito-local/PostConfirmation_ConfirmSignUp-admin.json", function: "postconfirmation",
			wantType: event.UserConfirmed, wantMetric: "UserConfirmed"},
		{name: "cognito-local password reset", file: "cognito-local/PostConfirmation_ConfirmForgotPassword.json", function: "postconfirmation",
			wantType: event.PasswordReset, wantMetric: "PasswordReset"},
		{name: "cognito-local sign-in", file: "cognito-local/PostAuthentication_Authentication.json", function: "authentication",
			wantType: event.SignInSucceeded, wantMetric: "SignInSucceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := readFixture(t, tc.file)
			header, attrs := fixtureFields(t, payload)
			tt := newTestTrigger(t, tc.function, testConfig())

			out, err := tt.h.Invoke(t.Context(), payload)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				var rej *Rejection
				require.ErrorAs(t, err, &rej)
				require.Equal(t, tc.wantReason, rej.Code())
			} else {
				require.NoError(t, err)
				require.True(t, bytes.Equal(payload, out), "the answer must be the event received")
			}

			evs := tt.rec.events(t)
			require.Len(t, evs, 1)
			ev := evs[0]
			require.Equal(t, tc.wantType, ev.Type)
			require.Equal(t, header["userPoolId"], ev.Data.UserPoolID)
			require.Equal(t, header["triggerSource"], ev.Data.TriggerSource)
			require.Equal(t, header["region"], ev.Data.Region)
			require.Equal(t, event.Source(header["region"].(string), header["userPoolId"].(string)), ev.Source)
			clientID, _ := header["callerContext"].(map[string]any)["clientId"].(string)
			require.Equal(t, clientID, ev.Data.ClientID)
			require.Equal(t, attrs["sub"], ev.Data.Sub)
			require.Equal(t, attrs["sub"], ev.Subject)
			require.Equal(t, tc.wantReason, ev.Data.Reason)
			require.Equal(t, HashEmail(testKey, attrs["email"]), ev.Data.EmailHash)
			require.Empty(t, ev.Data.Email, "the address is in events only when the operator opts in")
			if a, err := ParseEmail(attrs["email"]); err == nil {
				require.Equal(t, a.Domain, ev.Data.EmailDomain)
			} else {
				require.Empty(t, ev.Data.EmailDomain)
			}
			require.Positive(t, ev.Data.LatencyMs)

			lines := tt.emf.Lines()
			require.Len(t, lines, 1, "one EMF line per invocation")
			doc := decodeEMF(t, lines[0])
			require.Equal(t, "Cogwatch", doc.Namespace)
			require.Equal(t, 1.0, doc.num(t, tc.wantMetric))
			require.Equal(t, 0.0, doc.num(t, "PublishFailures"))
			require.Equal(t, 0.0, doc.num(t, "ColdStarts"))
			require.Positive(t, doc.num(t, "TriggerLatency"))
			require.True(t, doc.has("PublishLatency"))
			require.Equal(t, header["triggerSource"], doc.raw["triggerSource"])
			require.Equal(t, header["userPoolId"], doc.raw["UserPoolId"])
			sets := [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}}
			if clientID == "" {
				sets = [][]string{{"UserPoolId"}}
				require.False(t, doc.has("ClientId"))
			} else {
				require.Equal(t, clientID, doc.raw["ClientId"])
			}
			require.Equal(t, sets, doc.Dimensions[0])
			if tc.wantReason != "" {
				require.Equal(t, tc.wantReason, doc.raw["Reason"])
				require.Equal(t, []string{"SignUpRejected"}, doc.Metrics[1])
				require.Equal(t, append(sets, []string{"UserPoolId", "Reason"}), doc.Dimensions[1])
			}
		})
	}
}

// TestConcurrentInvocations runs invocations at once on one trigger, as
// aws-lambda-go does with AWS_LAMBDA_MAX_CONCURRENCY: every invocation gets
// its own whole EMF line and its own event.
func TestConcurrentInvocations(t *testing.T) {
	const n = 32
	tt := newTestTrigger(t, "presignup", testConfig())
	payloads := [][]byte{
		readFixture(t, "cognito-local/PreSignUp_SignUp.json"),
		readFixture(t, "cognito-local/PreSignUp_SignUp-disposable.json"),
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, _ = tt.h.Invoke(t.Context(), payloads[i%2]) })
	}
	wg.Wait()
	lines := tt.emf.Lines()
	require.Len(t, lines, n)
	counts := map[string]int{}
	for _, l := range lines {
		doc := decodeEMF(t, l)
		for _, m := range []string{"SignUpAccepted", "SignUpRejected"} {
			if doc.has(m) {
				counts[m]++
			}
		}
	}
	require.Equal(t, map[string]int{"SignUpAccepted": n / 2, "SignUpRejected": n / 2}, counts)
	require.Len(t, tt.rec.events(t), n)
}
