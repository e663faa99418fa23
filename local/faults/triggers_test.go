package faults

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/local/snsstub"
	"github.com/cogwatch/cogwatch/triggers"
)

// budget is the triggers' budget in these tests; slow SNS answers well
// after it.
const budget = 400 * time.Millisecond

// slack is what the test allows above the budget: the EMF line, the answer,
// a loaded machine.
const slack = 300 * time.Millisecond

// syncBuffer takes the concurrent writes of handlers run by a Lambda host.
type syncBuffer = testutil.SyncBuffer

// emfDocs returns the members of the EMF documents written to out.
func emfDocs(t *testing.T, out *syncBuffer) []map[string]any {
	var docs []map[string]any
	for _, line := range out.Lines() {
		doc, err := emf.Parse([]byte(line))
		if errors.Is(err, emf.ErrNotEMF) {
			continue
		}
		require.NoError(t, err, line)
		docs = append(docs, doc.Members)
	}
	return docs
}

var triggerCases = []struct {
	name    string
	build   func(t *testing.T, getenv func(string) string, out *syncBuffer) (lambda.Handler, error)
	fixture string
	want    event.Type
}{
	{"presignup", func(t *testing.T, getenv func(string) string, out *syncBuffer) (lambda.Handler, error) {
		return triggers.PreSignUpFromEnv(t.Context(), getenv, out)
	}, "cognito-local/PreSignUp_SignUp.json", event.SignUpAccepted},
	{"authentication-pre", func(t *testing.T, getenv func(string) string, out *syncBuffer) (lambda.Handler, error) {
		return triggers.AuthenticationFromEnv(t.Context(), getenv, out)
	}, "aws-lambda-go/cognito-event-userpools-preauthentication.json", event.SignInAttempted},
	{"authentication-post", func(t *testing.T, getenv func(string) string, out *syncBuffer) (lambda.Handler, error) {
		return triggers.AuthenticationFromEnv(t.Context(), getenv, out)
	}, "cognito-local/PostAuthentication_Authentication.json", event.SignInSucceeded},
	{"postconfirmation", func(t *testing.T, getenv func(string) string, out *syncBuffer) (lambda.Handler, error) {
		return triggers.PostConfirmationFromEnv(t.Context(), getenv, out)
	}, "cognito-local/PostConfirmation_ConfirmSignUp.json", event.UserConfirmed},
}

// TestTriggersUnderSNSFaults runs every trigger, built from its environment
// with the real SDK client, against SNS failing in each way: the user goes
// through inside the budget, and the EMF line counts the failure.
func TestTriggersUnderSNSFaults(t *testing.T) {
	faults := []struct {
		name string
		// plan for the stand-in; refused: no server at all.
		plan    func(int) snsstub.Fault
		refused bool
		// wantRequests is how many Publish calls reach SNS (one retry for
		// retryable failures); -1: don't check (refused).
		wantRequests  int
		wantPublished bool
	}{
		{name: "slow", plan: snsstub.Always(snsstub.Slow), wantRequests: 1},
		{name: "refusing", refused: true, wantRequests: -1},
		{name: "throttling", plan: snsstub.Always(snsstub.Throttle), wantRequests: 2},
		{name: "5xx", plan: snsstub.Always(snsstub.ServerError), wantRequests: 2},
		{name: "throttled once, then ok", plan: func(n int) snsstub.Fault {
			if n == 0 {
				return snsstub.Throttle
			}
			return snsstub.OK
		}, wantRequests: 2, wantPublished: true},
		{name: "5xx once, then ok", plan: func(n int) snsstub.Fault {
			if n == 0 {
				return snsstub.ServerError
			}
			return snsstub.OK
		}, wantRequests: 2, wantPublished: true},
	}
	faultCount, events := 0, 0
	for _, tr := range triggerCases {
		payload, err := os.ReadFile(filepath.Join("..", "..", "triggers", "testdata", tr.fixture))
		require.NoError(t, err)
		for _, f := range faults {
			t.Run(tr.name+"/"+f.name, func(t *testing.T) {
				var url string
				var stub *snsstub.Server
				if f.refused {
					url, err = snsstub.RefusedURL()
					require.NoError(t, err)
				} else {
					stub = snsstub.Start(f.plan, 10*time.Second)
					defer stub.Close()
					url = stub.URL
				}
				env := map[string]string{
					"USER_EVENTS_TOPIC_ARN":   "arn:aws:sns:us-east-1:000000000000:user-events",
					"COGWATCH_TRIGGER_BUDGET": budget.String(),
					"AWS_ENDPOINT_URL_SNS":    url,
					"AWS_REGION":              "us-east-1",
					"AWS_ACCESS_KEY_ID":       "AKIDFAULTS",
					"AWS_SECRET_ACCESS_KEY":   "faults",
				}
				var out syncBuffer
				h, err := tr.build(t, func(k string) string { return env[k] }, &out)
				require.NoError(t, err)

				start := time.Now()
				answer, err := h.Invoke(t.Context(), payload)
				elapsed := time.Since(start)
				require.NoError(t, err, "the user must go through")
				require.JSONEq(t, string(payload), string(answer))
				require.Less(t, elapsed, budget+slack, "answered after the budget")

				docs := emfDocs(t, &out)
				require.Len(t, docs, 1)
				wantFailures := 1.0
				if f.wantPublished {
					wantFailures = 0
				}
				require.Equal(t, wantFailures, docs[0]["PublishFailures"], "PublishFailures in %v", docs[0])
				if stub != nil {
					if f.wantRequests >= 0 {
						require.Equal(t, f.wantRequests, stub.Requests())
					}
					pub := stub.Published()
					if f.wantPublished {
						require.Len(t, pub, 1)
						e, err := event.Decode([]byte(pub[0]))
						require.NoError(t, err)
						require.Equal(t, tr.want, e.Type)
					} else {
						require.Empty(t, pub)
					}
					n := 0
					for _, c := range stub.Injected() {
						n += c
					}
					faultCount += n
				} else {
					faultCount++
				}
				events++
			})
		}
	}
	tally(t, faultCount, events)
}
