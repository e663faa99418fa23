package userpooldomain

import (
	"net"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/custom-resources/cfntest"
)

// The lifecycle tests are the resource's contract with CloudFormation: the
// event sequences it really sends (rollbacks and replacement clean-ups
// included), with every scalar property a string, through the runtime, and
// the state Cognito ends in.

const pool2 = "eu-west-1_ZyXwVuTsR"

func lifecycle(t *testing.T, f *fakeCognito) *cfntest.Stack {
	dns := resolver{"example.com": {net.IPv4(192, 0, 2, 1)}}
	r := New(f, dns.LookupIP, Options{Poll: time.Millisecond, DeleteWait: 5 * time.Second})
	st := cfntest.New(t, customresources.New(r.Handle, customresources.Options{}), "UserPoolDomain", "Custom::UserPoolDomain")
	st.StackID = stack
	st.ServiceTimeout = "900"
	st.Timeout = 10 * time.Second
	return st
}

// template returns properties as a template writes them; the stack sends
// ManagedLoginVersion 2 as "2".
func template(pool, domain string, version int, cert string) map[string]any {
	m := map[string]any{"UserPoolId": pool, "Domain": domain}
	if version != 0 {
		m["ManagedLoginVersion"] = version
	}
	if cert != "" {
		m["CustomDomainConfig"] = map[string]any{"CertificateArn": cert}
	}
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestLifecycleCreateUpdateRollbackDelete(t *testing.T) {
	f := newFake()
	st := lifecycle(t, f)
	v1 := template(pool, "acme-auth", 1, "")
	v2 := template(pool, "acme-auth", 2, "")

	require.Equal(t, cfntest.CreateComplete, st.Create(v1))
	require.Equal(t, "1", st.Last().Event.ResourceProperties["ManagedLoginVersion"], "CloudFormation sends numbers as strings")
	require.Equal(t, "acme-auth", st.PhysicalID)
	require.Equal(t, map[string]domain{"acme-auth": {Pool: pool, Version: 1}}, f.state())

	require.Equal(t, cfntest.UpdateComplete, st.Update(v2))
	require.Equal(t, "acme-auth", st.PhysicalID, "an in-place update keeps the physical id")
	require.Equal(t, map[string]domain{"acme-auth": {Pool: pool, Version: 2}}, f.state())

	// Updates the resource refuses; CloudFormation then rolls back with the
	// refused properties as OldResourceProperties, which must not fail.
	refused := []struct {
		name       string
		props      map[string]any
		wantReason string
	}{
		{name: "not an integer", props: with(v2, "ManagedLoginVersion", "two"), wantReason: `property ManagedLoginVersion: "two" is not an integer`},
		{name: "a string for an object", props: with(v2, "CustomDomainConfig", cert), wantReason: `property CustomDomainConfig: want an object, got "arn:aws:acm:`},
		{name: "a list for a string", props: with(v2, "UserPoolId", []any{pool}), wantReason: "property UserPoolId: want a string, got a list"},
		{name: "unknown property", props: with(v2, "Domian", "acme-auth"), wantReason: "property Domian: unknown property"},
		{name: "invalid pool id", props: with(v2, "UserPoolId", "pool"), wantReason: `property UserPoolId: "pool" is not a user pool id`},
		{name: "invalid prefix", props: with(v2, "Domain", "Acme-Auth"), wantReason: `property Domain: "Acme-Auth": a prefix domain is`},
		{name: "another pool for the same domain", props: with(v2, "UserPoolId", pool2), wantReason: "needs a new Domain"},
		{name: "version out of range", props: with(v2, "ManagedLoginVersion", 3), wantReason: "property ManagedLoginVersion: 3: want 1"},
	}
	for _, tc := range refused {
		// One stack throughout, so no subtests: st reports on t.
		require.Equal(t, cfntest.UpdateRollbackComplete, st.Update(tc.props), "%s: rollback answered %+v", tc.name, st.Last().Answer)
		failed := st.Steps[len(st.Steps)-2].Answer
		require.Equal(t, cfn.StatusFailed, failed.Status, tc.name)
		require.Contains(t, failed.Reason, tc.wantReason, tc.name)
		require.Equal(t, "acme-auth", st.PhysicalID, tc.name)
		require.Equal(t, map[string]domain{"acme-auth": {Pool: pool, Version: 2}}, f.state(), "%s: the refused update changed nothing", tc.name)
	}

	require.Equal(t, cfntest.DeleteComplete, st.Delete())
	require.Empty(t, f.state())
}

func TestLifecycleUpdateRolledBackAfterSuccess(t *testing.T) {
	f := newFake()
	st := lifecycle(t, f)
	custom := template(pool, "auth.example.com", 1, cert)
	require.Equal(t, cfntest.CreateComplete, st.Create(custom))
	// The stack update fails on another resource: CloudFormation updates
	// this one back.
	require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(template(pool, "auth.example.com", 2, cert2)))
	require.Equal(t, "auth.example.com", st.PhysicalID)
	require.Equal(t, map[string]domain{"auth.example.com": {Pool: pool, Cert: cert, Version: 1}}, f.state())
}

