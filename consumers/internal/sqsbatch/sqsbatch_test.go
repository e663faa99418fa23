package sqsbatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"
)

func TestReasonNeverQuotesTheInput(t *testing.T) {
	full := func(typ, latency string) string {
		return strings.NewReplacer("TYPE", typ, "LAT", latency).Replace(`{"specversion":"1.0","id":"x","source":"s","type":"TYPE","time":"2026-11-25T12:00:00Z","datacontenttype":"application/json","data":{"schemaVersion":1,"userPoolId":"p","triggerSource":"t","region":"r","latencyMs":LAT}}`)
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not JSON", `jane.doe@example.com`, "invalid JSON"},
		{"unknown type", full("jane.doe@example.com", "1"), "invalid type"},
		{"unknown field", `{"specversion":"1.0","jane.doe@example.com":1}`, ""},
		{"wrong JSON type", full("cogwatch.signin.attempted", `"jane.doe@example.com"`), ""},
		{"missing id", `{"specversion":"1.0"}`, ""},
		{"subscription confirmation", `{"Type":"SubscriptionConfirmation","Message":"jane.doe@example.com"}`, "not a notification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			b := Decode(t.Context(), slog.New(slog.NewJSONHandler(&logs, nil)), []events.SQSMessage{{MessageId: "m", Body: tc.body}})
			require.Equal(t, []int{0}, b.Failed)
			require.Contains(t, logs.String(), `"messageId":"m"`)
			if tc.want != "" {
				require.Contains(t, logs.String(), `"reason":"`+tc.want+`"`)
			}
			require.NotContains(t, logs.String(), "@")
		})
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"Throttling", &smithy.GenericAPIError{Code: "Throttling"}, true},
		{"ThrottlingException, wrapped", fmt.Errorf("put: %w", &smithy.OperationError{Err: &smithy.GenericAPIError{Code: "ThrottlingException"}}), true},
		{"LimitExceeded", &smithy.GenericAPIError{Code: "LimitExceeded"}, true},
		{"InternalFailure", &smithy.GenericAPIError{Code: "InternalFailure"}, true},
		{"InvalidParameterValue", &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "Throttling"}, false},
		{"text alone", errors.New("Throttling: rate exceeded"), false},
		{"connection refused", &smithyhttp.RequestSendError{Err: errors.New("dial tcp: connection refused")}, true},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, Retryable(tc.err)) })
	}
}

func TestResponseOrdersAndDeduplicates(t *testing.T) {
	msgs := []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}, {MessageId: "c"}}
	resp := Response(msgs, []int{2, 0, 2, 2, 0})
	require.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "a"}, {ItemIdentifier: "c"}}, resp.BatchItemFailures)
	require.NotNil(t, Response(msgs, nil).BatchItemFailures, "an empty list, not null, in the JSON answer")
}

func TestDoBacksOffWithinTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Policy{Base: 100 * time.Millisecond, Max: time.Second, Reserve: 500 * time.Millisecond}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		ctx, cancel2 := p.WithReserve(ctx)
		defer cancel2()
		var at []time.Time
		start := time.Now()
		n, err := p.Do(ctx, Retryable, func(context.Context) error {
			at = append(at, time.Now())
			return &smithy.GenericAPIError{Code: "Throttling"}
		})
		require.Error(t, err)
		require.Equal(t, len(at), n)
		require.Greater(t, n, 4)
		require.LessOrEqual(t, time.Since(start), 4500*time.Millisecond, "never past the reserve")
		for i := 1; i < len(at); i++ {
			gap := at[i].Sub(at[i-1])
			require.LessOrEqual(t, gap, min(p.Base<<(i-1), p.Max), "full jitter stays under the exponential cap")
		}
	})
}

func TestDecodeKeepsTheFirstOfEachEventID(t *testing.T) {
	body := func(id string) string {
		return strings.ReplaceAll(`{"specversion":"1.0","id":"ID","source":"s","type":"cogwatch.signin.attempted","time":"2026-11-25T12:00:00Z","datacontenttype":"application/json","data":{"schemaVersion":1,"userPoolId":"p","triggerSource":"t","region":"r","latencyMs":1}}`, "ID", id)
	}
	b := Decode(t.Context(), slog.New(slog.DiscardHandler), []events.SQSMessage{
		{MessageId: "1", Body: body("a")}, {MessageId: "2", Body: body("b")}, {MessageId: "3", Body: body("a")}, {MessageId: "4", Body: "x"},
	})
	require.Equal(t, 1, b.Duplicates)
	require.Equal(t, []int{3}, b.Failed)
	require.Len(t, b.Records, 2)
	require.Equal(t, "1", b.Records[0].MessageID)
	require.Equal(t, "2", b.Records[1].MessageID)
}

func TestWithoutADeadlineTheBudgetBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := DefaultPolicy.WithReserve(t.Context())
		defer cancel()
		start := time.Now()
		n, err := DefaultPolicy.Do(ctx, Retryable, func(context.Context) error { return &smithy.GenericAPIError{Code: "Throttling"} })
		require.Error(t, err)
		require.Greater(t, n, 10)
		require.LessOrEqual(t, time.Since(start), DefaultPolicy.Budget)
	})
}

func TestAZeroPolicyStillBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		n, err := Policy{}.Do(ctx, Retryable, func(context.Context) error { return &smithy.GenericAPIError{Code: "Throttling"} })
		require.Error(t, err)
		require.Less(t, n, 100, "backed off instead of spinning")
	})
}

func TestPack(t *testing.T) {
	id := func(n int) int { return n }
	// Sizes in order; at most 3 items and 10 bytes a call; 11 is alone.
	got := Pack([]int{4, 4, 2, 1, 1, 1, 1, 11, 5, 5, 1}, 3, 10, id)
	require.Equal(t, [][]int{{4, 4, 2}, {1, 1, 1}, {1}, {11}, {5, 5}, {1}}, got)
	require.Nil(t, Pack(nil, 3, 10, id))
	// Strictly below a limit, as EventBridge asks: pass the limit less one.
	require.Equal(t, [][]int{{5, 4}, {5}}, Pack([]int{5, 4, 5}, 10, 10-1, id))
}
