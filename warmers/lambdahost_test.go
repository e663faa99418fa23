package warmers

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/lambdahost"
)

// TestAgainstTheLocalLambdaHost runs a round through the real SDK client
// against cogwatch's local Lambda host, whose execution environments serve
// one invocation at a time, as Lambda's do.
func TestAgainstTheLocalLambdaHost(t *testing.T) {
	handler := lambda.NewHandler(func(context.Context, json.RawMessage) (string, error) { return "not a warm-up", nil })
	h, err := lambdahost.New(nil, lambdahost.Function{
		Name: "PreSignUpFunction",
		New: func(ctx context.Context) (lambda.Handler, error) {
			time.Sleep(100 * time.Millisecond) // a cold start
			return handler, nil
		},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := awslambda.NewFromConfig(aws.Config{
		Region:           lambdahost.Region,
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
	w := New(c.Invoke, nil, Options{Config: Config{Hold: 500 * time.Millisecond}})
	in := Input{Targets: []Target{{Function: "PreSignUpFunction", Instances: 6}, {Function: "Missing", Instances: 2}}}

	rep, err := w.Handle(t.Context(), in)
	require.NoError(t, err)
	got := report(rep, "PreSignUpFunction")
	require.Equal(t, 6, got.Instances)
	require.Equal(t, 6, got.Cold)
	require.Zero(t, got.Errors)
	require.Equal(t, 6, h.Stats("PreSignUpFunction").Environments)
	require.Equal(t, map[string]int{"ResourceNotFoundException": 2}, report(rep, "Missing").ErrorCodes)

	rep, err = w.Handle(t.Context(), in)
	require.NoError(t, err)
	got = report(rep, "PreSignUpFunction")
	require.Equal(t, 6, got.Instances)
	require.Zero(t, got.Cold)
	require.Equal(t, 6, h.Stats("PreSignUpFunction").Environments, "warm environments were reused")
}
