package samtemplate

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/testutil"
)

const (
	templatePath = "../../template.yaml"
	pipelinePath = "../../pipeline.yaml"
	makefilePath = "../../Makefile"
)

var (
	parseOnce sync.Once
	parsed    map[string]map[string]any // schema name → parsed document
	parseErr  error
)

// schemaFor compiles one of goformation's schemas (name "sam" or
// "cloudformation") for doc. The schema is pruned to the resource types doc
// uses (and the definitions they reference): validating doc against it is
// validating it against the whole schema, in a second instead of a minute.
// The schemas' "$id" claims to be the draft-04 meta-schema itself, so it is
// dropped and the draft named in "$schema" instead.
func schemaFor(t *testing.T, name string, doc map[string]any) (*jsonschema.Compiler, string) {
	t.Helper()
	parseOnce.Do(func() {
		parsed = map[string]map[string]any{}
		for n, text := range map[string]string{"sam": schema.SamSchema, "cloudformation": schema.CloudformationSchema} {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
			if err != nil {
				parseErr = err
				return
			}
			parsed[n] = v.(map[string]any)
		}
	})
	require.NoError(t, parseErr)
	full := parsed[name]
	defs := full["definitions"].(map[string]any)
	keep := map[string]bool{}
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				if d, ok := strings.CutPrefix(r, "#/definitions/"); ok && !keep[d] {
					keep[d] = true
					visit(defs[d])
				}
			}
			for _, e := range v {
				visit(e)
			}
		case []any:
			for _, e := range v {
				visit(e)
			}
		}
	}
	var anyOf []any
	res, _ := doc["Resources"].(map[string]any)
	for _, r := range res {
		typ, _ := r.(map[string]any)["Type"].(string)
		if _, ok := defs[typ]; ok && !keep[typ] {
			keep[typ] = true
			visit(defs[typ])
			anyOf = append(anyOf, map[string]any{"$ref": "#/definitions/" + typ})
		}
	}
	if len(anyOf) == 0 {
		anyOf = append(anyOf, map[string]any{"not": map[string]any{}})
	}
	props := map[string]any{}
	for k, v := range full["properties"].(map[string]any) {
		props[k] = v
	}
	props["Resources"] = map[string]any{"type": "object", "additionalProperties": false,
		"patternProperties": map[string]any{"^[a-zA-Z0-9]+$": map[string]any{"anyOf": anyOf}}}
	visit(props)
	pruned := map[string]any{}
	for d := range keep {
		pruned[d] = defs[d]
	}
	m := map[string]any{"$schema": "http://json-schema.org/draft-04/schema#", "type": full["type"],
		"additionalProperties": full["additionalProperties"], "required": full["required"],
		"properties": props, "definitions": pruned}
	c := jsonschema.NewCompiler()
	url := "file:///goformation/" + name + ".schema.json"
	require.NoError(t, c.AddResource(url, m))
	return c, url
}

// validate validates doc against the named schema: each resource against
// its type's definition first (for errors that name the resource), then the
// whole document.
func validate(t *testing.T, name string, doc map[string]any) error {
	t.Helper()
	c, url := schemaFor(t, name, doc)
	whole, err := c.Compile(url)
	require.NoError(t, err)
	res, _ := doc["Resources"].(map[string]any)
	for _, id := range slices.Sorted(maps.Keys(res)) {
		r := res[id].(map[string]any)
		typ, _ := r["Type"].(string)
		def, err := c.Compile(url + "#/definitions/" + typ)
		if err != nil {
			return fmt.Errorf("resource %s: type %s is not in the %s schema", id, typ, name)
		}
		if err := def.Validate(r); err != nil {
			return fmt.Errorf("resource %s (%s): %w", id, typ, err)
		}
	}
	return whole.Validate(doc)
}

func load(t *testing.T, path string) Template {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	tmpl, err := Load(src)
	require.NoError(t, err)
	return tmpl
}

// newerThanGoformation lists what the templates use that goformation's
// schemas (v7.14.9, its latest release) predate: a whole resource type
// (nil) or properties of a type (paths under Properties, dot-separated).
// forSchema leaves them out; TestNewerThanGoformationAgainstProviderSchemas
// validates them against the CloudFormation registry's provider schemas.
var newerThanGoformation = map[string][]string{
	"AWS::Cognito::ManagedLoginBranding": nil,
	"AWS::ApiGateway::DomainName":        {"EndpointConfiguration.IpAddressType"},
}

// forSchema prepares a resolved template for goformation's schemas: custom
// resources (Custom::Name, which the schemas do not know, with properties
// and ServiceTimeout they do not list) are reduced to the generic
// AWS::CloudFormation::CustomResource with its ServiceToken. The checks
// below test the custom resources' properties instead. Rules (which the
// schemas do not list) are left out: Resolve has evaluated them. So is what
// newerThanGoformation lists.
func forSchema(t Template) map[string]any {
	raw, _ := json.Marshal(t)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	// goformation's schemas lack CloudFormation's Rules section (parameter
	// assertions); cfn-lint (TestCfnLint) checks it.
	delete(out, "Rules")
	res, _ := out["Resources"].(map[string]any)
	for id, r := range res {
		m := r.(map[string]any)
		if paths, newer := newerThanGoformation[fmt.Sprint(m["Type"])]; newer {
			if paths == nil {
				delete(res, id)
				continue
			}
			for _, p := range paths {
				props, _ := m["Properties"].(map[string]any)
				keys := strings.Split(p, ".")
				for _, k := range keys[:len(keys)-1] {
					props, _ = props[k].(map[string]any)
				}
				delete(props, keys[len(keys)-1])
			}
		}
		// sam package / aws cloudformation package replace a local Code path with its S3 location.
		if m["Type"] == "AWS::Lambda::Function" {
			props, _ := m["Properties"].(map[string]any)
			if _, local := props["Code"].(string); local {
				props["Code"] = map[string]any{"S3Bucket": "artifacts", "S3Key": "function.zip"}
			}
		}
		if typ, _ := m["Type"].(string); strings.HasPrefix(typ, "Custom::") {
			props, _ := m["Properties"].(map[string]any)
			res[id] = map[string]any{"Type": "AWS::CloudFormation::CustomResource",
				"Properties": map[string]any{"ServiceToken": props["ServiceToken"]}}
		}
	}
	return out
}

