package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// baseEvents are a documented event of each trigger function, as Cognito
// sends it (aws-lambda-go's and cognito-local's captures), with the type a
// trigger publishes for it.
var baseEvents = []struct {
	function, fixture string
	want              event.Type
}{
	{"presignup", "cognito-local/PreSignUp_SignUp.json", event.SignUpAccepted},
	{"authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json", event.SignInAttempted},
	{"authentication", "cognito-local/PostAuthentication_Authentication.json", event.SignInSucceeded},
	{"postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json", event.UserConfirmed},
}

func request(ev map[string]any) map[string]any {
	r, _ := ev["request"].(map[string]any)
	if r == nil {
		r = map[string]any{}
		ev["request"] = r
	}
	return r
}

func userAttributes(ev map[string]any) map[string]any {
	r := request(ev)
	a, _ := r["userAttributes"].(map[string]any)
	if a == nil {
		a = map[string]any{}
		r["userAttributes"] = a
	}
	return a
}

// TestUnexpectedTypesInFieldsNotRead: Cognito sends values of types that
// aws-lambda-go's event structs (all map[string]string, bool) refuse, in
// fields a trigger never reads. The trigger does its job as usual and
// answers with the payload, byte for byte.
func TestUnexpectedTypesInFieldsNotRead(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(ev map[string]any)
	}{
		{name: "email_verified as a boolean", mutate: func(ev map[string]any) { userAttributes(ev)["email_verified"] = true }},
		{name: "cognito:user_status as a boolean", mutate: func(ev map[string]any) { userAttributes(ev)["cognito:user_status"] = false }},
		{name: "a custom attribute as a number", mutate: func(ev map[string]any) { userAttributes(ev)["custom:tier"] = 3 }},
		{name: "clientMetadata values not strings", mutate: func(ev map[string]any) {
			request(ev)["clientMetadata"] = map[string]any{"n": 1.5, "b": true, "o": map[string]any{"k": []any{1}}, "z": nil}
		}},
		{name: "validationData null", mutate: func(ev map[string]any) { request(ev)["validationData"] = nil }},
		{name: "a boolean as a string (userNotFound, newDeviceUsed)", mutate: func(ev map[string]any) {
			request(ev)["userNotFound"] = "false"
			request(ev)["newDeviceUsed"] = "true"
		}},
		{name: "response null", mutate: func(ev map[string]any) { ev["response"] = nil }},
		{name: "response flags as strings", mutate: func(ev map[string]any) {
			ev["response"] = map[string]any{"autoConfirmUser": "false", "autoVerifyEmail": 0}
		}},
		{name: "version as a number, userName null", mutate: func(ev map[string]any) {
			ev["version"] = 1
			ev["userName"] = nil
		}},
		{name: "callerContext's awsSdkVersion as a number", mutate: func(ev map[string]any) {
			ev["callerContext"].(map[string]any)["awsSdkVersion"] = 2
		}},
		{name: "null email and clientId", mutate: func(ev map[string]any) {
			userAttributes(ev)["email"] = nil
			ev["callerContext"].(map[string]any)["clientId"] = nil
		}},
	}
	for _, base := range baseEvents {
		for _, tc := range tests {
			t.Run(base.fixture+"/"+tc.name, func(t *testing.T) {
				payload := mutate(t, base.fixture, tc.mutate)
				tt := newTestTrigger(t, base.function, testConfig())
				out, err := tt.h.Invoke(t.Context(), payload)
				require.NoError(t, err)
				require.True(t, bytes.Equal(payload, out), "the answer is the event received, byte for byte")
				evs := tt.rec.events(t)
				require.Len(t, evs, 1)
				require.Equal(t, base.want, evs[0].Type)
				lines := tt.emf.Lines()
				require.Len(t, lines, 1)
				doc := decodeEMF(t, lines[0])
				require.Equal(t, 1.0, doc.num(t, catalog.ForEvent(base.want)))
				require.False(t, doc.has("EventDecodeFailures"))
			})
		}
	}
}

