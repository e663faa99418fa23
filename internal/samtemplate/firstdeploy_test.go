package samtemplate

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The checks of this file are what a first deploy in a fresh account needs
// of template.yaml and pipeline.yaml, beyond the schemas.

func resolve(t *testing.T, file string, overrides map[string]any) Template {
	t.Helper()
	r, err := load(t, file).Resolve(overrides)
	require.NoError(t, err)
	return r
}

// TestDependenciesExist checks, for every parameter set, that whatever a
// resource references or names in DependsOn is in the stack: a Ref to a
// resource whose condition is false fails the deploy.
func TestDependenciesExist(t *testing.T) {
	t.Parallel()
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			r := resolve(t, templatePath, v.overrides)
			for _, id := range slices.Sorted(maps.Keys(r.Resources())) {
				for _, dep := range r.DependsOn(id) {
					require.Contains(t, r.Resources(), dep, "%s depends on %s, which this parameter set leaves out", id, dep)
				}
			}
		})
	}
}

const pushToCloudWatchLogs = "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"

// TestApiGatewayAccountOnlyWhenAsked: the account-wide API Gateway
// CloudWatch role is left alone by default; the stack sets it only with
// ApiGatewayLogging=create, with AWS's managed policy, and then the stage
// waits for it (the "CloudWatch Logs role ARN must be set in account
// settings" race).
func TestApiGatewayAccountOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	params, _ := load(t, templatePath)["Parameters"].(map[string]any)
	def, _ := params["ApiGatewayLogging"].(map[string]any)
	require.Equal(t, "off", def["Default"], "the account's settings are untouched by default")
	tests := []struct {
		mode          string
		account, logs bool
	}{
		{mode: "off"},
		{mode: "existing", logs: true},
		{mode: "create", account: true, logs: true},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			r := resolve(t, templatePath, map[string]any{"ApiGatewayLogging": tc.mode})
			accounts := r.OfType("AWS::ApiGateway::Account")
			var apiGatewayRoles []string
			for id, st := range statements(r) {
				if strings.HasSuffix(id, " (trust)") && strings.Contains(fmt.Sprint(st), "apigateway.amazonaws.com") {
					apiGatewayRoles = append(apiGatewayRoles, strings.TrimSuffix(id, " (trust)"))
				}
			}
			stage := r.Props("ApiStage")
			settings, _ := stage["MethodSettings"].([]any)
			require.Len(t, settings, 1)
			level := settings[0].(map[string]any)["LoggingLevel"]
			if !tc.account {
				require.Empty(t, accounts, "no AWS::ApiGateway::Account: the account's role is not replaced")
				require.Empty(t, apiGatewayRoles)
			} else {
				require.Len(t, accounts, 1)
				role := ref(r.Props(accounts[0])["CloudWatchRoleArn"])
				require.Equal(t, []string{role}, apiGatewayRoles)
				require.Equal(t, []any{strings.ReplaceAll(pushToCloudWatchLogs, "${AWS::Partition}", "aws")},
					r.Props(role)["ManagedPolicyArns"], "AWS's managed policy, nothing of our own")
				require.Nil(t, r.Props(role)["Policies"])
				require.True(t, r.WaitsFor("ApiStage", accounts[0]), "the stage waits for the account's role")
			}
			if tc.logs {
				require.NotNil(t, stage["AccessLogSetting"])
				require.Equal(t, "ERROR", level, "execution logs on")
			} else {
				require.Nil(t, stage["AccessLogSetting"], "no role, no logs: the first deploy in a fresh account succeeds")
				require.Equal(t, "OFF", level)
			}
		})
	}
	// The managed policy is named for any partition.
	raw := load(t, templatePath).Props("ApiGatewayCloudWatchRole")
	require.Equal(t, []any{map[string]any{"Fn::Sub": pushToCloudWatchLogs}}, raw["ManagedPolicyArns"])
}

func TestUserPoolRetained(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	pools := tmpl.OfType("AWS::Cognito::UserPool")
	require.Len(t, pools, 1)
	r := tmpl.Resources()[pools[0]]
	require.Equal(t, "Retain", r["DeletionPolicy"], "deleting the stack keeps the users")
	require.Equal(t, "Retain", r["UpdateReplacePolicy"], "a replacing update keeps the users")
}

