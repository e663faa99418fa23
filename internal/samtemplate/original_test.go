package samtemplate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// The checks of this file are what the original stack had and template.yaml
// brings back behind parameters: the application's DNS zone and its
// delegation, SMS, the API's own domain, and mobile app clients that sign in
// through managed login with the authorization code.

const (
	hostedUICert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
	apiCert      = "arn:aws:acm:eu-west-1:123456789012:certificate/def"
)

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestParametersRefusedAsCloudFormationWould: incomplete or contradictory
// optional parts fail before anything is created, with a sentence that says
// what is missing (template.yaml's Rules, AllowedPattern).
func TestParametersRefusedAsCloudFormationWould(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	tests := []struct {
		name      string
		overrides map[string]any
		want      string
	}{
		{name: "hosted-UI domain without certificate", overrides: map[string]any{"CustomDomainName": "auth.example.com"},
			want: "rule CustomDomainHasCertificate: CustomDomainName needs CertificateArn (an ACM certificate in us-east-1)."},
		{name: "API domain without certificate", overrides: map[string]any{"ApiDomainName": "api.example.com"},
			want: "rule ApiDomainHasCertificate: ApiDomainName needs ApiCertificateArn"},
		{name: "a zone to create and an existing one", overrides: map[string]any{"ZoneName": "app.example.com", "HostedZoneId": "Z1"},
			want: "rule OneHostedZone: Set ZoneName (the stack creates the zone) or HostedZoneId (an existing zone), not both."},
		{name: "delegation of no zone", overrides: map[string]any{"ParentHostedZoneId": "Z1"}, want: "rule DelegationNeedsZone"},
		{name: "apex of no zone", overrides: map[string]any{"ZoneApexAddress": "192.0.2.1"}, want: "rule ApexNeedsZone"},
		{name: "zone name in capitals", overrides: map[string]any{"ZoneName": "App.example.com"}, want: "parameter ZoneName"},
		{name: "apex address out of range", overrides: map[string]any{"ZoneName": "app.example.com", "ZoneApexAddress": "192.0.2.300"},
			want: "parameter ZoneApexAddress"},
		{name: "SMS neither on nor off", overrides: map[string]any{"SmsMessages": "yes"}, want: "parameter SmsMessages"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tmpl.Resolve(tc.overrides)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// records returns the template's record sets by "name type".
func records(r Template) map[string]string {
	out := map[string]string{}
	for _, id := range r.OfType("AWS::Route53::RecordSet") {
		p := r.Props(id)
		out[fmt.Sprint(p["Name"], " ", p["Type"])] = id
	}
	return out
}

// TestDnsZoneAndRecords: the hosted-UI and API domains' alias records go
// into the zone the stack creates (ZoneName) or an existing one
// (HostedZoneId); a created zone is delegated from its parent zone when one
// is given; the user-pool domain, which Cognito creates only once its parent
// resolves, waits for the delegation and the apex record.
func TestDnsZoneAndRecords(t *testing.T) {
	t.Parallel()
	const zone, auth, api = "app.example.com", "auth.app.example.com", "api.app.example.com"
	domains := map[string]any{"CustomDomainName": auth, "CertificateArn": hostedUICert, "ApiDomainName": api, "ApiCertificateArn": apiCert}
	tests := []struct {
		name                     string
		overrides                map[string]any
		zoneID                   string // where the alias records go; "": no records
		created, delegated, apex bool
	}{
		{name: "defaults: no DNS"},
		{name: "domains without a zone: records are yours to create", overrides: domains},
		{name: "existing zone", overrides: with(domains, "HostedZoneId", "Z123"), zoneID: "Z123"},
		{name: "created zone, delegated, with apex record", overrides: with(domains, "ZoneName", zone, "ParentHostedZoneId", "ZPARENT",
			"ZoneApexAddress", "192.0.2.10"), zoneID: "ref-HostedZone", created: true, delegated: true, apex: true},
		{name: "created zone, delegated by hand", overrides: with(domains, "ZoneName", zone), zoneID: "ref-HostedZone", created: true},
		{name: "created zone, no custom domains", overrides: map[string]any{"ZoneName": zone, "ParentHostedZoneId": "ZPARENT"},
			created: true, delegated: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := resolve(t, templatePath, tc.overrides)
			recs := records(r)
			zones := r.OfType("AWS::Route53::HostedZone")
			outputs, _ := r["Outputs"].(map[string]any)
			if !tc.created {
				require.Empty(t, zones)
				require.NotContains(t, outputs, "ZoneNameServers")
			} else {
				require.Equal(t, []string{"HostedZone"}, zones)
				require.Equal(t, zone, r.Props("HostedZone")["Name"])
				require.Contains(t, outputs, "ZoneNameServers", "the name servers, to delegate by hand")
				for nameType, id := range recs {
					if ref(r.Props(id)["HostedZoneId"]) == "HostedZone" {
						name, _, _ := strings.Cut(nameType, " ")
						require.True(t, name == zone || strings.HasSuffix(name, "."+zone), "%s (%s) outside %s", id, name, zone)
					}
				}
			}
			for _, name := range []string{auth, api} {
				for _, typ := range []string{"A", "AAAA"} {
					id, ok := recs[name+" "+typ]
					if tc.zoneID == "" {
						require.False(t, ok, "%s %s: no zone to put it in", name, typ)
						continue
					}
					require.True(t, ok, "%s %s", name, typ)
					p := r.Props(id)
					require.Equal(t, tc.zoneID, p["HostedZoneId"], id)
					alias, _ := p["AliasTarget"].(map[string]any)
					if name == auth {
						require.Equal(t, "UserPoolDomain", ref(alias["DNSName"]), id)
						require.Equal(t, "UserPoolDomain", ref(alias["HostedZoneId"]), id)
					} else {
						require.Equal(t, "arn:aws:test:eu-west-1:123456789012:ApiDomain/RegionalDomainName", alias["DNSName"], id)
						require.Equal(t, "arn:aws:test:eu-west-1:123456789012:ApiDomain/RegionalHostedZoneId", alias["HostedZoneId"], id)
					}
				}
			}
			ns, ok := recs[zone+" NS"]
			require.Equal(t, tc.delegated, ok, "delegation record")
			if tc.delegated {
				p := r.Props(ns)
				require.Equal(t, "ZPARENT", p["HostedZoneId"], "in the parent zone")
				require.Equal(t, []any{"arn:aws:test:eu-west-1:123456789012:HostedZone/NameServers"}, p["ResourceRecords"], "the created zone's name servers")
				require.NotEmpty(t, p["TTL"])
				require.True(t, r.WaitsFor("UserPoolDomain", ns), "the domain's parent resolves only once delegated")
			}
			apexID, ok := recs[zone+" A"]
			require.Equal(t, tc.apex, ok, "apex record")
			if tc.apex {
				p := r.Props(apexID)
				require.Equal(t, "ref-HostedZone", p["HostedZoneId"])
				require.Equal(t, []any{"192.0.2.10"}, p["ResourceRecords"])
				require.True(t, r.WaitsFor("UserPoolDomain", apexID), "Cognito wants the parent's A record before the domain")
			}
		})
	}
}

// TestApiDomain: with ApiDomainName the API answers at https://<domain>/guest
// and /user: a regional domain name with the regional certificate (TLS 1.2,
// IPv4 and IPv6 for the AAAA record), mapped at its root to the stage.
func TestApiDomain(t *testing.T) {
	t.Parallel()
	r := resolve(t, templatePath, nil)
	require.Empty(t, r.OfType("AWS::ApiGateway::DomainName"))
	require.Empty(t, r.OfType("AWS::ApiGateway::BasePathMapping"))
	outputs, _ := r["Outputs"].(map[string]any)
	require.Equal(t, "https://ref-Api.execute-api.eu-west-1.amazonaws.com/dev", outputs["ApiUrl"].(map[string]any)["Value"])

	r = resolve(t, templatePath, map[string]any{"ApiDomainName": "api.example.com", "ApiCertificateArn": apiCert})
	domains := r.OfType("AWS::ApiGateway::DomainName")
	require.Len(t, domains, 1)
	d := r.Props(domains[0])
	require.Equal(t, "api.example.com", d["DomainName"])
	require.Equal(t, apiCert, d["RegionalCertificateArn"])
	require.NotContains(t, d, "CertificateArn", "an edge (CloudFront) certificate would make it edge-optimized")
	require.Equal(t, map[string]any{"Types": []any{"REGIONAL"}, "IpAddressType": "dualstack"}, d["EndpointConfiguration"])
	require.Equal(t, "TLS_1_2", d["SecurityPolicy"])
	mappings := r.OfType("AWS::ApiGateway::BasePathMapping")
	require.Len(t, mappings, 1)
	m := r.Props(mappings[0])
	require.Equal(t, domains[0], ref(m["DomainName"]))
	require.Equal(t, "Api", ref(m["RestApiId"]))
	require.Equal(t, "ApiStage", ref(m["Stage"]))
	require.NotContains(t, m, "BasePath", "mapped at the root: /guest and /user")
	outputs, _ = r["Outputs"].(map[string]any)
	require.Equal(t, "https://api.example.com", outputs["ApiUrl"].(map[string]any)["Value"])
}

// smsTrust and smsPolicy return the trust and permission statements of the
// role a user pool's SmsConfiguration names.
func smsStatements(t Template, role string) (trust, policy []map[string]any) {
	sts := statements(t)
	return sts[role+" (trust)"], sts[role]
}

// checkSms checks the user pool's SMS configuration and its role as Cognito
// needs them (Cognito's guide, "SMS message settings for Amazon Cognito user
// pools"): a role that only cognito-idp.amazonaws.com may assume, with the
// ExternalId the pool sends and the confused-deputy conditions on this
// account and its user pools, allowed sns:Publish and nothing else, in the
// SNS region the pool names, and never to a topic. Without SMS, no such
// role and no SMS MFA.
func checkSms(t Template) error {
	pools := t.OfType("AWS::Cognito::UserPool")
	if len(pools) != 1 {
		return fmt.Errorf("want one user pool, have %v", pools)
	}
	pool := t.Props(pools[0])
	mfas := strs(pool["EnabledMfas"])
	sms, _ := pool["SmsConfiguration"].(map[string]any)
	var cognitoRoles []string
	for _, id := range t.OfType("AWS::IAM::Role") {
		trust, _ := smsStatements(t, id)
		if slices.Contains(servicePrincipals(trust), "cognito-idp.amazonaws.com") {
			cognitoRoles = append(cognitoRoles, id)
		}
	}
	if sms == nil {
		if len(cognitoRoles) > 0 {
			return fmt.Errorf("roles %v for Cognito, and no SmsConfiguration", cognitoRoles)
		}
		if slices.Contains(mfas, "SMS_MFA") {
			return fmt.Errorf("SMS_MFA without SmsConfiguration")
		}
		return nil
	}
	if !slices.Contains(mfas, "SMS_MFA") {
		return fmt.Errorf("SmsConfiguration without SMS_MFA in EnabledMfas %v", mfas)
	}
	role := ref(sms["SnsCallerArn"])
	if t.Resources()[role]["Type"] != "AWS::IAM::Role" {
		return fmt.Errorf("SmsConfiguration.SnsCallerArn %v is not a role of the template", sms["SnsCallerArn"])
	}
	if !slices.Equal(cognitoRoles, []string{role}) {
		return fmt.Errorf("roles %v for Cognito, want only %s", cognitoRoles, role)
	}
	extID, _ := sms["ExternalId"].(string)
	if extID == "" {
		return fmt.Errorf("SmsConfiguration has no ExternalId")
	}
	region, _ := sms["SnsRegion"].(string)
	if region == "" {
		return fmt.Errorf("SmsConfiguration has no SnsRegion")
	}
	trust, policy := smsStatements(t, role)
	if len(trust) != 1 {
		return fmt.Errorf("%s: %d trust statements, want 1", role, len(trust))
	}
	st := trust[0]
	principal, _ := st["Principal"].(map[string]any)
	if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"sts:AssumeRole"}) ||
		len(principal) != 1 || !slices.Equal(strs(principal["Service"]), []string{"cognito-idp.amazonaws.com"}) {
		return fmt.Errorf("%s: trust %v: want sts:AssumeRole by cognito-idp.amazonaws.com only", role, st)
	}
	cond, _ := st["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	if eq["sts:ExternalId"] != extID {
		return fmt.Errorf("%s: trust's sts:ExternalId %v, the pool sends %q", role, eq["sts:ExternalId"], extID)
	}
	if eq["aws:SourceAccount"] != "123456789012" {
		return fmt.Errorf("%s: trust's aws:SourceAccount %v, want this account", role, eq["aws:SourceAccount"])
	}
	like, _ := cond["ArnLike"].(map[string]any)
	source, _ := like["aws:SourceArn"].(string)
	if !iamMatch(source, "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123") ||
		iamMatch(source, "arn:aws:cognito-idp:eu-west-1:210987654321:userpool/eu-west-1_Abc123") {
		return fmt.Errorf("%s: trust's aws:SourceArn %q: want this account's user pools (ArnLike)", role, source)
	}
	if t.Props(role)["ManagedPolicyArns"] != nil {
		return fmt.Errorf("%s: managed policies beside sns:Publish", role)
	}
	var allows, denyTopics int
	for _, st := range policy {
		actions := strs(st["Action"])
		if !slices.Equal(actions, []string{"sns:Publish"}) {
			return fmt.Errorf("%s: %v: want sns:Publish only", role, actions)
		}
		switch st["Effect"] {
		case "Allow":
			allows++
			if r, _ := condition(st, "aws:RequestedRegion"); r != region {
				return fmt.Errorf("%s: sns:Publish in region %v, the pool's SnsRegion is %s", role, r, region)
			}
		case "Deny":
			if slices.ContainsFunc(strs(st["Resource"]), func(p string) bool {
				return iamMatch(p, "arn:aws:sns:eu-west-1:123456789012:cogwatch-test-UserEventsTopic-1")
			}) {
				denyTopics++
			}
		}
	}
	if allows != 1 || denyTopics != 1 {
		return fmt.Errorf("%s: %d Allow and %d Deny of topics, want one each (phone numbers yes, topics no)", role, allows, denyTopics)
	}
	return nil
}

