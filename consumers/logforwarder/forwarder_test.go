package logforwarder

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/logging"
)

func newForwarder(f *fakeSNS, out *syncBuffer) *Forwarder {
	opts := Config{TopicARN: testTopic, Retry: fastRetry}
	return New(opts, f.publish, NewMetrics(out, opts), logging.New(out, func(string) string { return "" }))
}

// TestForward: the event lines of a payload, among EMF and log lines, are
// published in calls of at most 10 entries, with the body and attributes the
// SNS sink uses; other lines are ignored; a repeated event goes once.
func TestForward(t *testing.T) {
	var lines, ids []string
	for i := range 23 {
		e := fixtureEvent(t, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		ids = append(ids, e.ID)
		spill := ""
		if i%2 == 1 {
			spill = "BreakerOpen"
		}
		lines = append(lines, line(t, e, spill),
			`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"X"}]}]},"X":1}`,
			`{"timestamp":"2026-01-01T00:00:00Z","level":"WARN","message":"user event not published"}`)
	}
	lines = append(lines, lines[0]) // the same event twice (a Lambda retry of the trigger's log)

	f := &fakeSNS{}
	var out syncBuffer
	require.NoError(t, newForwarder(f, &out).Handle(t.Context(), payload(t, lines...)))
	require.Equal(t, ids, f.published())
	require.Len(t, f.calls, 3)
	for i, c := range f.calls {
		require.Equal(t, testTopic, aws.ToString(c.TopicArn))
		require.LessOrEqual(t, len(c.PublishBatchRequestEntries), MaxEntriesPerCall, "call %d", i)
		for _, en := range c.PublishBatchRequestEntries {
			e, err := event.Decode([]byte(aws.ToString(en.Message)))
			require.NoError(t, err)
			body, err := event.Marshal(e)
			require.NoError(t, err)
			require.Equal(t, string(body), aws.ToString(en.Message), "the SNS sink's body, byte for byte")
			attrs := map[string]string{}
			for k, v := range en.MessageAttributes {
				require.Equal(t, "String", aws.ToString(v.DataType))
				attrs[k] = aws.ToString(v.StringValue)
			}
			require.Equal(t, e.Attributes(), attrs, "the SNS sink's message attributes")
		}
	}
	require.Equal(t, 23.0, out.emf(t, "EventsForwarded"))
	require.Equal(t, 0.0, out.emf(t, "ForwardFailures"))
	require.Contains(t, out.String(), `"ignored":46`)
	require.Contains(t, out.String(), `"duplicates":1`)
}

// TestPartialFailure: entries SNS fails with a throttling code or a fault of
// its own are retried until published; an entry failed for good fails the
// invocation (so Lambda retries it, then hands it to the on-failure
// destination), after everything else was published.
func TestPartialFailure(t *testing.T) {
	var lines []string
	for i := range 12 {
		lines = append(lines, line(t, fixtureEvent(t, fmt.Sprintf("00000000-0000-4000-8000-%012d", i)), ""))
	}
	t.Run("retried until published", func(t *testing.T) {
		f := &fakeSNS{fail: func(id string, attempt int) (string, bool) {
			switch {
			case strings.HasSuffix(id, "01") && attempt < 3:
				return "Throttling", true
			case strings.HasSuffix(id, "07") && attempt < 2:
				return "InternalError", false
			}
			return "", false
		}}
		var out syncBuffer
		require.NoError(t, newForwarder(f, &out).Handle(t.Context(), payload(t, lines...)))
		got := f.published()
		require.Len(t, got, 12)
		slices.Sort(got)
		require.Len(t, slices.Compact(got), 12, "each once")
		require.Equal(t, 3, f.attempts["00000000-0000-4000-8000-000000000001"])
		for _, c := range f.calls[1:] {
			require.Less(t, len(c.PublishBatchRequestEntries), 10, "a retry sends only the failed entries")
		}
		require.Equal(t, 12.0, out.emf(t, "EventsForwarded"))
	})
	t.Run("failed for good", func(t *testing.T) {
		f := &fakeSNS{fail: func(id string, _ int) (string, bool) {
			if strings.HasSuffix(id, "04") {
				return "InvalidParameter", true
			}
			return "", false
		}}
		var out syncBuffer
		err := newForwarder(f, &out).Handle(t.Context(), payload(t, lines...))
		require.ErrorIs(t, err, ErrNotPublished)
		require.EqualError(t, err, "log forwarder: events not published: 1 of 12 (first from log event "+fmt.Sprintf("%056d", 4)+")")
		require.Len(t, f.published(), 11, "everything else was published")
		require.Equal(t, 1, f.attempts["00000000-0000-4000-8000-000000000004"], "a sender fault is not retried")
		require.Equal(t, 1.0, out.emf(t, "ForwardFailures"))
	})
	t.Run("whole calls throttled, then accepted", func(t *testing.T) {
		f := &fakeSNS{err: func(call int) error {
			if call <= 2 {
				return &smithy.GenericAPIError{Code: "Throttling", Fault: smithy.FaultClient}
			}
			return nil
		}}
		require.NoError(t, newForwarder(f, &syncBuffer{}).Handle(t.Context(), payload(t, lines...)))
		require.Len(t, f.published(), 12)
	})
	for _, code := range []string{"Throttled", "KMSThrottling"} { // SNS's own spellings of throttling
		t.Run("whole calls refused with "+code+", then accepted", func(t *testing.T) {
			f := &fakeSNS{err: func(call int) error {
				if call <= 2 {
					return &smithy.GenericAPIError{Code: code, Fault: smithy.FaultClient}
				}
				return nil
			}}
			require.NoError(t, newForwarder(f, &syncBuffer{}).Handle(t.Context(), payload(t, lines...)))
			require.Len(t, f.published(), 12)
		})
	}
	t.Run("SNS down for the whole invocation", func(t *testing.T) {
		f := &fakeSNS{err: func(int) error { return &smithy.GenericAPIError{Code: "AuthorizationError", Fault: smithy.FaultClient} }}
		err := newForwarder(f, &syncBuffer{}).Handle(t.Context(), payload(t, lines...))
		require.ErrorIs(t, err, ErrNotPublished)
		require.Contains(t, err.Error(), "12 of 12")
	})
}

// TestMalformed: a payload that cannot be read is refused with an error that
// says why, and nothing is published; a user-event line that cannot be read
// is refused (the invocation fails) while the others are published, and
// neither the error nor the logs quote it.
func TestMalformed(t *testing.T) {
	for name, tc := range map[string]struct {
		in   events.CloudwatchLogsEvent
		want string
	}{
		"not base64":  {events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: "%%%"}}, "log forwarder: payload refused: not base64-encoded gzip JSON: illegal base64 data at input byte 0"},
		"not gzip":    {events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: "aGVsbG8="}}, "log forwarder: payload refused: not base64-encoded gzip JSON: unexpected EOF"},
		"empty":       {events.CloudwatchLogsEvent{}, "log forwarder: payload refused: not base64-encoded gzip JSON: EOF"},
		"not JSON":    {gzipped(t, "hello"), "log forwarder: payload refused: not base64-encoded gzip JSON: invalid JSON"},
		"not logs":    {gzipped(t, `[1]`), "log forwarder: payload refused: not base64-encoded gzip JSON: wrong JSON type"},
		"unknown msg": {encode(t, events.CloudwatchLogsData{MessageType: "OTHER"}), `log forwarder: payload refused: messageType "OTHER" is neither DATA_MESSAGE nor CONTROL_MESSAGE`},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeSNS{}
			var out syncBuffer
			err := newForwarder(f, &out).Handle(t.Context(), tc.in)
			require.ErrorIs(t, err, ErrPayload)
			require.EqualError(t, err, tc.want)
			require.Empty(t, f.calls)
			require.Equal(t, 1.0, out.emf(t, "ForwardFailures"))
		})
	}

	t.Run("control message", func(t *testing.T) {
		f := &fakeSNS{}
		require.NoError(t, newForwarder(f, &syncBuffer{}).Handle(t.Context(), encode(t, events.CloudwatchLogsData{MessageType: "CONTROL_MESSAGE",
			LogEvents: []events.CloudwatchLogsLogEvent{{ID: "1", Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."}}})))
		require.Empty(t, f.calls)
	})

	t.Run("bad user-event line among good ones", func(t *testing.T) {
		good := fixtureEvent(t, "00000000-0000-4000-8000-000000000001")
		bad := fixtureEvent(t, "00000000-0000-4000-8000-000000000002")
		bad.Data.Email = "jane.doe@example.com"
		badLine := strings.Replace(line(t, bad, ""), `"schemaVersion":1`, `"schemaVersion":9`, 1)
		f := &fakeSNS{}
		var out syncBuffer
		err := newForwarder(f, &out).Handle(t.Context(), payload(t, badLine, line(t, good, "")))
		require.ErrorIs(t, err, ErrLine)
		require.EqualError(t, err, "log forwarder: user-event line refused: 1 of 2 log events (first: "+fmt.Sprintf("%056d", 0)+": invalid data.schemaVersion)")
		require.Equal(t, []string{good.ID}, f.published())
		require.NotContains(t, out.String(), "jane.doe")
		require.NotContains(t, err.Error(), "jane.doe")
	})
}

// gzipped returns a payload whose decompressed JSON is s.
func gzipped(t *testing.T, s string) events.CloudwatchLogsEvent {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}}
}