// variants are the parameter sets a template is validated with: the
// defaults (a fresh account) and every optional part switched on.
var variants = []struct {
	name      string
	overrides map[string]any
}{
	{name: "defaults"},
	{name: "custom domain, Route 53, VPC, on-call email, prod", overrides: map[string]any{
		"Stage": "prod", "CustomDomainName": "auth.example.com",
		"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "HostedZoneId": "Z123",
		"VpcSubnetIds": "subnet-1,subnet-2", "VpcSecurityGroupIds": "sg-1", "OnCallEmail": "oncall@example.com",
		"DomainPrefix": "mine", "ApiGatewayLogging": "existing", "PinpointAnalytics": "true",
	}},
	{name: "API Gateway account role created, adopter's log groups encrypted", overrides: map[string]any{
		"ApiGatewayLogging": "create", "EncryptLogGroupNames": "/my/function-a,/my/function-b",
	}},
	{name: "adopter's log groups without API logs", overrides: map[string]any{
		"EncryptLogGroupNames": "/my/function-a",
	}},
	{name: "zone created and delegated, apex record, hosted-UI and API domains in it, SMS", overrides: map[string]any{
		"ZoneName": "app.example.com", "ParentHostedZoneId": "ZPARENT", "ZoneApexAddress": "192.0.2.10",
		"CustomDomainName": "auth.app.example.com", "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
		"ApiDomainName": "api.app.example.com", "ApiCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/def",
		"SmsMessages": "true", "IosCallbackUrls": "myapp://callback,https://app.example.com/callback",
	}},
	{name: "zone created, delegated by hand; API domain in an existing zone's stead; SMS through another region", overrides: map[string]any{
		"ZoneName": "app.example.com", "ApiDomainName": "api.app.example.com",
		"ApiCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/def", "SmsMessages": "true", "SmsRegion": "us-east-1",
	}},
	{name: "API domain in an existing zone", overrides: map[string]any{
		"HostedZoneId": "Z123", "ApiDomainName": "api.example.com",
		"ApiCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/def",
	}},
	{name: "log sink, with the log forwarder", overrides: map[string]any{"EventSink": "log"}},
	{name: "adopted pool", overrides: adopted},
	{name: "adopted pool with chained triggers, every optional part on", overrides: map[string]any{
		"ExistingUserPoolId": adoptedPool, "ChainPreSignUp": "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live",
		"ChainPostConfirmation":   "arn:aws:lambda:eu-west-1:123456789012:function:welcome-mail:7",
		"ChainPreTokenGeneration": "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3",
		"ChainCustomMessage":      "arn:aws:lambda:eu-west-1:123456789012:function:custom-message",
		"Stage":                   "prod", "CustomDomainName": "auth.example.com",
		"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "HostedZoneId": "Z123",
		"VpcSubnetIds": "subnet-1,subnet-2", "VpcSecurityGroupIds": "sg-1", "OnCallEmail": "oncall@example.com",
		"ApiGatewayLogging": "create", "EncryptLogGroupNames": "/my/function-a", "PinpointAnalytics": "true",
	}},
	{name: "adopted pool, triggers wired by hand (Terraform, CDK)", overrides: map[string]any{
		"ExistingUserPoolId": adoptedPool, "AttachTriggers": "false",
	}},
}

func TestTemplateValidatesAgainstSchemas(t *testing.T) {
	tmpl := load(t, templatePath)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			resolved, err := tmpl.Resolve(v.overrides)
			require.NoError(t, err)
			doc := forSchema(resolved)
			require.NoError(t, validate(t, "sam", doc), "SAM schema")
			// The CloudFormation schema does not know the Transform key.
			delete(doc, "Transform")
			require.NoError(t, validate(t, "cloudformation", doc), "CloudFormation schema")
		})
	}
}

func TestPipelineValidatesAgainstSchemas(t *testing.T) {
	tmpl := load(t, pipelinePath)
	for _, stages := range []string{"single", "multi"} {
		t.Run(stages, func(t *testing.T) {
			resolved, err := tmpl.Resolve(map[string]any{"PipelineType": stages,
				"ConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc"})
			require.NoError(t, err)
			doc := forSchema(resolved)
			// A plain CloudFormation template: the SAM schema requires a Transform it has no use for.
			require.NoError(t, validate(t, "cloudformation", doc), "CloudFormation schema")
			require.NoError(t, checkIAM(resolved))
		})
	}
}

func TestSchemaRejectsBadTemplates(t *testing.T) {
	tests := []struct {
		name string
		edit func(res map[string]any)
	}{
		{name: "unknown property", edit: func(res map[string]any) {
			res["UserEventsTopic"].(map[string]any)["Properties"].(map[string]any)["KmsKey"] = "x"
		}},
		{name: "wrong type", edit: func(res map[string]any) {
			res["CloudWatchConsumerQueue"].(map[string]any)["Properties"].(map[string]any)["VisibilityTimeout"] = []any{"x"}
		}},
		{name: "unknown resource type", edit: func(res map[string]any) {
			res["UserEventsBus"].(map[string]any)["Type"] = "AWS::Events::Buss"
		}},
	}
	resolved, err := load(t, templatePath).Resolve(nil)
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := forSchema(resolved)
			tc.edit(doc["Resources"].(map[string]any))
			require.Error(t, validate(t, "sam", doc))
		})
	}
}

