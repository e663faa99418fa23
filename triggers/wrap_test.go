package triggers

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// testMiddleware is a Middleware with an in-process SNS stand-in and EMF
// and logs captured.
func testMiddleware(t *testing.T) (*Middleware, *recorder, *syncBuffer, *syncBuffer) {
	cfg := testConfig()
	rec, emfOut, logs := &recorder{}, &syncBuffer{}, &syncBuffer{}
	metrics, log := NewMetrics(emfOut, cfg), testLogger(logs)
	m := &Middleware{
		pre:        NewPreSignUp(cfg, rec.publish, metrics, log),
		auth:       NewAuthentication(cfg, rec.publish, metrics, log),
		post:       NewPostConfirmation(cfg, rec.publish, metrics, log),
		migration:  &migration{newBase(cfg, rec.publish, metrics, log)},
		challenges: &challenges{base: newBase(cfg, rec.publish, metrics, log)},
	}
	return m, rec, emfOut, logs
}

// userText is an error whose text a user reads, capitals and all.
type userText string

func (e userText) Error() string { return string(e) }

var errClosed error = userText("Sign-ups from example.org are closed")

// adoptersPreSignUp is an adopter's own handler: it closes example.org and
// auto-confirms everyone else.
func adoptersPreSignUp(calls *atomic.Int32) func(context.Context, events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
	return func(_ context.Context, ev events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
		calls.Add(1)
		if strings.HasSuffix(ev.Request.UserAttributes["email"], "@example.org") {
			return ev, errClosed
		}
		ev.Response.AutoConfirmUser = true
		return ev, nil
	}
}

func preSignUp(email string) events.CognitoEventUserPoolsPreSignup {
	var ev events.CognitoEventUserPoolsPreSignup
	ev.TriggerSource, ev.Region, ev.UserPoolID = PreSignUpSignUp, "eu-west-1", "eu-west-1_AbC"
	ev.CallerContext.ClientID = "client-1"
	ev.Request.UserAttributes = map[string]string{"email": email, "sub": "4f1c7e2a-0000-4000-8000-000000000001"}
	return ev
}

func TestWrapPreSignUp(t *testing.T) {
	tests := []struct {
		name        string
		email       string
		wantCalls   int32
		wantErr     error
		wantConfirm bool
		wantType    event.Type
		wantReason  string
	}{
		{name: "both accept: the handler's response", email: "alice@example.com", wantCalls: 1, wantConfirm: true, wantType: event.SignUpAccepted},
		{name: "the handler rejects: its error as it is", email: "bob@example.org", wantCalls: 1, wantErr: errClosed,
			wantType: event.SignUpRejected, wantReason: event.ReasonChainedTrigger},
		{name: "cogwatch rejects: the handler is not called", email: "carol@mailinator.com", wantErr: ErrDisposableDomain,
			wantType: event.SignUpRejected, wantReason: event.ReasonDisposableDomain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, emfOut, logs := testMiddleware(t)
			var calls atomic.Int32
			h := WrapWith(m, adoptersPreSignUp(&calls))
			out, err := h(t.Context(), preSignUp(tc.email))
			require.Equal(t, tc.wantCalls, calls.Load())
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantConfirm, out.Response.AutoConfirmUser)
			evs := rec.events(t)
			require.Len(t, evs, 1)
			require.Equal(t, tc.wantType, evs[0].Type)
			require.Equal(t, tc.wantReason, evs[0].Data.Reason)
			_, domain, _ := strings.Cut(tc.email, "@")
			require.Equal(t, domain, evs[0].Data.EmailDomain)
			lines := emfOut.Lines()
			require.Len(t, lines, 1)
			require.Equal(t, 1.0, decodeEMF(t, lines[0]).num(t, map[event.Type]string{event.SignUpAccepted: "SignUpAccepted", event.SignUpRejected: "SignUpRejected"}[tc.wantType]))
			require.NotContains(t, logs.String(), "@")
		})
	}
}

