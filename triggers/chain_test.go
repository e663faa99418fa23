package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local/lambdahost"
)

const (
	theirPreSignUp = "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"
	theirPreAuth   = "arn:aws:lambda:eu-west-1:123456789012:function:lockout:3"
	theirPostAuth  = "arn:aws:lambda:eu-west-1:123456789012:function:last-seen"
	theirPostConf  = "arn:aws:lambda:eu-west-1:123456789012:function:welcome-mail:7"
)

// foreign is the adopter's own functions behind the Lambda Invoke API: it
// records what it is given and answers with answer.
type foreign struct {
	mu     sync.Mutex
	calls  []foreignCall
	answer func(ctx context.Context, function string, payload []byte) (*lambda.InvokeOutput, error)
}

type foreignCall struct {
	Function string
	Payload  []byte
}

// invoke is an InvokeFunc; answer speaks in the SDK's Invoke output.
func (f *foreign) invoke(ctx context.Context, function string, payload []byte) ([]byte, string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, foreignCall{function, bytes.Clone(payload)})
	answer := f.answer
	f.mu.Unlock()
	out, err := answer(ctx, function, payload)
	if err != nil {
		return nil, "", err
	}
	return out.Payload, aws.ToString(out.FunctionError), nil
}

func (f *foreign) called() []foreignCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// rules is the adopter's pre sign-up logic: it rejects example.org, auto-
// confirms everyone else (a response field cogwatch never sets), as a
// function error with the Node.js runtime's errorType.
func rules(_ context.Context, function string, payload []byte) (*lambda.InvokeOutput, error) {
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	email, _ := ev["request"].(map[string]any)["userAttributes"].(map[string]any)["email"].(string)
	if strings.HasSuffix(email, "@example.org") {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
			Payload: []byte(`{"errorType":"Error","errorMessage":"Sign-ups from example.org are closed","trace":[]}`)}, nil
	}
	ev["response"] = map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": false, "by": function}
	out, _ := json.Marshal(ev)
	return &lambda.InvokeOutput{StatusCode: 200, Payload: out}, nil
}

func chainConfig() map[string]string {
	return map[string]string{"PreSignUp": theirPreSignUp, "PreAuthentication": theirPreAuth, "PostAuthentication": theirPostAuth, "PostConfirmation": theirPostConf}
}

func withEmail(t *testing.T, payload []byte, email string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(payload, &ev))
	ev["request"].(map[string]any)["userAttributes"].(map[string]any)["email"] = email
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

func chainedTrigger(t *testing.T, function string, f *foreign) testTrigger {
	tt := newTestTrigger(t, function, testConfig())
	tt.h.(interface {
		SetChain(map[string]string, InvokeFunc)
	}).SetChain(chainConfig(), f.invoke)
	return tt
}

