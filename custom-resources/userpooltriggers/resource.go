package userpooltriggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/awsretry"
)

// cognitoAPI is the part of the Cognito client the resource uses.
type cognitoAPI interface {
	DescribeUserPool(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	UpdateUserPool(context.Context, *cip.UpdateUserPoolInput, ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error)
}

// Errors of applying a plan, matched with errors.Is.
var (
	// ErrPoolNotFound: no such user pool in this region and account.
	ErrPoolNotFound = errors.New("user pool not found")
	// ErrPoolBusy: the pool changed between cogwatch's two reads before its
	// write, in every attempt: someone else is updating it.
	ErrPoolBusy = errors.New("the user pool kept changing while cogwatch prepared its update")
	// ErrDrift: after cogwatch's write, the pool's description is not what
	// cogwatch wrote.
	ErrDrift = errors.New("the user pool is not as cogwatch left it")
)

// Options configure a Resource. The zero value works.
type Options struct {
	Logger *slog.Logger // nil discards
	// Attempts bounds the rounds of describe, plan, describe again and
	// update when the pool changes between the two reads; default 3.
	Attempts int
	Retry    awsretry.Policy
}

// Resource attaches cogwatch's functions to a pool's LambdaConfig and
// detaches them. Its Handle is the customresources.Func of
// Custom::UserPoolTriggers; `cogwatch attach` and `detach` call the rest.
type Resource struct {
	c    cognitoAPI
	opts Options
	log  *slog.Logger
}

// New returns a Resource calling Cognito through c (a *cip.Client).
func New(c cognitoAPI, opts Options) *Resource {
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Resource{c: c, opts: opts, log: l}
}

// Handle attaches, updates or detaches for one CloudFormation event. The
// physical id is the user pool id: an Update to another pool is a
// replacement, whose clean-up Delete detaches from the old pool.
func (r *Resource) Handle(ctx context.Context, ev cfn.Event) (customresources.Result, error) {
	props, old, err := customresources.Properties[Properties](ev)
	props.normalize()
	old.normalize()
	if ev.RequestType == cfn.RequestDelete {
		if err != nil {
			return customresources.Result{}, err
		}
		_, err := r.Detach(ctx, ev.PhysicalResourceID, props)
		if errors.Is(err, ErrPoolNotFound) {
			r.log.InfoContext(ctx, "user pool gone: nothing to detach", "userPoolId", ev.PhysicalResourceID)
			return customresources.Result{}, nil
		}
		return customresources.Result{}, err
	}
	if err != nil {
		return customresources.Result{}, err
	}
	if err := props.Validate(); err != nil {
		return customresources.Result{}, err
	}
	pool := props.UserPoolId
	replacing := ev.RequestType == cfn.RequestUpdate && ev.PhysicalResourceID != pool
	if ev.RequestType == cfn.RequestCreate || replacing {
		old = Properties{} // a pool this resource never held
	}
	_, applied, err := r.attach(ctx, props, old)
	res := customresources.Result{PhysicalResourceID: pool, Data: map[string]any{"UserPoolId": pool}}
	if err == nil {
		return res, nil
	}
	switch {
	case !applied && ev.RequestType == cfn.RequestCreate:
		return customresources.Result{}, err // nothing changed: the rollback has nothing to undo
	case applied && replacing:
		// CloudFormation rolls back to the old pool and never deletes this
		// one: undo here.
		if _, derr := r.Detach(ctx, pool, props); derr != nil {
			err = errors.Join(err, fmt.Errorf("undo on %s: %w", pool, derr))
		}
	}
	return res, err
}

// PlanAttach describes the pool and returns what Attach would change,
// changing nothing. old are the properties the pool was attached with, if
// any (see Properties).
func (r *Resource) PlanAttach(ctx context.Context, p, old Properties) (Plan, error) {
	pool, err := r.describe(ctx, p.UserPoolId)
	if err != nil {
		return Plan{}, err
	}
	return planAttach(pool, p.effective(), old.effective())
}

// Attach gives p's functions their slots in p's pool, copying every other
// setting back, and returns what it changed.
func (r *Resource) Attach(ctx context.Context, p, old Properties) (Plan, error) {
	plan, _, err := r.attach(ctx, p, old)
	return plan, err
}

func (r *Resource) attach(ctx context.Context, p, old Properties) (Plan, bool, error) {
	p, old = p.effective(), old.effective()
	return r.apply(ctx, p.UserPoolId, true, func(pool *types.UserPoolType) (Plan, error) {
		return planAttach(pool, p, old)
	})
}

// PlanDetach describes the pool and returns what Detach would change,
// changing nothing.
func (r *Resource) PlanDetach(ctx context.Context, poolID string, p Properties) (Plan, error) {
	pool, err := r.describe(ctx, poolID)
	if err != nil {
		return Plan{}, err
	}
	return planDetach(pool, p.effective()), nil
}

// Detach gives each of p's slots in pool poolID that still holds cogwatch's
// function back to the function it chained, or empties it, copying every
// other setting back, and returns what it changed. Slots that hold another
// function now are left alone (Plan.Left).
//
// Settings other than LambdaConfig that differ after the write are logged,
// not failed: detaching is what a stack deletion or a rollback needs to
// finish.
func (r *Resource) Detach(ctx context.Context, poolID string, p Properties) (Plan, error) {
	p = p.effective()
	plan, _, err := r.apply(ctx, poolID, false, func(pool *types.UserPoolType) (Plan, error) {
		plan := planDetach(pool, p)
		for _, c := range plan.Left {
			r.log.WarnContext(ctx, "slot no longer holds cogwatch's function: left as it is",
				"userPoolId", poolID, "slot", c.Slot, "holds", c.From)
		}
		return plan, nil
	})
	return plan, err
}

// apply runs plan against the pool and writes the result: describe, plan,
// describe again (a changed pool starts over, up to Attempts times), update
// with every setting copied back, describe and compare. It reports whether
// it wrote.
//
// Cognito has no conditional update, so the second read narrows the window
// in which another writer's change could be lost to the time between it and
// the write; the read after the write catches a writer that came after, and
// any setting the write did not give back. strict makes a setting other
// than LambdaConfig that differs after the write an error (attach); without
// it (detach) it is logged.
func (r *Resource) apply(ctx context.Context, poolID string, strict bool, plan func(*types.UserPoolType) (Plan, error)) (Plan, bool, error) {
	for attempt := 1; attempt <= r.opts.Attempts; attempt++ {
		before, err := r.describe(ctx, poolID)
		if err != nil {
			return Plan{}, false, err
		}
		p, err := plan(before)
		if err != nil {
			return p, false, err
		}
		if len(p.Changes()) == 0 {
			return p, false, nil
		}
		again, err := r.describe(ctx, poolID)
		if err != nil {
			return p, false, err
		}
		if changed := changedSince(before, again); len(changed) > 0 {
			r.log.WarnContext(ctx, "user pool changed while cogwatch prepared its update; reading it again",
				"userPoolId", poolID, "changed", changed, "attempt", attempt)
			continue
		}
		err = r.update(ctx, UpdateInput(before, p.After))
		if err != nil {
			return p, false, fmt.Errorf("update user pool %s: %w", poolID, err)
		}
		for _, c := range p.Changes() {
			r.log.InfoContext(ctx, "slot changed", "userPoolId", poolID, "slot", c.Slot, "from", c.From, "to", c.To)
		}
		return p, true, r.verify(ctx, before, p, strict)
	}
	return Plan{}, false, fmt.Errorf("%w (%d attempts): pool %s; try again when the other update is done", ErrPoolBusy, r.opts.Attempts, poolID)
}

// update calls UpdateUserPool, once more without the deprecated
// UnusedAccountValidityDays if Cognito refuses it (see
// withoutUnusedAccountValidityDays).
func (r *Resource) update(ctx context.Context, in *cip.UpdateUserPoolInput) error {
	call := func(in *cip.UpdateUserPoolInput) error {
		return customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) error {
			_, err := r.c.UpdateUserPool(ctx, in)
			return err
		})
	}
	err := call(in)
	if without := withoutUnusedAccountValidityDays(in); without != nil && awsretry.Code(err) == "InvalidParameterException" {
		r.log.InfoContext(ctx, "update refused with the deprecated UnusedAccountValidityDays; trying without it", "userPoolId", aws.ToString(in.UserPoolId))
		err = call(without)
	}
	return err
}

