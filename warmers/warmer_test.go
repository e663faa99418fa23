package warmers

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/logging"
)

func report(r Report, fn string) TargetReport {
	for _, t := range r.Targets {
		if t.Function == fn {
			return t
		}
	}
	return TargetReport{}
}

func TestConcurrentInvokesReachDistinctInstances(t *testing.T) {
	tests := []struct {
		name      string
		instances int
		initDelay time.Duration
	}{
		{name: "one", instances: 1},
		{name: "five", instances: 5},
		{name: "twenty with slow cold starts", instances: 20, initDelay: 700 * time.Millisecond},
		{name: "maximum", instances: MaxInstances, initDelay: 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fn := &simFunction{initDelay: tc.initDelay}
				sim := simLambda{"presignup": fn}
				w := New(sim.Invoke, nil, Options{Config: Config{Targets: []Target{{Function: "presignup", Instances: tc.instances}}}})

				first, err := w.Handle(t.Context(), Input{})
				require.NoError(t, err)
				require.Equal(t, TargetReport{Function: "presignup", Requested: tc.instances, Instances: tc.instances, Cold: tc.instances,
					LatencyMs: first.Targets[0].LatencyMs}, first.Targets[0])
				require.Equal(t, tc.instances, fn.environments())

				// The next round finds them warm, and starts none.
				second, err := w.Handle(t.Context(), Input{})
				require.NoError(t, err)
				require.Equal(t, tc.instances, second.Targets[0].Instances)
				require.Zero(t, second.Targets[0].Cold)
				require.Equal(t, tc.instances, fn.environments())
			})
		})
	}
}

// Without the shared hold, invocations that finish at once are served by one
// environment: the test target does tell the difference.
func TestWithoutHoldTheSimulatorReusesInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fn := &simFunction{}
		for range 5 {
			out, err := simLambda{"f": fn}.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: ptr("f"), Payload: []byte(`{"cogwatch":"warmup"}`)})
			require.NoError(t, err)
			require.Contains(t, string(out.Payload), `"instance"`)
		}
		require.Equal(t, 1, fn.environments())
	})
}

func ptr[T any](v T) *T { return &v }

