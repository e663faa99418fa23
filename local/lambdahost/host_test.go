package lambdahost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// handlerFunc adapts a func to lambda.Handler.
type handlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f handlerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

func static(h handlerFunc) func(context.Context) (lambda.Handler, error) {
	return func(context.Context) (lambda.Handler, error) { return h, nil }
}

// serve starts the host on loopback and returns the real SDK client for it.
func serve(t *testing.T, fns ...lambdahost.Function) (*lambdahost.Host, *awslambda.Client) {
	t.Helper()
	h, err := lambdahost.New(nil, fns...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := awslambda.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
	return h, c
}

func TestInvokeReturnsPayloadWithLambdaContext(t *testing.T) {
	var seen struct {
		requestID string
		arn       string
		budget    time.Duration
	}
	h, c := serve(t, lambdahost.Function{
		Name:    "Echo",
		Timeout: 2 * time.Second,
		New: static(func(ctx context.Context, p []byte) ([]byte, error) {
			lc, ok := lambdacontext.FromContext(ctx)
			if !ok {
				return nil, errors.New("no lambda context")
			}
			seen.requestID, seen.arn = lc.AwsRequestID, lc.InvokedFunctionArn
			dl, _ := ctx.Deadline()
			seen.budget = time.Until(dl)
			return p, nil
		}),
	})
	out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Echo"), Payload: []byte(`{"a":1}`)})
	require.NoError(t, err)
	require.Nil(t, out.FunctionError)
	require.Equal(t, int32(200), out.StatusCode)
	require.JSONEq(t, `{"a":1}`, string(out.Payload))
	require.Len(t, seen.requestID, 36)
	require.Equal(t, lambdahost.ARN("Echo"), seen.arn)
	require.Greater(t, seen.budget, time.Second)
	require.LessOrEqual(t, seen.budget, 2*time.Second)

	// By ARN, as cognito-local or the AWS CLI may name it.
	_, err = c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String(lambdahost.ARN("Echo")), Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.Equal(t, lambdahost.Stats{Invocations: 2, Environments: 1}, h.Stats("Echo"))
}

func TestFunctionErrorHasInvokeAPIShape(t *testing.T) {
	for _, tc := range []struct {
		name     string
		handler  handlerFunc
		wantType string
		wantMsg  string
	}{
		{
			name:     "returned error",
			handler:  func(context.Context, []byte) ([]byte, error) { return nil, errors.New("boom") },
			wantType: "errorString",
			wantMsg:  "boom",
		},
		{
			name:     "panic",
			handler:  func(context.Context, []byte) ([]byte, error) { panic("kaput") },
			wantType: "Runtime.ExitError",
			wantMsg:  "panic: kaput",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c := serve(t, lambdahost.Function{Name: "Fails", New: static(tc.handler)})
			out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Fails"), Payload: []byte(`{}`)})
			require.NoError(t, err, "a function error is not an API error")
			require.Equal(t, int32(200), out.StatusCode)
			require.Equal(t, "Unhandled", aws.ToString(out.FunctionError))
			var body map[string]string
			require.NoError(t, json.Unmarshal(out.Payload, &body))
			require.Equal(t, map[string]string{"errorType": tc.wantType, "errorMessage": tc.wantMsg}, body)
			require.Equal(t, 1, h.Stats("Fails").Errors)
		})
	}
}

