package logencryption

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/awsretry"
)

// logsAPI is the part of the CloudWatch Logs client the resource uses.
type logsAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	AssociateKmsKey(context.Context, *cloudwatchlogs.AssociateKmsKeyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.AssociateKmsKeyOutput, error)
	DisassociateKmsKey(context.Context, *cloudwatchlogs.DisassociateKmsKeyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DisassociateKmsKeyOutput, error)
	PutRetentionPolicy(context.Context, *cloudwatchlogs.PutRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	DeleteRetentionPolicy(context.Context, *cloudwatchlogs.DeleteRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteRetentionPolicyOutput, error)
	DeleteLogGroup(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
}

// Error codes the resource expects.
const (
	codeExists   = "ResourceAlreadyExistsException"
	codeNotFound = "ResourceNotFoundException"
)

// Options configure a Resource. The zero value works.
type Options struct {
	Logger *slog.Logger // nil discards
	Retry  awsretry.Policy
}

// Resource manages the encryption and retention of log groups. Its Handle is
// a customresources.Func.
type Resource struct {
	c    logsAPI
	opts Options
	log  *slog.Logger
}

// New returns a Resource calling CloudWatch Logs through c (a *cloudwatchlogs.Client).
func New(c logsAPI, opts Options) *Resource {
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Resource{c: c, opts: opts, log: l}
}

// PhysicalID is the resource's physical id: stable for a stack's logical
// resource, since no property change replaces it.
func PhysicalID(stackID, logicalID string) string {
	sum := sha256.Sum256([]byte(stackID + "\x00" + logicalID))
	return "cogwatch-logencryption-" + hex.EncodeToString(sum[:6])
}

// Handle applies ev.
func (r *Resource) Handle(ctx context.Context, ev cfn.Event) (customresources.Result, error) {
	props, old, err := customresources.Properties[Properties](ev)
	if ev.RequestType == cfn.RequestDelete {
		if err != nil {
			// Nothing to delete that we could name safely: logs stay.
			r.log.WarnContext(ctx, "properties unreadable on delete; leaving log groups in place", "err", err)
			return customresources.Result{}, nil
		}
		return customresources.Result{}, r.delete(ctx, props)
	}
	if err != nil {
		return customresources.Result{}, err
	}
	if err := props.Validate(); err != nil {
		return customresources.Result{}, err
	}
	id := ev.PhysicalResourceID
	if ev.RequestType == cfn.RequestCreate || !valid(ev.OldResourceProperties) {
		// Old properties this resource refuses were never applied (on an
		// update rollback, they are the refused ones): nothing to undo.
		old = Properties{}
	}
	if ev.RequestType == cfn.RequestCreate {
		id = PhysicalID(ev.StackID, ev.LogicalResourceID)
	}
	n, err := r.apply(ctx, props, old)
	if err != nil {
		// No physical id: a failed Create gets the runtime's marker, so its
		// rollback's Delete touches nothing. With DeleteLogGroups, a Delete
		// would remove every named group — those that were there before this
		// Create, and their logs, included. A failed Update keeps its id.
		return customresources.Result{}, err
	}
	return customresources.Result{PhysicalResourceID: id, Data: map[string]any{"LogGroupCount": n}}, nil
}

// valid reports whether props decode strictly and validate.
func valid(props map[string]any) bool {
	var p Properties
	return customresources.DecodeProperties(props, &p) == nil && p.Validate() == nil
}

// group is a log group to bring to the wanted state; current is nil for a
// named group that does not exist yet.
type group struct {
	name    string
	named   bool
	current *types.LogGroup
}

// groups lists the named groups and those under the prefixes, each once.
func (r *Resource) groups(ctx context.Context, p Properties) ([]group, error) {
	byName := map[string]*group{}
	var order []string
	add := func(g group) {
		if prev, ok := byName[g.name]; ok {
			prev.named = prev.named || g.named
			if prev.current == nil {
				prev.current = g.current
			}
			return
		}
		byName[g.name] = &g
		order = append(order, g.name)
	}
	for _, name := range p.LogGroupNames {
		found, err := r.list(ctx, name, func(lg types.LogGroup) bool { return deref(lg.LogGroupName) == name })
		if err != nil {
			return nil, err
		}
		g := group{name: name, named: true}
		if len(found) > 0 {
			g.current = &found[0]
		}
		add(g)
	}
	for _, prefix := range p.LogGroupPrefixes {
		found, err := r.list(ctx, prefix, nil)
		if err != nil {
			return nil, err
		}
		for i := range found {
			add(group{name: deref(found[i].LogGroupName), current: &found[i]})
		}
	}
	out := make([]group, len(order))
	for i, n := range order {
		out[i] = *byName[n]
	}
	return out, nil
}

// list returns the groups under prefix that keep accepts (nil: all); with a
// keep, it stops at the first match.
func (r *Resource) list(ctx context.Context, prefix string, keep func(types.LogGroup) bool) ([]types.LogGroup, error) {
	var out []types.LogGroup
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &prefix}
	for {
		var page *cloudwatchlogs.DescribeLogGroupsOutput
		err := customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) (err error) {
			page, err = r.c.DescribeLogGroups(ctx, in)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("describe log groups under %s: %w", prefix, err)
		}
		for _, lg := range page.LogGroups {
			if keep == nil {
				out = append(out, lg)
			} else if keep(lg) {
				return append(out, lg), nil
			}
		}
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		in = &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &prefix, NextToken: page.NextToken}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// apply brings every group to p, undoing what old set and p no longer
// sets, where a group still has what old set. It goes on past a failing
// group and reports all failures.
func (r *Resource) apply(ctx context.Context, p, old Properties) (int, error) {
	groups, err := r.groups(ctx, p)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, g := range groups {
		if err := r.applyOne(ctx, g, p, old); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return len(groups), fmt.Errorf("%d of %d log groups failed: %w", len(errs), len(groups), errors.Join(errs...))
	}
	r.log.InfoContext(ctx, "log groups configured", "count", len(groups))
	return len(groups), nil
}