// ref returns the logical id a {"Ref": id} or {"Fn::GetAtt": …} value
// names, or, in a resolved template, the one its placeholder stands for.
func ref(v any) string {
	if s, ok := v.(string); ok {
		if ids := Placeholders(s); len(ids) == 1 {
			return ids[0]
		}
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	switch g := m["Fn::GetAtt"].(type) {
	case string:
		id, _, _ := strings.Cut(g, ".")
		return id
	case []any:
		if len(g) > 0 {
			return fmt.Sprint(g[0])
		}
	}
	return ""
}

func functions(t Template) []string {
	return append(t.OfType("AWS::Lambda::Function"), t.OfType("AWS::Serverless::Function")...)
}

func checkLogGroups(t Template) error {
	roles := map[string]string{}
	for _, fn := range functions(t) {
		p := t.Props(fn)
		lc, _ := p["LoggingConfig"].(map[string]any)
		lg := ref(lc["LogGroup"])
		if lg == "" {
			return fmt.Errorf("%s: LoggingConfig.LogGroup does not name a log group of the template", fn)
		}
		if t.Resources()[lg]["Type"] != "AWS::Logs::LogGroup" {
			return fmt.Errorf("%s: %s is not an AWS::Logs::LogGroup", fn, lg)
		}
		lp := t.Props(lg)
		if ref(lp["KmsKeyId"]) == "" {
			return fmt.Errorf("%s: log group %s has no KMS key of the template", fn, lg)
		}
		if lp["RetentionInDays"] == nil {
			return fmt.Errorf("%s: log group %s has no retention", fn, lg)
		}
		role := ref(p["Role"])
		if role == "" {
			return fmt.Errorf("%s: no role of its own", fn)
		}
		if other, ok := roles[role]; ok {
			return fmt.Errorf("%s and %s share role %s", fn, other, role)
		}
		roles[role] = fn
	}
	return nil
}

func checkQueuesAndTopics(t Template) error {
	dlqs := map[string]bool{}
	for _, q := range t.OfType("AWS::SQS::Queue") {
		rp, _ := t.Props(q)["RedrivePolicy"].(map[string]any)
		if d := ref(rp["deadLetterTargetArn"]); d != "" {
			dlqs[d] = true
		}
	}
	for _, c := range t.OfType("AWS::Lambda::EventInvokeConfig") { // an async function's on-failure destination
		dc, _ := t.Props(c)["DestinationConfig"].(map[string]any)
		of, _ := dc["OnFailure"].(map[string]any)
		if d := ref(of["Destination"]); d != "" {
			dlqs[d] = true
		}
	}
	for _, q := range t.OfType("AWS::SQS::Queue") {
		p := t.Props(q)
		if ref(p["KmsMasterKeyId"]) == "" {
			return fmt.Errorf("queue %s is not encrypted with the template's KMS key", q)
		}
		if _, ok := p["RedrivePolicy"]; !ok && !dlqs[q] {
			return fmt.Errorf("queue %s has no DLQ (and is no queue's DLQ)", q)
		}
	}
	for _, tp := range t.OfType("AWS::SNS::Topic") {
		if ref(t.Props(tp)["KmsMasterKeyId"]) == "" {
			return fmt.Errorf("topic %s is not encrypted with the template's KMS key", tp)
		}
	}
	return nil
}

// unscopedAction is an action a policy may grant on "*".
type unscopedAction struct {
	// noARN: the Service Authorization Reference lists no resource type for
	// the action, so a statement naming a resource ARN does not grant it.
	noARN bool
	// keys are the condition keys the reference lists for the action.
	keys []string
	// need is the condition key (or key prefix) a statement granting the
	// action on "*" must use; empty where the action has none worth using.
	need string
	// unconditioned says why a statement may grant the action on "*"
	// without any condition; empty: it may not.
	unconditioned string
	// onlyFor, when set, is the one service principal whose role may be
	// granted the action on "*": the role's trust policy names no other.
	onlyFor string
}

// tagKeys are the tag condition keys most Create actions support.
var tagKeys = []string{"aws:RequestTag/${TagKey}", "aws:TagKeys"}

// unscoped lists the actions the templates grant on "*", with their
// condition keys, from the Service Authorization Reference
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
// Every statement on "*" needs a condition: the region (aws:RequestedRegion)
// at least, the action's own key where need names one.
var unscoped = map[string]unscopedAction{
	"cloudwatch:PutMetricData":           {noARN: true, keys: []string{"cloudwatch:namespace"}, need: "cloudwatch:namespace"},
	"cognito-idp:DescribeUserPoolDomain": {noARN: true},
	"cloudfront:UpdateDistribution": {unconditioned: "the distribution of a custom domain is Cognito's, in Cognito's account: " +
		"no ARN of ours to name, and CloudFront is global (no region to require)"},
	"logs:DescribeLogGroups": {noARN: true},
	"kms:CreateKey": {noARN: true, need: "kms:", keys: append([]string{"aws:ResourceTag/${TagKey}",
		"kms:BypassPolicyLockoutSafetyCheck", "kms:CallerAccount", "kms:KeySpec", "kms:KeyUsage", "kms:KeyOrigin",
		"kms:MultiRegion", "kms:MultiRegionKeyType", "kms:ViaService"}, tagKeys...)},
	// Tag keys only: whether CloudFormation's Cognito handlers send the tags with the Create call cannot be
	// checked (their code is not public), so the region is the condition (docs/deploy.md).
	"cognito-idp:CreateUserPool":            {noARN: true, keys: append([]string{"aws:ResourceTag/${TagKey}"}, tagKeys...)},
	"cognito-identity:CreateIdentityPool":   {noARN: true, keys: tagKeys},
	"cognito-identity:SetIdentityPoolRoles": {noARN: true},
	"lambda:CreateEventSourceMapping":       {noARN: true, keys: append([]string{"lambda:FunctionArn"}, tagKeys...), need: "lambda:FunctionArn"},
	"secretsmanager:GetRandomPassword":      {noARN: true},
	"sns:Unsubscribe":                       {noARN: true},
	"sns:GetSubscriptionAttributes":         {noARN: true},
	"cloudformation:ValidateTemplate":       {noARN: true, keys: []string{"cloudformation:TemplateUrl"}},
	// A public hosted zone: the request names no VPC (route53:VPCs is null). Route 53 is global, so a region
	// condition would name us-east-1 whatever the stack's region.
	"route53:CreateHostedZone": {noARN: true, keys: []string{"route53:VPCs"}, need: "route53:VPCs"},
	// An SMS goes to a phone number, which has no ARN: only Cognito's SMS role publishes on "*" (and denies topics).
	"sns:Publish": {onlyFor: "cognito-idp.amazonaws.com"},
}

// globalKeys are the global condition keys a statement on "*" may use
// whatever its actions.
var globalKeys = []string{"aws:RequestedRegion"}

// conditionKeys lists the keys of a statement's Condition.
func conditionKeys(st map[string]any) []string {
	var out []string
	cond, _ := st["Condition"].(map[string]any)
	for _, op := range cond {
		kv, _ := op.(map[string]any)
		for k := range kv {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// keyIn reports whether key is one of keys, where a key ending in
// "${TagKey}" (or another ${...}) stands for any value there.
func keyIn(key string, keys []string) bool {
	for _, k := range keys {
		if prefix, _, found := strings.Cut(k, "${"); found && strings.HasPrefix(key, prefix) || k == key {
			return true
		}
	}
	return false
}

// servicePrincipals returns the service principals trust statements name.
func servicePrincipals(trust []map[string]any) []string {
	var out []string
	for _, st := range trust {
		p, _ := st["Principal"].(map[string]any)
		out = append(out, strs(p["Service"])...)
	}
	return out
}

// checkUnscoped checks a statement's use of "*" and of the actions that
// take no resource ARN; trusted are the service principals that may assume
// the role the statement belongs to.
func checkUnscoped(where string, st map[string]any, actions, trusted []string) error {
	resources := strs(st["Resource"])
	star := slices.Contains(resources, "*")
	if !star && st["Resource"] != nil {
		for _, a := range actions {
			if unscoped[a].noARN {
				return fmt.Errorf("%s: %s takes no resource ARN: grant it on \"*\" (with conditions)", where, a)
			}
		}
		return nil
	}
	if !star {
		return nil
	}
	if len(resources) > 1 {
		return fmt.Errorf("%s: \"*\" beside other resources", where)
	}
	for _, a := range actions {
		u, ok := unscoped[a]
		if !ok {
			return fmt.Errorf("%s: %s on every resource", where, a)
		}
		if u.onlyFor != "" && !slices.Equal(trusted, []string{u.onlyFor}) {
			return fmt.Errorf("%s: %s on every resource in a role that %v may assume (only %s's may)", where, a, trusted, u.onlyFor)
		}
	}
	keys := conditionKeys(st)
	if len(keys) == 0 && !slices.ContainsFunc(actions, func(a string) bool { return unscoped[a].unconditioned == "" }) {
		return nil
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s: %v on \"*\" without a condition (aws:RequestedRegion at least)", where, actions)
	}
	for _, a := range actions {
		u := unscoped[a]
		for _, k := range keys {
			if !keyIn(k, globalKeys) && !keyIn(k, u.keys) {
				return fmt.Errorf("%s: condition key %s does not apply to %s", where, k, a)
			}
		}
		if u.need != "" && !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, u.need) }) {
			return fmt.Errorf("%s: %s on \"*\" without a %s condition", where, a, u.need)
		}
	}
	return nil
}

