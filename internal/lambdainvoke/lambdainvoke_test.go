package lambdainvoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

const function = "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"

// lambdaAPI is a stand-in for Lambda's Invoke API on loopback: it records
// each request and answers with the next of answers (the last repeats).
type lambdaAPI struct {
	mu       sync.Mutex
	requests []recorded
	answers  []func(w http.ResponseWriter)
}

type recorded struct {
	header  http.Header
	method  string
	rawPath string
	body    []byte
	// signedAgain is the request's Authorization computed again from what
	// arrived, with the signer and the request's own X-Amz-Date.
	signedAgain string
}

func (l *lambdaAPI) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		rec := recorded{header: r.Header.Clone(), method: r.Method, rawPath: r.URL.EscapedPath(), body: body}
		if at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date")); err == nil {
			// Only the headers the client signed: the transport adds others
			// (Accept-Encoding) after signing.
			again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
			again.ContentLength = r.ContentLength
			_, signed, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
			signed, _, _ = strings.Cut(signed, ",")
			for _, k := range strings.Split(signed, ";") {
				if v := r.Header.Values(k); v != nil {
					again.Header[http.CanonicalHeaderKey(k)] = v
				}
			}
			sum := sha256.Sum256(body)
			creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", SessionToken: "token"}
			require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "lambda", "eu-west-1", at))
			rec.signedAgain = again.Header.Get("Authorization")
		}
		l.mu.Lock()
		l.requests = append(l.requests, rec)
		answer := l.answers[min(len(l.requests), len(l.answers))-1]
		l.mu.Unlock()
		answer(w)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (l *lambdaAPI) got() []recorded {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests
}

func answer(status int, header map[string]string, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// noWait retries at once, so that tests of retries take no time.
func noWait() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func testConfig() aws.Config {
	return aws.Config{Region: "eu-west-1", Retryer: noWait,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "token")}
}

