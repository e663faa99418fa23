package triggers

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

const testTopic = "arn:aws:sns:us-east-1:000000000000:user-events"

// syncBuffer takes the concurrent writes of handlers run by a Lambda host.
type syncBuffer = testutil.SyncBuffer

// recorder is an in-process SNS stand-in: a PublishFunc that records what
// it is given and answers as told.
type recorder struct {
	mu     sync.Mutex
	inputs []*sns.PublishInput
	// fail, when set, answers each call (by call number, from 1); nil answers succeed.
	fail func(call int) error
}

func (r *recorder) publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.mu.Lock()
	r.inputs = append(r.inputs, in)
	n := len(r.inputs)
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(n); err != nil {
			return nil, err
		}
	}
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

// events decodes every published message strictly, checking that the
// message attributes repeat the event.
func (r *recorder) events(t *testing.T) []event.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event.Event
	for _, in := range r.inputs {
		require.Equal(t, testTopic, aws.ToString(in.TopicArn))
		e, err := event.Decode([]byte(aws.ToString(in.Message)))
		require.NoError(t, err)
		attrs := map[string]string{}
		for k, v := range in.MessageAttributes {
			require.Equal(t, "String", aws.ToString(v.DataType))
			attrs[k] = aws.ToString(v.StringValue)
		}
		require.Equal(t, e.Attributes(), attrs)
		out = append(out, e)
	}
	return out
}

// emfDoc is the part of an EMF line the tests look at.
type emfDoc struct {
	raw        map[string]any
	Namespace  string
	Dimensions [][][]string // per directive
	Metrics    [][]string   // per directive: metric names
}

func decodeEMF(t *testing.T, line string) emfDoc {
	t.Helper()
	doc, err := emf.Parse([]byte(line))
	require.NoError(t, err, line)
	d := emfDoc{raw: doc.Members}
	for _, dir := range doc.Directives {
		d.Namespace = dir.Namespace
		d.Dimensions = append(d.Dimensions, dir.Dimensions)
		var names []string
		for _, m := range dir.Metrics {
			names = append(names, m.Name)
		}
		d.Metrics = append(d.Metrics, names)
	}
	return d
}

// num returns a metric's value (the first, if several).
func (d emfDoc) num(t *testing.T, name string) float64 {
	t.Helper()
	switch v := d.raw[name].(type) {
	case float64:
		return v
	case []any:
		return v[0].(float64)
	}
	t.Fatalf("metric %s not in %v", name, d.raw)
	return 0
}

func (d emfDoc) has(name string) bool { _, ok := d.raw[name]; return ok }

// testLogger logs JSON at DEBUG into buf.
func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fixedClock returns a clock that advances step on every call.
func fixedClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

// trigger is what every trigger is to the tests.
type trigger interface {
	lambda.Handler
	SetEventLog(io.Writer)
}

// newTrigger builds the trigger of function (presignup, authentication,
// postconfirmation) with its event lines going to events.
func newTrigger(function string, cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger, events io.Writer) trigger {
	var h trigger
	switch function {
	case "presignup":
		h = NewPreSignUp(cfg, publish, metrics, log)
	case "authentication":
		h = NewAuthentication(cfg, publish, metrics, log)
	case "pretokengeneration":
		h = NewPreTokenGeneration(cfg, publish, metrics, log)
	case "custommessage":
		h = NewCustomMessage(cfg, publish, metrics, log, phone.CountryCode)
	default:
		h = NewPostConfirmation(cfg, publish, metrics, log)
	}
	h.SetEventLog(events)
	return h
}
