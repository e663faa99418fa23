package triggers

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// mutate decodes a fixture, lets f change it, and encodes it again.
func mutate(t *testing.T, fixture string, f func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(readFixture(t, fixture), &ev))
	f(ev)
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

func setEmail(email string) func(map[string]any) {
	return func(ev map[string]any) {
		ev["request"].(map[string]any)["userAttributes"].(map[string]any)["email"] = email
	}
}

func TestPreSignUp(t *testing.T) {
	const signUp = "cognito-local/PreSignUp_SignUp.json"
	tests := []struct {
		name        string
		cfg         func(*Config)
		event       func(map[string]any)
		wantErr     string
		wantType    event.Type // "" = nothing published
		wantReason  string
		wantMetrics []string // count metrics equal to 1
	}{
		{name: "accepted", event: setEmail("alice@example.com"), wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "disposable", event: setEmail("bob@mailinator.com"), wantErr: "Please use a permanent email address",
			wantType: event.SignUpRejected, wantReason: "disposable_domain", wantMetrics: []string{"SignUpRejected"}},
		{name: "disposable subdomain, upper case", event: setEmail("Bob@X.Y.MAILINATOR.COM"), wantErr: "Please use a permanent email address",
			wantType: event.SignUpRejected, wantReason: "disposable_domain", wantMetrics: []string{"SignUpRejected"}},
		{name: "disposable, full-width", event: setEmail("bob@ｍａｉｌｉｎａｔｏｒ.com"), wantErr: "Please use a permanent email address",
			wantType: event.SignUpRejected, wantReason: "disposable_domain", wantMetrics: []string{"SignUpRejected"}},
		{name: "invalid syntax", event: setEmail("bob at example.com"), wantErr: "Please enter a valid email address",
			wantType: event.SignUpRejected, wantReason: "invalid_email", wantMetrics: []string{"SignUpRejected"}},
		{name: "privacy relay accepted", event: setEmail("abc123@duck.com"), wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "Apple relay accepted", event: setEmail("x1y2@privaterelay.appleid.com"), wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "extra disposable domain", cfg: func(c *Config) { c.ExtraDisposableDomains = []string{"throwaway.example"} },
			event: setEmail("bob@eu.throwaway.example"), wantErr: "Please use a permanent email address",
			wantType: event.SignUpRejected, wantReason: "disposable_domain", wantMetrics: []string{"SignUpRejected"}},
		{name: "allowed domain overrides the list", cfg: func(c *Config) { c.AllowedDomains = []string{"mailinator.com"} },
			event: setEmail("qa@mailinator.com"), wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "admin-created skips the domain check",
			event: func(ev map[string]any) {
				ev["triggerSource"] = "PreSignUp_AdminCreateUser"
				setEmail("bob@mailinator.com")(ev)
			},
			wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted", "SignUpAdminCreated"}},
		{name: "admin-created with invalid syntax",
			event: func(ev map[string]any) {
				ev["triggerSource"] = "PreSignUp_AdminCreateUser"
				setEmail("bob@")(ev)
			},
			wantErr: "Please enter a valid email address", wantType: event.SignUpRejected, wantReason: "invalid_email", wantMetrics: []string{"SignUpRejected"}},
		{name: "external provider, disposable",
			event: func(ev map[string]any) {
				ev["triggerSource"] = "PreSignUp_ExternalProvider"
				setEmail("bob@mailinator.com")(ev)
			},
			wantErr: "Please use a permanent email address", wantType: event.SignUpRejected, wantReason: "disposable_domain", wantMetrics: []string{"SignUpRejected"}},
		{name: "no email attribute (phone-only pool)",
			event: func(ev map[string]any) {
				ev["request"].(map[string]any)["userAttributes"] = map[string]any{"phone_number": "+15555550100"}
			},
			wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "null userAttributes and no response",
			event: func(ev map[string]any) {
				ev["request"] = map[string]any{"userAttributes": nil}
				delete(ev, "response")
			},
			wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "null clientId", event: func(ev map[string]any) { ev["callerContext"].(map[string]any)["clientId"] = nil },
			wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "unknown fields kept",
			event: func(ev map[string]any) {
				ev["newTopLevel"] = map[string]any{"a": []any{1.0, "b"}}
				ev["request"].(map[string]any)["futureField"] = true
				ev["response"].(map[string]any)["futureResponse"] = "x"
			},
			wantType: event.SignUpAccepted, wantMetrics: []string{"SignUpAccepted"}},
		{name: "unknown trigger source answered unchanged", event: func(ev map[string]any) { ev["triggerSource"] = "PreSignUp_Future" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			tt := newTestTrigger(t, "presignup", cfg)
			payload := mutate(t, signUp, tc.event)
			out, err := tt.h.Invoke(t.Context(), payload)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				require.Nil(t, out)
			} else {
				require.NoError(t, err)
				require.JSONEq(t, string(payload), string(out))
			}
			evs := tt.rec.events(t)
			lines := tt.emf.Lines()
			require.Len(t, lines, 1)
			doc := decodeEMF(t, lines[0])
			if tc.wantType == "" {
				require.Empty(t, evs)
				require.False(t, doc.has("SignUpAccepted") || doc.has("SignUpRejected"))
				require.Contains(t, tt.logs.String(), "trigger source not handled")
				return
			}
			require.Len(t, evs, 1)
			require.Equal(t, tc.wantType, evs[0].Type)
			require.Equal(t, tc.wantReason, evs[0].Data.Reason)
			for _, m := range tc.wantMetrics {
				require.Equal(t, 1.0, doc.num(t, m), m)
			}
			for _, m := range []string{"SignUpAccepted", "SignUpRejected", "SignUpAdminCreated"} {
				if !contains(tc.wantMetrics, m) {
					require.False(t, doc.has(m), "%s must not be counted", m)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPreSignUpHandle drives the typed entry point, as a Go caller would.
func TestPreSignUpHandle(t *testing.T) {
	var ev events.CognitoEventUserPoolsPreSignup
	require.NoError(t, json.Unmarshal(readFixture(t, "cognito-local/PreSignUp_SignUp.json"), &ev))
	p := NewPreSignUp(DefaultConfig, nil, nil, nil) // publishing off, EMF and logs discarded
	got, err := p.Handle(t.Context(), ev)
	require.NoError(t, err)
	require.Equal(t, ev, got)

	ev.Request.UserAttributes["email"] = "x@yopmail.com"
	got, err = p.Handle(t.Context(), ev)
	var rej *Rejection
	require.ErrorAs(t, err, &rej)
	require.ErrorIs(t, err, ErrDisposableDomain)
	require.Equal(t, ev, got, "the event goes back even when rejected")
}