// TestUndecodableEventsFailOpen: an event with a wrong type in a field a
// trigger reads (or no event at all) is answered as Cognito sent it, byte
// for byte, with no error (pre sign-up accepts without the checks that
// could not run), counted in EventDecodeFailures, and logged by field and
// kind, never by value, nor with Go's own error text.
func TestUndecodableEventsFailOpen(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(ev map[string]any) // on each base event
		raw       string                  // instead of a base event
		wantField string
	}{
		{name: "userPoolId as a number", mutate: func(ev map[string]any) { ev["userPoolId"] = 12345 }, wantField: "userPoolId"},
		{name: "triggerSource as a boolean", mutate: func(ev map[string]any) { ev["triggerSource"] = true }, wantField: "triggerSource"},
		{name: "region as an object", mutate: func(ev map[string]any) { ev["region"] = map[string]any{"name": "eu-west-1"} }, wantField: "region"},
		{name: "callerContext as a string", mutate: func(ev map[string]any) { ev["callerContext"] = "alice@example.com" }, wantField: "callerContext"},
		{name: "clientId as a number", mutate: func(ev map[string]any) { ev["callerContext"].(map[string]any)["clientId"] = 42 }, wantField: "callerContext.clientId"},
		{name: "request as an array", mutate: func(ev map[string]any) { ev["request"] = []any{"alice@example.com"} }, wantField: "request"},
		{name: "userAttributes as a string", mutate: func(ev map[string]any) { request(ev)["userAttributes"] = "email=alice@example.com" }, wantField: "request.userAttributes"},
		{name: "email as a boolean", mutate: func(ev map[string]any) { userAttributes(ev)["email"] = true }, wantField: "request.userAttributes.email"},
		{name: "email as an object", mutate: func(ev map[string]any) {
			userAttributes(ev)["email"] = map[string]any{"value": "bob@mailinator.com"}
		}, wantField: "request.userAttributes.email"},
		{name: "sub as a number", mutate: func(ev map[string]any) { userAttributes(ev)["sub"] = rawJSON("1e400") }, wantField: "request.userAttributes.sub"},
		{name: "a disposable address, the pool id unreadable", mutate: func(ev map[string]any) {
			userAttributes(ev)["email"] = "bob@mailinator.com"
			ev["userPoolId"] = false
		}, wantField: "userPoolId"},
		{name: "an array", raw: `[{"triggerSource":"PreSignUp_SignUp"}]`, wantField: "(payload)"},
		{name: "a string", raw: `"alice@example.com"`, wantField: "(payload)"},
		{name: "a number", raw: `42`, wantField: "(payload)"},
		{name: "not JSON", raw: `{"triggerSource": 1`, wantField: "(payload)"},
	}
	for _, base := range baseEvents {
		for _, tc := range tests {
			t.Run(base.fixture+"/"+tc.name, func(t *testing.T) {
				payload := []byte(tc.raw)
				if tc.mutate != nil {
					payload = mutateRaw(t, base.fixture, tc.mutate)
				}
				tt := newTestTrigger(t, base.function, testConfig())
				out, err := tt.h.Invoke(t.Context(), payload)
				require.NoError(t, err, "cogwatch's own parsing never fails a user")
				require.True(t, bytes.Equal(payload, out), "the answer is the event received, byte for byte")
				require.Empty(t, tt.rec.events(t), "nothing is published of an event not read")

				lines := tt.emf.Lines()
				require.Len(t, lines, 1)
				doc := decodeEMF(t, lines[0])
				require.Equal(t, 1.0, doc.num(t, "EventDecodeFailures"))
				require.Equal(t, [][]string{{}}, doc.Dimensions[0], "no dimension: the pool id may be what was unreadable")
				require.Equal(t, base.function, doc.raw["function"])
				for _, m := range []string{"SignUpAccepted", "SignUpRejected", "SignInAttempted", "SignInSucceeded", "UserConfirmed"} {
					require.False(t, doc.has(m), m)
				}

				logs := tt.logs.String()
				require.Contains(t, logs, "Cognito event not decoded, answered unchanged")
				require.Contains(t, logs, "field "+tc.wantField+":")
				for _, leak := range []string{"@", "json:", "cannot unmarshal", "Go struct", "Go value", "1e400", "12345"} {
					require.NotContains(t, logs, leak)
				}
			})
		}
	}
}

// rawJSON stands for JSON that encoding/json cannot marshal from a Go
// value (1e400 is valid JSON that overflows float64); mutateRaw writes it.
func rawJSON(s string) string { return "__raw__" + s + "__" }

var rawRE = regexp.MustCompile(`"__raw__(.*?)__"`)

// mutateRaw is mutate, writing rawJSON values as they are.
func mutateRaw(t *testing.T, fixture string, f func(ev map[string]any)) []byte {
	t.Helper()
	return rawRE.ReplaceAll(mutate(t, fixture, f), []byte("$1"))
}

// TestOddWarmupsNeverReachATrigger: a warm-up whose numbers are out of
// range or fractional is still answered by warmup.Wrap, never decoded as a
// Cognito event (which a trigger would answer unchanged, and the warmer
// count as NotWarmable).
func TestOddWarmupsNeverReachATrigger(t *testing.T) {
	for _, function := range []string{"presignup", "authentication", "postconfirmation"} {
		for _, payload := range []string{`{"cogwatch":"warmup","concurrency":2,"holdMs":1e9}`, `{"cogwatch":"warmup","holdMs":100000000000000000000}`,
			`{"cogwatch":"warmup","concurrency":1.5,"holdMs":-3}`} {
			t.Run(function+"/"+payload, func(t *testing.T) {
				tt := newTestTrigger(t, function, testConfig())
				ctx, cancel := context.WithTimeout(t.Context(), warmup.Reserve+50*time.Millisecond) // holds 50 ms at most
				defer cancel()
				out, err := warmup.Wrap(tt.h).Invoke(ctx, []byte(payload))
				require.NoError(t, err)
				var r warmup.Response
				require.NoError(t, json.Unmarshal(out, &r))
				require.Equal(t, warmup.Marker, r.Cogwatch)
				require.NotEmpty(t, r.Instance)
				require.Empty(t, tt.emf.Lines(), "the trigger never ran")
				require.Empty(t, tt.rec.events(t))
			})
		}
	}
}
