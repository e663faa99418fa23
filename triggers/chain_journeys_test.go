package triggers

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

const (
	theirTokens  = "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3"
	theirMessage = "arn:aws:lambda:eu-west-1:123456789012:function:custom-message"
)

// journeyChain chains the pre token generation and custom message slots.
func journeyChain() map[string]string {
	return map[string]string{"PreTokenGeneration": theirTokens, "CustomMessage": theirMessage}
}

func journeyChained(t *testing.T, function string, f *foreign) testTrigger {
	tt := newTestTrigger(t, function, testConfig())
	tt.h.(interface {
		SetChain(map[string]string, InvokeFunc)
	}).SetChain(journeyChain(), f.invoke)
	return tt
}

// respond is an adopter's function that answers with the event it got, its
// response replaced by response (as the AWS documentation's examples do).
func respond(response map[string]any) func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
	return func(_ context.Context, _ string, payload []byte) (*lambda.InvokeOutput, error) {
		var ev map[string]any
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		ev["response"] = response
		out, err := json.Marshal(ev)
		return &lambda.InvokeOutput{StatusCode: 200, Payload: out}, err
	}
}

func responseOf(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var ev struct {
		Response map[string]any `json:"response"`
	}
	require.NoError(t, json.Unmarshal(out, &ev))
	return ev.Response
}

// TestChainPreTokenGeneration: the pool's own pre token generation
// function gets the event as Cognito sent it, in the pool's event version,
// and its claim and scope overrides (the documented response of each
// version) are the answer; its error reaches Cognito unchanged; cogwatch
// counts the token set either way.
func TestChainPreTokenGeneration(t *testing.T) {
	tests := []struct {
		fixture  string
		response map[string]any
	}{
		{"aws-docs/TokenGeneration_RefreshTokens-v1.json", map[string]any{"claimsOverrideDetails": map[string]any{
			"claimsToAddOrOverride": map[string]any{"tenant": "acme"}, "claimsToSuppress": []any{"email"},
			"groupOverrideDetails": map[string]any{"groupsToOverride": []any{"admins"}}}}},
		{"aws-docs/TokenGeneration_Authentication-v2.json", map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
			"idTokenGeneration":     map[string]any{"claimsToAddOrOverride": map[string]any{"tenant": "acme"}},
			"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"plan": "gold"}, "scopesToAdd": []any{"reports/read"}, "scopesToSuppress": []any{"email"}}}}},
		{"aws-docs/TokenGeneration_HostedAuth-v2.json", map[string]any{"claimsAndScopeOverrideDetails": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			payload := readFixture(t, tc.fixture)
			f := &foreign{answer: respond(tc.response)}
			tt := journeyChained(t, "pretokengeneration", f)
			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, []foreignCall{{theirTokens, payload}}, f.called(), "their function, with the very payload: the pool's event version")
			require.Equal(t, tc.response, responseOf(t, out), "their overrides are what Cognito issues")
			doc := decodeEMF(t, tt.emf.Lines()[0])
			require.Equal(t, 1.0, doc.num(t, "TokensIssued"))
			require.Equal(t, 0.0, doc.num(t, "ChainFailures"))
			require.True(t, doc.has("ChainLatency"))

			f.answer = func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
				return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
					Payload: []byte(`{"errorMessage":"No tenant for this user","errorType":"TenantError"}`)}, nil
			}
			out, err = tt.h.Invoke(t.Context(), payload)
			require.Nil(t, out)
			require.Equal(t, &ChainedError{Message: "No tenant for this user", Type: "TenantError"}, err)
			doc = decodeEMF(t, tt.emf.Lines()[1])
			require.Equal(t, 1.0, doc.num(t, "TokensIssued"), "Cognito reached the trigger")
			require.Equal(t, 0.0, doc.num(t, "ChainFailures"), "a decision, not a failure")
		})
	}
}

// TestChainCustomMessage: the pool's own custom message function writes the
// message (the documented smsMessage, emailMessage and emailSubject) and
// its answer is what Cognito sends; cogwatch counts and publishes the code
// by the medium Cognito meant; an error reaches Cognito unchanged.
func TestChainCustomMessage(t *testing.T) {
	for _, fixture := range []string{"aws-docs/CustomMessage_SignUp.json", "aws-docs/CustomMessage_ForgotPassword.json", "aws-docs/CustomMessage_AdminCreateUser.json"} {
		t.Run(fixture, func(t *testing.T) {
			payload := readFixture(t, fixture)
			response := map[string]any{"smsMessage": "Acme: your code is {####}",
				"emailMessage": "<p>Welcome to Acme. Your code is {####}.</p>", "emailSubject": "Your Acme code"}
			f := &foreign{answer: respond(response)}
			tt := journeyChained(t, "custommessage", f)
			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, []foreignCall{{theirMessage, payload}}, f.called())
			require.Equal(t, response, responseOf(t, out), "their message is what Cognito sends")
			evs := tt.rec.events(t)
			require.Len(t, evs, 1)
			require.Equal(t, event.CodeSent, evs[0].Type)
			doc := decodeEMF(t, tt.emf.Lines()[0])
			require.Equal(t, 1.0, doc.num(t, "CodesSent"))
			require.Equal(t, 0.0, doc.num(t, "ChainFailures"))

			f.answer = func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
				return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
					Payload: []byte(`{"errorMessage":"Template missing","errorType":"Error"}`)}, nil
			}
			_, err = tt.h.Invoke(t.Context(), payload)
			require.Equal(t, &ChainedError{Message: "Template missing", Type: "Error"}, err)
			require.Len(t, tt.rec.events(t), 2, "the code went out as far as cogwatch knows: Cognito reached the trigger")
		})
	}
}

