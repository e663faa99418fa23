package triggers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// adoptersDefine is an adopter's define auth challenge handler: a CAPTCHA
// after the password, tokens once it is answered, three tries at most.
func adoptersDefine(_ context.Context, ev events.CognitoEventUserPoolsDefineAuthChallenge) (events.CognitoEventUserPoolsDefineAuthChallenge, error) {
	s := ev.Request.Session
	switch last := s[len(s)-1]; {
	case last.ChallengeName == CustomChallenge && last.ChallengeResult:
		ev.Response.IssueTokens = true
	case len(s) >= 5:
		ev.Response.FailAuthentication = true
	default:
		ev.Response.ChallengeName = CustomChallenge
	}
	return ev, nil
}

// TestWrapDefineAuthChallenge: define counts the answer to the custom
// challenge that ends the session, by name, and passes the handler's
// decision through.
func TestWrapDefineAuthChallenge(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		edit      func(*events.CognitoEventUserPoolsDefineAuthChallenge)
		wantType  event.Type // "" = nothing counted
		wantName  string
		wantToken bool
	}{
		{name: "password verified: no custom answer yet", fixture: "DefineAuthChallenge_Authentication-start.json"},
		{name: "CAPTCHA answered wrongly", fixture: "DefineAuthChallenge_Authentication-answered.json",
			wantType: event.ChallengeFailed, wantName: "CAPTCHA_CHALLENGE"},
		{name: "CAPTCHA answered correctly", fixture: "DefineAuthChallenge_Authentication-answered.json",
			edit: func(ev *events.CognitoEventUserPoolsDefineAuthChallenge) {
				ev.Request.Session[2].ChallengeResult = true
			},
			wantType: event.ChallengePassed, wantName: "CAPTCHA_CHALLENGE", wantToken: true},
		{name: "no challengeMetadata", fixture: "DefineAuthChallenge_Authentication-answered.json",
			edit: func(ev *events.CognitoEventUserPoolsDefineAuthChallenge) {
				ev.Request.Session[2].ChallengeMetadata = ""
			},
			wantType: event.ChallengeFailed, wantName: "CUSTOM_CHALLENGE"},
		{name: "metadata that is no name", fixture: "DefineAuthChallenge_Authentication-answered.json",
			edit: func(ev *events.CognitoEventUserPoolsDefineAuthChallenge) {
				ev.Request.Session[2].ChallengeMetadata = "447700900123"
			},
			wantType: event.ChallengeFailed, wantName: "other"},
		{name: "metadata with an address", fixture: "DefineAuthChallenge_Authentication-answered.json",
			edit: func(ev *events.CognitoEventUserPoolsDefineAuthChallenge) {
				ev.Request.Session[2].ChallengeMetadata = "otp-to-jane.doe@example.org"
			},
			wantType: event.ChallengeFailed, wantName: "other"},
		{name: "user not found (PreventUserExistenceErrors)", fixture: "DefineAuthChallenge_Authentication-answered.json",
			edit: func(ev *events.CognitoEventUserPoolsDefineAuthChallenge) {
				ev.Request.UserNotFound, ev.Request.UserAttributes = true, map[string]string{}
			},
			wantType: event.ChallengeFailed, wantName: "CAPTCHA_CHALLENGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, emfOut, logs := testMiddleware(t)
			in := wrapFixture[events.CognitoEventUserPoolsDefineAuthChallenge](t, tc.fixture)
			if tc.edit != nil {
				tc.edit(&in)
			}
			out, err := WrapWith(m, adoptersDefine)(t.Context(), in)
			require.NoError(t, err)
			want, _ := adoptersDefine(t.Context(), in)
			require.Equal(t, want, out)
			require.Equal(t, tc.wantToken, out.Response.IssueTokens)

			lines := emfOut.Lines()
			require.Len(t, lines, 1, "one EMF line")
			doc := decodeEMF(t, lines[0])
			evs := rec.events(t)
			if tc.wantType == "" {
				require.Empty(t, evs)
				require.False(t, doc.has("ChallengesPassed"))
				require.False(t, doc.has("ChallengesFailed"))
				return
			}
			require.Len(t, evs, 1)
			require.Equal(t, tc.wantType, evs[0].Type)
			require.Equal(t, tc.wantName, evs[0].Data.ChallengeName)
			require.Equal(t, DefineAuthChallengeAuthentication, evs[0].Data.TriggerSource)
			metric := map[event.Type]string{event.ChallengePassed: "ChallengesPassed", event.ChallengeFailed: "ChallengesFailed"}[tc.wantType]
			require.Equal(t, 1.0, doc.num(t, metric))
			require.Equal(t, tc.wantName, doc.raw["ChallengeName"])
			require.Equal(t, [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}, {"UserPoolId", "ChallengeName"}}, doc.dims(t, metric))
			require.NotContains(t, logs.String()+emfOut.String(), "@")
		})
	}
}