// secretEnv lists environment variables that hold secrets.
var secretEnv = []string{"COGWATCH_HASH_KEY"}

// checkSecretEnvironment checks that every function whose environment holds
// a secret (a variable of secretEnv, or a Secrets Manager or SSM SecureString
// dynamic reference) encrypts it with the template's KMS key (KmsKeyArn),
// and that its role may decrypt with that key: without the key,
// GetFunctionConfiguration does not show the variables.
func checkSecretEnvironment(t Template) error {
	for _, fn := range functions(t) {
		p := t.Props(fn)
		env, _ := p["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		var secrets []string
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			raw := fmt.Sprint(vars[name])
			if slices.Contains(secretEnv, name) || strings.Contains(raw, "{{resolve:secretsmanager:") || strings.Contains(raw, "{{resolve:ssm-secure:") {
				secrets = append(secrets, name)
			}
		}
		if len(secrets) == 0 {
			continue
		}
		key := ref(p["KmsKeyArn"])
		if t.Resources()[key]["Type"] != "AWS::KMS::Key" {
			return fmt.Errorf("%s: %v in plain environment variables: set KmsKeyArn to the template's KMS key", fn, secrets)
		}
		role := ref(p["Role"])
		decrypts := false
		for _, st := range statements(t)[role] {
			if st["Effect"] == "Allow" && slices.Contains(strs(st["Action"]), "kms:Decrypt") && ref(st["Resource"]) == key {
				decrypts = true
			}
		}
		if !decrypts {
			return fmt.Errorf("%s: role %s has no kms:Decrypt on %s, which encrypts its environment", fn, role, key)
		}
	}
	return nil
}

