package awsretry

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// transientCodes are the codes of passing failures that the SDK's tables
// leave to each service: server faults AWS documents as worth a retry, and
// throttling under a service's own spelling.
var transientCodes = map[string]struct{}{
	"InternalFailure":             {}, // common to AWS query and JSON APIs (500)
	"InternalError":               {}, // SNS (500)
	"InternalException":           {}, // EventBridge (500)
	"InternalServiceError":        {}, // CloudWatch (500)
	"InternalServiceFault":        {}, // CloudWatch (500)
	"ServiceUnavailable":          {}, // common (503)
	"ServiceUnavailableException": {}, // Lambda, Cognito (503)
	"Throttled":                   {}, // SNS ThrottledException (429)
	"KMSThrottling":               {}, // SNS publishing to a KMS-encrypted topic
}

// checks decide Retryable: the SDK's, then ours.
var checks = retry.IsErrorRetryables(append(slices.Clone(retry.DefaultRetryables),
	retry.RetryableErrorCode{Codes: transientCodes},
	retry.IsErrorRetryableFunc(serverFault),
))

func serverFault(err error) aws.Ternary {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultServer {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// Retryable reports whether another attempt at the call that failed with
// err may succeed. A context's end is never retryable: the time is spent.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return checks.IsErrorRetryable(err) == aws.TrueTernary
}

// RetryableCode reports whether an AWS error code names a passing failure:
// for the codes of a batch call's failed entries, which carry no error.
func RetryableCode(code string) bool {
	return Retryable(&smithy.GenericAPIError{Code: code})
}

// Code returns the AWS error code of err, or "" when it carries none.
// Codes are few and stable: fit for a log attribute or a metric dimension,
// which an error's message is not.
func Code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// Policy bounds the retries of one call. Its zero value backs off from
// DefaultBase and retries until its context ends.
type Policy struct {
	// Base caps the first wait; each retry doubles the cap, up to Max.
	Base time.Duration
	// Max caps one wait.
	Max time.Duration
	// Attempts caps the calls made; 0 leaves only the deadline to stop them.
	Attempts int
	// Reserve is the time WithReserve keeps back before the invocation's
	// deadline, so the handler still answers (with its failures) instead of
	// timing out, which would redeliver or fail the whole invocation.
	Reserve time.Duration
	// Budget bounds the calls and their retries under WithReserve when the
	// invocation has no deadline (a test, a host that sets none), so a
	// service that throttles forever cannot hold the handler forever.
	// Lambda always sets a deadline.
	Budget time.Duration
}

// DefaultBase is the first backoff of a Policy that names none: never a
// busy loop.
const DefaultBase = 50 * time.Millisecond

// WithReserve returns a context that ends Reserve before ctx's deadline, or
// Budget from now if ctx has none (never, when Budget is zero too).
func (p Policy) WithReserve(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-p.Reserve))
	}
	if p.Budget > 0 {
		return context.WithTimeout(ctx, p.Budget)
	}
	return context.WithCancel(ctx)
}

// Backoff returns the wait before retry n (1 for the first retry): full
// jitter, a random duration from 0 to min(Base·2ⁿ⁻¹, Max).
func (p Policy) Backoff(n int) time.Duration {
	return time.Duration(rand.Int64N(int64(p.ceiling(n)) + 1))
}

// ceiling is the most Backoff(n) can return.
func (p Policy) ceiling(n int) time.Duration {
	base := p.Base
	if base <= 0 {
		base = DefaultBase
	}
	ceil := max(p.Max, base)
	for i := 1; i < n && base < ceil; i++ {
		base *= 2
	}
	return min(base, ceil)
}

// Do calls attempt until it returns nil or an error that retryable (nil:
// Retryable) refuses, or the attempts run out, waiting Backoff between
// calls. It stops when ctx ends, and never starts a wait that would end
// after ctx's deadline; it returns the number of calls made and the last
// error (ctx's, when it ended before the first call).
func (p Policy) Do(ctx context.Context, retryable func(error) bool, attempt func(context.Context) error) (attempts int, err error) {
	if retryable == nil {
		retryable = Retryable
	}
	if err = ctx.Err(); err != nil { // no time left for even one call
		return 0, err
	}
	for {
		attempts++
		err = attempt(ctx)
		if err == nil || !retryable(err) || (p.Attempts > 0 && attempts >= p.Attempts) || ctx.Err() != nil {
			return attempts, err
		}
		wait := p.Backoff(attempts)
		if d, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(d) {
			return attempts, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempts, err
		case <-t.C:
		}
	}
}
