package triggers

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// TestPublishBudget runs the publish seam against peers that hang, fail
// and recover, in fake time: the trigger answers by its budget (or Reserve
// before the invocation's deadline, if earlier), retries at most once and only inside
// the budget, and counts what it could not publish.
func TestPublishBudget(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	tests := []struct {
		name         string
		budget       time.Duration
		deadline     time.Duration // invocation deadline; 0: none
		peer         func(ctx context.Context, call int) error
		wantCalls    int
		wantFailures float64
		wantElapsed  time.Duration
		jitter       bool // the retry's pause is random: elapsed up to wantElapsed
		mayRetry     bool // a pause short enough may fit before the wall: 1 or 2 calls
		wantCode     string
	}{
		{name: "answers", budget: 3 * time.Second, peer: func(context.Context, int) error { return nil },
			wantCalls: 1, wantFailures: 0, wantElapsed: 0},
		{name: "hangs: abandoned at the budget", budget: 3 * time.Second, peer: func(ctx context.Context, _ int) error { return hang(ctx) },
			wantCalls: 1, wantFailures: 1, wantElapsed: 3 * time.Second, wantCode: "BudgetExceeded"},
		{name: "hangs: the invocation deadline comes first, less the reserve", budget: 3 * time.Second, deadline: time.Second,
			peer:      func(ctx context.Context, _ int) error { return hang(ctx) },
			wantCalls: 1, wantFailures: 1, wantElapsed: time.Second - Reserve, wantCode: "BudgetExceeded"},
		{name: "less than the reserve left: no attempt", budget: 3 * time.Second, deadline: Reserve / 2,
			peer:      func(ctx context.Context, _ int) error { return hang(ctx) },
			wantCalls: 0, wantFailures: 1, wantElapsed: 0, wantCode: "BudgetExceeded"},
		{name: "refused once, then answers", budget: 3 * time.Second,
			peer: func(_ context.Context, call int) error {
				if call == 1 {
					return refused
				}
				return nil
			},
			wantCalls: 2, wantFailures: 0, wantElapsed: retryBackoff, jitter: true},
		{name: "refused twice", budget: 3 * time.Second, peer: func(context.Context, int) error { return refused },
			wantCalls: 2, wantFailures: 1, wantElapsed: retryBackoff, jitter: true, wantCode: "Transport"},
		{name: "slow failure: a retry only if its pause fits before the wall", budget: 3 * time.Second,
			peer: func(ctx context.Context, call int) error {
				if call == 1 {
					time.Sleep(3*time.Second - 10*time.Millisecond)
				}
				return refused
			},
			wantCalls: 1, mayRetry: true, wantFailures: 1, wantElapsed: 3 * time.Second, jitter: true, wantCode: "Transport"},
		{name: "client fault: not retried", budget: 3 * time.Second,
			peer: func(context.Context, int) error {
				return &smithy.GenericAPIError{Code: "NotFound", Message: "Topic does not exist", Fault: smithy.FaultClient}
			},
			wantCalls: 1, wantFailures: 1, wantElapsed: 0, wantCode: "NotFound"},
		{name: "throttled: retried", budget: 3 * time.Second,
			peer: func(_ context.Context, call int) error {
				if call == 1 {
					return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
				}
				return nil
			},
			wantCalls: 2, wantFailures: 0, wantElapsed: retryBackoff, jitter: true},
		{name: "throttled under SNS's own code: retried", budget: 3 * time.Second,
			peer: func(_ context.Context, call int) error {
				if call == 1 {
					return &smithy.GenericAPIError{Code: "Throttled", Message: "Rate exceeded", Fault: smithy.FaultClient}
				}
				return nil
			},
			wantCalls: 2, wantFailures: 0, wantElapsed: retryBackoff, jitter: true},
		{name: "KMS throttled: retried", budget: 3 * time.Second,
			peer: func(_ context.Context, call int) error {
				if call == 1 {
					return &smithy.GenericAPIError{Code: "KMSThrottling", Fault: smithy.FaultClient}
				}
				return nil
			},
			wantCalls: 2, wantFailures: 0, wantElapsed: retryBackoff, jitter: true},
		{name: "server fault twice", budget: 3 * time.Second,
			peer: func(context.Context, int) error {
				return &smithy.GenericAPIError{Code: "InternalError", Message: "oops", Fault: smithy.FaultServer}
			},
			wantCalls: 2, wantFailures: 1, wantElapsed: retryBackoff, jitter: true, wantCode: "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				calls := 0
				publish := func(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
					mu.Lock()
					calls++
					n := calls
					mu.Unlock()
					var o sns.Options
					for _, f := range opts {
						f(&o)
					}
					require.Equal(t, 1, o.RetryMaxAttempts, "the SDK must not retry on its own")
					if err := tc.peer(ctx, n); err != nil {
						return nil, err
					}
					return &sns.PublishOutput{}, nil
				}
				cfg := testConfig()
				cfg.Budget = tc.budget
				var emfOut, logs syncBuffer
				p := NewPostConfirmation(cfg, publish, NewMetrics(&emfOut, cfg), testLogger(&logs))
				p.cold = func() bool { return false }

				ctx := t.Context()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				payload := readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json")
				start := time.Now()
				out, err := p.Invoke(ctx, payload)
				elapsed := time.Since(start)

				require.NoError(t, err, "a publish failure never fails the user")
				require.Equal(t, string(payload), string(out))
				if tc.jitter {
					require.LessOrEqual(t, elapsed, tc.wantElapsed)
				} else {
					require.Equal(t, tc.wantElapsed, elapsed)
				}
				if tc.mayRetry && calls == 2 {
					calls = 1
				}
				require.Equal(t, tc.wantCalls, calls)
				doc := decodeEMF(t, emfOut.Lines()[0])
				require.Equal(t, tc.wantFailures, doc.num(t, "PublishFailures"))
				require.Equal(t, 1.0, doc.num(t, "UserConfirmed"))
				require.InDelta(t, float64(elapsed)/float64(time.Millisecond), doc.num(t, "PublishLatency"), 1e-3)
				if tc.wantCode != "" {
					require.Contains(t, logs.String(), `"code":"`+tc.wantCode+`"`)
					require.Contains(t, logs.String(), "user event not published, user let through")
				} else {
					require.NotContains(t, logs.String(), "not published")
				}
			})
		})
	}
}