func TestSecretsInEnvironmentAreEncrypted(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	require.NoError(t, checkSecretEnvironment(tmpl))
	var checked int
	for _, fn := range functions(tmpl) {
		env, _ := tmpl.Props(fn)["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if _, ok := vars["COGWATCH_HASH_KEY"]; ok {
			checked++
		}
	}
	require.Equal(t, 5, checked, "the five triggers hold the hash key")
	tests := []struct {
		name, want string
		edit       func(res map[string]any)
	}{
		{name: "no KmsKeyArn", want: "plain environment variables", edit: func(res map[string]any) {
			delete(props(res, "AuthenticationFunction"), "KmsKeyArn")
		}},
		{name: "role cannot decrypt", want: "no kms:Decrypt", edit: func(res map[string]any) {
			st := props(res, "PostConfirmationRole")["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
			for _, s := range st {
				m := s.(map[string]any)
				if slices.Contains(strs(m["Action"]), "kms:Decrypt") {
					m["Action"] = "kms:GenerateDataKey"
				}
			}
		}},
		{name: "a secret by dynamic reference", want: "plain environment variables", edit: func(res map[string]any) {
			vars := props(res, "ApiFunction")["Environment"].(map[string]any)["Variables"].(map[string]any)
			vars["API_TOKEN"] = map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${HashKeySecret}}}"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkSecretEnvironment(mutate(t, tc.edit))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// iamMatch reports whether the IAM resource pattern p (with * and ?) matches arn.
func iamMatch(p, arn string) bool {
	ok, err := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(arn, "/", "\x00"))
	return err == nil && ok
}

// TestLogEncryptionCoversServiceCreatedGroups: Custom::LogEncryption
// encrypts log groups that exist in the deployed stack without the stack
// creating them: API Gateway's execution logs (after the stage that
// writes them) and the groups an adopter names; its role may act on
// exactly those.
func TestLogEncryptionCoversServiceCreatedGroups(t *testing.T) {
	t.Parallel()
	const apiGroup = "API-Gateway-Execution-Logs_ref-Api/dev"
	tests := []struct {
		name      string
		overrides map[string]any
		want      []string // nil: no resource
	}{
		{name: "defaults: no API logs, no groups named"},
		{name: "API logs with the account's role", overrides: map[string]any{"ApiGatewayLogging": "existing"}, want: []string{apiGroup}},
		{name: "API logs and named groups", overrides: map[string]any{"ApiGatewayLogging": "create", "EncryptLogGroupNames": "/my/fn-a,/my/fn-b"},
			want: []string{apiGroup, "/my/fn-a", "/my/fn-b"}},
		{name: "named groups only", overrides: map[string]any{"EncryptLogGroupNames": "/my/fn-a"}, want: []string{"/my/fn-a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := resolve(t, templatePath, tc.overrides)
			ids := r.OfType("Custom::LogEncryption")
			if tc.want == nil {
				require.Empty(t, ids, "nothing outside the stack to encrypt")
				return
			}
			require.Len(t, ids, 1)
			id := ids[0]
			p := r.Props(id)
			require.Equal(t, tc.want, strs(p["LogGroupNames"]))
			require.Len(t, p["LogGroupNames"], len(tc.want), "no empty name")
			require.Equal(t, "KmsKey", ref(p["KmsKeyId"]))
			require.NotNil(t, p["RetentionInDays"])
			if slices.Contains(tc.want, apiGroup) {
				require.True(t, r.WaitsFor(id, "ApiStage"), "after the stage that creates the execution-log group")
				settings := r.Props("ApiStage")["MethodSettings"].([]any)
				require.Equal(t, "ERROR", settings[0].(map[string]any)["LoggingLevel"], "the stage writes execution logs")
			}
			role := ref(r.Props(ref(p["ServiceToken"]))["Role"])
			for _, name := range tc.want {
				arn := "arn:aws:logs:eu-west-1:123456789012:log-group:" + name
				for _, action := range []string{"logs:CreateLogGroup", "logs:AssociateKmsKey", "logs:PutRetentionPolicy"} {
					allowed := false
					for _, st := range statements(r)[role] {
						if !slices.Contains(strs(st["Action"]), action) {
							continue
						}
						for _, res := range strs(st["Resource"]) {
							allowed = allowed || iamMatch(res, arn) || iamMatch(res, arn+":*")
						}
					}
					require.True(t, allowed, "%s may not %s on %s", role, action, arn)
				}
			}
			// And on no other group.
			for _, st := range statements(r)[role] {
				if !slices.Contains(strs(st["Action"]), "logs:AssociateKmsKey") {
					continue
				}
				for _, res := range strs(st["Resource"]) {
					require.False(t, iamMatch(res, "arn:aws:logs:eu-west-1:123456789012:log-group:/other/group"), "%s: %s", role, res)
				}
			}
		})
	}
}

// deployRole returns the statements of pipeline.yaml's CloudFormation role.
func deployRole(t *testing.T, r Template) []map[string]any {
	t.Helper()
	sts := statements(r)["DeployRole"]
	require.NotEmpty(t, sts)
	return sts
}

// condition returns a statement's condition value for key, whatever the operator.
func condition(st map[string]any, key string) (any, bool) {
	cond, _ := st["Condition"].(map[string]any)
	for _, op := range cond {
		kv, _ := op.(map[string]any)
		if v, ok := kv[key]; ok {
			return v, true
		}
	}
	return nil, false
}

// TestDeployRoleCreatesWhatTakesNoArn: the Create actions that take no
// resource ARN are granted on "*" (a grant on an ARN pattern does not
// authorize them, and the first deploy fails), each with the region and,
// where the service has one, its own condition key.
func TestDeployRoleCreatesWhatTakesNoArn(t *testing.T) {
	t.Parallel()
	pipeline := resolve(t, pipelinePath, map[string]any{"ConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc"})
	app := resolve(t, templatePath, nil)
	sts := deployRole(t, pipeline)
	grants := func(action string) []map[string]any {
		var out []map[string]any
		for _, st := range sts {
			if st["Effect"] == "Allow" && slices.Contains(strs(st["Action"]), action) {
				out = append(out, st)
			}
		}
		return out
	}
	for _, action := range []string{"kms:CreateKey", "cognito-idp:CreateUserPool", "cognito-identity:CreateIdentityPool",
		"cognito-identity:SetIdentityPoolRoles", "lambda:CreateEventSourceMapping", "secretsmanager:GetRandomPassword",
		"logs:DescribeLogGroups", "sns:Unsubscribe", "sns:GetSubscriptionAttributes"} {
		t.Run(action, func(t *testing.T) {
			gs := grants(action)
			require.Len(t, gs, 1, "granted once")
			st := gs[0]
			require.Equal(t, []string{"*"}, strs(st["Resource"]))
			region, ok := condition(st, "aws:RequestedRegion")
			require.True(t, ok, "limited to the pipeline's region")
			require.Equal(t, "eu-west-1", region)
		})
	}
	// kms:CreateKey: a symmetric encryption key, tagged with a stack of the pipeline's prefix, as template.yaml's is.
	st := grants("kms:CreateKey")[0]
	spec, _ := condition(st, "kms:KeySpec")
	usage, _ := condition(st, "kms:KeyUsage")
	require.Equal(t, "SYMMETRIC_DEFAULT", spec)
	require.Equal(t, "ENCRYPT_DECRYPT", usage)
	pattern, ok := condition(st, "aws:RequestTag/cogwatch:stack")
	require.True(t, ok)
	keys := app.OfType("AWS::KMS::Key")
	require.Len(t, keys, 1)
	tags, _ := app.Props(keys[0])["Tags"].([]any)
	var value string
	for _, tag := range tags {
		if m := tag.(map[string]any); m["Key"] == "cogwatch:stack" {
			value = fmt.Sprint(m["Value"])
		}
	}
	require.Equal(t, "cogwatch-test", value, "template.yaml tags its key with the stack's name")
	require.True(t, iamMatch(fmt.Sprint(pattern), value), "the pipeline's condition %v admits the key of stack %s", pattern, value)
	// lambda:CreateEventSourceMapping: only for the prefix's functions.
	fnArn, ok := condition(grants("lambda:CreateEventSourceMapping")[0], "lambda:FunctionArn")
	require.True(t, ok)
	require.True(t, iamMatch(fmt.Sprint(fnArn), "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-dev-PreSignUpFunction-AbC"))
	require.False(t, iamMatch(fmt.Sprint(fnArn), "arn:aws:lambda:eu-west-1:123456789012:function:billing-Importer"))
}

func TestDeployRoleCheckCatchesScopedCreates(t *testing.T) {
	t.Parallel()
	// checkIAM refuses the grants the deploy role used to have.
	tests := []struct {
		name, action, want string
		resource           any
		cond               map[string]any
	}{
		{name: "CreateKey on key ARNs", action: "kms:CreateKey", want: "takes no resource ARN",
			resource: "arn:aws:kms:eu-west-1:123456789012:key/*"},
		{name: "CreateUserPool on pool ARNs", action: "cognito-idp:CreateUserPool", want: "takes no resource ARN",
			resource: "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/*"},
		{name: "CreateKey on * without a kms key", action: "kms:CreateKey", want: "without a kms: condition", resource: "*",
			cond: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}},
		{name: "CreateIdentityPool with a key it does not have", action: "cognito-identity:CreateIdentityPool", want: "does not apply",
			resource: "*", cond: map[string]any{"StringEquals": map[string]any{"kms:KeyUsage": "ENCRYPT_DECRYPT"}}},
		{name: "CreateEventSourceMapping on * without lambda:FunctionArn", action: "lambda:CreateEventSourceMapping",
			want: "without a lambda:FunctionArn condition", resource: "*",
			cond: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}},
		{name: "CreateHostedZone on zone ARNs", action: "route53:CreateHostedZone", want: "takes no resource ARN",
			resource: "arn:aws:route53:::hostedzone/*"},
		{name: "CreateHostedZone on * for private zones too", action: "route53:CreateHostedZone",
			want: "without a route53:VPCs condition", resource: "*",
			cond: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "us-east-1"}}},
		{name: "Publish on * outside Cognito's SMS role", action: "sns:Publish", want: "only cognito-idp.amazonaws.com's may",
			resource: "*", cond: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := map[string]any{"Effect": "Allow", "Action": tc.action, "Resource": tc.resource}
			if tc.cond != nil {
				st["Condition"] = tc.cond
			}
			doc := Template{"Resources": map[string]any{"Role": map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
				"Policies": []any{map[string]any{"PolicyDocument": map[string]any{"Statement": []any{st}}}}}}}}
			require.ErrorContains(t, checkIAM(doc), tc.want)
		})
	}
}
