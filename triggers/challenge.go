package triggers

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// Custom authentication challenge trigger sources.
const (
	DefineAuthChallengeAuthentication         = "DefineAuthChallenge_Authentication"
	CreateAuthChallengeAuthentication         = "CreateAuthChallenge_Authentication"
	VerifyAuthChallengeResponseAuthentication = "VerifyAuthChallengeResponse_Authentication"
)

// CustomChallenge is the challengeName Cognito gives every custom
// challenge, and the ChallengeName dimension of one whose create auth
// challenge function set no challengeMetadata.
const CustomChallenge = "CUSTOM_CHALLENGE"

// challenges observes an adopter's define, create and verify auth challenge
// handlers through the middleware; the handlers decide, cogwatch counts, by
// challenge name (capped):
//   - issued: the create handler answered without error; the name is the
//     challengeMetadata it set, else CUSTOM_CHALLENGE;
//   - passed or failed: Cognito calls define again after each answer, with
//     the verify handler's verdict as the last entry of the session, and the
//     create handler's challengeMetadata beside it. The verify event itself
//     names no challenge, so answers are counted from define's session.
//
// It never reads the challenge's parameters or the user's answer.
type challenges struct {
	base
	names capped
}

// name returns the ChallengeName dimension of a custom challenge.
func (c *challenges) name(metadata string) string {
	if metadata == "" {
		return CustomChallenge
	}
	if b := metadata[0]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z') {
		return ProviderOther // a name, not a number or an id
	}
	return c.names.value(metadata)
}

// define runs call, the adopter's define auth challenge handler, and
// counts the answer to the last custom challenge of the session, if the
// session ends with one, whatever the handler decides next.
func (c *challenges) define(ctx context.Context, ev events.CognitoEventUserPoolsDefineAuthChallenge, call func() error) error {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	inv := c.begin(ctx, h, u)
	var err error
	guard(inv, func() { err = call() })
	if h.TriggerSource != DefineAuthChallengeAuthentication {
		inv.unknown()
		return err
	}
	var last *events.CognitoEventUserPoolsChallengeResult
	if s := ev.Request.Session; len(s) > 0 {
		last = s[len(s)-1]
	}
	if last == nil || last.ChallengeName != CustomChallenge {
		inv.finish("define") // a new sign-in, or the answer to a built-in challenge (SRP_A, PASSWORD_VERIFIER)
		return err
	}
	t, metric := event.ChallengeFailed, catalog.ChallengesFailed
	if last.ChallengeResult {
		t, metric = event.ChallengePassed, catalog.ChallengesPassed
	}
	c.count(inv, t, metric, last.ChallengeMetadata)
	return err
}

// create runs call, the adopter's create auth challenge handler, and counts
// the challenge it created unless it failed.
func (c *challenges) create(ctx context.Context, ev events.CognitoEventUserPoolsCreateAuthChallenge, call func() (events.CognitoEventUserPoolsCreateAuthChallenge, error)) error {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	inv := c.begin(ctx, h, u)
	var out events.CognitoEventUserPoolsCreateAuthChallenge
	var err error
	guard(inv, func() { out, err = call() })
	switch {
	case h.TriggerSource != CreateAuthChallengeAuthentication:
		inv.unknown()
	case err != nil: // Cognito fails the sign-in: no challenge reaches the user
		inv.finish("create failed")
	default:
		c.count(inv, event.ChallengeIssued, catalog.ChallengesIssued, out.Response.ChallengeMetadata)
	}
	return err
}

// verify runs call, the adopter's verify auth challenge response handler.
// Its verdict is counted when Cognito hands it to define (see challenges);
// here only the invocation's own metrics (latency, cold start) are written.
func (c *challenges) verify(ctx context.Context, ev events.CognitoEventUserPoolsVerifyAuthChallenge, call func() error) error {
	h, u := fromEvents(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes)
	inv := c.begin(ctx, h, u)
	var err error
	guard(inv, func() { err = call() })
	if h.TriggerSource != VerifyAuthChallengeResponseAuthentication {
		inv.unknown()
		return err
	}
	inv.finish("verify")
	return err
}

// guard runs call, the adopter's handler; if it panics, the invocation's
// EMF line is written before the panic goes on, unrecovered.
func guard(inv *invocation, call func()) {
	answered := false
	defer func() {
		if !answered {
			inv.finish("panic")
		}
	}()
	call()
	answered = true
}

// count counts and publishes one challenge event.
func (c *challenges) count(inv *invocation, t event.Type, metric, metadata string) {
	d := inv.data()
	d.ChallengeName = c.name(metadata)
	inv.m.SetDimension(catalog.DimChallengeName, d.ChallengeName)
	_ = inv.m.PutWithDimensions(metric, 1, emf.Count, catalog.ChallengeSets...)
	inv.publishEvent(t, d)
	inv.finish(string(t))
}
