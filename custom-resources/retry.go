package customresources

import (
	"context"
	"errors"
	"time"

	"github.com/aws/smithy-go"
)

// throttleCodes are the error codes AWS services answer when they throttle.
var throttleCodes = map[string]bool{
	"Throttling":                             true,
	"ThrottlingException":                    true,
	"ThrottledException":                     true,
	"TooManyRequestsException":               true,
	"RequestLimitExceeded":                   true,
	"RequestThrottled":                       true,
	"RequestThrottledException":              true,
	"ProvisionedThroughputExceededException": true,
	"SlowDown":                               true,
}

// Throttled reports whether err is an AWS throttling error, by its code.
func Throttled(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && throttleCodes[apiErr.ErrorCode()]
}

// ErrorCode returns the AWS error code of err, or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// RetryOptions bound Retry. The zero value works.
type RetryOptions struct {
	Attempts int           // default 6
	Backoff  time.Duration // first wait, doubling; default 500ms
	Max      time.Duration // longest wait; default 8s
}

// Retry calls f until it returns nil or an error other than throttling, or
// the attempts or ctx run out; the SDK's own retries come first, so this one
// covers throttling that outlasts them (a resource touching hundreds of log
// groups at a few transactions per second).
func Retry(ctx context.Context, opts RetryOptions, f func(context.Context) error) error {
	if opts.Attempts <= 0 {
		opts.Attempts = 6
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	if opts.Max <= 0 {
		opts.Max = 8 * time.Second
	}
	wait := opts.Backoff
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil || !Throttled(err) || attempt >= opts.Attempts {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, opts.Max)
	}
}