// changedSince returns the settings that differ between two reads of a
// pool. LastModifiedDate is not one: a write that changed nothing loses
// nothing, and whether Cognito moves it for anything but a write is not
// documented.
func changedSince(a, b *types.UserPoolType) []string {
	changed := changedFields(a, b)
	if !sameLambdaConfig(a.LambdaConfig, b.LambdaConfig) {
		changed = append(changed, "LambdaConfig")
	}
	return changed
}

// verify reads the pool after the write and compares it with the read
// before, LambdaConfig with the plan.
func (r *Resource) verify(ctx context.Context, before *types.UserPoolType, p Plan, strict bool) error {
	after, err := r.describe(ctx, p.UserPoolID)
	if err != nil {
		return fmt.Errorf("read user pool %s after the update: %w", p.UserPoolID, err)
	}
	var errs []error
	if !sameLambdaConfig(after.LambdaConfig, p.After) {
		errs = append(errs, fmt.Errorf("%w: its LambdaConfig is not what cogwatch wrote (another update at the same time?)", ErrDrift))
	}
	if changed := changedFields(before, after); len(changed) > 0 {
		if strict {
			errs = append(errs, fmt.Errorf("%w: settings other than LambdaConfig changed: %s", ErrDrift, strings.Join(changed, ", ")))
		} else {
			r.log.WarnContext(ctx, "settings other than LambdaConfig differ after the update", "userPoolId", p.UserPoolID, "changed", changed)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("user pool %s: %w", p.UserPoolID, err)
	}
	return nil
}

// describe returns the pool's description; ErrPoolNotFound when there is no
// such pool.
func (r *Resource) describe(ctx context.Context, poolID string) (*types.UserPoolType, error) {
	var out *cip.DescribeUserPoolOutput
	err := customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) (err error) {
		out, err = r.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		return err
	})
	if awsretry.Code(err) == "ResourceNotFoundException" || err == nil && (out == nil || out.UserPool == nil) {
		return nil, fmt.Errorf("%w: %s", ErrPoolNotFound, poolID)
	}
	if err != nil {
		return nil, fmt.Errorf("describe user pool %s: %w", poolID, err)
	}
	return out.UserPool, nil
}
