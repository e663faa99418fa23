package triggers

import (
	"context"
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
	checker   *disposable.Checker
	providers providers
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
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	if err := p.handle(ctx, h, u, nil); err != nil {
		return ev, err
	}
	return ev, nil
}

// handle validates one sign-up and, when cogwatch accepts it, runs next
// (the pool's own logic), whose error rejects it as well. The event and the
// counts say what the user got. It returns a *Rejection, next's error or nil.
func (p *PreSignUp) handle(ctx context.Context, h header, u user, n next) error {
	inv := p.begin(ctx, h, u)
	switch h.TriggerSource {
	case PreSignUpSignUp, PreSignUpAdminCreateUser, PreSignUpExternalProvider:
	default:
		err := inv.run(n) // the pool's own logic handles what cogwatch does not
		inv.unknown()
		return err
	}
	admin := h.TriggerSource == PreSignUpAdminCreateUser
	rej := p.validate(inv, admin)
	var err error
	if rej == nil {
		err = inv.run(n)
	}
	d := inv.data()
	t := event.SignUpAccepted
	switch {
	case rej != nil:
		t, d.Reason = event.SignUpRejected, rej.Code()
	case err != nil:
		t, d.Reason = event.SignUpRejected, event.ReasonChainedTrigger
	}
	inv.count(t, d.Reason)
	if admin && t == event.SignUpAccepted {
		_ = inv.m.Put(catalog.SignUpAdminCreated, 1, emf.Count)
	}
	if h.TriggerSource == PreSignUpExternalProvider {
		if d.Provider = p.providers.fromUserName(u.UserName); d.Provider != "" && rej == nil {
			inv.m.SetDimension(catalog.DimProvider, d.Provider)
			_ = inv.m.PutWithDimensions(catalog.FederatedSignUps, 1, emf.Count, catalog.ProviderSets...)
		}
	}
	inv.publishEvent(t, d)
	if t == event.SignUpRejected {
		p.log.InfoContext(ctx, "sign-up rejected", "reason", d.Reason, "email", inv.email,
			"triggerSource", h.TriggerSource, "userPoolId", h.UserPoolID)
		inv.finish("rejected", slog.String("reason", d.Reason))
		if rej != nil {
			return rej
		}
		return err
	}
	inv.finish("accepted")
	return nil
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

// Invoke implements lambda.Handler: it reads the fields of a Cognito pre
// sign-up event it uses and answers with the payload it received, byte for
// byte, or a *Rejection. An event it cannot decode is accepted without the
// checks that could not run, answered unchanged and counted in
// EventDecodeFailures: cogwatch's own parsing never fails a user.
//
// With a chained function (SetChain), a sign-up cogwatch accepts goes on to
// it with the same payload, and Invoke answers with its response, or its
// error (*ChainedError) unchanged, or ErrChainUnavailable; an event cogwatch
// cannot decode goes to it too.
func (p *PreSignUp) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, &p.base, "presignup", payload, decodeEvent, func(ctx context.Context, e userEvent, n next) error {
		return p.handle(ctx, e.header, e.user, n)
	})
}