// statements returns every policy statement of the template, by where it is.
func statements(t Template) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	add := func(where string, doc any) {
		d, _ := doc.(map[string]any)
		switch s := d["Statement"].(type) {
		case []any:
			for _, st := range s {
				for _, b := range ifBranches(st) {
					if m, ok := b.(map[string]any); ok {
						out[where] = append(out[where], m)
					}
				}
			}
		case map[string]any:
			out[where] = append(out[where], s)
		}
	}
	for id, r := range t.Resources() {
		p, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::IAM::Role":
			if _, conditional := p["Policies"].(map[string]any); conditional {
				// Policies: !If [cond, [...], NoValue]: both branches.
				for _, branch := range ifBranches(p["Policies"]) {
					pols, _ := branch.([]any)
					for _, pol := range pols {
						pm, _ := pol.(map[string]any)
						add(id, pm["PolicyDocument"])
					}
				}
			}
			add(id+" (trust)", p["AssumeRolePolicyDocument"])
			pols, _ := p["Policies"].([]any)
			for _, pol := range pols {
				pm, _ := pol.(map[string]any)
				add(id, pm["PolicyDocument"])
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy":
			add(id, p["PolicyDocument"])
		case "AWS::KMS::Key":
			add(id+" (key policy)", p["KeyPolicy"])
		}
	}
	return out
}

