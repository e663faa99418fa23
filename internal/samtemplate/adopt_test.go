package samtemplate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	chainedPreSignUp = "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"
	chainedTokens    = "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3"
	chainedMessage   = "arn:aws:lambda:eu-west-1:123456789012:function:custom-message"
	adoptedPoolArn   = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/" + adoptedPool
)

// newPoolOnly are the resource types that belong to a new pool, none of
// which an adopted pool gets.
var newPoolOnly = []string{"AWS::Cognito::UserPool", "Custom::UserPoolDomain", "AWS::Cognito::UserPoolGroup",
	"AWS::Cognito::UserPoolResourceServer", "AWS::Cognito::UserPoolClient", "AWS::Cognito::IdentityPool",
	"AWS::Cognito::IdentityPoolRoleAttachment", "AWS::Route53::RecordSet", "AWS::Pinpoint::App"}

// chainEnv are the trigger functions' chain variables, by function.
var chainEnv = map[string][]string{
	"PreSignUpFunction":          {"COGWATCH_CHAIN_PRE_SIGN_UP"},
	"AuthenticationFunction":     {"COGWATCH_CHAIN_PRE_AUTHENTICATION", "COGWATCH_CHAIN_POST_AUTHENTICATION"},
	"PostConfirmationFunction":   {"COGWATCH_CHAIN_POST_CONFIRMATION"},
	"PreTokenGenerationFunction": {"COGWATCH_CHAIN_PRE_TOKEN_GENERATION"},
	"CustomMessageFunction":      {"COGWATCH_CHAIN_CUSTOM_MESSAGE"},
}

func env(t Template, fn string) map[string]any {
	e, _ := t.Props(fn)["Environment"].(map[string]any)
	vars, _ := e["Variables"].(map[string]any)
	return vars
}

// invokes returns the ARNs a role may call lambda:InvokeFunction on.
func invokes(t Template, role string) []string {
	var out []string
	for _, st := range statements(t)[role] {
		if slices.Contains(strs(st["Action"]), "lambda:InvokeFunction") {
			out = append(out, strs(st["Resource"])...)
		}
	}
	return out
}

