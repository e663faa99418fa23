package customresources

import (
	"context"
	"time"

	"github.com/cogwatch/cogwatch/internal/awsretry"
)

// DefaultRetry is how a resource retries its AWS calls when its options
// name no policy: up to 6 calls, waits from 500ms to 8s. The SDK's own
// retries come first, so this covers throttling that outlasts them (a
// resource touching hundreds of log groups at a few transactions per
// second); the runtime's deadline bounds it.
var DefaultRetry = awsretry.Policy{Base: 500 * time.Millisecond, Max: 8 * time.Second, Attempts: 6}

// Retry calls f under policy p (DefaultRetry when p is zero): again while
// it fails in a way internal/awsretry calls passing, and while the attempts
// and ctx last.
func Retry(ctx context.Context, p awsretry.Policy, f func(context.Context) error) error {
	if p == (awsretry.Policy{}) {
		p = DefaultRetry
	}
	_, err := p.Do(ctx, awsretry.Retryable, f)
	return err
}
