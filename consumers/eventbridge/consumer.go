package eventbridge

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// PutEventsFunc is the one EventBridge call the consumer makes; the SDK
// client's method value (*eventbridge.Client).PutEvents fills it.
type PutEventsFunc func(context.Context, *eb.PutEventsInput, ...func(*eb.Options)) (*eb.PutEventsOutput, error)

// Consumer forwards SQS batches of user events to an EventBridge bus.
type Consumer struct {
	opts Config
	put  PutEventsFunc
	log  *slog.Logger
}

// New returns a Consumer that sends entries through put. Zero fields of opts
// take DefaultConfig's values; a nil log discards.
func New(opts Config, put PutEventsFunc, log *slog.Logger) *Consumer {
	if log == nil {
		log = logging.Discard()
	}
	return &Consumer{opts: opts.withDefaults(), put: put, log: log}
}

// ErrEntryTooLarge is logged for an event whose entry alone exceeds a call's
// size limit; it can never be sent.
var ErrEntryTooLarge = errors.New("entry larger than a PutEvents call allows")

// errRetryEntries tells the retry loop that some entries failed with a
// retryable code and are to be sent again.
var errRetryEntries = errors.New("entries to retry")

// entry is one PutEvents entry with the message it came from.
type entry struct {
	e    types.PutEventsRequestEntry
	msg  int
	id   string // SQS message id, for logs
	size int
}

func (e entry) bytes() int { return e.size }

// Size returns an entry's size as EventBridge computes it against the
// 256 KiB limit: 14 bytes for Time when set, plus the UTF-8 bytes of Source,
// DetailType, Detail and each Resources element.
func Size(e *types.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += timeBytes
	}
	for _, s := range []*string{e.Source, e.DetailType, e.Detail} {
		if s != nil {
			n += len(*s)
		}
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// Handle forwards one SQS batch. It never returns an error (which would make
// Lambda redeliver the whole batch): the messages that could not be decoded
// or whose entry EventBridge did not accept are the response's batch item
// failures, and no other message is.
func (c *Consumer) Handle(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
	batch := sqsbatch.Decode(ctx, c.log, in.Records)
	failed := batch.Failed

	entries := make([]entry, 0, len(batch.Records))
	for i := range batch.Records {
		r := &batch.Records[i]
		detail, err := event.Marshal(r.Event)
		if err != nil { // Decode validated it: cannot happen, but never lose a message silently.
			failed = append(failed, r.Index)
			c.log.ErrorContext(ctx, "event not encodable", "messageId", r.MessageID, "reason", sqsbatch.Reason(err))
			continue
		}
		e := entry{msg: r.Index, id: r.MessageID, e: types.PutEventsRequestEntry{
			Source:       ptr(Source),
			DetailType:   ptr(string(r.Event.Type)),
			Detail:       ptr(string(detail)),
			Time:         ptr(r.Event.Time),
			EventBusName: ptr(c.opts.BusName),
		}}
		e.size = Size(&e.e)
		if e.size >= c.opts.MaxCallBytes {
			failed = append(failed, r.Index)
			c.log.ErrorContext(ctx, "event not forwardable", "messageId", r.MessageID, "eventId", r.Event.ID,
				"reason", ErrEntryTooLarge.Error(), "bytes", e.size)
			continue
		}
		entries = append(entries, e)
	}

	ctx, cancel := c.opts.Retry.WithReserve(ctx)
	defer cancel()
	calls, sent := 0, 0
	// EventBridge wants a call's size strictly below MaxCallBytes.
	for _, group := range sqsbatch.Pack(entries, c.opts.MaxEntriesPerCall, c.opts.MaxCallBytes-1, entry.bytes) {
		n, lost := c.send(ctx, group)
		calls += n
		sent += len(group) - len(lost)
		for _, e := range lost {
			failed = append(failed, e.msg)
		}
	}

	resp := sqsbatch.Response(in.Records, failed)
	c.log.InfoContext(ctx, "batch", "messages", len(in.Records), "duplicates", batch.Duplicates,
		"calls", calls, "entries", sent, "failures", len(resp.BatchItemFailures))
	return resp, nil
}

// send puts one group, retrying throttled calls and retryable entries, and
// returns the number of calls made and the entries that were not accepted.
func (c *Consumer) send(ctx context.Context, group []entry) (calls int, lost []entry) {
	pending := group
	attempts, err := c.opts.Retry.Do(ctx, func(err error) bool {
		return errors.Is(err, errRetryEntries) || awsretry.Retryable(err)
	}, func(ctx context.Context) error {
		in := &eb.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(pending))}
		for i := range pending {
			in.Entries[i] = pending[i].e
		}
		out, err := c.put(ctx, in)
		if err != nil {
			return err
		}
		if len(out.Entries) != len(pending) {
			// The response cannot be matched to the entries: none is known sent.
			lost = append(lost, pending...)
			c.log.ErrorContext(ctx, "PutEvents response does not match the request", "entries", len(pending), "results", len(out.Entries))
			pending = nil
			return nil
		}
		var retry []entry
		for i, res := range out.Entries {
			switch code := deref(res.ErrorCode); {
			case code == "" && res.EventId != nil:
			case awsretry.RetryableCode(code):
				retry = append(retry, pending[i])
			default:
				lost = append(lost, pending[i])
				c.log.ErrorContext(ctx, "PutEvents entry failed", "messageId", pending[i].id, "code", code)
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
		if !errors.Is(err, errRetryEntries) {
			c.log.ErrorContext(ctx, "PutEvents failed", "err", err, "code", awsretry.Code(err), "attempts", attempts, "entries", len(pending))
		} else {
			c.log.ErrorContext(ctx, "PutEvents entries still failing", "attempts", attempts, "entries", len(pending))
		}
	}
	return attempts, lost
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