// roundTrip returns a deep copy of a resolved template.
func roundTrip(t *testing.T, r Template) Template {
	t.Helper()
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var out Template
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}

func TestSmsRole(t *testing.T) {
	t.Parallel()
	for _, overrides := range []map[string]any{nil, {"SmsMessages": "true"}, {"SmsMessages": "true", "SmsRegion": "us-east-1"}} {
		r := resolve(t, templatePath, overrides)
		require.NoError(t, checkSms(r), "%v", overrides)
	}
	off := resolve(t, templatePath, nil)
	require.Nil(t, off.Props("UserPool")["SmsConfiguration"])
	require.Equal(t, []any{"SOFTWARE_TOKEN_MFA"}, off.Props("UserPool")["EnabledMfas"])

	on := resolve(t, templatePath, map[string]any{"SmsMessages": "true", "SmsRegion": "us-east-1"})
	sms := on.Props("UserPool")["SmsConfiguration"].(map[string]any)
	require.Equal(t, "SmsRole", ref(sms["SnsCallerArn"]))
	require.Equal(t, "1", sms["ExternalId"], "the stack's id (its last part)")
	require.Equal(t, "us-east-1", sms["SnsRegion"])

	role := func(r Template) map[string]any {
		return r["Resources"].(map[string]any)["SmsRole"].(map[string]any)["Properties"].(map[string]any)
	}
	trustCond := func(r Template) map[string]any {
		return role(r)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Condition"].(map[string]any)
	}
	policy := func(r Template) []any {
		return role(r)["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	}
	tests := []struct {
		name, want string
		edit       func(r Template)
	}{
		{name: "external id differs from the pool's", want: "the pool sends", edit: func(r Template) {
			trustCond(r)["StringEquals"].(map[string]any)["sts:ExternalId"] = "other"
		}},
		{name: "no external id", want: "sts:ExternalId", edit: func(r Template) {
			delete(trustCond(r)["StringEquals"].(map[string]any), "sts:ExternalId")
		}},
		{name: "any account", want: "aws:SourceAccount", edit: func(r Template) {
			delete(trustCond(r)["StringEquals"].(map[string]any), "aws:SourceAccount")
		}},
		{name: "any source", want: "aws:SourceArn", edit: func(r Template) { delete(trustCond(r), "ArnLike") }},
		{name: "another principal", want: "cognito-idp.amazonaws.com only", edit: func(r Template) {
			st := role(r)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
			st["Principal"] = map[string]any{"Service": []any{"cognito-idp.amazonaws.com", "lambda.amazonaws.com"}}
		}},
		{name: "more than publish", want: "sns:Publish only", edit: func(r Template) {
			policy(r)[0].(map[string]any)["Action"] = []any{"sns:Publish", "sns:Subscribe"}
		}},
		{name: "topics allowed", want: "Deny of topics", edit: func(r Template) {
			r["Resources"].(map[string]any)["SmsRole"].(map[string]any)["Properties"].(map[string]any)["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"] = policy(r)[:1]
		}},
		{name: "another SNS region", want: "SnsRegion is us-east-1", edit: func(r Template) {
			policy(r)[0].(map[string]any)["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}
		}},
		{name: "no SMS MFA", want: "without SMS_MFA", edit: func(r Template) {
			r["Resources"].(map[string]any)["UserPool"].(map[string]any)["Properties"].(map[string]any)["EnabledMfas"] = []any{"SOFTWARE_TOKEN_MFA"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := roundTrip(t, on)
			tc.edit(r)
			require.ErrorContains(t, checkSms(r), tc.want)
		})
	}
	// And the IAM check lets no other role publish on "*".
	r := roundTrip(t, on)
	st := r["Resources"].(map[string]any)["PreSignUpRole"].(map[string]any)["Properties"].(map[string]any)["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	for _, s := range st {
		if m := s.(map[string]any); slices.Contains(strs(m["Action"]), "sns:Publish") {
			m["Resource"] = "*"
			m["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}
		}
	}
	require.ErrorContains(t, checkIAM(r), "only cognito-idp.amazonaws.com's may")
}

// checkClients checks the app clients' OAuth settings as Cognito needs them
// for each kind of client: a mobile (public) client has no secret and signs
// users in through managed login with the authorization code (PKCE:
// Cognito checks the code_verifier whenever the app sent a code_challenge),
// for the OIDC scopes, with the user pool as identity provider, to
// callback URLs an app can receive, and with a managed-login style (the
// domain is managed login v2, which shows no page to a client without one);
// the machine client has a secret and gets tokens with client credentials
// only, for scopes of the template's resource servers.
func checkClients(t Template) error {
	scopes := map[string]bool{}
	for _, rs := range t.OfType("AWS::Cognito::UserPoolResourceServer") {
		p := t.Props(rs)
		sc, _ := p["Scopes"].([]any)
		for _, s := range sc {
			scopes[fmt.Sprint(p["Identifier"], "/", s.(map[string]any)["ScopeName"])] = true
		}
	}
	styled := map[string]bool{}
	for _, b := range t.OfType("AWS::Cognito::ManagedLoginBranding") {
		styled[ref(t.Props(b)["ClientId"])] = true
	}
	managedLogin := false
	for _, d := range t.OfType("Custom::UserPoolDomain") {
		managedLogin = managedLogin || fmt.Sprint(t.Props(d)["ManagedLoginVersion"]) == "2"
	}
	var machine, mobile int
	for _, c := range t.OfType("AWS::Cognito::UserPoolClient") {
		p := t.Props(c)
		flows := strs(p["AllowedOAuthFlows"])
		if p["AllowedOAuthFlowsUserPoolClient"] != true {
			return fmt.Errorf("%s: AllowedOAuthFlowsUserPoolClient is not true: no OAuth flow at all", c)
		}
		if slices.Contains(flows, "client_credentials") {
			machine++
			if !slices.Equal(flows, []string{"client_credentials"}) {
				return fmt.Errorf("%s: flows %v: a machine client gets client credentials only", c, flows)
			}
			if p["GenerateSecret"] != true {
				return fmt.Errorf("%s: client credentials without a secret", c)
			}
			granted := strs(p["AllowedOAuthScopes"])
			if len(granted) == 0 {
				return fmt.Errorf("%s: no scope", c)
			}
			for _, s := range granted {
				if !scopes[s] {
					return fmt.Errorf("%s: scope %s is not a resource server's", c, s)
				}
			}
			if p["CallbackURLs"] != nil {
				return fmt.Errorf("%s: callback URLs for a client that redirects nobody", c)
			}
			continue
		}
		mobile++
		if p["GenerateSecret"] != false {
			return fmt.Errorf("%s: GenerateSecret %v: an app cannot keep a secret", c, p["GenerateSecret"])
		}
		if !slices.Equal(flows, []string{"code"}) {
			return fmt.Errorf("%s: flows %v, want the authorization code only", c, flows)
		}
		if got := slices.Sorted(slices.Values(strs(p["AllowedOAuthScopes"]))); !slices.Equal(got, []string{"email", "openid", "profile"}) {
			return fmt.Errorf("%s: scopes %v, want openid, email, profile", c, got)
		}
		if !slices.Equal(strs(p["SupportedIdentityProviders"]), []string{"COGNITO"}) {
			return fmt.Errorf("%s: identity providers %v, want COGNITO", c, p["SupportedIdentityProviders"])
		}
		for _, key := range []string{"CallbackURLs", "LogoutURLs"} {
			urls := strs(p[key])
			if len(urls) == 0 {
				return fmt.Errorf("%s: no %s", c, key)
			}
			for _, raw := range urls {
				u, err := url.Parse(raw)
				if err != nil || u.Scheme == "" || u.Fragment != "" ||
					u.Scheme == "http" && u.Hostname() != "localhost" {
					return fmt.Errorf("%s: %s %q: want https, http://localhost or an app's own scheme, no fragment", c, key, raw)
				}
			}
		}
		if managedLogin && !styled[c] {
			return fmt.Errorf("%s: no AWS::Cognito::ManagedLoginBranding: managed login shows it no page", c)
		}
	}
	if machine != 1 || mobile != 2 {
		return fmt.Errorf("%d machine and %d mobile clients, want 1 and 2", machine, mobile)
	}
	return nil
}

func TestAppClientsOAuth(t *testing.T) {
	t.Parallel()
	for _, v := range variants {
		if v.overrides["ExistingUserPoolId"] != nil {
			continue // an adopted pool's clients are its own: the stack creates none
		}
		require.NoError(t, checkClients(resolve(t, templatePath, v.overrides)), v.name)
	}
	// Callback and logout URLs are the parameters'.
	raw := load(t, templatePath)
	for client, prefix := range map[string]string{"IosAppClient": "Ios", "AndroidAppClient": "Android"} {
		p := raw.Props(client)
		require.Equal(t, map[string]any{"Ref": prefix + "CallbackUrls"}, p["CallbackURLs"], client)
		require.Equal(t, map[string]any{"Ref": prefix + "LogoutUrls"}, p["LogoutURLs"], client)
	}
	r := resolve(t, templatePath, map[string]any{"IosCallbackUrls": "myapp://callback,https://app.example.com/callback",
		"AndroidLogoutUrls": "myapp://bye"})
	require.Equal(t, []any{"myapp://callback", "https://app.example.com/callback"}, r.Props("IosAppClient")["CallbackURLs"])
	require.Equal(t, []any{"myapp://bye"}, r.Props("AndroidAppClient")["LogoutURLs"])
	require.Equal(t, []any{"cogwatch-android://signin"}, r.Props("AndroidAppClient")["CallbackURLs"])

	base := resolve(t, templatePath, nil)
	set := func(id, key string, v any) func(r Template) {
		return func(r Template) {
			r["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)[key] = v
		}
	}
	tests := []struct {
		name, want string
		edit       func(r Template)
	}{
		{name: "mobile client with a secret", want: "cannot keep a secret", edit: set("IosAppClient", "GenerateSecret", true)},
		{name: "implicit grant", want: "authorization code only", edit: set("AndroidAppClient", "AllowedOAuthFlows", []any{"code", "implicit"})},
		{name: "no openid scope", want: "want openid, email, profile", edit: set("IosAppClient", "AllowedOAuthScopes", []any{"email", "profile"})},
		{name: "OAuth off", want: "AllowedOAuthFlowsUserPoolClient", edit: set("AndroidAppClient", "AllowedOAuthFlowsUserPoolClient", false)},
		{name: "no identity provider", want: "want COGNITO", edit: set("IosAppClient", "SupportedIdentityProviders", []any{})},
		{name: "plain http callback", want: "want https", edit: set("IosAppClient", "CallbackURLs", []any{"http://app.example.com/cb"})},
		{name: "no logout URL", want: "no LogoutURLs", edit: set("AndroidAppClient", "LogoutURLs", []any{})},
		{name: "no managed-login style", want: "ManagedLoginBranding", edit: func(r Template) {
			delete(r["Resources"].(map[string]any), "AndroidAppClientBranding")
		}},
		{name: "machine client with the code grant too", want: "client credentials only",
			edit: set("MachineClient", "AllowedOAuthFlows", []any{"client_credentials", "code"})},
		{name: "machine client without a secret", want: "without a secret", edit: set("MachineClient", "GenerateSecret", false)},
		{name: "machine scope of no resource server", want: "is not a resource server's",
			edit: set("MachineClient", "AllowedOAuthScopes", []any{"cogwatch-api/read", "cogwatch-api/admin"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := roundTrip(t, base)
			tc.edit(r)
			require.ErrorContains(t, checkClients(r), tc.want)
		})
	}
}

// providerSchema compiles the CloudFormation registry's schema of a resource
// type's Properties, as cfn-lint ships it (us-east-1), or skips the test
// when cfn-lint's Python package is not installed. Read-only properties are
// left out, so a template that sets one fails, as CloudFormation refuses it.
func providerSchema(t *testing.T, typ string) *jsonschema.Schema {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "python3", "-c", `import os, sys
import cfnlint.data.schemas.providers.us_east_1 as p, cfnlint.data.schemas.resources as r
print(os.path.join(os.path.dirname(r.__file__), p.types[sys.argv[1]] + ".json"))`, typ).Output()
	if err != nil {
		t.Skipf("cfn-lint's provider schemas are not installed (python3 -c 'import cfnlint'): %v", err)
	}
	f, err := os.Open(strings.TrimSpace(string(out)))
	require.NoError(t, err)
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	prov := v.(map[string]any)
	props := map[string]any{}
	for k, p := range prov["properties"].(map[string]any) {
		props[k] = p
	}
	ro, _ := prov["readOnlyProperties"].([]any)
	for _, p := range ro {
		delete(props, strings.TrimPrefix(fmt.Sprint(p), "/properties/"))
	}
	doc := map[string]any{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": props,
		"additionalProperties": prov["additionalProperties"], "definitions": prov["definitions"]}
	for _, k := range []string{"required", "oneOf", "anyOf", "allOf", "dependencies"} {
		if v, ok := prov[k]; ok {
			doc[k] = v
		}
	}
	c := jsonschema.NewCompiler()
	u := "file:///provider/" + strings.ReplaceAll(typ, "::", "-") + ".json"
	require.NoError(t, c.AddResource(u, doc))
	s, err := c.Compile(u)
	require.NoError(t, err)
	return s
}

// TestNewerThanGoformationAgainstProviderSchemas validates what
// goformation's schemas do not know yet (newerThanGoformation) against the
// registry's provider schemas, for every parameter set, and checks that
// each exemption is still needed: goformation's schema refuses it.
func TestNewerThanGoformationAgainstProviderSchemas(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	schemas := map[string]*jsonschema.Schema{}
	for typ := range newerThanGoformation {
		schemas[typ] = providerSchema(t, typ)
	}
	seen := map[string]bool{}
	for _, v := range variants {
		r, err := tmpl.Resolve(v.overrides)
		require.NoError(t, err)
		for id, res := range r.Resources() {
			typ := fmt.Sprint(res["Type"])
			if s, ok := schemas[typ]; ok {
				seen[typ] = true
				require.NoError(t, s.Validate(res["Properties"]), "%s: %s (%s)", v.name, id, typ)
			}
		}
	}
	require.Len(t, seen, len(newerThanGoformation), "every exemption is used")

	// The provider schemas refuse what CloudFormation would.
	bad := []struct {
		typ   string
		props map[string]any
	}{
		{typ: "AWS::Cognito::ManagedLoginBranding", props: map[string]any{"UserPoolId": "p", "Colour": "blue"}},
		{typ: "AWS::Cognito::ManagedLoginBranding", props: map[string]any{"UserPoolId": "p", "ManagedLoginBrandingId": "x"}},
		{typ: "AWS::Cognito::ManagedLoginBranding", props: map[string]any{"UseCognitoProvidedValues": true}},
		{typ: "AWS::ApiGateway::DomainName", props: map[string]any{"DomainName": "a.example.com", "EndpointConfiguration": map[string]any{"IpAddressType": 6}}},
	}
	for _, b := range bad {
		require.Error(t, schemas[b.typ].Validate(b.props), "%s %v", b.typ, b.props)
	}

	// goformation still lacks each: the exemption is no wider than needed.
	for typ, paths := range newerThanGoformation {
		doc := map[string]any{"Resources": map[string]any{"R": map[string]any{"Type": typ, "Properties": map[string]any{}}}}
		c, u := schemaFor(t, "cloudformation", doc)
		def, err := c.Compile(u + "#/definitions/" + typ)
		if paths == nil {
			require.Error(t, err, "goformation's schema now knows %s: drop it from newerThanGoformation", typ)
			continue
		}
		require.NoError(t, err)
		for _, p := range paths {
			props := map[string]any{}
			inner := props
			keys := strings.Split(p, ".")
			for _, k := range keys[:len(keys)-1] {
				m := map[string]any{}
				inner[k], inner = m, m
			}
			inner[keys[len(keys)-1]] = "x"
			require.Error(t, def.Validate(map[string]any{"Type": typ, "Properties": props}),
				"goformation's schema now knows %s.%s: drop it from newerThanGoformation", typ, p)
		}
	}
}

// TestDeployRoleCoversOptionalParts: pipeline.yaml's deploy role may create
// what the optional parts add (a grant names the action on a resource
// pattern that covers an example ARN, or on "*").
func TestDeployRoleCoversOptionalParts(t *testing.T) {
	t.Parallel()
	pipeline := resolve(t, pipelinePath, map[string]any{"ConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc"})
	sts := deployRole(t, pipeline)
	const (
		zone   = "arn:aws:route53:::hostedzone/Z0123456789ABC"
		domain = "arn:aws:apigateway:eu-west-1::/domainnames/api.example.com"
		pool   = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123"
	)
	needs := []struct{ action, resource string }{
		{"route53:CreateHostedZone", "*"},
		{"route53:GetHostedZone", zone},
		{"route53:DeleteHostedZone", zone},
		{"route53:ChangeResourceRecordSets", zone},
		{"route53:ChangeTagsForResource", zone},
		{"route53:ListTagsForResource", zone},
		{"route53:ListQueryLoggingConfigs", zone},
		{"route53:GetChange", "arn:aws:route53:::change/C123"},
		{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/domainnames"},
		{"apigateway:GET", domain},
		{"apigateway:PATCH", domain},
		{"apigateway:DELETE", domain},
		{"apigateway:POST", domain + "/basepathmappings"},
		{"apigateway:DELETE", domain + "/basepathmappings/(none)"},
		{"cognito-idp:CreateManagedLoginBranding", pool},
		{"cognito-idp:DescribeManagedLoginBranding", pool},
		{"cognito-idp:UpdateManagedLoginBranding", pool},
		{"cognito-idp:DeleteManagedLoginBranding", pool},
		// CreateUserPool with SmsConfiguration passes the SMS role (CloudFormation names it <stack>-SmsRole-<suffix>).
		{"iam:PassRole", "arn:aws:iam::123456789012:role/cogwatch-dev-SmsRole-AbC123"},
		{"iam:CreateRole", "arn:aws:iam::123456789012:role/cogwatch-dev-SmsRole-AbC123"},
		{"iam:PutRolePolicy", "arn:aws:iam::123456789012:role/cogwatch-dev-SmsRole-AbC123"},
	}
	for _, n := range needs {
		granted := false
		for _, st := range sts {
			if st["Effect"] != "Allow" || !slices.Contains(strs(st["Action"]), n.action) {
				continue
			}
			for _, res := range strs(st["Resource"]) {
				granted = granted || res == "*" && n.resource == "*" || res != "*" && iamMatch(res, n.resource)
			}
		}
		require.True(t, granted, "the deploy role may not %s on %s", n.action, n.resource)
	}
	// A public zone only: the grant requires that the request names no VPC.
	for _, st := range sts {
		if slices.Contains(strs(st["Action"]), "route53:CreateHostedZone") {
			v, ok := condition(st, "route53:VPCs")
			require.True(t, ok)
			require.Equal(t, "true", v)
			require.Contains(t, st["Condition"], "Null")
		}
	}
}
