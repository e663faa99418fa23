package triggers

import (
	"context"
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
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	_ = a.handle(ctx, h, u, nil)
	return ev, nil
}

// HandlePost publishes and counts a successful sign-in and returns ev
// unchanged. The error is always nil.
func (a *Authentication) HandlePost(ctx context.Context, ev events.CognitoEventUserPoolsPostAuthentication) (events.CognitoEventUserPoolsPostAuthentication, error) {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	_ = a.handle(ctx, h, u, nil)
	return ev, nil
}

// handle dispatches on the trigger source: an event of one source handed to
// the other's method is counted as what it is. It runs next (the pool's own
// logic) before publishing and returns its error; the event is the same
// either way: Cognito reached the trigger.
func (a *Authentication) handle(ctx context.Context, h header, u user, n next) error {
	return a.record(ctx, h, u, n, authenticationTypes, nil)
}

// authenticationTypes is the event of each authentication trigger source.
var authenticationTypes = map[string]event.Type{
	PreAuthenticationAuthentication:  event.SignInAttempted,
	PostAuthenticationAuthentication: event.SignInSucceeded,
}

// Invoke implements lambda.Handler: it reads the event's triggerSource and
// the fields it uses, counts and publishes, and answers with the payload it
// received, byte for byte. An unknown trigger source is answered unchanged,
// with a warning; so is an event it cannot decode, counted in
// EventDecodeFailures. The error is nil: cogwatch never fails a sign-in.
//
// With a chained function for the source's slot (SetChain), Invoke calls it
// with the same payload and answers with its response or its error, as
// PreSignUp.Invoke does.
func (a *Authentication) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, &a.base, "authentication", payload, decodeEvent, func(ctx context.Context, e userEvent, n next) error {
		return a.handle(ctx, e.header, e.user, n)
	})
}
