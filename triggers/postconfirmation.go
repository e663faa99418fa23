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
	p.handle(ctx, h, u)
	return ev, nil
}

func (p *PostConfirmation) handle(ctx context.Context, h header, u user) {
	inv := p.begin(ctx, h, u)
	var t event.Type
	switch h.TriggerSource {
	case PostConfirmationConfirmSignUp:
		t = event.UserConfirmed
	case PostConfirmationConfirmForgotPassword:
		t = event.PasswordReset
	default:
		inv.unknown()
		return
	}
	inv.count(t, "")
	d := inv.data()
	d.Provider = p.providers.fromIdentities(u.Identities) // a federated user's first sign-in confirms it
	inv.publishEvent(t, d)
	inv.finish(string(t))
}

// Invoke implements lambda.Handler: it reads the fields of a Cognito post
// confirmation event it uses and answers with the payload it received, byte
// for byte. An event it cannot decode is answered unchanged too, and
// counted in EventDecodeFailures. The error is always nil.
func (p *PostConfirmation) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h, u, err := decodeEvent(payload)
	if err != nil {
		p.undecodable(ctx, "postconfirmation", err)
		return payload, nil
	}
	p.handle(ctx, h, u)
	return payload, nil
}
