package userpooldomain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/awsretry"
)

// Alias hosted-zone ids of CloudFront distributions, by partition.
const (
	AliasHostedZoneID      = "Z2FDTNDATAQYW2"
	AliasHostedZoneIDChina = "Z3RFFRIM2A3IF5"
)

// cognitoAPI is the part of the Cognito client the resource uses.
type cognitoAPI interface {
	CreateUserPoolDomain(context.Context, *cip.CreateUserPoolDomainInput, ...func(*cip.Options)) (*cip.CreateUserPoolDomainOutput, error)
	UpdateUserPoolDomain(context.Context, *cip.UpdateUserPoolDomainInput, ...func(*cip.Options)) (*cip.UpdateUserPoolDomainOutput, error)
	DeleteUserPoolDomain(context.Context, *cip.DeleteUserPoolDomainInput, ...func(*cip.Options)) (*cip.DeleteUserPoolDomainOutput, error)
	DescribeUserPoolDomain(context.Context, *cip.DescribeUserPoolDomainInput, ...func(*cip.Options)) (*cip.DescribeUserPoolDomainOutput, error)
}

// LookupIPFunc is net.Resolver.LookupIP: the parent-domain check's resolver.
type LookupIPFunc func(ctx context.Context, network, host string) ([]net.IP, error)

// Options configure a Resource. The zero value works.
type Options struct {
	Logger *slog.Logger // nil discards
	// Poll is the interval between DescribeUserPoolDomain calls while
	// waiting for a status; default 5s.
	Poll time.Duration
	// LookupTimeout bounds the parent domain's DNS lookup; default 5s.
	LookupTimeout time.Duration
	// DeleteWait bounds the wait for a deleted domain to disappear; default 5m.
	DeleteWait time.Duration
	Retry      awsretry.Policy
}

// Resource manages user-pool domains. Its Handle is a customresources.Func.
type Resource struct {
	c      cognitoAPI
	lookup LookupIPFunc
	opts   Options
	log    *slog.Logger
}

// New returns a Resource calling Cognito through c (a *cip.Client) and
// resolving names with lookup (net.DefaultResolver.LookupIP).
func New(c cognitoAPI, lookup LookupIPFunc, opts Options) *Resource {
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.DeleteWait <= 0 {
		opts.DeleteWait = 5 * time.Minute
	}
	if opts.LookupTimeout <= 0 {
		opts.LookupTimeout = 5 * time.Second
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Resource{c: c, lookup: lookup, opts: opts, log: l}
}

// ErrParentDomain is wrapped by the error of a custom domain whose parent
// domain has no A record.
var ErrParentDomain = errors.New("parent domain has no A record")

// ErrTaken is wrapped when the domain belongs to another user pool.
var ErrTaken = errors.New("domain belongs to another user pool")

// Handle creates, updates or deletes the domain of ev.
//
// An Update compares the properties with the physical id (the domain
// CloudFormation holds) and with what Cognito holds, never with
// OldResourceProperties: on an update rollback those are the properties the
// resource refused.
func (r *Resource) Handle(ctx context.Context, ev cfn.Event) (customresources.Result, error) {
	props, _, err := customresources.Properties[Properties](ev)
	if ev.RequestType == cfn.RequestDelete {
		return r.delete(ctx, ev.PhysicalResourceID, props, err == nil)
	}
	if err != nil {
		return customresources.Result{}, err
	}
	if err := props.Validate(); err != nil {
		return customresources.Result{}, err
	}
	zone := aliasZone(ev.StackID)
	if ev.RequestType == cfn.RequestCreate || props.Domain != ev.PhysicalResourceID {
		// On Update, a replacement: a new physical id; CloudFormation deletes
		// the old domain once the stack update succeeds, or this one if the
		// stack update fails.
		return r.create(ctx, props, zone)
	}
	return r.update(ctx, props, zone)
}

func aliasZone(stackID string) string {
	if strings.HasPrefix(stackID, "arn:aws-cn:") {
		return AliasHostedZoneIDChina
	}
	return AliasHostedZoneID
}

func (r *Resource) result(d *types.DomainDescriptionType, zone string) customresources.Result {
	return customresources.Result{
		PhysicalResourceID: deref(d.Domain),
		Data: map[string]any{
			"CloudFrontDistribution": deref(d.CloudFrontDistribution),
			"AliasHostedZoneId":      zone,
			"Domain":                 deref(d.Domain),
		},
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// describe returns the domain's description, or nil when it does not exist.
func (r *Resource) describe(ctx context.Context, domain string) (*types.DomainDescriptionType, error) {
	var out *cip.DescribeUserPoolDomainOutput
	err := customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) (err error) {
		out, err = r.c.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: &domain})
		return err
	})
	if awsretry.Code(err) == "ResourceNotFoundException" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe domain %s: %w", domain, err)
	}
	// Cognito answers an unknown domain with an empty description.
	if out == nil || out.DomainDescription == nil || deref(out.DomainDescription.Domain) == "" {
		return nil, nil
	}
	return out.DomainDescription, nil
}