func TestWrapOtherSources(t *testing.T) {
	m, rec, emfOut, _ := testMiddleware(t)
	var seen []string
	pre := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsPreAuthentication) (events.CognitoEventUserPoolsPreAuthentication, error) {
		seen = append(seen, ev.TriggerSource)
		return ev, errors.New("Account locked")
	})
	post := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsPostAuthentication) (events.CognitoEventUserPoolsPostAuthentication, error) {
		seen = append(seen, ev.TriggerSource)
		ev.Response = events.CognitoEventUserPoolsPostAuthenticationResponse{}
		return ev, nil
	})
	conf := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error) {
		seen = append(seen, ev.TriggerSource)
		return ev, nil
	})
	attrs := map[string]string{"email": "alice@example.com", "sub": "4f1c7e2a-0000-4000-8000-000000000001"}
	var e1 events.CognitoEventUserPoolsPreAuthentication
	e1.TriggerSource, e1.Region, e1.UserPoolID, e1.Request.UserAttributes = PreAuthenticationAuthentication, "eu-west-1", "eu-west-1_AbC", attrs
	_, err := pre(t.Context(), e1)
	require.EqualError(t, err, "Account locked", "the handler's error as it is")
	var e2 events.CognitoEventUserPoolsPostAuthentication
	e2.TriggerSource, e2.Region, e2.UserPoolID, e2.Request.UserAttributes = PostAuthenticationAuthentication, "eu-west-1", "eu-west-1_AbC", attrs
	_, err = post(t.Context(), e2)
	require.NoError(t, err)
	var e3 events.CognitoEventUserPoolsPostConfirmation
	e3.TriggerSource, e3.Region, e3.UserPoolID, e3.Request.UserAttributes = PostConfirmationConfirmForgotPassword, "eu-west-1", "eu-west-1_AbC", attrs
	_, err = conf(t.Context(), e3)
	require.NoError(t, err)

	require.Equal(t, []string{PreAuthenticationAuthentication, PostAuthenticationAuthentication, PostConfirmationConfirmForgotPassword}, seen)
	var types []event.Type
	for _, e := range rec.events(t) {
		types = append(types, e.Type)
	}
	require.Equal(t, []event.Type{event.SignInAttempted, event.SignInSucceeded, event.PasswordReset}, types)
	require.Len(t, emfOut.Lines(), 3)
}

// TestWrapHandlerKeepsItsContext: the handler gets the invocation's
// context, deadline included, not cogwatch's budget.
func TestWrapHandlerKeepsItsContext(t *testing.T) {
	m, _, _, _ := testMiddleware(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4500*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	var got time.Time
	h := WrapWith(m, func(ctx context.Context, ev events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error) {
		got, _ = ctx.Deadline()
		return ev, nil
	})
	var ev events.CognitoEventUserPoolsPostConfirmation
	ev.TriggerSource = PostConfirmationConfirmSignUp
	_, err := h(ctx, ev)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestWrapBadConfiguration: a configuration cogwatch cannot use leaves the
// handler as it is, with an error logged once.
func TestWrapBadConfiguration(t *testing.T) {
	var stdout syncBuffer
	m := middlewareOrNil(t.Context(), env(map[string]string{"COGWATCH_TRIGGER_BUDGET": "7s"}), &stdout)
	require.Nil(t, m)
	require.Contains(t, stdout.String(), `"message":"cogwatch is off: the handler runs without it"`)
	require.Contains(t, stdout.String(), "COGWATCH_TRIGGER_BUDGET: 7s is not below")
	var calls atomic.Int32
	h := WrapWith(m, adoptersPreSignUp(&calls))
	out, err := h(t.Context(), preSignUp("carol@mailinator.com"))
	require.NoError(t, err, "no cogwatch check without cogwatch")
	require.True(t, out.Response.AutoConfirmUser)
	require.Equal(t, int32(1), calls.Load())
}