// snsClient returns a real SNS client for endpoint, as FromEnv builds it.
func snsClient(endpoint string) *sns.Client {
	return sns.New(sns.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// runAgainst invokes the post confirmation trigger, publishing with a real
// SNS client to endpoint, and returns how long it took, the EMF document and
// the logs.
func runAgainst(t *testing.T, endpoint string, budget time.Duration) (time.Duration, emfDoc, string) {
	t.Helper()
	cfg := testConfig()
	cfg.Budget = budget
	var emfOut, logs syncBuffer
	p := NewPostConfirmation(cfg, snsClient(endpoint).Publish, NewMetrics(&emfOut, cfg), testLogger(&logs))
	payload := readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json")
	start := time.Now()
	out, err := p.Invoke(t.Context(), payload)
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, string(payload), string(out))
	lines := emfOut.Lines()
	require.Len(t, lines, 1)
	return elapsed, decodeEMF(t, lines[0]), logs.String()
}

// TestSNSHanging points a real SNS client at a listener that accepts
// connections and never answers: the trigger answers at its budget and
// counts the failure.
func TestSNSHanging(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read, never answered
			mu.Unlock()
			accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	const budget = 300 * time.Millisecond
	elapsed, doc, logs := runAgainst(t, "http://"+l.Addr().String(), budget)
	require.GreaterOrEqual(t, elapsed, budget, "the publish ran until its budget")
	require.Less(t, elapsed, budget+time.Second, "the trigger answers at its budget, not at SNS's pace")
	require.Len(t, accepted, 1, "one attempt: no time is left for a retry")
	require.Equal(t, 1.0, doc.num(t, "PublishFailures"))
	require.Equal(t, 1.0, doc.num(t, "UserConfirmed"))
	require.Contains(t, logs, `"code":"BudgetExceeded"`)
}

// TestSNSRefused points a real SNS client at a closed port: the trigger
// retries once, answers long before its budget and counts the failure.
func TestSNSRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	const budget = 3 * time.Second
	elapsed, doc, logs := runAgainst(t, "http://"+addr, budget)
	require.Less(t, elapsed, budget)
	require.Equal(t, 1.0, doc.num(t, "PublishFailures"))
	require.Equal(t, 1.0, doc.num(t, "UserConfirmed"))
	require.Contains(t, logs, `"code":"Transport"`)
	require.Contains(t, logs, `"attempts":2`)
	require.True(t, strings.Contains(logs, "connection refused"), logs)
}

var _ = errors.New