// TestChainPreSignUp: the pool's own pre sign-up function runs after
// cogwatch's checks with the same payload; its response is the answer, its
// rejection reaches Cognito unchanged, and the event and counts say what
// the user got.
func TestChainPreSignUp(t *testing.T) {
	signUp := readFixture(t, "cognito-local/PreSignUp_SignUp.json")
	tests := []struct {
		name       string
		email      string
		wantCalled bool
		wantErr    string // the message Cognito shows after "PreSignUp failed with error "
		wantReason string // "" when accepted
		wantChain  bool   // ChainLatency and ChainFailures in the EMF line
	}{
		{name: "both accept: their response is the answer", email: "alice@example.com", wantCalled: true, wantChain: true},
		{name: "theirs rejects: their error, unchanged", email: "bob@example.org", wantCalled: true,
			wantErr: "Sign-ups from example.org are closed", wantReason: event.ReasonChainedTrigger, wantChain: true},
		{name: "cogwatch rejects: theirs is not called", email: "carol@mailinator.com",
			wantErr: "Please use a permanent email address", wantReason: event.ReasonDisposableDomain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &foreign{answer: rules}
			tt := chainedTrigger(t, "presignup", f)
			payload := withEmail(t, signUp, tc.email)
			out, err := tt.h.Invoke(t.Context(), payload)

			if tc.wantCalled {
				require.Equal(t, []foreignCall{{theirPreSignUp, payload}}, f.called(), "their function, with the very payload")
			} else {
				require.Empty(t, f.called())
			}
			evs := tt.rec.events(t)
			require.Len(t, evs, 1)
			doc := decodeEMF(t, tt.emf.Lines()[0])
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				require.Nil(t, out)
				require.Equal(t, event.SignUpRejected, evs[0].Type)
				require.Equal(t, tc.wantReason, evs[0].Data.Reason)
				require.Equal(t, 1.0, doc.num(t, "SignUpRejected"))
				require.False(t, doc.has("SignUpAccepted"))
			} else {
				require.NoError(t, err)
				var resp struct {
					Response map[string]any `json:"response"`
				}
				require.NoError(t, json.Unmarshal(out, &resp))
				require.Equal(t, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": false, "by": theirPreSignUp}, resp.Response)
				require.Equal(t, event.SignUpAccepted, evs[0].Type)
				require.Equal(t, 1.0, doc.num(t, "SignUpAccepted"))
			}
			require.Equal(t, tc.wantChain, doc.has("ChainLatency"))
			if tc.wantChain {
				require.Equal(t, 0.0, doc.num(t, "ChainFailures"), "a decision is not a failure")
			}
			var ce *ChainedError
			if tc.wantReason == event.ReasonChainedTrigger {
				require.ErrorAs(t, err, &ce)
				require.Equal(t, "Error", ce.Type)
			}
		})
	}
}

// TestChainAuthenticationAndConfirmation: one authentication function
// chains two slots, each to its own function; post confirmation its own.
// Their errors reach Cognito; cogwatch's counts are the same either way.
func TestChainAuthenticationAndConfirmation(t *testing.T) {
	tests := []struct {
		function, fixture, wantChained, wantMetric string
	}{
		{"authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json", theirPreAuth, "SignInAttempted"},
		{"authentication", "aws-lambda-go/cognito-event-userpools-postauthentication.json", theirPostAuth, "SignInSucceeded"},
		{"postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json", theirPostConf, "UserConfirmed"},
		{"postconfirmation", "cognito-local/PostConfirmation_ConfirmForgotPassword.json", theirPostConf, "PasswordReset"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			payload := readFixture(t, tc.fixture)
			f := &foreign{answer: func(_ context.Context, _ string, p []byte) (*lambda.InvokeOutput, error) {
				body := bytes.TrimSuffix(bytes.TrimSpace(p), []byte("}"))
				return &lambda.InvokeOutput{StatusCode: 200, Payload: append(bytes.Clone(body), `,"seen":true}`...)}, nil
			}}
			tt := chainedTrigger(t, tc.function, f)
			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, []foreignCall{{tc.wantChained, payload}}, f.called())
			require.True(t, bytes.HasSuffix(out, []byte(`,"seen":true}`)), "their response is the answer: %s", out)
			require.Equal(t, 1.0, decodeEMF(t, tt.emf.Lines()[0]).num(t, tc.wantMetric))

			// Their function fails: the error reaches Cognito; cogwatch still counts.
			f.answer = func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
				return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
					Payload: []byte(`{"errorMessage":"Account locked","errorType":"LockedError"}`)}, nil
			}
			_, err = tt.h.Invoke(t.Context(), payload)
			require.Equal(t, &ChainedError{Message: "Account locked", Type: "LockedError"}, err)
			require.Equal(t, 1.0, decodeEMF(t, tt.emf.Lines()[1]).num(t, tc.wantMetric))
			require.Len(t, tt.rec.events(t), 2)
		})
	}
}

