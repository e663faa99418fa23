package logforwarder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// PublishBatchFunc is the one SNS call the forwarder makes; the SDK client's
// method value (*sns.Client).PublishBatch fills it.
type PublishBatchFunc func(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error)

// Errors Handle returns (wrapped, with counts and the first reason), so that
// the invocation fails and Lambda retries it, then hands it to the on-failure
// destination.
var (
	// ErrPayload: the subscription payload is not base64-encoded gzip JSON,
	// or not a CloudWatch Logs message.
	ErrPayload = errors.New("log forwarder: payload refused")
	// ErrLine: a line that says it carries a user event could not be read.
	ErrLine = errors.New("log forwarder: user-event line refused")
	// ErrNotPublished: SNS did not accept some events, after retries.
	ErrNotPublished = errors.New("log forwarder: events not published")
)

// errRetryEntries tells the retry loop that some entries are to be sent again.
var errRetryEntries = errors.New("entries to retry")

// Forwarder publishes the user events of trigger log lines to the topic.
type Forwarder struct {
	opts    Config
	publish PublishBatchFunc
	metrics *emf.Writer
	log     *slog.Logger
}

// New returns a Forwarder publishing through publish. Zero fields of opts
// take DefaultConfig's values; a nil metrics discards EMF, a nil log discards
// logs.
func New(opts Config, publish PublishBatchFunc, metrics *emf.Writer, log *slog.Logger) *Forwarder {
	opts = opts.withDefaults()
	if metrics == nil {
		metrics = NewMetrics(nil, opts)
	}
	if log == nil {
		log = logging.Discard()
	}
	return &Forwarder{opts: opts, publish: publish, metrics: metrics, log: log}
}

// NewMetrics returns the forwarder's EMF writer: opts' namespace, no
// dimensions (the events of one payload may belong to several pools).
func NewMetrics(w io.Writer, opts Config) *emf.Writer {
	return emf.NewWriter(w, emf.Options{Namespace: opts.withDefaults().Namespace, DimensionSets: [][]string{{}}})
}

// entry is one PublishBatch entry and where it came from.
type entry struct {
	e     types.PublishBatchRequestEntry
	logID string // the CloudWatch Logs event id, for logs
	size  int
}

func (e entry) bytes() int { return e.size }

// Handle forwards one CloudWatch Logs subscription payload. It returns nil
// when every user event in it was published (or it held none), and an error
// wrapping ErrPayload, ErrLine or ErrNotPublished otherwise, after publishing
// all it could. The error never quotes a log line.
func (f *Forwarder) Handle(ctx context.Context, in events.CloudwatchLogsEvent) error {
	m := f.metrics.New()
	defer func() {
		if err := m.Flush(); err != nil {
			f.log.WarnContext(ctx, "EMF line not written", "err", err)
		}
	}()
	data, err := in.AWSLogs.Parse()
	if err != nil {
		_ = m.Put(catalog.ForwardFailures, 1, emf.Count)
		f.log.ErrorContext(ctx, "payload refused", "reason", payloadReason(err))
		return fmt.Errorf("%w: not base64-encoded gzip JSON: %s", ErrPayload, payloadReason(err))
	}
	switch data.MessageType {
	case "CONTROL_MESSAGE": // CloudWatch Logs checking that the destination is reachable
		return nil
	case "DATA_MESSAGE":
	default:
		_ = m.Put(catalog.ForwardFailures, 1, emf.Count)
		f.log.ErrorContext(ctx, "payload refused", "reason", "messageType", "messageType", data.MessageType)
		return fmt.Errorf("%w: messageType %q is neither DATA_MESSAGE nor CONTROL_MESSAGE", ErrPayload, data.MessageType)
	}

	var entries []entry
	var refused []string // "<log event id>: <reason>"
	ignored, duplicates := 0, 0
	seen := map[string]bool{}
	for _, le := range data.LogEvents {
		e, _, err := event.ParseLogLine([]byte(le.Message))
		switch {
		case errors.Is(err, event.ErrNotLogLine):
			ignored++
			continue
		case err != nil:
			refused = append(refused, le.ID+": "+sqsbatch.Reason(err))
			f.log.ErrorContext(ctx, "user-event line refused", "logGroup", data.LogGroup, "logEventId", le.ID, "reason", sqsbatch.Reason(err))
			continue
		case seen[e.ID]:
			duplicates++
			continue
		}
		seen[e.ID] = true
		body, err := event.Marshal(e)
		if err != nil { // ParseLogLine validated it: cannot happen, but never lose one silently
			refused = append(refused, le.ID+": "+sqsbatch.Reason(err))
			continue
		}
		en := entry{logID: le.ID, e: types.PublishBatchRequestEntry{Message: aws.String(string(body)), MessageAttributes: attributes(&e)}}
		en.size = entrySize(&en.e)
		entries = append(entries, en)
	}

	ctx, cancel := f.opts.Retry.WithReserve(ctx)
	defer cancel()
	calls, sent := 0, 0
	var lost []entry
	for _, group := range sqsbatch.Pack(entries, f.opts.MaxEntriesPerCall, f.opts.MaxCallBytes, entry.bytes) {
		n, failed := f.send(ctx, group)
		calls += n
		sent += len(group) - len(failed)
		lost = append(lost, failed...)
	}
	_ = m.Put(catalog.EventsForwarded, float64(sent), emf.Count)
	_ = m.Put(catalog.ForwardFailures, float64(len(refused)+len(lost)), emf.Count)
	f.log.InfoContext(ctx, "forwarded", "logGroup", data.LogGroup, "logEvents", len(data.LogEvents), "ignored", ignored,
		"duplicates", duplicates, "calls", calls, "published", sent, "refused", len(refused), "notPublished", len(lost))

	var errs []error
	if len(refused) > 0 {
		errs = append(errs, fmt.Errorf("%w: %d of %d log events (first: %s)", ErrLine, len(refused), len(data.LogEvents), refused[0]))
	}
	if len(lost) > 0 {
		errs = append(errs, fmt.Errorf("%w: %d of %d (first from log event %s)", ErrNotPublished, len(lost), len(entries), lost[0].logID))
	}
	return errors.Join(errs...)
}

