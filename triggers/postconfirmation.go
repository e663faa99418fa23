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

// Post confirmation trigger sources.
const (
	PostConfirmationConfirmSignUp         = "PostConfirmation_ConfirmSignUp"
	PostConfirmationConfirmForgotPassword = "PostConfirmation_ConfirmForgotPassword"
)

// PostConfirmation is the post confirmation trigger: it publishes
// cogwatch.user.confirmed or cogwatch.password.reset and counts it. It never
// fails the user. It is safe for concurrent use.
type PostConfirmation struct{ base }

// NewPostConfirmation returns the post confirmation trigger; see
// NewPreSignUp for the arguments.
func NewPostConfirmation(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger) *PostConfirmation {
	return &PostConfirmation{newBase(cfg, publish, metrics, log)}
}

// Handle publishes and counts one confirmation and returns ev unchanged.
// The error is always nil: a confirmed user is never failed.
func (p *PostConfirmation) Handle(ctx context.Context, ev events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error) {
	attrs := ev.Request.UserAttributes
	inv := p.begin(ctx, ev.CognitoEventUserPoolsHeader, attrs)
	var t event.Type
	switch ev.TriggerSource {
	case PostConfirmationConfirmSignUp:
		t = event.UserConfirmed
	case PostConfirmationConfirmForgotPassword:
		t = event.PasswordReset
	default:
		inv.unknown()
		return ev, nil
	}
	inv.count(t, "")
	inv.publishEvent(t, inv.data(attrs))
	inv.finish(string(t))
	return ev, nil
}

// Invoke implements lambda.Handler: it decodes a Cognito post confirmation
// event and answers with the payload it received, unknown fields included.
func (p *PostConfirmation) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.CognitoEventUserPoolsPostConfirmation
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("triggers: decode post confirmation event: %w", err)
	}
	_, _ = p.Handle(ctx, ev)
	return payload, nil
}