// TestWrapCreateAuthChallenge: create counts a challenge issued, named by
// the challengeMetadata the handler set, unless the handler failed.
func TestWrapCreateAuthChallenge(t *testing.T) {
	errDown := errors.New("captcha service unavailable")
	tests := []struct {
		name     string
		metadata string
		err      error
		wantName string // "" = nothing counted
	}{
		{name: "named", metadata: "CAPTCHA_CHALLENGE", wantName: "CAPTCHA_CHALLENGE"},
		{name: "unnamed", wantName: "CUSTOM_CHALLENGE"},
		{name: "too long a name", metadata: strings.Repeat("A", MaxProviderLength+1), wantName: "other"},
		{name: "the handler failed", metadata: "CAPTCHA_CHALLENGE", err: errDown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, emfOut, _ := testMiddleware(t)
			h := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsCreateAuthChallenge) (events.CognitoEventUserPoolsCreateAuthChallenge, error) {
				ev.Response.PublicChallengeParameters = map[string]string{"captchaUrl": "https://captcha.example/1"}
				ev.Response.PrivateChallengeParameters = map[string]string{"answer": "Blue-Whale-42"}
				ev.Response.ChallengeMetadata = tc.metadata
				return ev, tc.err
			})
			out, err := h(t.Context(), wrapFixture[events.CognitoEventUserPoolsCreateAuthChallenge](t, "CreateAuthChallenge_Authentication.json"))
			require.Equal(t, tc.err, err)
			require.Equal(t, "Blue-Whale-42", out.Response.PrivateChallengeParameters["answer"], "the handler's answer as it is")
			lines := emfOut.Lines()
			require.Len(t, lines, 1)
			doc := decodeEMF(t, lines[0])
			evs := rec.events(t)
			if tc.wantName == "" {
				require.Empty(t, evs)
				require.False(t, doc.has("ChallengesIssued"))
				return
			}
			require.Len(t, evs, 1)
			require.Equal(t, event.ChallengeIssued, evs[0].Type)
			require.Equal(t, tc.wantName, evs[0].Data.ChallengeName)
			require.Equal(t, "7f3e1c2a-5b4d-4e6f-9a8b-0c1d2e3f4a5b", evs[0].Subject)
			require.Equal(t, 1.0, doc.num(t, "ChallengesIssued"))
			require.Equal(t, tc.wantName, doc.raw["ChallengeName"])
			require.NotContains(t, lines[0], "Blue-Whale-42")
		})
	}
}

// TestWrapVerifyAuthChallenge: verify passes the handler's verdict through
// and writes its invocation's metrics; the verdict is counted by define,
// whose event names the challenge.
func TestWrapVerifyAuthChallenge(t *testing.T) {
	for _, correct := range []bool{false, true} {
		t.Run(fmt.Sprint(correct), func(t *testing.T) {
			m, rec, emfOut, logs := testMiddleware(t)
			h := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsVerifyAuthChallenge) (events.CognitoEventUserPoolsVerifyAuthChallenge, error) {
				ev.Response.AnswerCorrect = correct
				return ev, nil
			})
			out, err := h(t.Context(), wrapFixture[events.CognitoEventUserPoolsVerifyAuthChallenge](t, "VerifyAuthChallengeResponse_Authentication.json"))
			require.NoError(t, err)
			require.Equal(t, correct, out.Response.AnswerCorrect)
			require.Empty(t, rec.events(t))
			lines := emfOut.Lines()
			require.Len(t, lines, 1)
			doc := decodeEMF(t, lines[0])
			require.True(t, doc.has("TriggerLatency"))
			require.Equal(t, VerifyAuthChallengeResponseAuthentication, doc.raw["triggerSource"])
			require.NotContains(t, logs.String()+lines[0], "Blue-Whale-42")
		})
	}
}

// TestChallengeNamesCapped: past MaxProviders distinct names an instance
// reports "other", so the ChallengeName dimension stays bounded.
func TestChallengeNamesCapped(t *testing.T) {
	var c challenges
	for i := range MaxProviders {
		require.Equal(t, fmt.Sprintf("Q%d", i), c.name(fmt.Sprintf("Q%d", i)))
	}
	require.Equal(t, "other", c.name("ONE_TOO_MANY"))
	require.Equal(t, "Q3", c.name("Q3"), "a name already seen stays")
	require.Equal(t, CustomChallenge, c.name(""))
}