func (r *Resource) checkParent(ctx context.Context, domain string) error {
	p := parent(domain)
	if p == "" || r.lookup == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.LookupTimeout)
	defer cancel()
	ips, err := r.lookup(ctx, "ip4", p)
	if err == nil && len(ips) > 0 {
		return nil
	}
	why := "no address"
	if err != nil {
		why = err.Error()
	}
	return fmt.Errorf("%w: Cognito creates the custom domain %s only when its parent domain %s resolves to an A record (any address will do); lookup: %s",
		ErrParentDomain, domain, p, why)
}

func (r *Resource) create(ctx context.Context, p Properties, zone string) (customresources.Result, error) {
	if p.Custom() {
		if err := r.checkParent(ctx, p.Domain); err != nil {
			return customresources.Result{}, err
		}
	}
	existing, err := r.describe(ctx, p.Domain)
	if err != nil {
		return customresources.Result{}, err
	}
	if existing != nil {
		if deref(existing.UserPoolId) != p.UserPoolId {
			return customresources.Result{}, fmt.Errorf("create domain %s: %w", p.Domain, ErrTaken)
		}
		// Ours already: a re-run of a Create whose answer was lost. Adopt it.
		r.log.InfoContext(ctx, "domain exists in this user pool; adopting it", "domain", p.Domain)
		return r.bringTo(ctx, p, existing, zone)
	}
	in := &cip.CreateUserPoolDomainInput{Domain: &p.Domain, UserPoolId: &p.UserPoolId}
	in.CustomDomainConfig, in.ManagedLoginVersion = p.optionalInput()
	err = customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) error {
		_, err := r.c.CreateUserPoolDomain(ctx, in)
		return err
	})
	if err != nil {
		return customresources.Result{}, fmt.Errorf("create domain %s: %w", p.Domain, err)
	}
	d, err := r.waitActive(ctx, p.Domain)
	if err != nil {
		// It exists: answer its id, so the rollback deletes it.
		return customresources.Result{PhysicalResourceID: p.Domain}, err
	}
	return r.result(d, zone), nil
}

// optionalInput returns the optional fields of a Create or
// UpdateUserPoolDomainInput for p: a custom domain's certificate, and the
// managed login version when p sets one (nil otherwise).
func (p Properties) optionalInput() (*types.CustomDomainConfigType, *int32) {
	var cfg *types.CustomDomainConfigType
	if p.Custom() {
		cfg = &types.CustomDomainConfigType{CertificateArn: &p.CustomDomainConfig.CertificateArn}
	}
	var version *int32
	if p.ManagedLoginVersion != 0 {
		v := int32(p.ManagedLoginVersion)
		version = &v
	}
	return cfg, version
}

// fromDescription returns the properties an existing domain has.
func fromDescription(d *types.DomainDescriptionType) Properties {
	p := Properties{UserPoolId: deref(d.UserPoolId), Domain: deref(d.Domain)}
	if d.CustomDomainConfig != nil && d.CustomDomainConfig.CertificateArn != nil {
		p.CustomDomainConfig = &CustomDomainConfig{CertificateArn: *d.CustomDomainConfig.CertificateArn}
	}
	if d.ManagedLoginVersion != nil {
		p.ManagedLoginVersion = int(*d.ManagedLoginVersion)
	}
	return p
}

// update brings the domain named by p, which CloudFormation holds, to p.
func (r *Resource) update(ctx context.Context, p Properties, zone string) (customresources.Result, error) {
	d, err := r.describe(ctx, p.Domain)
	if err != nil {
		return customresources.Result{}, err
	}
	if d == nil {
		// Deleted behind CloudFormation's back: make it exist again.
		r.log.WarnContext(ctx, "domain missing on update; creating it", "domain", p.Domain)
		return r.create(ctx, p, zone)
	}
	if pool := deref(d.UserPoolId); pool != p.UserPoolId {
		return customresources.Result{}, fmt.Errorf("moving domain %s from user pool %s to %s needs a new Domain (a domain belongs to one pool at a time)",
			p.Domain, pool, p.UserPoolId)
	}
	return r.bringTo(ctx, p, d, zone)
}