func TestSlowAndFailingTargetsDoNotStopOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hangs := &simFunction{behaviour: func(ctx context.Context) (*lambda.InvokeOutput, error) {
			<-ctx.Done() // honours its context, as the SDK does
			return nil, ctx.Err()
		}}
		release := make(chan struct{})
		defer close(release) // the bubble ends only when every goroutine has
		ignores := &simFunction{behaviour: func(context.Context) (*lambda.InvokeOutput, error) {
			<-release // ignores its context entirely
			return nil, nil
		}}
		throttled := &simFunction{behaviour: func(context.Context) (*lambda.InvokeOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded"}
		}}
		crashes := &simFunction{behaviour: func(context.Context) (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{StatusCode: 200, FunctionError: ptr("Unhandled"), Payload: []byte(`{"errorMessage":"boom"}`)}, nil
		}}
		foreign := &simFunction{behaviour: func(context.Context) (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"version":"1","response":{}}`)}, nil
		}}
		healthy := &simFunction{initDelay: 300 * time.Millisecond}
		sim := simLambda{"hangs": hangs, "ignores": ignores, "throttled": throttled, "crashes": crashes, "foreign": foreign, "healthy": healthy}

		var out bytes.Buffer
		w := New(sim.Invoke, nil, Options{
			Config:  Config{Instances: 3, Hold: 500 * time.Millisecond},
			Metrics: emf.NewWriter(&out, emf.Options{Namespace: catalog.Namespace, DimensionSets: [][]string{{catalog.DimFunction}}}),
			Logger:  logging.New(&out, func(string) string { return "" }),
		})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		deadline, _ := ctx.Deadline()
		in := Input{Targets: []Target{{Function: "hangs"}, {Function: "ignores"}, {Function: "throttled"}, {Function: "crashes"},
			{Function: "foreign"}, {Function: "missing"}, {Function: "healthy"}}}

		rep, err := w.Handle(ctx, in)
		require.NoError(t, err)
		require.Equal(t, 500*time.Millisecond, time.Until(deadline), "the round ends at its deadline minus the reserve")

		tests := []struct {
			function string
			want     TargetReport
		}{
			{function: "hangs", want: TargetReport{Errors: 3, ErrorCodes: map[string]int{"Timeout": 3}}},
			{function: "ignores", want: TargetReport{Errors: 3, ErrorCodes: map[string]int{"Timeout": 3}}},
			{function: "throttled", want: TargetReport{Errors: 3, ErrorCodes: map[string]int{"TooManyRequestsException": 3}}},
			{function: "crashes", want: TargetReport{Errors: 3, ErrorCodes: map[string]int{"FunctionError": 3}}},
			{function: "foreign", want: TargetReport{Errors: 3, ErrorCodes: map[string]int{"NotWarmable": 3}}},
			{function: "missing", want: TargetReport{Errors: 3, ErrorCodes: map[string]int{"ResourceNotFoundException": 3}}},
			{function: "healthy", want: TargetReport{Instances: 3, Cold: 3}},
		}
		for _, tc := range tests { // no t.Run inside a bubble
			got := report(rep, tc.function)
			tc.want.Function, tc.want.Requested, tc.want.LatencyMs = tc.function, 3, got.LatencyMs
			require.Equal(t, tc.want, got, tc.function)
		}
		require.EqualValues(t, 9500, report(rep, "hangs").LatencyMs)
		require.EqualValues(t, 800, report(rep, "healthy").LatencyMs, "a 300ms cold start, then held 500ms, until after the shared moment")

		// One EMF document per target, one summary line.
		var docs, summaries int
		for line := range strings.Lines(out.String()) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m), line)
			if _, ok := m["_aws"]; ok {
				docs++
				if m[catalog.DimFunction] == "healthy" {
					require.EqualValues(t, 3, m[catalog.WarmupInstances])
					require.EqualValues(t, 3, m[catalog.WarmupColdInstances])
					require.EqualValues(t, 0, m[catalog.WarmupErrors])
					require.EqualValues(t, 800, m[catalog.WarmupLatency])
				}
				if m[catalog.DimFunction] == "throttled" {
					require.EqualValues(t, 3, m[catalog.WarmupErrors])
				}
			}
			if m["message"] == "warm-up round" {
				summaries++
				require.Equal(t, "WARN", m["level"])
				require.EqualValues(t, 21, m["requested"])
				require.EqualValues(t, 3, m["instances"])
				require.EqualValues(t, 18, m["errors"])
			}
		}
		require.Equal(t, 7, docs)
		require.Equal(t, 1, summaries)
	})
}

func TestDeadlineHoldsWithoutAContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		sim := simLambda{"ignores": &simFunction{behaviour: func(context.Context) (*lambda.InvokeOutput, error) {
			<-release
			return nil, nil
		}}}
		w := New(sim.Invoke, nil, Options{Timeout: 5 * time.Second, Config: Config{Targets: []Target{{Function: "ignores", Instances: 2}}}})
		start := time.Now()
		rep, err := w.Handle(context.Background(), Input{})
		require.NoError(t, err)
		require.Equal(t, 4500*time.Millisecond, time.Since(start))
		require.Equal(t, 2, rep.Targets[0].Errors)
	})
}

func TestInvocationsHoldUntilTheSharedMoment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fn := &simFunction{}
		var mu sync.Mutex
		var requests []string
		var ended []time.Time
		invoke := func(ctx context.Context, in *lambda.InvokeInput, o ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
			mu.Lock()
			requests = append(requests, string(in.Payload))
			mu.Unlock()
			return simLambda{"f": fn}.Invoke(ctx, in, o...)
		}
		w := New(invoke, nil, Options{
			Config: Config{Hold: 2 * time.Second, Targets: []Target{{Function: "f", Instances: 4}}},
			Progress: func(function string, err error) {
				mu.Lock()
				defer mu.Unlock()
				require.Equal(t, "f", function)
				require.NoError(t, err)
				ended = append(ended, time.Now())
			},
		})
		start := time.Now()
		rep, err := w.Handle(t.Context(), Input{})
		require.NoError(t, err)
		require.Equal(t, 4, rep.Targets[0].Instances)
		require.Len(t, ended, 4)
		for i := range ended {
			require.Equal(t, 2*time.Second, ended[i].Sub(start), "every invocation ends at the shared moment")
			require.JSONEq(t, `{"cogwatch":"warmup","concurrency":4,"holdMs":2000}`, requests[i])
		}
	})
}

func TestTargets(t *testing.T) {
	pool := func(ctx context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
		require.Equal(t, "eu-west-1_Pool", *in.UserPoolId)
		arn := "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-auth:live"
		return &cip.DescribeUserPoolOutput{UserPool: &ciptypes.UserPoolType{LambdaConfig: &ciptypes.LambdaConfigType{
			PreSignUp:          ptr("arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-presignup"),
			PreAuthentication:  &arn,
			PostAuthentication: &arn,
			CustomEmailSender:  &ciptypes.CustomEmailLambdaVersionConfigType{LambdaArn: ptr("arn:aws:lambda:eu-west-1:123456789012:function:mailer")},
		}}}, nil
	}
	noPool := func(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	tests := []struct {
		name     string
		config   Config
		describe DescribeUserPoolFunc
		in       Input
		want     []Target
		wantErr  string
	}{
		{name: "input targets, default instances", config: Config{Instances: 2}, in: Input{Targets: []Target{{Function: "a"}, {Function: "b", Instances: 5}}},
			want: []Target{{Function: "a", Instances: 2}, {Function: "b", Instances: 5}}},
		{name: "input default instances", config: Config{Instances: 2}, in: Input{Instances: 3, Targets: []Target{{Function: "a"}}},
			want: []Target{{Function: "a", Instances: 3}}},
		{name: "configured targets when the input has none", config: Config{Targets: []Target{{Function: "c", Instances: 4}}},
			want: []Target{{Function: "c", Instances: 4}}},
		{name: "input replaces the configuration", config: Config{Targets: []Target{{Function: "c"}}}, in: Input{Targets: []Target{{Function: "a"}}},
			want: []Target{{Function: "a", Instances: 1}}},
		{name: "discovered from the pool, each once", config: Config{UserPoolID: "eu-west-1_Pool", Instances: 2}, describe: pool,
			want: []Target{
				{Function: "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-presignup", Instances: 2},
				{Function: "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-auth:live", Instances: 2},
				{Function: "arn:aws:lambda:eu-west-1:123456789012:function:mailer", Instances: 2},
			}},
		{name: "duplicates keep the larger count", in: Input{UserPoolID: "eu-west-1_Pool", Targets: []Target{{Function: "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-auth:live", Instances: 4}}}, describe: pool,
			want: []Target{
				{Function: "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-auth:live", Instances: 4},
				{Function: "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-presignup", Instances: 1},
				{Function: "arn:aws:lambda:eu-west-1:123456789012:function:mailer", Instances: 1},
			}},
		{name: "nothing to warm", wantErr: ErrNoTargets.Error()},
		{name: "pool not found", in: Input{UserPoolID: "eu-west-1_Gone"}, describe: noPool, wantErr: "discover targets of user pool eu-west-1_Gone: api error ResourceNotFoundException: "},
		{name: "no Cognito client", in: Input{UserPoolID: "eu-west-1_Pool"}, wantErr: "discover targets: no Cognito client"},
		{name: "too many instances", in: Input{Targets: []Target{{Function: "a", Instances: 1000}}}, wantErr: "target a: instances 1000: want 1 to 100"},
		{name: "nameless target", in: Input{Targets: []Target{{Instances: 1}}}, wantErr: "a target names no function"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := New(simLambda{}.Invoke, tc.describe, Options{Config: tc.config})
			got, err := w.Targets(t.Context(), tc.in)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestHandlerDecodesScheduleInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := simLambda{"a": &simFunction{}, "b": &simFunction{}}
		h := Handler(New(sim.Invoke, nil, Options{Config: Config{Targets: []Target{{Function: "a"}}}}))
		tests := []struct {
			name    string
			payload string
			want    string
			wantErr string
		}{
			{name: "empty payload warms the defaults", payload: ``, want: "a"},
			{name: "null", payload: `null`, want: "a"},
			{name: "empty object", payload: `{}`, want: "a"},
			{name: "named targets", payload: `{"targets":[{"function":"b","instances":2}]}`, want: "b"},
			{name: "unknown field", payload: `{"target":[]}`, wantErr: `warmer input: json: unknown field "target"`},
		}
		for _, tc := range tests {
			out, err := h.Invoke(t.Context(), []byte(tc.payload))
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr, tc.name)
				continue
			}
			require.NoError(t, err, tc.name)
			var rep Report
			require.NoError(t, json.Unmarshal(out, &rep))
			require.Equal(t, tc.want, rep.Targets[0].Function, tc.name)
		}
	})
}

func TestFunctionName(t *testing.T) {
	require.Equal(t, "cogwatch-auth:live", FunctionName("arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-auth:live"))
	require.Equal(t, "cogwatch-auth", FunctionName("cogwatch-auth"))
}
