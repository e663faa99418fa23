package sqsbatch

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
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

func TestResponseOrdersAndDeduplicates(t *testing.T) {
	msgs := []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}, {MessageId: "c"}}
	resp := Response(msgs, []int{2, 0, 2, 2, 0})
	require.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "a"}, {ItemIdentifier: "c"}}, resp.BatchItemFailures)
	require.NotNil(t, Response(msgs, nil).BatchItemFailures, "an empty list, not null, in the JSON answer")
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

func TestPack(t *testing.T) {
	id := func(n int) int { return n }
	// Sizes in order; at most 3 items and 10 bytes a call; 11 is alone.
	got := Pack([]int{4, 4, 2, 1, 1, 1, 1, 11, 5, 5, 1}, 3, 10, id)
	require.Equal(t, [][]int{{4, 4, 2}, {1, 1, 1}, {1}, {11}, {5, 5}, {1}}, got)
	require.Nil(t, Pack(nil, 3, 10, id))
	// Strictly below a limit, as EventBridge asks: pass the limit less one.
	require.Equal(t, [][]int{{5, 4}, {5}}, Pack([]int{5, 4, 5}, 10, 10-1, id))
}

func TestBoundLowersNeverRaises(t *testing.T) {
	for v, want := range map[int]int{-1: 10, 0: 10, 1: 1, 9: 9, 10: 10, 11: 10} {
		require.Equal(t, want, Bound(v, 10), "Bound(%d, 10)", v)
	}
}