// outsideGroups reports whether a statement's Resource names only log
// groups that services create outside the stack, never "*" nor a group of
// the stack's functions (/cogwatch/…, /aws/lambda/…): only there may a
// function role create a log group (Custom::LogEncryption does).
func outsideGroups(t Template, resource any) bool {
	list, ok := resource.([]any)
	if !ok {
		list = []any{resource}
	}
	for _, r := range list {
		raw, _ := json.Marshal(r)
		s := string(raw)
		if r == nil || r == "*" || t.Resources()[ref(r)]["Type"] == "AWS::Logs::LogGroup" ||
			strings.Contains(s, "log-group:/cogwatch/") || strings.Contains(s, "log-group:/aws/lambda/") {
			return false
		}
	}
	return true
}

// ifBranches returns both values of an unresolved {"Fn::If": [c, a, b]}
// (recursively, without AWS::NoValue), or v itself.
func ifBranches(v any) []any {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return []any{v}
	}
	args, ok := m["Fn::If"].([]any)
	if !ok || len(args) != 3 {
		if r, _ := m["Ref"].(string); r == "AWS::NoValue" {
			return nil
		}
		return []any{v}
	}
	return append(ifBranches(args[1]), ifBranches(args[2])...)
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func checkIAM(t Template) error {
	fnRoles := map[string]bool{}
	for _, fn := range functions(t) {
		fnRoles[ref(t.Props(fn)["Role"])] = true
	}
	all := statements(t)
	for where, sts := range all {
		trusted := servicePrincipals(all[where+" (trust)"])
		for _, st := range sts {
			if st["NotAction"] != nil || st["NotResource"] != nil {
				return fmt.Errorf("%s: NotAction/NotResource grant more than they name", where)
			}
			actions := strs(st["Action"])
			if len(actions) == 0 {
				return fmt.Errorf("%s: statement without Action", where)
			}
			for _, a := range actions {
				if strings.Contains(a, "*") {
					return fmt.Errorf("%s: action %q has a wildcard", where, a)
				}
				if a == "logs:CreateLogGroup" && fnRoles[where] && !outsideGroups(t, st["Resource"]) {
					return fmt.Errorf("%s: logs:CreateLogGroup (the template creates every log group of its functions)", where)
				}
			}
			if strings.HasSuffix(where, "(trust)") || strings.HasSuffix(where, "(key policy)") {
				continue // a trust policy has no Resource; a key policy's "*" is the key itself
			}
			if st["Effect"] == "Deny" {
				continue // a Deny may be as broad as it likes
			}
			if err := checkUnscoped(where, st, actions, trusted); err != nil {
				return err
			}
		}
	}
	return nil
}

// triggers maps each Cognito trigger to the function that must serve it.
var triggers = map[string]string{
	"PreSignUp":          "PreSignUpFunction",
	"PreAuthentication":  "AuthenticationFunction",
	"PostAuthentication": "AuthenticationFunction",
	"PostConfirmation":   "PostConfirmationFunction",
	"PreTokenGeneration": "PreTokenGenerationFunction", // a new pool's PreTokenGenerationConfig.LambdaArn
	"CustomMessage":      "CustomMessageFunction",
}

// checkTriggers checks, for a new pool and for an adopted one, that every
// trigger is wired to the pool (the pool's LambdaConfig, or
// Custom::UserPoolTriggers) and that Cognito may invoke its function from
// that pool only.
func checkTriggers(t Template) error {
	for _, o := range []map[string]any{nil, adopted} {
		r, err := t.Resolve(o)
		if err != nil {
			return err
		}
		if err := checkWiring(r); err != nil {
			return fmt.Errorf("%v: %w", o, err)
		}
	}
	return nil
}

// adoptedPool is the pool the checks of an adopted pool adopt.
const adoptedPool = "eu-west-1_AdoPt3d1"

var adopted = map[string]any{"ExistingUserPoolId": adoptedPool}

// checkWiring checks a resolved template's triggers: wired to the pool
// whose ARN is output UserPoolArn, by the pool's LambdaConfig (a new pool)
// or by Custom::UserPoolTriggers (an adopted one; with AttachTriggers=false,
// neither), each function with its invoke permission for that ARN only.
func checkWiring(t Template) error {
	outs, _ := t["Outputs"].(map[string]any)
	poolArn := fmt.Sprint(outs["UserPoolArn"].(map[string]any)["Value"])
	pools, customs := t.OfType("AWS::Cognito::UserPool"), t.OfType("Custom::UserPoolTriggers")
	var wired map[string]any
	switch {
	case len(pools) == 1 && len(customs) == 0:
		lc, _ := t.Props(pools[0])["LambdaConfig"].(map[string]any)
		wired = maps.Clone(lc)
		if cfg, ok := lc["PreTokenGenerationConfig"].(map[string]any); ok && wired["PreTokenGeneration"] == nil {
			wired["PreTokenGeneration"] = cfg["LambdaArn"]
		}
	case len(pools) == 0 && len(customs) == 1:
		wired, _ = t.Props(customs[0])["Triggers"].(map[string]any)
	case len(pools) > 0 || len(customs) > 0:
		return fmt.Errorf("want one user pool or one Custom::UserPoolTriggers, have %v and %v", pools, customs)
	}
	if wired != nil {
		for trig, fn := range triggers {
			if got := ref(wired[trig]); got != fn {
				return fmt.Errorf("user pool trigger %s is %q, want %s", trig, got, fn)
			}
		}
	}
	for trig, fn := range triggers {
		found := false
		for _, p := range t.OfType("AWS::Lambda::Permission") {
			pp := t.Props(p)
			if ref(pp["FunctionName"]) != fn || pp["Principal"] != "cognito-idp.amazonaws.com" {
				continue
			}
			if fmt.Sprint(pp["SourceArn"]) != poolArn {
				return fmt.Errorf("%s: permission %s is not limited to this user pool's ARN %s", fn, p, poolArn)
			}
			if pp["Action"] != "lambda:InvokeFunction" {
				return fmt.Errorf("%s: permission %s grants %v", fn, p, pp["Action"])
			}
			found = true
		}
		if !found {
			return fmt.Errorf("trigger %s: %s has no permission for cognito-idp.amazonaws.com", trig, fn)
		}
	}
	return nil
}

