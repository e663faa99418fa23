package triggers

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

func TestAuthenticationDispatch(t *testing.T) {
	tests := []struct {
		name     string
		fixture  string
		source   string // replaces triggerSource when set
		wantType event.Type
	}{
		{name: "pre", fixture: "aws-lambda-go/cognito-event-userpools-preauthentication.json", wantType: event.SignInAttempted},
		{name: "post", fixture: "cognito-local/PostAuthentication_Authentication.json", wantType: event.SignInSucceeded},
		{name: "post from aws-lambda-go", fixture: "aws-lambda-go/cognito-event-userpools-postauthentication.json", wantType: event.SignInSucceeded},
		{name: "unknown source", fixture: "cognito-local/PostAuthentication_Authentication.json", source: "PostAuthentication_Future"},
		{name: "no source", fixture: "cognito-local/PostAuthentication_Authentication.json", source: "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := readFixture(t, tc.fixture)
			if tc.source != "" {
				payload = mutate(t, tc.fixture, func(ev map[string]any) {
					if tc.source == "-" {
						delete(ev, "triggerSource")
					} else {
						ev["triggerSource"] = tc.source
					}
				})
			}
			tt := newTestTrigger(t, "authentication", testConfig())
			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, string(payload), string(out))
			evs := tt.rec.events(t)
			require.Len(t, tt.emf.Lines(), 1)
			if tc.wantType == "" {
				require.Empty(t, evs)
				require.Contains(t, tt.logs.String(), "trigger source not handled")
				return
			}
			require.Len(t, evs, 1)
			require.Equal(t, tc.wantType, evs[0].Type)
		})
	}
}

func TestAuthenticationTyped(t *testing.T) {
	a := NewAuthentication(testConfig(), nil, nil, nil)
	var pre events.CognitoEventUserPoolsPreAuthentication
	require.NoError(t, json.Unmarshal(readFixture(t, "aws-lambda-go/cognito-event-userpools-preauthentication.json"), &pre))
	gotPre, err := a.HandlePre(t.Context(), pre)
	require.NoError(t, err)
	require.Equal(t, pre, gotPre)
	var post events.CognitoEventUserPoolsPostAuthentication
	require.NoError(t, json.Unmarshal(readFixture(t, "aws-lambda-go/cognito-event-userpools-postauthentication.json"), &post))
	gotPost, err := a.HandlePost(t.Context(), post)
	require.NoError(t, err)
	require.Equal(t, post, gotPost)
}

func TestPostConfirmationSources(t *testing.T) {
	tests := []struct {
		name     string
		source   string
		wantType event.Type
	}{
		{name: "confirm sign-up", source: "PostConfirmation_ConfirmSignUp", wantType: event.UserConfirmed},
		{name: "forgot password", source: "PostConfirmation_ConfirmForgotPassword", wantType: event.PasswordReset},
		{name: "unknown", source: "PostConfirmation_Future"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := mutate(t, "cognito-local/PostConfirmation_ConfirmSignUp.json", func(ev map[string]any) { ev["triggerSource"] = tc.source })
			tt := newTestTrigger(t, "postconfirmation", testConfig())
			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, string(payload), string(out))
			evs := tt.rec.events(t)
			if tc.wantType == "" {
				require.Empty(t, evs)
				return
			}
			require.Len(t, evs, 1)
			require.Equal(t, tc.wantType, evs[0].Type)
		})
	}
}

// TestEventPrivacyOptions checks what of the address goes into events.
func TestEventPrivacyOptions(t *testing.T) {
	tests := []struct {
		name      string
		key       []byte
		include   bool
		wantHash  bool
		wantEmail bool
	}{
		{name: "defaults: domain only"},
		{name: "hash", key: testKey, wantHash: true},
		{name: "full address opted in", include: true, wantEmail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig
			cfg.TopicARN, cfg.HashKey, cfg.IncludeEmail = testTopic, tc.key, tc.include
			tt := newTestTrigger(t, "postconfirmation", cfg)
			_, err := tt.h.Invoke(t.Context(), readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json"))
			require.NoError(t, err)
			ev := tt.rec.events(t)[0]
			require.Equal(t, "example.com", ev.Data.EmailDomain)
			require.Equal(t, tc.wantHash, ev.Data.EmailHash != "")
			require.Equal(t, tc.wantEmail, ev.Data.Email == "alice@example.com")
			require.NotContains(t, tt.logs.String(), "alice")
		})
	}
}

// TestPublishingOff: no topic, no publish; metrics are still written.
func TestPublishingOff(t *testing.T) {
	cfg := DefaultConfig // no topic
	tt := newTestTrigger(t, "postconfirmation", cfg)
	_, err := tt.h.Invoke(t.Context(), readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json"))
	require.NoError(t, err)
	require.Empty(t, tt.rec.events(t))
	doc := decodeEMF(t, tt.emf.Lines()[0])
	require.Equal(t, 1.0, doc.num(t, "UserConfirmed"))
	require.False(t, doc.has("PublishFailures"))
	require.False(t, doc.has("PublishLatency"))
}