func TestTimeoutAnswersSandboxTimedoutAndDropsTheEnvironment(t *testing.T) {
	var cancelled atomic.Bool
	h, c := serve(t, lambdahost.Function{
		Name:    "Slow",
		Timeout: 150 * time.Millisecond,
		New: static(func(ctx context.Context, p []byte) ([]byte, error) {
			if string(p) == `"fast"` {
				return []byte(`"ok"`), nil
			}
			<-ctx.Done()
			cancelled.Store(true)
			time.Sleep(50 * time.Millisecond) // outlives the deadline, like a handler ignoring it
			return []byte(`"late"`), nil
		}),
	})
	start := time.Now()
	out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Slow"), Payload: []byte(`"slow"`)})
	require.NoError(t, err)
	require.Equal(t, "Unhandled", aws.ToString(out.FunctionError))
	var body map[string]string
	require.NoError(t, json.Unmarshal(out.Payload, &body))
	require.Equal(t, "Sandbox.Timedout", body["errorType"])
	require.Contains(t, body["errorMessage"], "Task timed out after 0.15 seconds")
	require.Less(t, time.Since(start), 2*time.Second)
	require.Eventually(t, cancelled.Load, time.Second, 10*time.Millisecond, "the handler's context is cancelled at the deadline")

	_, err = c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Slow"), Payload: []byte(`"fast"`)})
	require.NoError(t, err)
	require.Equal(t, lambdahost.Stats{Invocations: 2, Errors: 1, Timeouts: 1, Environments: 2}, h.Stats("Slow"),
		"the timed-out environment is replaced, not reused")
}