// TestAdoptedPool: with ExistingUserPoolId the stack creates nothing of a
// new pool; Custom::UserPoolTriggers attaches the triggers to the pool,
// after their permissions, which name that pool; a chained function is in
// its trigger's environment and its role may invoke it, and nothing else;
// the dashboards and alarms watch the adopted pool.
func TestAdoptedPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overrides map[string]any
		attach    bool
		slots     []any             // Slots; nil: every slot (AttachSlots' default)
		version   string            // PreTokenGenerationVersion; "": V2_0
		chained   map[string]string // variable → ARN
	}{
		{name: "adopted", overrides: adopted, attach: true},
		{name: "adopted, pre sign-up chained", overrides: map[string]any{"ExistingUserPoolId": adoptedPool, "ChainPreSignUp": chainedPreSignUp},
			attach: true, chained: map[string]string{"COGWATCH_CHAIN_PRE_SIGN_UP": chainedPreSignUp}},
		{name: "adopted, pre token generation and custom message chained, two slots taken",
			overrides: map[string]any{"ExistingUserPoolId": adoptedPool, "ChainPreTokenGeneration": chainedTokens, "ChainCustomMessage": chainedMessage,
				"AttachSlots": "PreTokenGeneration,CustomMessage", "PreTokenGenerationVersion": "V1_0"},
			attach: true, slots: []any{"PreTokenGeneration", "CustomMessage"}, version: "V1_0",
			chained: map[string]string{"COGWATCH_CHAIN_PRE_TOKEN_GENERATION": chainedTokens, "COGWATCH_CHAIN_CUSTOM_MESSAGE": chainedMessage}},
		{name: "adopted, wired by hand", overrides: map[string]any{"ExistingUserPoolId": adoptedPool, "AttachTriggers": "false", "ChainPreSignUp": chainedPreSignUp},
			chained: map[string]string{"COGWATCH_CHAIN_PRE_SIGN_UP": chainedPreSignUp}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := resolve(t, templatePath, tc.overrides)
			for _, typ := range newPoolOnly {
				require.Empty(t, r.OfType(typ), "an adopted pool gets no %s", typ)
			}
			require.NotContains(t, r.Resources(), "UserPoolDomainFunction")
			require.NoError(t, checkWiring(r))

			crs := r.OfType("Custom::UserPoolTriggers")
			if !tc.attach {
				require.Empty(t, crs)
				require.NotContains(t, r.Resources(), "UserPoolTriggersFunction")
			} else {
				require.Equal(t, []string{"UserPoolTriggers"}, crs)
				p := r.Props("UserPoolTriggers")
				require.Equal(t, adoptedPool, p["UserPoolId"])
				require.Equal(t, fmt.Sprint(len(tc.chained) > 0), p["ChainExisting"])
				require.Equal(t, map[string]any{"PreSignUp": tc.chained["COGWATCH_CHAIN_PRE_SIGN_UP"], "PreAuthentication": "",
					"PostAuthentication": "", "PostConfirmation": "", "PreTokenGeneration": tc.chained["COGWATCH_CHAIN_PRE_TOKEN_GENERATION"],
					"CustomMessage": tc.chained["COGWATCH_CHAIN_CUSTOM_MESSAGE"]}, p["Chained"])
				wired := p["Triggers"].(map[string]any)
				require.Equal(t, "PreTokenGenerationFunction", ref(wired["PreTokenGeneration"]))
				require.Equal(t, "CustomMessageFunction", ref(wired["CustomMessage"]))
				slots, version := tc.slots, tc.version
				if slots == nil {
					slots = []any{"PreSignUp", "PreAuthentication", "PostAuthentication", "PostConfirmation", "PreTokenGeneration", "CustomMessage"}
				}
				if version == "" {
					version = "V2_0"
				}
				require.Equal(t, slots, p["Slots"])
				require.Equal(t, version, p["PreTokenGenerationVersion"])
				for _, perm := range []string{"PreSignUpPermission", "AuthenticationPermission", "PostConfirmationPermission", "PreTokenGenerationPermission", "CustomMessagePermission"} {
					require.True(t, r.WaitsFor("UserPoolTriggers", perm), "attached only once Cognito may invoke: %s", perm)
				}
				// Its role reads and updates that pool, nothing else of Cognito.
				var cognito []string
				for _, st := range statements(r)["UserPoolTriggersRole"] {
					for _, a := range strs(st["Action"]) {
						if strings.HasPrefix(a, "cognito-idp:") {
							cognito = append(cognito, a)
							require.Equal(t, []string{adoptedPoolArn}, strs(st["Resource"]), a)
						}
					}
				}
				require.ElementsMatch(t, []string{"cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"}, cognito)
			}

			for fn, vars := range chainEnv {
				role := ref(r.Props(fn)["Role"])
				var want []string
				for _, v := range vars {
					arn, ok := tc.chained[v]
					if !ok {
						require.NotContains(t, env(r, fn), v, fn)
						continue
					}
					require.Equal(t, arn, env(r, fn)[v], fn)
					want = append(want, arn)
				}
				require.ElementsMatch(t, want, invokes(r, role), "%s invokes exactly its chained function", role)
			}

			// Dashboards and alarms watch the adopted pool.
			for _, d := range r.OfType("AWS::CloudWatch::Dashboard") {
				body := fmt.Sprint(r.Props(d)["DashboardBody"])
				require.Contains(t, body, `"UserPoolId","`+adoptedPool+`"`, d)
				require.NotContains(t, body, "ref-UserPool", d)
			}
			var dims int
			for _, a := range r.OfType("AWS::CloudWatch::Alarm") {
				raw := fmt.Sprint(r.Props(a))
				require.NotContains(t, raw, "ref-UserPool", a)
				dims += strings.Count(raw, "Name:UserPoolId Value:"+adoptedPool)
			}
			require.GreaterOrEqual(t, dims, 4, "the pool alarms name the adopted pool")
			outs := r["Outputs"].(map[string]any)
			require.Equal(t, adoptedPool, outs["UserPoolId"].(map[string]any)["Value"])
			for _, o := range []string{"HostedUIDomain", "IosAppClientId", "AndroidAppClientId", "MachineClientId", "IdentityPoolId"} {
				require.NotContains(t, outs, o)
			}
			for _, o := range []string{"PreSignUpFunctionArn", "AuthenticationFunctionArn", "PostConfirmationFunctionArn", "PreTokenGenerationFunctionArn", "CustomMessageFunctionArn"} {
				require.Contains(t, outs, o)
			}
			api := env(r, "ApiFunction")
			require.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/"+adoptedPool, api["COGWATCH_API_ISSUER"])
			require.Equal(t, "", api["COGWATCH_API_CLIENT_IDS"], "any client of the adopted pool")
		})
	}
}

// TestNewPoolIgnoresChains: without ExistingUserPoolId, the chain
// parameters change nothing: no custom resource, no chained function in an
// environment, no invoke permission.
func TestNewPoolIgnoresChains(t *testing.T) {
	t.Parallel()
	r := resolve(t, templatePath, map[string]any{"ChainPreSignUp": chainedPreSignUp})
	require.Empty(t, r.OfType("Custom::UserPoolTriggers"))
	require.Len(t, r.OfType("AWS::Cognito::UserPool"), 1)
	for fn, vars := range chainEnv {
		for _, v := range vars {
			require.NotContains(t, env(r, fn), v, fn)
		}
		require.Empty(t, invokes(r, ref(r.Props(fn)["Role"])), fn)
	}
	for _, d := range r.OfType("AWS::CloudWatch::Dashboard") {
		require.Contains(t, fmt.Sprint(r.Props(d)["DashboardBody"]), `"UserPoolId","ref-UserPool"`, d)
	}
	require.NoError(t, checkWiring(r))
}
