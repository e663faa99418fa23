package triggers

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
)

// Post confirmation trigger sources.
const (
	PostConfirmationConfirmSignUp         = "PostConfirmation_ConfirmSignUp"
	PostConfirmationConfirmForgotPassword = "PostConfirmation_ConfirmForgotPassword"
)

// PostConfirmation is the post confirmation trigger: it publishes
// cogwatch.user.confirmed or cogwatch.password.reset and counts it. It never
// fails the user. It is safe for concurrent use.
type PostConfirmation struct {
	base
	providers providers
}

// NewPostConfirmation returns the post confirmation trigger; see
// NewPreSignUp for the arguments.
func NewPostConfirmation(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger) *PostConfirmation {
	return &PostConfirmation{base: newBase(cfg, publish, metrics, log)}
}

// Handle publishes and counts one confirmation and returns ev unchanged.
// The error is always nil: a confirmed user is never failed.
func (p *PostConfirmation) Handle(ctx context.Context, ev events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error) {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	_ = p.handle(ctx, h, u, nil)
	return ev, nil
}

// handle counts and publishes one confirmation after running next (the
// pool's own logic), whose error it returns; Cognito confirmed the user
// before calling, so the event is the same either way.
func (p *PostConfirmation) handle(ctx context.Context, h header, u user, n next) error {
	// a federated user's first sign-in confirms it
	return p.record(ctx, h, u, n, confirmationTypes, p.providers.fromIdentities)
}

// confirmationTypes is the event of each post confirmation trigger source.
var confirmationTypes = map[string]event.Type{
	PostConfirmationConfirmSignUp:         event.UserConfirmed,
	PostConfirmationConfirmForgotPassword: event.PasswordReset,
}

// Invoke implements lambda.Handler: it reads the fields of a Cognito post
// confirmation event it uses and answers with the payload it received, byte
// for byte. An event it cannot decode is answered unchanged too, and
// counted in EventDecodeFailures. The error is nil: cogwatch never fails a
// confirmation.
//
// With a chained function (SetChain), Invoke calls it with the same payload
// and answers with its response or its error, as PreSignUp.Invoke does.
func (p *PostConfirmation) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, &p.base, "postconfirmation", payload, decodeEvent, func(ctx context.Context, e userEvent, n next) error {
		return p.handle(ctx, e.header, e.user, n)
	})
}