// TestChainJourneysUnavailable: a chained function that does not answer
// fails the invocation inside the budget, and Reserve before the deadline
// when that comes first, as for the other slots.
func TestChainJourneysUnavailable(t *testing.T) {
	for _, tc := range []struct{ function, fixture string }{
		{"pretokengeneration", "aws-docs/TokenGeneration_Authentication-v2.json"},
		{"custommessage", "aws-docs/CustomMessage_SignUp.json"},
	} {
		t.Run(tc.function, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var deadline time.Time
				f := &foreign{answer: func(ctx context.Context, _ string, _ []byte) (*lambda.InvokeOutput, error) {
					deadline, _ = ctx.Deadline()
					<-ctx.Done()
					return nil, ctx.Err()
				}}
				tt := journeyChained(t, tc.function, f)
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				_, err := tt.h.Invoke(ctx, readFixture(t, tc.fixture))
				cancel()
				require.ErrorIs(t, err, ErrChainUnavailable)
				require.Equal(t, start.Add(DefaultConfig.Budget), deadline, "the budget")
				require.Equal(t, 1.0, decodeEMF(t, tt.emf.Lines()[0]).num(t, "ChainFailures"))

				ctx, cancel = context.WithTimeout(t.Context(), time.Second)
				dl, _ := ctx.Deadline()
				_, err = tt.h.Invoke(ctx, readFixture(t, tc.fixture))
				cancel()
				require.ErrorIs(t, err, ErrChainUnavailable)
				require.Equal(t, dl.Add(-Reserve), deadline, "Reserve before the invocation's deadline")
			})
		})
	}
}

// TestChainJourneysCogwatchCannotRead: a version 3 machine-to-machine event
// (a trigger source cogwatch does not count) and an event cogwatch cannot
// decode still go to the pool's own function, whose answer stands.
func TestChainJourneysCogwatchCannotRead(t *testing.T) {
	for name, tc := range map[string]struct{ function, payload, want string }{
		"client credentials, version 3": {"pretokengeneration",
			`{"version":"3","triggerSource":"TokenGeneration_ClientCredentials","region":"eu-west-1","userPoolId":"eu-west-1_a","userName":null,"callerContext":{"clientId":"m2m"},"request":{"userAttributes":{},"scopes":["reports/read"]},"response":{"claimsAndScopeOverrideDetails":null}}`,
			theirTokens},
		"undecodable token event": {"pretokengeneration",
			`{"triggerSource":"TokenGeneration_Authentication","userPoolId":"eu-west-1_a","request":{"userAttributes":{"email":42}},"response":{}}`, theirTokens},
		"undecodable message": {"custommessage",
			`{"triggerSource":"CustomMessage_SignUp","userPoolId":"eu-west-1_a","request":{"userAttributes":{},"codeParameter":7},"response":{}}`, theirMessage},
	} {
		t.Run(name, func(t *testing.T) {
			f := &foreign{answer: func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
				return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"response":{"theirs":true}}`)}, nil
			}}
			tt := journeyChained(t, tc.function, f)
			out, err := tt.h.Invoke(t.Context(), []byte(tc.payload))
			require.NoError(t, err)
			require.JSONEq(t, `{"response":{"theirs":true}}`, string(out))
			require.Equal(t, []foreignCall{{tc.want, []byte(tc.payload)}}, f.called())
			if name == "client credentials, version 3" {
				require.NotContains(t, tt.logs.String(), "not handled", "a machine token is expected on a version 3 pool, not a warning")
				require.False(t, decodeEMF(t, tt.emf.Lines()[0]).has("TokensIssued"), "no user: not counted")
			}
		})
	}
}

func TestSlotOf(t *testing.T) {
	for source, want := range map[string]string{
		"PreSignUp_SignUp": "PreSignUp", "PreSignUp_Migrated": "PreSignUp", "PreAuthentication_Authentication": "PreAuthentication",
		"PostAuthentication_Authentication": "PostAuthentication", "PostConfirmation_ConfirmForgotPassword": "PostConfirmation",
		"TokenGeneration_HostedAuth": "PreTokenGeneration", "TokenGeneration_ClientCredentials": "PreTokenGeneration",
		"CustomMessage_Authentication": "CustomMessage", "UserMigration_Authentication": "", "": "", "PreSignUp": "",
	} {
		require.Equal(t, want, slotOf(source), source)
	}
}