// bringTo updates the existing domain d of p's user pool to p, calling
// Cognito only for what differs. A ManagedLoginVersion left out of p keeps
// the domain's.
func (r *Resource) bringTo(ctx context.Context, p Properties, d *types.DomainDescriptionType, zone string) (customresources.Result, error) {
	have := fromDescription(d)
	if p.certificate() == have.certificate() && (p.ManagedLoginVersion == 0 || p.ManagedLoginVersion == have.ManagedLoginVersion) {
		if d.Status != types.DomainStatusTypeActive {
			var err error
			if d, err = r.waitActive(ctx, p.Domain); err != nil {
				return customresources.Result{PhysicalResourceID: p.Domain}, err
			}
		}
		return r.result(d, zone), nil
	}
	in := &cip.UpdateUserPoolDomainInput{Domain: &p.Domain, UserPoolId: &p.UserPoolId}
	in.CustomDomainConfig, in.ManagedLoginVersion = p.optionalInput()
	err := customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) error {
		_, err := r.c.UpdateUserPoolDomain(ctx, in)
		return err
	})
	if err != nil {
		return customresources.Result{PhysicalResourceID: p.Domain}, fmt.Errorf("update domain %s: %w", p.Domain, err)
	}
	d, err = r.waitActive(ctx, p.Domain)
	if err != nil {
		return customresources.Result{PhysicalResourceID: p.Domain}, err
	}
	return r.result(d, zone), nil
}

// waitActive polls until the domain is ACTIVE, FAILED, gone, or ctx ends.
func (r *Resource) waitActive(ctx context.Context, domain string) (*types.DomainDescriptionType, error) {
	var last types.DomainStatusType // the status seen before the last poll
	for {
		d, err := r.describe(ctx, domain)
		switch {
		case err != nil && last != "" && ctx.Err() != nil:
			// The deadline came with the poll: say what was waited for.
			return nil, fmt.Errorf("domain %s still %s at the deadline: %w", domain, last, ctx.Err())
		case err != nil:
			return nil, err
		case d == nil:
			return nil, fmt.Errorf("domain %s vanished while waiting for it to become ACTIVE", domain)
		case d.Status == types.DomainStatusTypeActive:
			return d, nil
		case d.Status == types.DomainStatusTypeFailed:
			return nil, fmt.Errorf("domain %s is FAILED (a certificate not valid for the name, or not issued, is the usual cause)", domain)
		}
		last = d.Status
		if err := sleep(ctx, r.opts.Poll); err != nil {
			return nil, fmt.Errorf("domain %s still %s at the deadline: %w", domain, d.Status, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// delete removes the domain named by the physical id. A domain already gone
// is a success; one now in another user pool than the properties name is
// left alone (it is no longer ours).
func (r *Resource) delete(ctx context.Context, domain string, p Properties, havePool bool) (customresources.Result, error) {
	d, err := r.describe(ctx, domain)
	if err != nil {
		return customresources.Result{}, err
	}
	if d == nil {
		r.log.InfoContext(ctx, "domain already gone", "domain", domain)
		return customresources.Result{}, nil
	}
	pool := deref(d.UserPoolId)
	if havePool && p.UserPoolId != "" && p.UserPoolId != pool {
		r.log.WarnContext(ctx, "domain belongs to another user pool now; leaving it", "domain", domain, "userPoolId", pool)
		return customresources.Result{}, nil
	}
	err = customresources.Retry(ctx, r.opts.Retry, func(ctx context.Context) error {
		_, err := r.c.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{Domain: &domain, UserPoolId: &pool})
		return err
	})
	if awsretry.Code(err) == "ResourceNotFoundException" {
		return customresources.Result{}, nil
	}
	if err != nil {
		return customresources.Result{}, fmt.Errorf("delete domain %s: %w", domain, err)
	}
	// Wait until it is gone, so that deleting the user pool next succeeds;
	// at the deadline the deletion goes on without us.
	ctx, cancel := context.WithTimeout(ctx, r.opts.DeleteWait)
	defer cancel()
	for {
		d, err := r.describe(ctx, domain)
		if err != nil || d == nil {
			return customresources.Result{}, nil
		}
		if sleep(ctx, r.opts.Poll) != nil {
			r.log.WarnContext(ctx, "domain still deleting at the deadline", "domain", domain, "status", string(d.Status))
			return customresources.Result{}, nil
		}
	}
}