func TestTemplateChecks(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	require.NoError(t, checkLogGroups(tmpl), "every function has a KMS-encrypted log group with retention and a role of its own")
	require.NoError(t, checkQueuesAndTopics(tmpl), "every queue has a DLQ; topic and queues encrypted")
	require.NoError(t, checkIAM(tmpl), "no IAM statement with a * action")
	require.NoError(t, checkTriggers(tmpl), "every trigger wired to the user pool with its permission")
}

// mutate returns a fresh copy of the template with edit applied to its resources.
func mutate(t *testing.T, edit func(res map[string]any)) Template {
	t.Helper()
	tmpl := load(t, templatePath)
	edit(tmpl["Resources"].(map[string]any))
	return tmpl
}

func props(res map[string]any, id string) map[string]any {
	return res[id].(map[string]any)["Properties"].(map[string]any)
}

// statementBySid returns the statement with Sid sid of a role's first policy.
func statementBySid(res map[string]any, role, sid string) map[string]any {
	pols := props(res, role)["Policies"].([]any)
	for _, st := range pols[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		if m, ok := st.(map[string]any); ok && m["Sid"] == sid {
			return m
		}
	}
	panic(role + " has no statement " + sid)
}

func TestChecksCatchBrokenTemplates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(res map[string]any)
		check func(Template) error
		want  string
	}{
		{name: "log group without KMS", check: checkLogGroups, want: "no KMS key",
			edit: func(res map[string]any) { delete(props(res, "WarmerLogGroup"), "KmsKeyId") }},
		{name: "log group without retention", check: checkLogGroups, want: "no retention",
			edit: func(res map[string]any) { delete(props(res, "ApiLogGroup"), "RetentionInDays") }},
		{name: "function without LoggingConfig", check: checkLogGroups, want: "LoggingConfig",
			edit: func(res map[string]any) { delete(props(res, "ApiFunction"), "LoggingConfig") }},
		{name: "shared role", check: checkLogGroups, want: "share role",
			edit: func(res map[string]any) {
				props(res, "ApiFunction")["Role"] = map[string]any{"Fn::GetAtt": "WarmerRole.Arn"}
			}},
		{name: "queue without DLQ", check: checkQueuesAndTopics, want: "has no DLQ",
			edit: func(res map[string]any) { delete(props(res, "EventBridgeConsumerQueue"), "RedrivePolicy") }},
		{name: "unencrypted queue", check: checkQueuesAndTopics, want: "not encrypted",
			edit: func(res map[string]any) { delete(props(res, "CloudWatchConsumerDLQ"), "KmsMasterKeyId") }},
		{name: "unencrypted topic", check: checkQueuesAndTopics, want: "not encrypted",
			edit: func(res map[string]any) { delete(props(res, "UserEventsTopic"), "KmsMasterKeyId") }},
		{name: "star action", check: checkIAM, want: "wildcard",
			edit: func(res map[string]any) {
				st := props(res, "ApiRole")["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
				st[0].(map[string]any)["Action"] = "logs:*"
			}},
		{name: "unscoped resource", check: checkIAM, want: "on every resource",
			edit: func(res map[string]any) {
				st := props(res, "ApiRole")["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
				st[0].(map[string]any)["Resource"] = "*"
			}},
		{name: "CreateLogGroup", check: checkIAM, want: "CreateLogGroup",
			edit: func(res map[string]any) {
				st := props(res, "ApiRole")["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
				st[0].(map[string]any)["Action"] = []any{"logs:CreateLogGroup", "logs:PutLogEvents"}
			}},
		{name: "action without resource type on an ARN", check: checkIAM, want: "takes no resource ARN",
			edit: func(res map[string]any) {
				st := statementBySid(res, "LogEncryptionRole", "DescribeLogGroupsTakesNoResourceArn")
				st["Resource"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}
			}},
		{name: "star without a condition", check: checkIAM, want: "without a condition",
			edit: func(res map[string]any) {
				delete(statementBySid(res, "LogEncryptionRole", "DescribeLogGroupsTakesNoResourceArn"), "Condition")
			}},
		{name: "condition key the action does not have", check: checkIAM, want: "does not apply to logs:DescribeLogGroups",
			edit: func(res map[string]any) {
				st := statementBySid(res, "LogEncryptionRole", "DescribeLogGroupsTakesNoResourceArn")
				st["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:KeySpec": "SYMMETRIC_DEFAULT"}}
			}},
		{name: "PutMetricData without its namespace", check: checkIAM, want: "without a cloudwatch:namespace condition",
			edit: func(res map[string]any) {
				st := statementBySid(res, "CloudWatchConsumerRole", "PutMetricDataHasNoResourceLevelPermissionsSoScopeByNamespace")
				st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}
			}},
		{name: "trigger not wired", check: checkTriggers, want: "PostAuthentication",
			edit: func(res map[string]any) {
				delete(props(res, "UserPool")["LambdaConfig"].(map[string]any), "PostAuthentication")
			}},
		{name: "permission for any pool", check: checkTriggers, want: "not limited",
			edit: func(res map[string]any) { delete(props(res, "PreSignUpPermission"), "SourceArn") }},
		{name: "permission missing", check: checkTriggers, want: "has no permission",
			edit: func(res map[string]any) { delete(res, "PostConfirmationPermission") }},
		{name: "adopted pool: trigger not attached", check: checkTriggers, want: "PostAuthentication",
			edit: func(res map[string]any) {
				props(res, "UserPoolTriggers")["Triggers"].(map[string]any)["PostAuthentication"] = map[string]any{"Fn::GetAtt": "PreSignUpFunction.Arn"}
			}},
		{name: "adopted pool: custom message not attached", check: checkTriggers, want: "CustomMessage",
			edit: func(res map[string]any) {
				delete(props(res, "UserPoolTriggers")["Triggers"].(map[string]any), "CustomMessage")
			}},
		{name: "pre token generation permission for any pool", check: checkTriggers, want: "PreTokenGenerationFunction: permission PreTokenGenerationPermission is not limited",
			edit: func(res map[string]any) { delete(props(res, "PreTokenGenerationPermission"), "SourceArn") }},
		{name: "adopted pool: permission for the new pool only", check: checkTriggers, want: "not limited to this user pool's ARN " + "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/" + adoptedPool,
			edit: func(res map[string]any) {
				props(res, "AuthenticationPermission")["SourceArn"] = map[string]any{"Fn::GetAtt": "UserPool.Arn"}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.check(mutate(t, tc.edit))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestFunctionsBuildWithTheMakefile(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	mk, err := os.ReadFile(makefilePath)
	require.NoError(t, err)
	targets := regexp.MustCompile(`(?m)^\$\(eval \$\(call sam_target,(\w+),([\w-]+)\)\)`).FindAllStringSubmatch(string(mk), -1)
	byID := map[string]string{}
	for _, m := range targets {
		byID[m[1]] = m[2]
	}
	fns := functions(tmpl)
	require.ElementsMatch(t, []string{"PreSignUpFunction", "AuthenticationFunction", "PostConfirmationFunction",
		"PreTokenGenerationFunction", "CustomMessageFunction", "CloudWatchConsumerFunction", "EventBridgeConsumerFunction", "WarmerFunction", "UserPoolDomainFunction",
		"LogEncryptionFunction", "ApiFunction", "LogForwarderFunction", "UserPoolTriggersFunction"}, fns)
	for _, fn := range fns {
		r := tmpl.Resources()[fn]
		md, _ := r["Metadata"].(map[string]any)
		require.Equal(t, "makefile", md["BuildMethod"], fn)
		require.Contains(t, byID, fn, "Makefile has no build-%s target", fn)
		p := tmpl.Props(fn)
		require.Equal(t, "provided.al2023", p["Runtime"], fn)
		require.Equal(t, []any{"arm64"}, p["Architectures"], fn)
	}
}

func TestTriggerEnvironment(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	for _, fn := range []string{"PreSignUpFunction", "AuthenticationFunction", "PostConfirmationFunction"} {
		env, _ := tmpl.Props(fn)["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		for _, name := range []string{"USER_EVENTS_TOPIC_ARN", "COGWATCH_TRIGGER_BUDGET", "COGWATCH_HASH_KEY",
			"COGWATCH_INCLUDE_EMAIL", "COGWATCH_EVENT_SINK", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"} {
			require.Contains(t, vars, name, fn)
		}
		require.Equal(t, "UserEventsTopic", ref(vars["USER_EVENTS_TOPIC_ARN"]), fn)
	}
}

func TestConsumersAndSchedule(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	mapped := map[string]string{}
	for _, m := range tmpl.OfType("AWS::Lambda::EventSourceMapping") {
		p := tmpl.Props(m)
		require.Equal(t, []any{"ReportBatchItemFailures"}, p["FunctionResponseTypes"], m)
		mapped[ref(p["FunctionName"])] = ref(p["EventSourceArn"])
	}
	require.Equal(t, map[string]string{
		"CloudWatchConsumerFunction":  "CloudWatchConsumerQueue",
		"EventBridgeConsumerFunction": "EventBridgeConsumerQueue",
	}, mapped)
	subscribed := map[string]bool{}
	for _, s := range tmpl.OfType("AWS::SNS::Subscription") {
		p := tmpl.Props(s)
		if p["Protocol"] == "sqs" {
			require.Equal(t, "UserEventsTopic", ref(p["TopicArn"]))
			subscribed[ref(p["Endpoint"])] = true
		}
	}
	require.True(t, subscribed["CloudWatchConsumerQueue"] && subscribed["EventBridgeConsumerQueue"])
	schedules := tmpl.OfType("AWS::Scheduler::Schedule")
	require.Len(t, schedules, 1)
	target, _ := tmpl.Props(schedules[0])["Target"].(map[string]any)
	require.Equal(t, "WarmerFunction", ref(target["Arn"]))
}

func TestCustomResources(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	want := map[string]struct {
		fn    string
		props []string
	}{
		"Custom::UserPoolDomain":   {"UserPoolDomainFunction", []string{"UserPoolId", "Domain", "CustomDomainConfig", "ManagedLoginVersion"}},
		"Custom::LogEncryption":    {"LogEncryptionFunction", []string{"LogGroupNames", "KmsKeyId", "RetentionInDays"}},
		"Custom::UserPoolTriggers": {"UserPoolTriggersFunction", []string{"UserPoolId", "Triggers", "ChainExisting", "Chained", "Slots", "PreTokenGenerationVersion"}},
	}
	for typ, w := range want {
		ids := tmpl.OfType(typ)
		require.Len(t, ids, 1, typ)
		p := tmpl.Props(ids[0])
		require.Equal(t, w.fn, ref(p["ServiceToken"]), typ)
		require.NotNil(t, p["ServiceTimeout"], "%s sets ServiceTimeout", typ)
		for _, name := range w.props {
			require.Contains(t, p, name, typ)
		}
	}
	// Route 53 records alias the domain's CloudFront distribution, only with a custom domain and a zone.
	var aliases int
	for _, id := range tmpl.OfType("AWS::Route53::RecordSet") {
		alias, _ := tmpl.Props(id)["AliasTarget"].(map[string]any)
		if ref(alias["DNSName"]) == "UserPoolDomain" {
			aliases++
			require.Equal(t, "HasHostedZone", tmpl.Resources()[id]["Condition"], id)
		}
	}
	require.Equal(t, 2, aliases, "A and AAAA")
}

func TestOriginalStackParts(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	count := func(typ string) int { return len(tmpl.OfType(typ)) }
	require.Equal(t, 1, count("AWS::Cognito::IdentityPool"))
	require.Equal(t, 1, count("AWS::Cognito::IdentityPoolRoleAttachment"))
	require.Equal(t, 1, count("AWS::Cognito::UserPoolResourceServer"))
	require.Equal(t, 1, count("AWS::Cognito::UserPoolGroup"))
	require.Equal(t, 1, count("AWS::Pinpoint::App"))
	// Issue 18's: the application's zone, the API's own domain, a managed-login style per mobile client.
	require.Equal(t, 1, count("AWS::Route53::HostedZone"))
	require.Equal(t, 1, count("AWS::ApiGateway::DomainName"))
	require.Equal(t, 1, count("AWS::ApiGateway::BasePathMapping"))
	require.Equal(t, 2, count("AWS::Cognito::ManagedLoginBranding"))
	require.Equal(t, 1, count("AWS::Events::EventBus"))
	require.Equal(t, 2, count("AWS::CloudWatch::Dashboard"))
	require.GreaterOrEqual(t, count("AWS::CloudWatch::Alarm"), 8)
	var machine, mobile int
	for _, c := range tmpl.OfType("AWS::Cognito::UserPoolClient") {
		p := tmpl.Props(c)
		if slices.Contains(strs(p["AllowedOAuthFlows"]), "client_credentials") {
			machine++
			require.Equal(t, true, p["GenerateSecret"], c)
		} else if p["GenerateSecret"] == false {
			mobile++
		}
	}
	require.Equal(t, 1, machine, "a machine client for client credentials")
	require.Equal(t, 2, mobile, "two mobile app clients")
	// The API: guest endpoint open, user endpoint behind the Cognito authorizer.
	auth := map[string]string{}
	for _, m := range tmpl.OfType("AWS::ApiGateway::Method") {
		p := tmpl.Props(m)
		auth[ref(p["ResourceId"])] = fmt.Sprint(p["AuthorizationType"])
		integ, _ := p["Integration"].(map[string]any)
		require.Equal(t, "AWS_PROXY", integ["Type"], m)
	}
	require.Equal(t, map[string]string{"ApiGuestResource": "NONE", "ApiUserResource": "COGNITO_USER_POOLS"}, auth)
}

// parametersTable renders the template's parameters as markdown.
func parametersTable(t Template) string {
	ps, _ := t["Parameters"].(map[string]any)
	var b strings.Builder
	b.WriteString("| parameter | default | description |\n| --- | --- | --- |\n")
	for _, name := range slices.Sorted(maps.Keys(ps)) {
		p := ps[name].(map[string]any)
		def := fmt.Sprint(p["Default"])
		if def == "" {
			def = "(empty)"
		}
		desc := fmt.Sprint(p["Description"])
		if av, ok := p["AllowedValues"].([]any); ok && len(av) <= 4 {
			desc += fmt.Sprintf(" One of: %v.", av)
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", name, def, strings.ReplaceAll(desc, "|", "\\|"))
	}
	return b.String()
}

func TestDeployDocParameters(t *testing.T) {
	const path = "../../docs/deploy.md"
	const begin, end = "<!-- BEGIN GENERATED by go test ./internal/samtemplate -update: do not edit by hand. -->\n", "<!-- END GENERATED -->"
	testutil.GoldenSection(t, path, begin, end, []byte(parametersTable(load(t, templatePath))))
}

// TestCfnLint runs AWS's cfn-lint (with the SAM translator: it lints the
// template as CloudFormation sees it after the transform) on both templates.
// cfn-lint ships with the project's machine image; without it the test skips.
func TestCfnLint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cfn-lint")
	}
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed")
	}
	out, err := exec.CommandContext(t.Context(), lint, "--format", "parseable", templatePath, pipelinePath).CombinedOutput()
	require.NoError(t, err, "cfn-lint:\n%s", out)

	// And it does catch what it should, here a parameter and a resource of one name.
	src, err := os.ReadFile(templatePath)
	require.NoError(t, err)
	broken := strings.Replace(string(src), "  WarmerScheduleExpression:\n", "  WarmerSchedule:\n", 1)
	broken = strings.Replace(broken, "!Ref WarmerScheduleExpression", "!Ref WarmerSchedule", 1)
	require.NotEqual(t, string(src), broken)
	path := filepath.Join(t.TempDir(), "template.yaml")
	require.NoError(t, os.WriteFile(path, []byte(broken), 0o644))
	out, err = exec.CommandContext(t.Context(), lint, "--format", "parseable", path).CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "E3007", "parameters and resources must not share a name")
}
