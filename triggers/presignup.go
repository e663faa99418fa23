package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/triggers/disposable"
)

// Pre sign-up trigger sources.
const (
	PreSignUpSignUp           = "PreSignUp_SignUp"
	PreSignUpAdminCreateUser  = "PreSignUp_AdminCreateUser"
	PreSignUpExternalProvider = "PreSignUp_ExternalProvider"
)

// PreSignUp is the pre sign-up trigger. It rejects addresses that are not
// valid email syntax and, except for users an administrator creates, domains
// on the disposable list (subdomains included). A user without an email
// attribute (a phone-only pool) is accepted. It is safe for concurrent use.
type PreSignUp struct {
	base
	checker *disposable.Checker
}

// NewPreSignUp returns the pre sign-up trigger. Events are published with
// publish to cfg.TopicARN; a nil publish or an empty topic turns publishing
// off. A nil metrics discards EMF; a nil log discards logs.
func NewPreSignUp(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger) *PreSignUp {
	return &PreSignUp{
		base:    newBase(cfg, publish, metrics, log),
		checker: disposable.NewChecker(cfg.ExtraDisposableDomains, cfg.AllowedDomains),
	}
}

// Handle validates one sign-up. It returns ev unchanged and either nil or a
// *Rejection, whose text Cognito shows the user.
func (p *PreSignUp) Handle(ctx context.Context, ev events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
	attrs := ev.Request.UserAttributes
	inv := p.begin(ctx, ev.CognitoEventUserPoolsHeader, attrs)
	switch ev.TriggerSource {
	case PreSignUpSignUp, PreSignUpAdminCreateUser, PreSignUpExternalProvider:
	default:
		inv.unknown()
		return ev, nil
	}
	admin := ev.TriggerSource == PreSignUpAdminCreateUser
	rej := p.validate(inv, admin)
	d := inv.data(attrs)
	t := event.SignUpAccepted
	if rej != nil {
		t, d.Reason = event.SignUpRejected, rej.Code()
	}
	inv.count(t, d.Reason)
	if admin && rej == nil {
		_ = inv.m.Put(catalog.SignUpAdminCreated, 1, emf.Count)
	}
	inv.publishEvent(t, d)
	if rej != nil {
		p.log.InfoContext(ctx, "sign-up rejected", "reason", d.Reason, "email", inv.email,
			"triggerSource", ev.TriggerSource, "userPoolId", ev.UserPoolID)
		inv.finish("rejected", slog.String("reason", d.Reason))
		return ev, rej
	}
	inv.finish("accepted")
	return ev, nil
}

// validate returns the rejection of the invocation's email address, or nil.
func (p *PreSignUp) validate(inv *invocation, admin bool) *Rejection {
	if inv.email == "" {
		return nil
	}
	a, err := inv.address()
	if err != nil {
		return &Rejection{Reason: ErrInvalidEmail}
	}
	if admin {
		return nil
	}
	if _, ok := p.checker.Match(a.Domain); ok {
		return &Rejection{Reason: ErrDisposableDomain}
	}
	return nil
}

// Invoke implements lambda.Handler: it decodes a Cognito pre sign-up event
// and answers with the payload it received, unknown fields included.
func (p *PreSignUp) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.CognitoEventUserPoolsPreSignup
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("triggers: decode pre sign-up event: %w", err)
	}
	if _, err := p.Handle(ctx, ev); err != nil {
		return nil, err
	}
	return payload, nil
}
