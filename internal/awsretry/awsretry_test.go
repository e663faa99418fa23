package awsretry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"
)

// status wraps err as the SDK does a response with that HTTP status.
func status(code int, err error) error {
	return &smithy.OperationError{ServiceID: "SNS", OperationName: "Publish", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		// Throttling, under each service's spelling.
		{"Throttling", &smithy.GenericAPIError{Code: "Throttling"}, true},
		{"ThrottlingException, wrapped", fmt.Errorf("put: %w", &smithy.OperationError{Err: &smithy.GenericAPIError{Code: "ThrottlingException"}}), true},
		{"TooManyRequestsException", &smithy.GenericAPIError{Code: "TooManyRequestsException", Fault: smithy.FaultClient}, true},
		{"SNS Throttled, modelled", &types.ThrottledException{}, true},
		{"SNS KMSThrottling", &types.KMSThrottlingException{}, true},
		{"LimitExceededException (Kinesis-style throttling)", &smithy.GenericAPIError{Code: "LimitExceededException"}, true},
		{"unmodelled 429", status(http.StatusTooManyRequests, &smithy.GenericAPIError{Code: "Whatever"}), true},
		// Passing server failures.
		{"InternalFailure", &smithy.GenericAPIError{Code: "InternalFailure"}, true},
		{"SNS InternalError", &types.InternalErrorException{}, true},
		{"a server fault of an unlisted code", &smithy.GenericAPIError{Code: "Oops", Fault: smithy.FaultServer}, true},
		{"503 status", status(http.StatusServiceUnavailable, &smithy.GenericAPIError{Code: "Whatever"}), true},
		{"RequestTimeout", &smithy.GenericAPIError{Code: "RequestTimeout"}, true},
		// Requests that never reached the service.
		{"connection refused", &smithyhttp.RequestSendError{Err: errors.New("dial tcp: connection refused")}, true},
		{"dial", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		// Not worth another attempt.
		{"InvalidParameterValue saying Throttling", &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "Throttling", Fault: smithy.FaultClient}, false},
		{"AccessDenied", &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}, false},
		{"SNS NotFound", &types.NotFoundException{}, false},
		{"IAM-style LimitExceeded: a quota, not a rate", &smithy.GenericAPIError{Code: "LimitExceeded"}, false},
		{"403 status", status(http.StatusForbidden, &smithy.GenericAPIError{Code: "AuthorizationError"}), false},
		{"text alone", errors.New("Throttling: rate exceeded"), false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"deadline in a send error", &smithyhttp.RequestSendError{Err: context.DeadlineExceeded}, false},
		{"canceled", context.Canceled, false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, Retryable(tc.err)) })
	}
}

func TestRetryableCode(t *testing.T) {
	for code, want := range map[string]bool{
		"ThrottlingException": true, "Throttled": true, "InternalFailure": true, "ServiceUnavailable": true,
		"InvalidArgument": false, "AccessDeniedException": false, "": false,
	} {
		require.Equal(t, want, RetryableCode(code), code)
	}
}

func TestCode(t *testing.T) {
	require.Equal(t, "Throttled", Code(fmt.Errorf("publish: %w", &types.ThrottledException{})))
	require.Empty(t, Code(errors.New("Throttled")))
	require.Empty(t, Code(nil))
}

func TestBackoffIsFullJitterUnderTheExponentialCap(t *testing.T) {
	p := Policy{Base: 50 * time.Millisecond, Max: 2 * time.Second}
	ms := time.Millisecond
	want := []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 2000 * ms, 2000 * ms}
	for i, ceil := range want {
		n := i + 1
		require.Equal(t, ceil, p.ceiling(n), "retry %d", n)
		var least, most time.Duration = ceil, 0
		for range 2000 {
			d := p.Backoff(n)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceil, "retry %d", n)
			least, most = min(least, d), max(most, d)
		}
		require.Less(t, least, ceil/4, "retry %d: waits spread down to near zero", n)
		require.Greater(t, most, 3*ceil/4, "retry %d: and up to near the cap", n)
	}
	require.Equal(t, DefaultBase, Policy{}.ceiling(1), "a zero policy still backs off")
	require.Equal(t, DefaultBase, Policy{}.ceiling(30), "and Max below Base means Base")
}

// alwaysThrottled is a call that always fails with throttling, recording
// when it was made.
func alwaysThrottled(at *[]time.Time) func(context.Context) error {
	return func(context.Context) error {
		*at = append(*at, time.Now())
		return &smithy.GenericAPIError{Code: "Throttling"}
	}
}

