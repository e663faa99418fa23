package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// InvokeFunc is the Lambda call a trigger makes to chain the pool's own
// function: Invoke, synchronous, with payload. It returns the function's
// response or, when the function failed, Lambda's X-Amz-Function-Error in
// functionError with the function's error document as response; err is a
// failure to call. In Lambda, a small Invoke client fills it
// (internal/lambdainvoke): the SDK's service/lambda would cost every cold
// start its package initialisation. A func over (*lambda.Client).Invoke
// fills it as well.
type InvokeFunc func(ctx context.Context, function string, payload []byte) (response []byte, functionError string, err error)

// ChainSlots are the LambdaConfig slots whose own function a trigger can
// chain, with the variable that names it (see Config.Chain) and the prefix
// of the trigger sources Cognito sends through the slot (the pre token
// generation slot's are TokenGeneration_…).
var ChainSlots = []struct{ Slot, Variable, Sources string }{
	{"PreSignUp", "COGWATCH_CHAIN_PRE_SIGN_UP", "PreSignUp_"},
	{"PreAuthentication", "COGWATCH_CHAIN_PRE_AUTHENTICATION", "PreAuthentication_"},
	{"PostAuthentication", "COGWATCH_CHAIN_POST_AUTHENTICATION", "PostAuthentication_"},
	{"PostConfirmation", "COGWATCH_CHAIN_POST_CONFIRMATION", "PostConfirmation_"},
	{"PreTokenGeneration", "COGWATCH_CHAIN_PRE_TOKEN_GENERATION", "TokenGeneration_"},
	{"CustomMessage", "COGWATCH_CHAIN_CUSTOM_MESSAGE", "CustomMessage_"},
}

// slotOf returns the LambdaConfig slot of a trigger source
// ("PreSignUp_SignUp" → "PreSignUp", "TokenGeneration_HostedAuth" →
// "PreTokenGeneration"), or "" for a source of no slot in ChainSlots.
func slotOf(triggerSource string) string {
	for _, cs := range ChainSlots {
		if strings.HasPrefix(triggerSource, cs.Sources) {
			return cs.Slot
		}
	}
	return ""
}

// ChainedError is the error of a chained function, answered to Cognito as
// it came: Error is the function's errorMessage, which Cognito shows
// ("PreSignUp failed with error <message>."), so a rejection stays the same
// rejection. Type is the function's errorType.
type ChainedError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *ChainedError) Error() string { return e.Message }

// ErrChainUnavailable is answered when the chained function could not be
// called, or did not answer before the trigger's budget or deadline: its
// decision is unknown, so the user gets an error, as when Cognito cannot
// call a trigger itself. Its text is what the user reads.
var ErrChainUnavailable error = chainUnavailable{}

type chainUnavailable struct{}

func (chainUnavailable) Error() string { return "Please try again later" }

// SetChain makes the trigger call, after its own work, the function that
// chain (Config.Chain) names for the slot of each invocation's trigger
// source, through invoke, and answer Cognito with that function's response
// or error. Only Invoke chains; the typed Handle methods do not. Call it
// before any Invoke.
func (b *base) SetChain(chain map[string]string, invoke InvokeFunc) {
	b.chain, b.invoke = chain, invoke
}

// chained returns the function chained for a trigger source, or "".
func (b *base) chained(triggerSource string) string {
	if b.invoke == nil {
		return ""
	}
	return b.chain[slotOf(triggerSource)]
}

// next is the adopter's logic for one invocation, run after cogwatch's own
// work: a chained function (remote) or a wrapped handler (in process). Its
// error goes to Cognito unchanged.
type next func(inv *invocation) error

// run runs n, when there is one, within the invocation.
func (inv *invocation) run(n next) error {
	if n == nil {
		return nil
	}
	return n(inv)
}

// chainNext returns the next that invokes function with payload and keeps
// its response in *resp.
func (b *base) chainNext(function string, payload []byte, resp *[]byte) next {
	return func(inv *invocation) error {
		t0 := b.now()
		out, err := b.callChained(inv.ctx, inv.wall, function, payload)
		_ = inv.m.Put(catalog.ChainLatency, ms(b.now().Sub(t0)), emf.Milliseconds)
		var ce *ChainedError
		switch {
		case errors.As(err, &ce):
			_ = inv.m.Put(catalog.ChainFailures, 0, emf.Count) // a decision, not a failure
		case err != nil:
			_ = inv.m.Put(catalog.ChainFailures, 1, emf.Count)
		default:
			_ = inv.m.Put(catalog.ChainFailures, 0, emf.Count)
			*resp = out
		}
		return err
	}
}

// callChained invokes function with payload before wall (the trigger's
// budget, or its deadline less Reserve). It returns the function's response,
// a *ChainedError when the function failed, or ErrChainUnavailable.
func (b *base) callChained(ctx context.Context, wall time.Time, function string, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithDeadline(ctx, wall)
	defer cancel()
	out, functionError, err := b.invoke(ctx, function, payload)
	if err != nil {
		b.log.WarnContext(ctx, "chained function not called; the user gets an error", "function", function,
			"code", failureCode(err), "err", safeError(err))
		return nil, ErrChainUnavailable
	}
	if functionError != "" {
		return nil, chainedError(out, functionError)
	}
	return out, nil
}

// chainedError reads the error document a function error's payload holds
// ({"errorMessage": …, "errorType": …}); a payload that is not one is the
// message as it is, typed by Lambda's X-Amz-Function-Error.
func chainedError(payload []byte, functionError string) *ChainedError {
	ce := &ChainedError{}
	if json.Unmarshal(payload, ce) != nil || ce.Message == "" && ce.Type == "" {
		ce = &ChainedError{Message: string(payload), Type: functionError}
	}
	return ce
}

// chainUndecodable runs the chained function for an event the trigger could
// not decode, within the budget counted from now: the pool's own logic
// still decides. It returns the response to answer with.
func (b *base) chainUndecodable(ctx context.Context, payload []byte) ([]byte, error) {
	var head struct {
		TriggerSource json.RawMessage `json:"triggerSource"`
	}
	_ = json.Unmarshal(payload, &head)
	var source string
	_ = json.Unmarshal(head.TriggerSource, &source)
	function := b.chained(source)
	if function == "" {
		return payload, nil
	}
	wall := time.Now().Add(b.cfg.Budget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-Reserve).Before(wall) {
		wall = dl.Add(-Reserve)
	}
	return b.callChained(ctx, wall, function, payload)
}

// invoke is what every trigger's Invoke does with Cognito's payload: decode
// what the trigger reads, or fail open on what it cannot (counted under
// function's name, the pool's own logic still called); else run handle with
// the function chained for the event's slot as next, and answer with the
// payload, byte for byte, or the chained function's response.
func invoke[E interface{ source() string }](ctx context.Context, b *base, function string, payload []byte,
	decode func([]byte) (E, error), handle func(context.Context, E, next) error) ([]byte, error) {
	e, err := decode(payload)
	if err != nil {
		b.undecodable(ctx, function, err)
		return b.chainUndecodable(ctx, payload)
	}
	resp := payload
	var n next
	if fn := b.chained(e.source()); fn != "" {
		n = b.chainNext(fn, payload, &resp)
	}
	if err := handle(ctx, e, n); err != nil {
		return nil, err
	}
	return resp, nil
}