// TestInvoke: the request is Lambda's Invoke (POST, the ARN escaped as one
// path segment, RequestResponse), carries the payload as it is and a SigV4
// signature for lambda in the configured region that the signer computes
// again from what arrived; the response comes back as it is.
func TestInvoke(t *testing.T) {
	api := &lambdaAPI{answers: []func(http.ResponseWriter){answer(200, map[string]string{"X-Amz-Executed-Version": "7"}, `{"response":{"autoConfirmUser":true}}`)}}
	srv := api.serve(t)
	payload := []byte(`{"triggerSource":"PreSignUp_SignUp","request":{"userAttributes":{"email":"alice@example.com"}}}`)

	out, fnErr, err := New(testConfig(), Options{Endpoint: srv.URL}).Invoke(t.Context(), function, payload)
	require.NoError(t, err)
	require.Empty(t, fnErr)
	require.JSONEq(t, `{"response":{"autoConfirmUser":true}}`, string(out))

	reqs := api.got()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.Equal(t, http.MethodPost, r.method)
	require.Equal(t, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Asignup-rules%3Alive/invocations", r.rawPath)
	require.Equal(t, payload, r.body)
	require.Equal(t, "RequestResponse", r.header.Get("X-Amz-Invocation-Type"))
	require.Equal(t, "token", r.header.Get("X-Amz-Security-Token"))
	auth := r.header.Get("Authorization")
	require.True(t, strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/"), auth)
	require.Contains(t, auth, "/eu-west-1/lambda/aws4_request")
	require.Equal(t, r.signedAgain, auth, "the signature matches the request that arrived")
}

// TestInvokeFunctionError: a function's error is an answer, not a failure:
// X-Amz-Function-Error and the error document, no retry.
func TestInvokeFunctionError(t *testing.T) {
	doc := `{"errorMessage":"Sign-ups from example.org are closed","errorType":"Error","trace":[]}`
	api := &lambdaAPI{answers: []func(http.ResponseWriter){answer(200, map[string]string{"X-Amz-Function-Error": "Unhandled"}, doc)}}
	srv := api.serve(t)
	out, fnErr, err := New(testConfig(), Options{Endpoint: srv.URL}).Invoke(t.Context(), function, []byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, "Unhandled", fnErr)
	require.Equal(t, doc, string(out))
	require.Len(t, api.got(), 1)
}

// TestInvokeAPIErrors: Lambda's errors come back as smithy.APIError with
// Lambda's code (from X-Amzn-ErrorType, else the body), retried as the
// SDK's retry policy says: server errors and throttling up to its attempts,
// client errors never.
func TestInvokeAPIErrors(t *testing.T) {
	tests := []struct {
		name         string
		answers      []func(http.ResponseWriter)
		wantCode     string // "" for success
		wantFault    smithy.ErrorFault
		wantRequests int
	}{
		{name: "not found, code in the header: no retry",
			answers: []func(http.ResponseWriter){answer(404, map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/"},
				`{"Type":"User","Message":"Function not found: arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"}`)},
			wantCode: "ResourceNotFoundException", wantFault: smithy.FaultClient, wantRequests: 1},
		{name: "denied, code in the body: no retry",
			answers:  []func(http.ResponseWriter){answer(403, nil, `{"__type":"com.amazonaws#AccessDeniedException","message":"not authorized"}`)},
			wantCode: "AccessDeniedException", wantFault: smithy.FaultClient, wantRequests: 1},
		{name: "throttled then answered",
			answers:      []func(http.ResponseWriter){answer(429, map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException"}, `{"message":"Rate exceeded"}`), answer(200, nil, `{}`)},
			wantRequests: 2},
		{name: "server error on every attempt",
			answers:  []func(http.ResponseWriter){answer(500, map[string]string{"X-Amzn-ErrorType": "ServiceException"}, `{"message":"internal"}`)},
			wantCode: "ServiceException", wantFault: smithy.FaultServer, wantRequests: 3},
		{name: "no JSON",
			answers:  []func(http.ResponseWriter){answer(400, nil, `<html>bad request</html>`)},
			wantCode: "UnknownError", wantFault: smithy.FaultClient, wantRequests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &lambdaAPI{answers: tc.answers}
			srv := api.serve(t)
			out, _, err := New(testConfig(), Options{Endpoint: srv.URL}).Invoke(t.Context(), function, []byte(`{}`))
			require.Len(t, api.got(), tc.wantRequests)
			if tc.wantCode == "" {
				require.NoError(t, err)
				require.Equal(t, `{}`, string(out))
				return
			}
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.wantCode, apiErr.ErrorCode())
			require.Equal(t, tc.wantFault, apiErr.ErrorFault())
			var opErr *smithy.OperationError
			require.ErrorAs(t, err, &opErr)
			require.Equal(t, "Invoke", opErr.Operation())
		})
	}
}

// TestInvokeDeadline: a Lambda that does not answer is given up at ctx's
// deadline, with no retry after it.
func TestInvokeDeadline(t *testing.T) {
	release := make(chan struct{})
	api := &lambdaAPI{answers: []func(http.ResponseWriter){func(w http.ResponseWriter) { <-release }}}
	srv := api.serve(t)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := New(testConfig(), Options{Endpoint: srv.URL}).Invoke(ctx, function, []byte(`{}`))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 3*time.Second)
	require.Len(t, api.got(), 1)
}

// TestEndpoint: the endpoint is resolved in the SDK's order, the regional
// one in the partition of the function's ARN.
func TestEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		cfg      aws.Config
		function string
		want     string
		wantErr  string
	}{
		{name: "regional", cfg: aws.Config{Region: "eu-west-1"}, function: function, want: "https://lambda.eu-west-1.amazonaws.com"},
		{name: "China", cfg: aws.Config{Region: "cn-north-1"}, function: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
			want: "https://lambda.cn-north-1.amazonaws.com.cn"},
		{name: "GovCloud FIPS", cfg: aws.Config{Region: "us-gov-west-1", ConfigSources: []any{config.EnvConfig{UseFIPSEndpoint: aws.FIPSEndpointStateEnabled}}},
			function: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f", want: "https://lambda-fips.us-gov-west-1.amazonaws.com"},
		{name: "dual-stack", cfg: aws.Config{Region: "eu-west-1", ConfigSources: []any{config.EnvConfig{UseDualStackEndpoint: aws.DualStackEndpointStateEnabled}}},
			function: function, want: "https://lambda.eu-west-1.api.aws"},
		{name: "a name: the region's partition", cfg: aws.Config{Region: "cn-northwest-1"}, function: "f", want: "https://lambda.cn-northwest-1.amazonaws.com.cn"},
		{name: "configuration's BaseEndpoint", cfg: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:4566")},
			function: function, want: "http://127.0.0.1:4566"},
		{name: "option first", opts: Options{Endpoint: "http://127.0.0.1:9001/lambda"}, cfg: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:4566")},
			function: function, want: "http://127.0.0.1:9001/lambda"},
		{name: "no region", function: function, wantErr: "no region: set AWS_REGION"},
		{name: "unknown partition", cfg: aws.Config{Region: "xx-east-1"}, function: "arn:aws-xx:lambda:xx-east-1:123456789012:function:f",
			wantErr: `unknown partition "aws-xx"`},
		{name: "not a URL", opts: Options{Endpoint: "127.0.0.1:9001"}, function: function, wantErr: `endpoint "127.0.0.1:9001" is not a URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := New(tc.cfg, tc.opts).endpoint(t.Context(), tc.function)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, u.String())
		})
	}
}

// TestEndpointFromEnvironment: AWS_ENDPOINT_URL_LAMBDA, read by the SDK's
// configuration, wins over AWS_ENDPOINT_URL; the endpoint's own path is
// kept before the operation's.
func TestEndpointFromEnvironment(t *testing.T) {
	api := &lambdaAPI{answers: []func(http.ResponseWriter){answer(200, nil, `"ok"`)}}
	srv := api.serve(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", srv.URL+"/lambda/")
	cfg := testConfig()
	cfg.BaseEndpoint = aws.String("http://127.0.0.1:1")
	cfg.ConfigSources = []any{config.EnvConfig{}}
	out, _, err := New(cfg, Options{}).Invoke(t.Context(), "signup-rules", []byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, `"ok"`, string(out))
	require.Equal(t, "/lambda/2015-03-31/functions/signup-rules/invocations", api.got()[0].rawPath)
}

// FuzzAPIError reads arbitrary error answers: never a panic, always a code
// fit for a log field or a metric dimension (no namespace, no URI).
func FuzzAPIError(f *testing.F) {
	f.Add(404, "ResourceNotFoundException:http://internal.amazon.com/", []byte(`{"Type":"User","Message":"Function not found"}`))
	f.Add(403, "", []byte(`{"__type":"com.amazonaws#AccessDeniedException","message":"no"}`))
	f.Add(500, "", []byte(`<html></html>`))
	f.Add(429, "TooManyRequestsException", []byte(``))
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		h := http.Header{}
		if header != "" {
			h.Set("X-Amzn-ErrorType", header)
		}
		e := apiError(status, h, body)
		require.NotEmpty(t, e.ErrorCode())
		require.NotContains(t, e.ErrorCode(), ":")
		require.NotContains(t, e.ErrorCode(), "#")
		require.NotEmpty(t, e.ErrorMessage())
	})
}

// TestRetriedPayload: each attempt sends the whole payload again.
func TestRetriedPayload(t *testing.T) {
	api := &lambdaAPI{answers: []func(http.ResponseWriter){answer(502, map[string]string{"X-Amzn-ErrorType": "EC2ThrottledException"}, `{}`), answer(200, nil, `{}`)}}
	srv := api.serve(t)
	payload := bytes.Repeat([]byte("x"), 100<<10)
	_, _, err := New(testConfig(), Options{Endpoint: srv.URL}).Invoke(t.Context(), function, payload)
	require.NoError(t, err)
	reqs := api.got()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		require.Equal(t, payload, r.body)
		require.Equal(t, r.signedAgain, r.header.Get("Authorization"))
	}
	require.False(t, errors.Is(err, context.Canceled))
}

// TestMaxAttempts: the configuration's RetryMaxAttempts (AWS_MAX_ATTEMPTS)
// bounds the attempts, as it bounds the SDK clients'.
func TestMaxAttempts(t *testing.T) {
	for _, attempts := range []int{1, 5} {
		api := &lambdaAPI{answers: []func(http.ResponseWriter){answer(503, map[string]string{"X-Amzn-ErrorType": "ServiceException"}, `{}`)}}
		srv := api.serve(t)
		cfg := testConfig()
		cfg.RetryMaxAttempts = attempts
		_, _, err := New(cfg, Options{Endpoint: srv.URL}).Invoke(t.Context(), function, []byte(`{}`))
		require.Error(t, err)
		require.Len(t, api.got(), attempts)
	}
}
