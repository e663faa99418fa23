package logforwarder

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/awsretry"
)

const testTopic = "arn:aws:sns:us-east-1:000000000000:user-events"

// fastRetry keeps retries in tests short.
var fastRetry = awsretry.Policy{Base: time.Millisecond, Max: 4 * time.Millisecond, Reserve: 0, Budget: 5 * time.Second}

// encode wraps data as CloudWatch Logs hands it to a Lambda subscriber.
func encode(t testing.TB, data events.CloudwatchLogsData) events.CloudwatchLogsEvent {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}}
}

// payload is a DATA_MESSAGE of a trigger's log group carrying lines.
func payload(t testing.TB, lines ...string) events.CloudwatchLogsEvent {
	t.Helper()
	d := events.CloudwatchLogsData{Owner: "000000000000", LogGroup: "/cogwatch/test/authentication", LogStream: "2026/01/01/[$LATEST]abc",
		SubscriptionFilters: []string{"user-events"}, MessageType: "DATA_MESSAGE"}
	for i, l := range lines {
		d.LogEvents = append(d.LogEvents, events.CloudwatchLogsLogEvent{ID: fmt.Sprintf("%056d", i), Timestamp: 1767225600000 + int64(i), Message: l})
	}
	return encode(t, d)
}

// fixtureEvent returns a valid event with the given id.
func fixtureEvent(t testing.TB, id string) event.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "event", "testdata", "signup-rejected.json"))
	require.NoError(t, err)
	e, err := event.Decode(b)
	require.NoError(t, err)
	e.ID = id
	return e
}

// line returns the event line of e, as a trigger writes it (no newline: a
// log event's message).
func line(t testing.TB, e event.Event, spill string) string {
	t.Helper()
	body, err := event.Marshal(e)
	require.NoError(t, err)
	return strings.TrimSuffix(string(event.AppendLogLine(nil, body, spill)), "\n")
}

// fakeSNS is a PublishBatchFunc that records calls and answers each entry
// as fail says (by the event id in the message; "" succeeds).
type fakeSNS struct {
	mu    sync.Mutex
	calls []*sns.PublishBatchInput
	// fail returns, for an event id on a given attempt of it (from 1), the
	// failure of its entry: a code and whether it is the sender's fault.
	fail func(id string, attempt int) (code string, sender bool)
	// err, when set, fails whole calls (by call number, from 1).
	err      func(call int) error
	attempts map[string]int
	ok       []string // ids published, in order
}

func (f *fakeSNS) publish(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.err != nil {
		if err := f.err(len(f.calls)); err != nil {
			return nil, err
		}
	}
	if f.attempts == nil {
		f.attempts = map[string]int{}
	}
	out := &sns.PublishBatchOutput{}
	for _, en := range in.PublishBatchRequestEntries {
		e, err := event.Decode([]byte(aws.ToString(en.Message)))
		if err != nil {
			return nil, err
		}
		f.attempts[e.ID]++
		if f.fail != nil {
			if code, sender := f.fail(e.ID, f.attempts[e.ID]); code != "" {
				out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: en.Id, Code: aws.String(code), SenderFault: sender, Message: aws.String("injected")})
				continue
			}
		}
		f.ok = append(f.ok, e.ID)
		out.Successful = append(out.Successful, types.PublishBatchResultEntry{Id: en.Id, MessageId: aws.String("m-" + e.ID)})
	}
	return out, nil
}

func (f *fakeSNS) published() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ok...)
}

// syncBuffer collects log and EMF lines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// emf returns the value of metric name in the last EMF line.
func (b *syncBuffer) emf(t *testing.T, name string) float64 {
	t.Helper()
	var last *emf.Document
	for l := range strings.Lines(b.String()) {
		doc, err := emf.Parse([]byte(l))
		if errors.Is(err, emf.ErrNotEMF) {
			continue
		}
		require.NoError(t, err, l)
		last = &doc
	}
	require.NotNil(t, last, "no EMF line")
	v, ok := last.Values(name)
	require.True(t, ok && len(v) == 1, "%s not in %v", name, last.Members)
	return v[0]
}

// readTriggerFixture reads a Cognito event recorded from cognito-local.
func readTriggerFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "triggers", "testdata", "cognito-local", name))
	require.NoError(t, err)
	return b
}