// TestDoNeverWaitsPastTheReserve is the contract of the deadline: under
// WithReserve, no call starts and no wait ends after the deadline less the
// reserve, whatever the deadline, and the waits stay under their caps.
func TestDoNeverWaitsPastTheReserve(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        Policy
		deadline time.Duration
	}{
		{"consumer", Policy{Base: 50 * time.Millisecond, Max: 2 * time.Second, Reserve: 500 * time.Millisecond}, 5 * time.Second},
		{"long backoffs, short deadline", Policy{Base: 500 * time.Millisecond, Max: 8 * time.Second, Reserve: 250 * time.Millisecond}, 3 * time.Second},
		{"deadline inside the reserve", Policy{Base: 50 * time.Millisecond, Max: time.Second, Reserve: time.Second}, 500 * time.Millisecond},
		{"no reserve", Policy{Base: 10 * time.Millisecond, Max: 300 * time.Millisecond}, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 { // the waits are random: many draws
				synctest.Test(t, func(t *testing.T) {
					start := time.Now()
					wall := start.Add(tc.deadline - tc.p.Reserve)
					ctx, cancel := context.WithTimeout(t.Context(), tc.deadline)
					defer cancel()
					ctx, cancel2 := tc.p.WithReserve(ctx)
					defer cancel2()
					var at []time.Time
					n, err := tc.p.Do(ctx, nil, alwaysThrottled(&at))
					require.Error(t, err)
					require.Equal(t, len(at), n)
					if !wall.After(start) {
						require.Zero(t, n, "no call once the reserve has begun")
						require.ErrorIs(t, err, context.DeadlineExceeded)
						return
					}
					require.Equal(t, start, at[0], "the first call at once")
					require.False(t, time.Now().After(wall), "returned %v after the reserve began", time.Since(wall))
					for i := 1; i < len(at); i++ {
						require.False(t, at[i].After(wall), "call %d after the reserve began", i+1)
						require.LessOrEqual(t, at[i].Sub(at[i-1]), tc.p.ceiling(i), "wait %d over its cap", i)
					}
				})
			}
		})
	}
}

func TestDoStops(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling"}
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}
	for _, tc := range []struct {
		name      string
		p         Policy
		errs      []error // answered in order, then nil
		retryable func(error) bool
		wantCalls int
		wantErr   error
	}{
		{name: "success", wantCalls: 1},
		{name: "throttled, then success", errs: []error{throttled, throttled}, wantCalls: 3},
		{name: "not retryable: one call", errs: []error{denied}, wantCalls: 1, wantErr: denied},
		{name: "attempts cap the calls", p: Policy{Attempts: 2}, errs: []error{throttled, throttled, throttled}, wantCalls: 2, wantErr: throttled},
		{name: "the caller's judgement", errs: []error{denied, nil}, retryable: func(err error) bool { return errors.Is(err, denied) }, wantCalls: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				n, err := tc.p.Do(t.Context(), tc.retryable, func(context.Context) error {
					calls++
					if calls <= len(tc.errs) {
						return tc.errs[calls-1]
					}
					return nil
				})
				require.Equal(t, tc.wantErr, err)
				require.Equal(t, tc.wantCalls, calls)
				require.Equal(t, calls, n)
			})
		})
	}
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(time.Second); cancel() }()
		start := time.Now()
		var at []time.Time
		_, err := Policy{Base: time.Second, Max: time.Hour}.Do(ctx, nil, alwaysThrottled(&at))
		require.Error(t, err)
		require.LessOrEqual(t, time.Since(start), time.Second, "a wait ends with the context")
	})
}

func TestWithoutADeadlineTheBudgetBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Policy{Base: 50 * time.Millisecond, Max: 2 * time.Second, Reserve: 500 * time.Millisecond, Budget: 30 * time.Second}
		ctx, cancel := p.WithReserve(t.Context())
		defer cancel()
		start := time.Now()
		var at []time.Time
		n, err := p.Do(ctx, nil, alwaysThrottled(&at))
		require.Error(t, err)
		require.Greater(t, n, 10)
		require.LessOrEqual(t, time.Since(start), p.Budget)
	})
}

func TestAZeroPolicyStillBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		var at []time.Time
		n, err := Policy{}.Do(ctx, nil, alwaysThrottled(&at))
		require.Error(t, err)
		require.Less(t, n, 100, "backed off instead of spinning")
	})
}