// TestChainUnavailable: a chained function that cannot be called, or does
// not answer before the budget, fails the user (its decision is unknown),
// inside the budget, counted in ChainFailures.
func TestChainUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		answer func(ctx context.Context, _ string, _ []byte) (*lambda.InvokeOutput, error)
	}{
		{name: "throttled", answer: func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded for alice@example.com"}
		}},
		{name: "no permission", answer: func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized", Fault: smithy.FaultClient}
		}},
		{name: "never answers", answer: func(ctx context.Context, _ string, _ []byte) (*lambda.InvokeOutput, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &foreign{answer: tc.answer}
				tt := chainedTrigger(t, "presignup", f)
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				start := time.Now()
				_, err := tt.h.Invoke(ctx, readFixture(t, "cognito-local/PreSignUp_SignUp.json"))
				require.ErrorIs(t, err, ErrChainUnavailable)
				require.EqualError(t, err, "Please try again later")
				require.LessOrEqual(t, time.Since(start), DefaultConfig.Budget, "within the budget")
				doc := decodeEMF(t, tt.emf.Lines()[0])
				require.Equal(t, 1.0, doc.num(t, "ChainFailures"))
				require.Equal(t, 1.0, doc.num(t, "SignUpRejected"))
				require.NotContains(t, tt.logs.String(), "@", "no address in logs, even from an error message")
			})
		})
	}
}

// TestChainDeadline: with less time left than the budget, the chained call
// ends Reserve before the invocation's deadline.
func TestChainDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var deadline time.Time
		f := &foreign{answer: func(ctx context.Context, _ string, _ []byte) (*lambda.InvokeOutput, error) {
			deadline, _ = ctx.Deadline()
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		tt := chainedTrigger(t, "postconfirmation", f)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		dl, _ := ctx.Deadline()
		_, err := tt.h.Invoke(ctx, readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json"))
		require.ErrorIs(t, err, ErrChainUnavailable)
		require.Equal(t, dl.Add(-Reserve), deadline)
		require.LessOrEqual(t, time.Now(), dl.Add(-Reserve))
	})
}

// TestChainEventsCogwatchCannotRead: an event cogwatch cannot decode, or
// whose source it does not handle, still goes to the pool's own function.
func TestChainEventsCogwatchCannotRead(t *testing.T) {
	for name, payload := range map[string]string{
		"undecodable":    `{"triggerSource":"PreSignUp_SignUp","userPoolId":"eu-west-1_a","request":{"userAttributes":{"email":42}},"response":{}}`,
		"unknown source": `{"triggerSource":"PreSignUp_Migrated","userPoolId":"eu-west-1_a","request":{"userAttributes":{}},"response":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := &foreign{answer: func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
				return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"no","errorType":"Error"}`)}, nil
			}}
			tt := chainedTrigger(t, "presignup", f)
			_, err := tt.h.Invoke(t.Context(), []byte(payload))
			require.EqualError(t, err, "no")
			require.Equal(t, []foreignCall{{theirPreSignUp, []byte(payload)}}, f.called())
			if name == "unknown source" {
				require.True(t, decodeEMF(t, tt.emf.Lines()[0]).has("ChainLatency"), "the call is in the invocation's EMF line")
			}
		})
	}
}

// TestNoChain: without SetChain (or for a slot without a function) nothing
// changes: the payload is the answer and nothing is invoked.
func TestNoChain(t *testing.T) {
	f := &foreign{answer: rules}
	tt := newTestTrigger(t, "authentication", testConfig())
	tt.h.(*Authentication).SetChain(map[string]string{"PreAuthentication": theirPreAuth}, f.invoke)
	payload := readFixture(t, "aws-lambda-go/cognito-event-userpools-postauthentication.json")
	out, err := tt.h.Invoke(t.Context(), payload)
	require.NoError(t, err)
	require.Equal(t, payload, out)
	require.Empty(t, f.called())
	require.False(t, decodeEMF(t, tt.emf.Lines()[0]).has("ChainLatency"))
}