func TestConcurrentInvocationsReachDistinctEnvironments(t *testing.T) {
	const n = 6
	var arrived sync.WaitGroup
	arrived.Add(n)
	h, c := serve(t, lambdahost.Function{
		Name:    "Warmable",
		Timeout: 5 * time.Second,
		New: static(func(ctx context.Context, p []byte) ([]byte, error) {
			// A barrier: returns only once all n invocations run at once.
			arrived.Done()
			all := make(chan struct{})
			go func() { arrived.Wait(); close(all) }()
			select {
			case <-all:
				return p, nil
			case <-ctx.Done():
				return nil, errors.New("invocations were not concurrent")
			}
		}),
	})
	// Warm-ups holding 300 ms: while one holds, its environment is busy.
	instances := make(chan warmup.Response, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{
				FunctionName: aws.String("Warmable"), Payload: []byte(`{"cogwatch":"warmup","holdMs":300}`),
			})
			if err != nil {
				t.Error(err)
				return
			}
			var r warmup.Response
			if err := json.Unmarshal(out.Payload, &r); err != nil {
				t.Error(err)
			}
			instances <- r
		})
	}
	wg.Wait()
	close(instances)
	distinct := map[string]bool{}
	for r := range instances {
		require.True(t, r.Cold, "every environment is new")
		distinct[r.Instance] = true
	}
	require.Len(t, distinct, n)
	require.Equal(t, lambdahost.Stats{Warmups: n, Environments: n}, h.Stats("Warmable"))

	// Sequential invocations reuse a warm environment.
	out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Warmable"), Payload: []byte(`{"cogwatch":"warmup"}`)})
	require.NoError(t, err)
	var r warmup.Response
	require.NoError(t, json.Unmarshal(out.Payload, &r))
	require.False(t, r.Cold)
	require.True(t, distinct[r.Instance])
	require.Equal(t, n, h.Stats("Warmable").Environments)

	// And concurrent handler invocations (not warm-ups) are concurrent too.
	for i := range n {
		wg.Go(func() {
			_, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Warmable"), Payload: fmt.Appendf(nil, "%d", i)})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, 0, h.Stats("Warmable").Errors)
}

func TestUnknownFunctionIsResourceNotFound(t *testing.T) {
	_, c := serve(t, lambdahost.Function{Name: "Known", New: static(func(context.Context, []byte) ([]byte, error) { return nil, nil })})
	_, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Unknown"), Payload: []byte(`{}`)})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	require.Contains(t, nf.ErrorMessage(), "function:Unknown")
}

func TestInitErrorIsAFunctionError(t *testing.T) {
	_, c := serve(t, lambdahost.Function{Name: "Broken", New: func(context.Context) (lambda.Handler, error) {
		return nil, errors.New("COGWATCH_TOPIC_ARN: missing")
	}})
	out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Broken"), Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.Equal(t, "Unhandled", aws.ToString(out.FunctionError))
	require.JSONEq(t, `{"errorType":"Runtime.InitError","errorMessage":"COGWATCH_TOPIC_ARN: missing"}`, string(out.Payload))
}

func TestNewRejectsBadFunctions(t *testing.T) {
	ok := static(func(context.Context, []byte) ([]byte, error) { return nil, nil })
	for _, tc := range []struct {
		name string
		fns  []lambdahost.Function
		want string
	}{
		{name: "no name", fns: []lambdahost.Function{{New: ok}}, want: `function "": name and New are required`},
		{name: "no New", fns: []lambdahost.Function{{Name: "A"}}, want: `function "A": name and New are required`},
		{name: "twice", fns: []lambdahost.Function{{Name: "A", New: ok}, {Name: "A", New: ok}}, want: `function "A" defined twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lambdahost.New(nil, tc.fns...)
			require.EqualError(t, err, "lambdahost: "+tc.want)
		})
	}
}

func TestInvocationTypes(t *testing.T) {
	ran := make(chan string, 1)
	h, c := serve(t, lambdahost.Function{Name: "Async", New: static(func(_ context.Context, p []byte) ([]byte, error) {
		ran <- string(p)
		return nil, nil
	})})
	out, err := c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Async"), InvocationType: types.InvocationTypeDryRun, Payload: []byte(`"dry"`)})
	require.NoError(t, err)
	require.Equal(t, int32(204), out.StatusCode)
	require.Equal(t, lambdahost.Stats{}, h.Stats("Async"), "a dry run runs nothing")

	out, err = c.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("Async"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`"event"`)})
	require.NoError(t, err)
	require.Equal(t, int32(202), out.StatusCode)
	select {
	case p := <-ran:
		require.Equal(t, `"event"`, p)
	case <-time.After(5 * time.Second):
		t.Fatal("the Event invocation never ran")
	}
}

// TestAnswerAtTheDeadlineIsATimeout: Lambda's deadline is a wall. A handler
// that answers at the deadline, not before, gets a timeout, its answer
// discarded, whichever of the answer and the deadline's timer the host sees
// first; one answering just before gets through. In fake time, where both
// happen at the same instant, repeated.
func TestAnswerAtTheDeadlineIsATimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tests := []struct {
		name        string
		early       time.Duration // how long before the deadline the handler answers
		wantTimeout bool
	}{
		{name: "at the deadline", early: 0, wantTimeout: true},
		{name: "after the deadline", early: -time.Millisecond, wantTimeout: true},
		{name: "just before", early: time.Millisecond, wantTimeout: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, err := lambdahost.New(nil, lambdahost.Function{
					Name:    "Late",
					Timeout: timeout,
					New: static(func(ctx context.Context, p []byte) ([]byte, error) {
						dl, _ := ctx.Deadline()
						time.Sleep(time.Until(dl) - tc.early) // ignores ctx, as a late trigger did
						return []byte(`"late answer"`), nil
					}),
				})
				require.NoError(t, err)
				const runs = 20
				for range runs {
					out, err := h.Invoke(t.Context(), "Late", []byte(`{}`))
					if !tc.wantTimeout {
						require.NoError(t, err)
						require.Equal(t, `"late answer"`, string(out))
						continue
					}
					var fe *lambdahost.FunctionError
					require.ErrorAs(t, err, &fe)
					require.Equal(t, "Sandbox.Timedout", fe.Type)
					require.Nil(t, out, "the late answer is discarded")
					time.Sleep(time.Millisecond) // let a handler that outlived its deadline finish
					synctest.Wait()
				}
				st := h.Stats("Late")
				if tc.wantTimeout {
					require.Equal(t, lambdahost.Stats{Invocations: runs, Errors: runs, Timeouts: runs, Environments: runs}, st,
						"every timed-out environment is replaced")
				} else {
					require.Equal(t, lambdahost.Stats{Invocations: runs, Environments: 1}, st)
				}
			})
		})
	}
}
