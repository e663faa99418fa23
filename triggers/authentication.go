package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
)

// Authentication trigger sources.
const (
	PreAuthenticationAuthentication  = "PreAuthentication_Authentication"
	PostAuthenticationAuthentication = "PostAuthentication_Authentication"
)

// Authentication is one function for both the pre and the post
// authentication triggers: it publishes cogwatch.signin.attempted or
// cogwatch.signin.succeeded and counts it (attempted minus succeeded is the
// failed sign-in count Cognito never reports). It never fails the user. It is
// safe for concurrent use.
type Authentication struct{ base }

// NewAuthentication returns the authentication trigger; see NewPreSignUp
// for the arguments.
func NewAuthentication(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger) *Authentication {
	return &Authentication{newBase(cfg, publish, metrics, log)}
}

// HandlePre publishes and counts a sign-in attempt and returns ev unchanged.
// The error is always nil.
func (a *Authentication) HandlePre(ctx context.Context, ev events.CognitoEventUserPoolsPreAuthentication) (events.CognitoEventUserPoolsPreAuthentication, error) {
	a.handle(ctx, ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes, PreAuthenticationAuthentication, event.SignInAttempted)
	return ev, nil
}

// HandlePost publishes and counts a successful sign-in and returns ev
// unchanged. The error is always nil.
func (a *Authentication) HandlePost(ctx context.Context, ev events.CognitoEventUserPoolsPostAuthentication) (events.CognitoEventUserPoolsPostAuthentication, error) {
	a.handle(ctx, ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes, PostAuthenticationAuthentication, event.SignInSucceeded)
	return ev, nil
}

func (a *Authentication) handle(ctx context.Context, h events.CognitoEventUserPoolsHeader, attrs map[string]string, source string, t event.Type) {
	inv := a.begin(ctx, h, attrs)
	if h.TriggerSource != source {
		inv.unknown()
		return
	}
	inv.count(t, "")
	inv.publishEvent(t, inv.data(attrs))
	inv.finish(string(t))
}

// Invoke implements lambda.Handler: it reads the event's triggerSource,
// hands the event to HandlePre or HandlePost, and answers with the payload it
// received, unknown fields included. An unknown trigger source is answered
// unchanged, with a warning.
func (a *Authentication) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var probe struct {
		TriggerSource string `json:"triggerSource"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("triggers: decode authentication event: %w", err)
	}
	var err error
	switch probe.TriggerSource {
	case PostAuthenticationAuthentication:
		var ev events.CognitoEventUserPoolsPostAuthentication
		if err = json.Unmarshal(payload, &ev); err == nil {
			_, _ = a.HandlePost(ctx, ev)
		}
	default: // pre authentication, and unknown sources (answered unchanged)
		var ev events.CognitoEventUserPoolsPreAuthentication
		if err = json.Unmarshal(payload, &ev); err == nil {
			_, _ = a.HandlePre(ctx, ev)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("triggers: decode authentication event: %w", err)
	}
	return payload, nil
}