func TestChainedErrorNotJSON(t *testing.T) {
	f := &foreign{answer: func(context.Context, string, []byte) (*lambda.InvokeOutput, error) {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`Task timed out after 3.00 seconds`)}, nil
	}}
	tt := chainedTrigger(t, "presignup", f)
	_, err := tt.h.Invoke(t.Context(), readFixture(t, "cognito-local/PreSignUp_SignUp.json"))
	var ce *ChainedError
	require.True(t, errors.As(err, &ce))
	require.Equal(t, &ChainedError{Message: "Task timed out after 3.00 seconds", Type: "Unhandled"}, ce)
}

// handlerFunc adapts a function to lambda.Handler.
type handlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f handlerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// TestChainFromEnvThroughTheLambdaAPI builds the pre sign-up trigger from
// its environment as Lambda does, with its Lambda Invoke client calling the
// adopter's function (a Go handler) through the Lambda Invoke API on
// loopback (internal/lambdahost): the response and a rejection cross the
// wire as they would from Lambda.
func TestChainFromEnvThroughTheLambdaAPI(t *testing.T) {
	theirs := handlerFunc(func(_ context.Context, payload []byte) ([]byte, error) {
		if bytes.Contains(payload, []byte("@example.org")) {
			return nil, errors.New("Sign-ups from example.org are closed")
		}
		return bytes.Replace(payload, []byte(`"autoConfirmUser": false`), []byte(`"autoConfirmUser": true`), 1), nil
	})
	host, err := lambdahost.New(nil, lambdahost.Function{Name: "signup-rules", Timeout: 3 * time.Second,
		New: func(context.Context) (awslambda.Handler, error) { return theirs, nil }})
	require.NoError(t, err)
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)

	var stdout syncBuffer
	h, err := PreSignUpFromEnv(t.Context(), env(map[string]string{
		"COGWATCH_CHAIN_PRE_SIGN_UP": theirPreSignUp, // the host serves it by name, qualifier aside
		"AWS_ENDPOINT_URL_LAMBDA":    srv.URL,
		"AWS_REGION":                 "eu-west-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
	}), &stdout)
	require.NoError(t, err)

	signUp := readFixture(t, "cognito-local/PreSignUp_SignUp.json")
	out, err := h.Invoke(t.Context(), signUp)
	require.NoError(t, err)
	require.Contains(t, string(out), `"autoConfirmUser": true`, "their response is the answer")

	_, err = h.Invoke(t.Context(), withEmail(t, signUp, "bob@example.org"))
	require.EqualError(t, err, "Sign-ups from example.org are closed")
	var ce *ChainedError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "errorString", ce.Type, "the errorType their runtime gave")

	lines := stdout.Lines()
	require.Len(t, lines, 3, "two EMF lines and the rejection's log line")
	require.Equal(t, 1.0, decodeEMF(t, lines[0]).num(t, "SignUpAccepted"))
	require.Equal(t, 1.0, decodeEMF(t, lines[2]).num(t, "SignUpRejected"))
	require.NotContains(t, stdout.String(), "bob@")
}

// FuzzChainedError reads arbitrary function-error payloads: never a panic;
// a JSON error document gives its message, anything else is the message.
func FuzzChainedError(f *testing.F) {
	for _, s := range []string{`{"errorMessage":"Sign-ups from example.org are closed","errorType":"Error","trace":[]}`,
		`{"errorType":"Runtime.ExitError"}`, `Task timed out after 3.00 seconds`, `{"errorMessage":42}`, `null`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ce := chainedError(payload, "Unhandled")
		var doc struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		if json.Unmarshal(payload, &doc) == nil && (doc.Message != "" || doc.Type != "") {
			require.Equal(t, &ChainedError{Message: doc.Message, Type: doc.Type}, ce)
			return
		}
		require.Equal(t, &ChainedError{Message: string(payload), Type: "Unhandled"}, ce)
		require.Equal(t, string(payload), ce.Error())
	})
}
