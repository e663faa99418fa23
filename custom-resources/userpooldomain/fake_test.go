package userpooldomain

import (
	"context"
	"fmt"
	"net"
	"sync"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// fakeCognito is a test double of Cognito's domain API: domains go through
// CREATING/UPDATING/DELETING for settle describes before they settle; an
// unknown domain describes as an empty description, as Cognito answers.
type fakeCognito struct {
	mu      sync.Mutex
	domains map[string]*types.DomainDescriptionType
	pending map[string]int
	settle  int
	stuck   bool               // never leaves CREATING/UPDATING
	errs    map[string][]error // per method, answered in order before the method works
	calls   []string
}

func newFake() *fakeCognito {
	return &fakeCognito{domains: map[string]*types.DomainDescriptionType{}, pending: map[string]int{}, errs: map[string][]error{}}
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code + " (test)"} }

func (f *fakeCognito) add(domain, pool, cert string, version int32) {
	d := &types.DomainDescriptionType{Domain: &domain, UserPoolId: &pool, Status: types.DomainStatusTypeActive,
		CloudFrontDistribution: ptr("d111111abcdef8.cloudfront.net"), ManagedLoginVersion: &version}
	if cert != "" {
		d.CustomDomainConfig = &types.CustomDomainConfigType{CertificateArn: &cert}
	}
	f.domains[domain] = d
}

// call records a call and pops the next injected error of the method.
func (f *fakeCognito) call(method, domain string) error {
	f.calls = append(f.calls, method+" "+domain)
	if errs := f.errs[method]; len(errs) > 0 {
		f.errs[method] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeCognito) CreateUserPoolDomain(_ context.Context, in *cip.CreateUserPoolDomainInput, _ ...func(*cip.Options)) (*cip.CreateUserPoolDomainOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Create", *in.Domain); err != nil {
		return nil, err
	}
	if _, ok := f.domains[*in.Domain]; ok {
		return nil, apiErr("InvalidParameterException")
	}
	var cert string
	if in.CustomDomainConfig != nil {
		cert = *in.CustomDomainConfig.CertificateArn
	}
	var v int32 = 1
	if in.ManagedLoginVersion != nil {
		v = *in.ManagedLoginVersion
	}
	f.add(*in.Domain, *in.UserPoolId, cert, v)
	f.domains[*in.Domain].Status = types.DomainStatusTypeCreating
	f.pending[*in.Domain] = f.settle
	return &cip.CreateUserPoolDomainOutput{CloudFrontDomain: ptr("d111111abcdef8.cloudfront.net")}, nil
}

func (f *fakeCognito) UpdateUserPoolDomain(_ context.Context, in *cip.UpdateUserPoolDomainInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolDomainOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Update", *in.Domain); err != nil {
		return nil, err
	}
	d, ok := f.domains[*in.Domain]
	if !ok || *d.UserPoolId != *in.UserPoolId {
		return nil, apiErr("ResourceNotFoundException")
	}
	if in.CustomDomainConfig != nil {
		d.CustomDomainConfig = &types.CustomDomainConfigType{CertificateArn: in.CustomDomainConfig.CertificateArn}
	}
	if in.ManagedLoginVersion != nil {
		d.ManagedLoginVersion = in.ManagedLoginVersion
	}
	d.Status = types.DomainStatusTypeUpdating
	f.pending[*in.Domain] = f.settle
	return &cip.UpdateUserPoolDomainOutput{}, nil
}

func (f *fakeCognito) DeleteUserPoolDomain(_ context.Context, in *cip.DeleteUserPoolDomainInput, _ ...func(*cip.Options)) (*cip.DeleteUserPoolDomainOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Delete", *in.Domain); err != nil {
		return nil, err
	}
	d, ok := f.domains[*in.Domain]
	if !ok || *d.UserPoolId != *in.UserPoolId {
		return nil, apiErr("ResourceNotFoundException")
	}
	d.Status = types.DomainStatusTypeDeleting
	f.pending[*in.Domain] = f.settle
	return &cip.DeleteUserPoolDomainOutput{}, nil
}

func (f *fakeCognito) DescribeUserPoolDomain(_ context.Context, in *cip.DescribeUserPoolDomainInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolDomainOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Describe", *in.Domain); err != nil {
		return nil, err
	}
	d, ok := f.domains[*in.Domain]
	if !ok {
		return &cip.DescribeUserPoolDomainOutput{DomainDescription: &types.DomainDescriptionType{}}, nil
	}
	if f.pending[*in.Domain] > 0 || (f.stuck && (d.Status == types.DomainStatusTypeCreating || d.Status == types.DomainStatusTypeUpdating)) {
		f.pending[*in.Domain]--
	} else {
		switch d.Status {
		case types.DomainStatusTypeCreating, types.DomainStatusTypeUpdating:
			d.Status = types.DomainStatusTypeActive
		case types.DomainStatusTypeDeleting:
			delete(f.domains, *in.Domain)
			return &cip.DescribeUserPoolDomainOutput{DomainDescription: &types.DomainDescriptionType{}}, nil
		}
	}
	c := *d
	return &cip.DescribeUserPoolDomainOutput{DomainDescription: &c}, nil
}

// mutating lists the calls that change something.
func (f *fakeCognito) mutating() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if len(c) < 8 || c[:8] != "Describe" {
			out = append(out, c)
		}
	}
	return out
}

// domain is what Cognito holds for a domain.
type domain struct {
	Pool    string
	Cert    string
	Version int32
}

// state returns every domain Cognito holds, settled or not.
func (f *fakeCognito) state() map[string]domain {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]domain{}
	for name, d := range f.domains {
		var cert string
		if d.CustomDomainConfig != nil {
			cert = deref(d.CustomDomainConfig.CertificateArn)
		}
		var v int32
		if d.ManagedLoginVersion != nil {
			v = *d.ManagedLoginVersion
		}
		out[name] = domain{Pool: deref(d.UserPoolId), Cert: cert, Version: v}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// resolver answers A records for the names it holds.
type resolver map[string][]net.IP

func (r resolver) LookupIP(_ context.Context, network, host string) ([]net.IP, error) {
	if network != "ip4" {
		return nil, fmt.Errorf("want an A record lookup, got %s", network)
	}
	if ips, ok := r[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
