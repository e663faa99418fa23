package userpooldomain

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

const (
	pool    = "eu-west-1_AbCdEfGhI"
	cert    = "arn:aws:acm:us-east-1:123456789012:certificate/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"
	cert2   = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
	stack   = "arn:aws:cloudformation:eu-west-1:123456789012:stack/cogwatch/5b6c1d10"
	stackCN = "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/cogwatch/5b6c1d10"
	cf      = "d111111abcdef8.cloudfront.net"
)

func props(kv ...string) map[string]any {
	m := map[string]any{"ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:f"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "CertificateArn" {
			m["CustomDomainConfig"] = map[string]any{"CertificateArn": kv[i+1]}
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

func event(typ cfn.RequestType, physicalID string, p, old map[string]any) cfn.Event {
	return cfn.Event{RequestType: typ, RequestID: "req-1", ResponseURL: "https://example.invalid/r", StackID: stack,
		LogicalResourceID: "Domain", ResourceType: "Custom::UserPoolDomain", PhysicalResourceID: physicalID,
		ResourceProperties: p, OldResourceProperties: old}
}

var throttled = apiErr("TooManyRequestsException")

func TestHandle(t *testing.T) {
	dns := resolver{"example.com": {net.IPv4(192, 0, 2, 1)}}
	tests := []struct {
		name      string
		setup     func(*fakeCognito)
		ev        cfn.Event
		deadline  time.Duration // 0: none
		wantErr   string
		wantID    string
		wantData  map[string]any
		wantCalls []string // mutating calls
		check     func(*testing.T, *fakeCognito)
	}{
		{name: "create prefix domain",
			ev:     event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth", "ManagedLoginVersion", "2"), nil),
			wantID: "acme-auth", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "acme-auth"},
			wantCalls: []string{"Create acme-auth"},
			check: func(t *testing.T, f *fakeCognito) {
				require.EqualValues(t, 2, *f.domains["acme-auth"].ManagedLoginVersion)
				require.Nil(t, f.domains["acme-auth"].CustomDomainConfig)
			}},
		{name: "create custom domain",
			ev:     event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert), nil),
			wantID: "auth.example.com", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "auth.example.com"},
			wantCalls: []string{"Create auth.example.com"},
			check: func(t *testing.T, f *fakeCognito) {
				require.Equal(t, cert, *f.domains["auth.example.com"].CustomDomainConfig.CertificateArn)
			}},
		{name: "create in China answers China's alias zone",
			ev: func() cfn.Event {
				ev := event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil)
				ev.StackID = stackCN
				return ev
			}(),
			wantID: "acme-auth", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z3RFFRIM2A3IF5", "Domain": "acme-auth"},
			wantCalls: []string{"Create acme-auth"}},
		{name: "create custom domain without parent A record fails early",
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "auth.example.org", "CertificateArn", cert), nil),
			wantErr: "parent domain has no A record: Cognito creates the custom domain auth.example.org only when its parent domain example.org resolves to an A record (any address will do); lookup: lookup example.org: no such host"},
		{name: "create with bad properties",
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", "pool", "Domain", "Auth.Example.com", "CertificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc", "ManagedLoginVersion", "3"), nil),
			wantErr: "property UserPoolId: \"pool\" is not a user pool id (region_Id)\nproperty Domain: \"Auth.Example.com\": write the host name in lower case\nproperty CustomDomainConfig.CertificateArn: the certificate is in eu-west-1: CloudFront, hence Cognito, takes certificates from us-east-1 only\nproperty ManagedLoginVersion: 3: want 1 (classic hosted UI) or 2 (managed login)"},
		{name: "create with an undecodable property",
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth", "ManagedLoginVersion", "two"), nil),
			wantErr: `property ManagedLoginVersion: "two" is not an integer`},
		{name: "create prefix with a reserved word",
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "my-cognito"), nil),
			wantErr: `property Domain: "my-cognito": Cognito refuses prefix domains containing "cognito"`},
		{name: "create prefix with a certificate",
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme", "CertificateArn", cert), nil),
			wantErr: `property CustomDomainConfig: "acme" is a prefix domain, which takes no certificate`},
		{name: "create custom without certificate",
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "auth.example.com"), nil),
			wantErr: "property CustomDomainConfig.CertificateArn: required for the custom domain auth.example.com"},
		{name: "create finds the domain already ours (a re-run) and adopts it",
			setup:  func(f *fakeCognito) { f.add("acme-auth", pool, "", 1) },
			ev:     event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantID: "acme-auth", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "acme-auth"}},
		{name: "create finds the domain in another pool",
			setup:   func(f *fakeCognito) { f.add("acme-auth", "eu-west-1_Other", "", 1) },
			ev:      event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantErr: "create domain acme-auth: domain belongs to another user pool"},
		{name: "create already exists (lost a race)",
			setup: func(f *fakeCognito) {
				f.errs["Create"] = []error{apiErr("InvalidParameterException")}
			},
			ev:        event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantErr:   "create domain acme-auth: api error InvalidParameterException: InvalidParameterException (test)",
			wantCalls: []string{"Create acme-auth"}},
		{name: "create throttled, then through",
			setup: func(f *fakeCognito) {
				f.errs["Create"] = []error{throttled, throttled}
				f.errs["Describe"] = []error{throttled}
			},
			ev:     event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantID: "acme-auth", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "acme-auth"},
			wantCalls: []string{"Create acme-auth", "Create acme-auth", "Create acme-auth"}},
		{name: "create throttled throughout",
			setup: func(f *fakeCognito) {
				f.errs["Create"] = []error{throttled, throttled, throttled, throttled, throttled, throttled}
			},
			ev:        event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantErr:   "create domain acme-auth: api error TooManyRequestsException: TooManyRequestsException (test)",
			wantCalls: []string{"Create acme-auth", "Create acme-auth", "Create acme-auth", "Create acme-auth", "Create acme-auth", "Create acme-auth"}},
		{name: "create never becomes active before the deadline",
			setup:     func(f *fakeCognito) { f.stuck = true },
			ev:        event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			deadline:  time.Minute,
			wantErr:   "domain acme-auth still CREATING at the deadline: context deadline exceeded",
			wantID:    "acme-auth", // created: the rollback's Delete removes it
			wantCalls: []string{"Create acme-auth"}},
		{name: "update with the same properties touches nothing",
			setup:  func(f *fakeCognito) { f.add("auth.example.com", pool, cert, 2) },
			ev:     event(cfn.RequestUpdate, "auth.example.com", props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert, "ManagedLoginVersion", "2"), props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert, "ManagedLoginVersion", "2")),
			wantID: "auth.example.com", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "auth.example.com"}},
		{name: "update a new certificate in place",
			setup:  func(f *fakeCognito) { f.add("auth.example.com", pool, cert, 2) },
			ev:     event(cfn.RequestUpdate, "auth.example.com", props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert2, "ManagedLoginVersion", "2"), props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert, "ManagedLoginVersion", "2")),
			wantID: "auth.example.com", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "auth.example.com"},
			wantCalls: []string{"Update auth.example.com"},
			check: func(t *testing.T, f *fakeCognito) {
				require.Equal(t, cert2, *f.domains["auth.example.com"].CustomDomainConfig.CertificateArn)
			}},
		{name: "update the managed login version in place",
			setup:  func(f *fakeCognito) { f.add("acme-auth", pool, "", 1) },
			ev:     event(cfn.RequestUpdate, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth", "ManagedLoginVersion", "2"), props("UserPoolId", pool, "Domain", "acme-auth", "ManagedLoginVersion", "1")),
			wantID: "acme-auth", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "acme-auth"},
			wantCalls: []string{"Update acme-auth"}},
		{name: "update a changed domain is a replacement",
			setup:  func(f *fakeCognito) { f.add("acme-auth", pool, "", 1) },
			ev:     event(cfn.RequestUpdate, "acme-auth", props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert), props("UserPoolId", pool, "Domain", "acme-auth")),
			wantID: "auth.example.com", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "auth.example.com"},
			wantCalls: []string{"Create auth.example.com"}, // the old one is CloudFormation's Delete to make
			check:     func(t *testing.T, f *fakeCognito) { require.Contains(t, f.domains, "acme-auth") }},
		{name: "update a moved pool with the same domain is refused",
			setup:   func(f *fakeCognito) { f.add("acme-auth", pool, "", 1) },
			ev:      event(cfn.RequestUpdate, "acme-auth", props("UserPoolId", "eu-west-1_Other", "Domain", "acme-auth"), props("UserPoolId", pool, "Domain", "acme-auth")),
			wantErr: "moving domain acme-auth from user pool eu-west-1_AbCdEfGhI to eu-west-1_Other needs a new Domain"},
		{name: "update recreates a domain deleted behind CloudFormation's back",
			ev:     event(cfn.RequestUpdate, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth"), props("UserPoolId", pool, "Domain", "acme-auth")),
			wantID: "acme-auth", wantData: map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "acme-auth"},
			wantCalls: []string{"Create acme-auth"}},
		{name: "update not found",
			setup: func(f *fakeCognito) {
				f.add("acme-auth", pool, "", 1)
				f.errs["Update"] = []error{apiErr("ResourceNotFoundException")}
			},
			ev:        event(cfn.RequestUpdate, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth", "ManagedLoginVersion", "2"), props("UserPoolId", pool, "Domain", "acme-auth")),
			wantErr:   "update domain acme-auth: api error ResourceNotFoundException",
			wantID:    "acme-auth",
			wantCalls: []string{"Update acme-auth"}},
		{name: "delete",
			setup:     func(f *fakeCognito) { f.add("auth.example.com", pool, cert, 2) },
			ev:        event(cfn.RequestDelete, "auth.example.com", props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert), nil),
			wantCalls: []string{"Delete auth.example.com"},
			check:     func(t *testing.T, f *fakeCognito) { require.NotContains(t, f.domains, "auth.example.com") }},
		{name: "delete of a domain already gone",
			ev: event(cfn.RequestDelete, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth"), nil)},
		{name: "delete not found",
			setup: func(f *fakeCognito) {
				f.add("acme-auth", pool, "", 1)
				f.errs["Delete"] = []error{apiErr("ResourceNotFoundException")}
			},
			ev:        event(cfn.RequestDelete, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantCalls: []string{"Delete acme-auth"}},
		{name: "delete with unreadable properties still deletes by physical id",
			setup:     func(f *fakeCognito) { f.add("acme-auth", pool, "", 1) },
			ev:        event(cfn.RequestDelete, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth", "ManagedLoginVersion", "x"), nil),
			wantCalls: []string{"Delete acme-auth"}},
		{name: "delete leaves a domain now in another pool",
			setup: func(f *fakeCognito) { f.add("acme-auth", "eu-west-1_Other", "", 1) },
			ev:    event(cfn.RequestDelete, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			check: func(t *testing.T, f *fakeCognito) { require.Contains(t, f.domains, "acme-auth") }},
		{name: "delete throttled throughout",
			setup: func(f *fakeCognito) {
				f.add("acme-auth", pool, "", 1)
				f.errs["Delete"] = []error{throttled, throttled, throttled, throttled, throttled, throttled}
			},
			ev:        event(cfn.RequestDelete, "acme-auth", props("UserPoolId", pool, "Domain", "acme-auth"), nil),
			wantErr:   "delete domain acme-auth: api error TooManyRequestsException",
			wantCalls: []string{"Delete acme-auth", "Delete acme-auth", "Delete acme-auth", "Delete acme-auth", "Delete acme-auth", "Delete acme-auth"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake()
				f.settle = 2
				if tc.setup != nil {
					tc.setup(f)
				}
				r := New(f, dns.LookupIP, Options{})
				ctx := t.Context()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				res, err := r.Handle(ctx, tc.ev)
				if tc.wantErr != "" {
					require.ErrorContains(t, err, tc.wantErr)
				} else {
					require.NoError(t, err)
				}
				require.Equal(t, tc.wantID, res.PhysicalResourceID)
				require.Equal(t, tc.wantData, res.Data)
				require.Equal(t, tc.wantCalls, f.mutating())
				if tc.check != nil {
					tc.check(t, f)
				}
			})
		})
	}
}

// TestThroughTheRuntime runs events through the custom-resource runtime and
// captures CloudFormation's PUT: a failed Create's Delete touches nothing.
func TestThroughTheRuntime(t *testing.T) {
	var mu sync.Mutex
	var answers []cfn.Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var resp cfn.Response
		_ = json.Unmarshal(b, &resp)
		mu.Lock()
		answers = append(answers, resp)
		mu.Unlock()
	}))
	defer srv.Close()

	f := newFake()
	r := New(f, resolver{}.LookupIP, Options{Poll: time.Millisecond})
	rt := customresources.New(r.Handle, customresources.Options{})
	invoke := func(ev cfn.Event) cfn.Response {
		ev.ResponseURL = srv.URL
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err = rt.Invoke(ctx, b)
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		return answers[len(answers)-1]
	}

	// A custom domain whose parent has no A record: FAILED, marker id.
	got := invoke(event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert), nil))
	require.Equal(t, cfn.StatusFailed, got.Status)
	require.Equal(t, "cogwatch-failed-create-req-1", got.PhysicalResourceID)
	require.Contains(t, got.Reason, "parent domain example.com")

	// The rollback's Delete succeeds without a single Cognito call.
	got = invoke(event(cfn.RequestDelete, got.PhysicalResourceID, props("UserPoolId", pool, "Domain", "auth.example.com", "CertificateArn", cert), nil))
	require.Equal(t, cfn.StatusSuccess, got.Status)
	require.Empty(t, f.calls)

	// A prefix domain goes through, with the alias data.
	got = invoke(event(cfn.RequestCreate, "", props("UserPoolId", pool, "Domain", "acme-auth"), nil))
	require.Equal(t, cfn.StatusSuccess, got.Status)
	require.Equal(t, "acme-auth", got.PhysicalResourceID)
	require.Equal(t, map[string]any{"CloudFrontDistribution": cf, "AliasHostedZoneId": "Z2FDTNDATAQYW2", "Domain": "acme-auth"}, got.Data)
	require.Len(t, answers, 3)
}