func (r *Resource) call(ctx context.Context, f func(context.Context) error) error {
	return customresources.Retry(ctx, r.opts.Retry, f)
}

func (r *Resource) applyOne(ctx context.Context, g group, p, old Properties) error {
	name := g.name
	var haveKey string
	var haveDays int
	if g.current == nil {
		in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &name}
		if p.KmsKeyId != "" {
			in.KmsKeyId = &p.KmsKeyId
		}
		err := r.call(ctx, func(ctx context.Context) error { _, err := r.c.CreateLogGroup(ctx, in); return err })
		switch awsretry.Code(err) {
		case "":
			if err != nil {
				return fmt.Errorf("create log group %s: %w", name, err)
			}
			haveKey = p.KmsKeyId
			r.log.InfoContext(ctx, "log group created", "logGroup", name)
		case codeExists:
			// Created since we looked: its state is unknown, so set everything.
			haveKey, haveDays = "?", -1
		default:
			return fmt.Errorf("create log group %s: %w", name, keyHint(err))
		}
	} else {
		haveKey, haveDays = deref(g.current.KmsKeyId), int(deref(g.current.RetentionInDays))
	}

	// gone handles a group deleted while we work: nothing left to configure
	// for a prefix match; an error for a named group.
	gone := func(op string, err error) error {
		if awsretry.Code(err) == codeNotFound && !g.named {
			r.log.InfoContext(ctx, "log group vanished; skipping", "logGroup", name)
			return nil
		}
		return fmt.Errorf("%s %s: %w", op, name, keyHint(err))
	}
	switch {
	case p.KmsKeyId != "" && haveKey != p.KmsKeyId:
		err := r.call(ctx, func(ctx context.Context) error {
			_, err := r.c.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: &name, KmsKeyId: &p.KmsKeyId})
			return err
		})
		if err != nil {
			return gone("associate KMS key with", err)
		}
	case p.KmsKeyId == "" && old.KmsKeyId != "" && haveKey == old.KmsKeyId:
		// Only the key the old properties set: on an update rollback they are
		// the refused ones, never applied, and a key set outside stays.
		err := r.call(ctx, func(ctx context.Context) error {
			_, err := r.c.DisassociateKmsKey(ctx, &cloudwatchlogs.DisassociateKmsKeyInput{LogGroupName: &name})
			return err
		})
		if err != nil {
			return gone("disassociate KMS key from", err)
		}
	}
	switch {
	case p.RetentionInDays != 0 && haveDays != p.RetentionInDays:
		days := int32(p.RetentionInDays)
		err := r.call(ctx, func(ctx context.Context) error {
			_, err := r.c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: &name, RetentionInDays: &days})
			return err
		})
		if err != nil {
			return gone("set retention of", err)
		}
	case p.RetentionInDays == 0 && old.RetentionInDays != 0 && haveDays == old.RetentionInDays:
		err := r.call(ctx, func(ctx context.Context) error {
			_, err := r.c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: &name})
			return err
		})
		if err != nil {
			return gone("delete retention of", err)
		}
	}
	return nil
}

// keyHint adds the usual cause to errors of a key CloudWatch Logs may not use.
func keyHint(err error) error {
	switch awsretry.Code(err) {
	case "AccessDeniedException", "InvalidParameterException":
		return fmt.Errorf("%w (is the KMS key's policy letting the CloudWatch Logs service principal of this region use it?)", err)
	}
	return err
}

func (r *Resource) delete(ctx context.Context, p Properties) error {
	if !p.DeleteLogGroups {
		r.log.InfoContext(ctx, "leaving log groups in place", "names", len(p.LogGroupNames), "prefixes", len(p.LogGroupPrefixes))
		return nil
	}
	var errs []error
	for _, name := range slices.Compact(slices.Sorted(slices.Values(p.LogGroupNames))) {
		err := r.call(ctx, func(ctx context.Context) error {
			_, err := r.c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: &name})
			return err
		})
		if err != nil && awsretry.Code(err) != codeNotFound {
			errs = append(errs, fmt.Errorf("delete log group %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
