package customresources

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/awsretry"
)

func TestRetry(t *testing.T) {
	throttled := fmt.Errorf("op: %w", &smithy.GenericAPIError{Code: "ThrottlingException"})
	serverFault := &smithy.GenericAPIError{Code: "InternalErrorException", Fault: smithy.FaultServer}
	other := &smithy.GenericAPIError{Code: "AccessDeniedException"}
	tests := []struct {
		name      string
		errs      []error // answered in order, then nil
		wantCalls int
		wantErr   error
		maxTime   time.Duration // the waits' caps added up
	}{
		{name: "success", wantCalls: 1},
		{name: "throttled then success", errs: []error{throttled, throttled}, wantCalls: 3, maxTime: 1500 * time.Millisecond},
		{name: "a server fault then success", errs: []error{serverFault}, wantCalls: 2, maxTime: 500 * time.Millisecond},
		{name: "other errors are not retried", errs: []error{other}, wantCalls: 1, wantErr: other},
		{name: "gives up", errs: []error{throttled, throttled, throttled, throttled, throttled, throttled, throttled}, wantCalls: 6, wantErr: throttled,
			maxTime: (500 + 1000 + 2000 + 4000 + 8000) * time.Millisecond},
		{name: "plain errors are not retried", errs: []error{errors.New("x")}, wantCalls: 1, wantErr: errors.New("x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				start := time.Now()
				err := Retry(t.Context(), awsretry.Policy{}, func(context.Context) error {
					calls++
					if calls <= len(tc.errs) {
						return tc.errs[calls-1]
					}
					return nil
				})
				require.Equal(t, tc.wantErr, err)
				require.Equal(t, tc.wantCalls, calls)
				require.LessOrEqual(t, time.Since(start), tc.maxTime)
			})
		})
	}
}

func TestRetryStopsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := Retry(ctx, awsretry.Policy{}, func(context.Context) error { return &smithy.GenericAPIError{Code: "TooManyRequestsException"} })
		require.Equal(t, "TooManyRequestsException", awsretry.Code(err))
		require.LessOrEqual(t, time.Since(start), 2*time.Second)
	})
}