func TestLifecycleFailedCreateThenDelete(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*fakeCognito)
		timeout    time.Duration
		props      map[string]any
		wantReason string
		wantID     string // answered by the FAILED Create, sent back on Delete
		wantState  map[string]domain
		wantCalls  []string
	}{
		{name: "parent domain without an A record",
			props:      template(pool, "auth.example.org", 2, cert),
			wantReason: "parent domain example.org resolves to an A record",
			wantID:     "cogwatch-failed-create-"},
		{name: "a number that is not one",
			props:      with(template(pool, "acme-auth", 0, ""), "ManagedLoginVersion", "latest"),
			wantReason: `property ManagedLoginVersion: "latest" is not an integer`,
			wantID:     "cogwatch-failed-create-"},
		{name: "a certificate ARN outside us-east-1",
			props:      template(pool, "auth.example.com", 0, "arn:aws:acm:eu-west-1:123456789012:certificate/abc"),
			wantReason: "takes certificates from us-east-1 only",
			wantID:     "cogwatch-failed-create-"},
		{name: "the domain belongs to another pool: left alone",
			setup:      func(f *fakeCognito) { f.add("acme-auth", pool2, "", 1) },
			props:      template(pool, "acme-auth", 0, ""),
			wantReason: ErrTaken.Error(),
			wantID:     "cogwatch-failed-create-",
			wantState:  map[string]domain{"acme-auth": {Pool: pool2, Version: 1}}},
		{name: "created but never active: the rollback deletes it",
			setup:      func(f *fakeCognito) { f.stuck = true },
			timeout:    time.Second,
			props:      template(pool, "acme-auth", 2, ""),
			wantReason: "domain acme-auth still CREATING at the deadline",
			wantID:     "acme-auth",
			wantCalls:  []string{"Create acme-auth", "Delete acme-auth"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			st := lifecycle(t, f)
			if tc.timeout > 0 {
				st.Timeout = tc.timeout
			}
			require.Equal(t, cfntest.RollbackComplete, st.Create(tc.props))
			require.Len(t, st.Steps, 2)
			create, del := st.Steps[0], st.Steps[1]
			require.Equal(t, cfn.StatusFailed, create.Answer.Status)
			require.Contains(t, create.Answer.Reason, tc.wantReason)
			require.Contains(t, create.Answer.PhysicalResourceID, tc.wantID)
			require.Equal(t, create.Answer.PhysicalResourceID, del.Event.PhysicalResourceID)
			require.Equal(t, tc.wantCalls, f.mutating())
			if tc.wantState == nil {
				tc.wantState = map[string]domain{}
			}
			require.Equal(t, tc.wantState, f.state())
		})
	}
}

func TestLifecycleReplacement(t *testing.T) {
	tests := []struct {
		name     string
		from, to map[string]any
	}{
		{name: "prefix to custom domain", from: template(pool, "acme-auth", 1, ""), to: template(pool, "auth.example.com", 2, cert)},
		{name: "custom to prefix domain", from: template(pool, "auth.example.com", 0, cert), to: template(pool, "acme-auth", 0, "")},
		{name: "new domain in another pool", from: template(pool, "acme-auth", 1, ""), to: template(pool2, "acme-login", 1, "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			st := lifecycle(t, f)
			require.Equal(t, cfntest.CreateComplete, st.Create(tc.from))
			oldID := st.PhysicalID
			before := f.state()

			require.Equal(t, cfntest.UpdateComplete, st.Update(tc.to))
			newID := st.PhysicalID
			require.NotEqual(t, oldID, newID, "a new Domain is a new physical id")
			require.Len(t, st.Steps, 3)
			cleanUp := st.Steps[2]
			require.Equal(t, cfn.RequestDelete, cleanUp.Event.RequestType)
			require.Equal(t, oldID, cleanUp.Event.PhysicalResourceID, "CloudFormation deletes the old physical id")
			wantNew := f.state()[newID]
			require.Equal(t, map[string]domain{newID: wantNew}, f.state(), "only the old domain is deleted")
			require.Equal(t, tc.to["UserPoolId"], wantNew.Pool)

			require.Equal(t, cfntest.DeleteComplete, st.Delete())
			require.Empty(t, f.state())

			// The same replacement, with the stack update failing elsewhere:
			// CloudFormation deletes the new domain and keeps the old.
			f = newFake()
			st = lifecycle(t, f)
			require.Equal(t, cfntest.CreateComplete, st.Create(tc.from))
			require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(tc.to))
			require.Equal(t, oldID, st.PhysicalID)
			require.Equal(t, before, f.state())
		})
	}
}

func TestLifecycleRefusedReplacement(t *testing.T) {
	f := newFake()
	st := lifecycle(t, f)
	require.Equal(t, cfntest.CreateComplete, st.Create(template(pool, "acme-auth", 2, "")))
	before := f.state()
	// The new domain's parent has no A record: refused before creating it.
	require.Equal(t, cfntest.UpdateRollbackComplete, st.Update(template(pool, "auth.example.org", 2, cert)))
	require.Equal(t, "acme-auth", st.PhysicalID)
	require.Equal(t, before, f.state())
	require.Equal(t, cfntest.DeleteComplete, st.Delete())
	require.Empty(t, f.state())
}
