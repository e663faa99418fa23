package triggers

import (
	"context"
	"log/slog"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// Pre token generation trigger sources: why Cognito is issuing tokens.
const (
	TokenGenerationAuthentication       = "TokenGeneration_Authentication"
	TokenGenerationHostedAuth           = "TokenGeneration_HostedAuth"
	TokenGenerationRefreshTokens        = "TokenGeneration_RefreshTokens"
	TokenGenerationNewPasswordChallenge = "TokenGeneration_NewPasswordChallenge"
	TokenGenerationAuthenticateDevice   = "TokenGeneration_AuthenticateDevice"
	// TokenGenerationClientCredentials is a machine-to-machine token of a
	// pool that sends version 3 events: no user, not counted, no warning
	// (an adopted pool's chained function still gets it).
	TokenGenerationClientCredentials = "TokenGeneration_ClientCredentials"
)

// TokenSources lists the pre token generation trigger sources cogwatch
// counts; the TriggerSource dimension of TokensIssued takes no other value.
var TokenSources = []string{TokenGenerationAuthentication, TokenGenerationHostedAuth, TokenGenerationRefreshTokens,
	TokenGenerationNewPasswordChallenge, TokenGenerationAuthenticateDevice}

// PreTokenGeneration is the pre token generation trigger, for event
// versions 1 and 2 alike (it reads only what both have): it counts every
// token set Cognito is about to issue by trigger source and app client,
// and federated hosted sign-ins by provider, and answers with the event as
// Cognito sent it, so no claim changes. It publishes cogwatch.token.issued
// only when Config.TokenEvents is set: it runs on every refresh. It never
// fails the user. It is safe for concurrent use.
type PreTokenGeneration struct {
	base
	providers providers
}

// NewPreTokenGeneration returns the pre token generation trigger; see
// NewPreSignUp for the arguments.
func NewPreTokenGeneration(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger) *PreTokenGeneration {
	return &PreTokenGeneration{base: newBase(cfg, publish, metrics, log)}
}

// Handle counts a version 1 event and returns it unchanged. The error is
// always nil.
func (p *PreTokenGeneration) Handle(ctx context.Context, ev events.CognitoEventUserPoolsPreTokenGen) (events.CognitoEventUserPoolsPreTokenGen, error) {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	_ = p.handle(ctx, journeyEvent{header: h, user: u}, nil)
	return ev, nil
}

// HandleV2 counts a version 2 event and returns it unchanged. The error is
// always nil.
func (p *PreTokenGeneration) HandleV2(ctx context.Context, ev events.CognitoEventUserPoolsPreTokenGenV2_0) (events.CognitoEventUserPoolsPreTokenGenV2_0, error) {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	_ = p.handle(ctx, journeyEvent{header: h, user: u}, nil)
	return ev, nil
}

// handle counts one token set after running next (the pool's own logic),
// whose error it returns: Cognito then issues no tokens. The counts are the
// same either way: Cognito reached the trigger.
func (p *PreTokenGeneration) handle(ctx context.Context, e journeyEvent, n next) error {
	inv := p.begin(ctx, e.header, e.user)
	if !slices.Contains(TokenSources, e.TriggerSource) {
		err := inv.run(n) // the pool's own logic handles what cogwatch does not
		if e.TriggerSource == TokenGenerationClientCredentials {
			inv.finish("ignored") // expected on a version 3 pool: every machine token would warn
			return err
		}
		inv.unknown()
		return err
	}
	err := inv.run(n)
	inv.m.SetDimension(catalog.DimTriggerSource, e.TriggerSource)
	_ = inv.m.PutWithDimensions(catalog.TokensIssued, 1, emf.Count, catalog.TokenSets...)
	d := inv.data()
	d.Provider = p.providers.fromIdentities(e.Identities)
	if d.Provider != "" && e.TriggerSource == TokenGenerationHostedAuth {
		inv.m.SetDimension(catalog.DimProvider, d.Provider)
		_ = inv.m.PutWithDimensions(catalog.FederatedSignIns, 1, emf.Count, catalog.ProviderSets...)
	}
	if p.cfg.TokenEvents {
		inv.publishEvent(event.TokenIssued, d)
	}
	inv.finish(string(event.TokenIssued))
	return err
}

// Invoke implements lambda.Handler: it reads the fields of a pre token
// generation event (version 1 or 2) it uses and answers with the payload
// it received, byte for byte, so the tokens carry exactly the claims
// Cognito meant. An unknown trigger source or an event it cannot decode is
// answered unchanged too (the latter counted in EventDecodeFailures). The
// error is nil.
//
// With a chained function (SetChain), Invoke calls it with the same payload
// (the event version the pool sends, 1, 2 or 3) and answers with its
// response, whose claimsOverrideDetails or claimsAndScopeOverrideDetails
// Cognito applies, or with its error (*ChainedError) unchanged, or
// ErrChainUnavailable; an event cogwatch cannot decode goes to it too.
func (p *PreTokenGeneration) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	decode := func(payload []byte) (journeyEvent, error) { return decodeJourney(payload, false) }
	return invoke(ctx, &p.base, "pretokengeneration", payload, decode, p.handle)
}