// payloadReason names what is wrong with a payload, without quoting it.
func payloadReason(err error) string {
	r := sqsbatch.Reason(err)
	if r == "malformed event" { // base64 or gzip
		return err.Error()
	}
	return r
}

func attributes(e *event.Event) map[string]types.MessageAttributeValue {
	attrs := e.Attributes()
	out := make(map[string]types.MessageAttributeValue, len(attrs))
	for k, v := range attrs {
		out[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return out
}

// entrySize is what an entry counts for against a call's size limit: its
// message and its attributes' names, types and values.
func entrySize(e *types.PublishBatchRequestEntry) int {
	n := len(aws.ToString(e.Message))
	for k, v := range e.MessageAttributes {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	return n
}

// send publishes one group, retrying throttled calls and the entries that
// failed with a retryable code or a fault of SNS's, and returns the number
// of calls made and the entries that were not published.
func (f *Forwarder) send(ctx context.Context, group []entry) (calls int, lost []entry) {
	pending := group
	attempts, err := f.opts.Retry.Do(ctx, func(err error) bool {
		return errors.Is(err, errRetryEntries) || awsretry.Retryable(err)
	}, func(ctx context.Context) error {
		in := &sns.PublishBatchInput{TopicArn: aws.String(f.opts.TopicARN), PublishBatchRequestEntries: make([]types.PublishBatchRequestEntry, len(pending))}
		for i := range pending {
			in.PublishBatchRequestEntries[i] = pending[i].e
			in.PublishBatchRequestEntries[i].Id = aws.String(strconv.Itoa(i)) // unique in the call, as SNS asks
		}
		out, err := f.publish(ctx, in)
		if err != nil {
			return err
		}
		ok := make(map[string]bool, len(out.Successful))
		for _, s := range out.Successful {
			ok[aws.ToString(s.Id)] = true
		}
		failed := make(map[string]types.BatchResultErrorEntry, len(out.Failed))
		for _, fe := range out.Failed {
			failed[aws.ToString(fe.Id)] = fe
		}
		var retry []entry
		for i, p := range pending {
			id := strconv.Itoa(i)
			fe, bad := failed[id]
			switch {
			case ok[id] && !bad:
			case bad && (awsretry.RetryableCode(aws.ToString(fe.Code)) || !fe.SenderFault):
				retry = append(retry, p)
			case bad:
				lost = append(lost, p)
				f.log.ErrorContext(ctx, "PublishBatch entry failed", "logEventId", p.logID, "code", aws.ToString(fe.Code))
			default: // in neither list: not known published, so try again
				retry = append(retry, p)
			}
		}
		pending = retry
		if len(pending) > 0 {
			return errRetryEntries
		}
		return nil
	})
	if err != nil {
		lost = append(lost, pending...)
		if errors.Is(err, errRetryEntries) {
			f.log.ErrorContext(ctx, "PublishBatch entries still failing", "attempts", attempts, "entries", len(pending))
		} else {
			f.log.ErrorContext(ctx, "PublishBatch failed", "err", err, "code", awsretry.Code(err), "attempts", attempts, "entries", len(pending))
		}
	}
	return attempts, lost
}
