// Package sqsbatch is the plumbing the SQS-triggered consumers share: decoding
// a batch of SNS-delivered user events, dropping duplicates, the consumers'
// retry figures (the policy itself is internal/awsretry's), and answering
// Lambda with the batch item failures.
//
// It is internal to consumers/: the CloudWatch aggregator and the EventBridge
// forwarder use it, and the log forwarder its retry figures and call
// packing; nothing else should.
package sqsbatch

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/awsretry"
)

// Record is one decoded, first-seen event of a batch.
type Record struct {
	// Index is the position of the SQS message in the batch.
	Index int
	// MessageID is the SQS message id, the batch item failure identifier.
	MessageID string
	// Event is the decoded user event.
	Event event.Event
}

// Batch is the outcome of decoding an SQS batch.
type Batch struct {
	// Records are the decoded events, first occurrence of each event id only,
	// in batch order.
	Records []Record
	// Failed lists the indexes of the messages that could not be decoded.
	Failed []int
	// Duplicates counts messages whose event id appeared earlier in the batch.
	Duplicates int
}

// Decode decodes every message body of a batch with event.FromSNS (an SNS
// envelope or a raw event) and keeps the first message of each event id.
//
// Duplicates are recognised by the CloudEvents id, not by the SNS or SQS
// message id: SNS's at-least-once delivery repeats the SNS MessageId under a
// new SQS message id, a trigger's publish retry produces a new SNS MessageId
// for the same event, and raw message delivery carries no SNS MessageId at
// all. The event id is the same in all three cases. A duplicate is never a
// batch item failure: if its first occurrence fails, that message is
// redelivered and the event still counts once.
//
// Undecodable messages are logged with a reason that never quotes the body,
// so no address or name can reach the logs.
func Decode(ctx context.Context, log *slog.Logger, msgs []events.SQSMessage) Batch {
	b := Batch{Records: make([]Record, 0, len(msgs))}
	seen := make(map[string]struct{}, len(msgs))
	for i, m := range msgs {
		ev, _, err := event.FromSNS([]byte(m.Body))
		if err != nil {
			b.Failed = append(b.Failed, i)
			log.WarnContext(ctx, "undecodable message", "messageId", m.MessageId, "reason", Reason(err))
			continue
		}
		if _, dup := seen[ev.ID]; dup {
			b.Duplicates++
			continue
		}
		seen[ev.ID] = struct{}{}
		b.Records = append(b.Records, Record{Index: i, MessageID: m.MessageId, Event: ev})
	}
	return b
}

// Reason reduces a decoding error to a short code safe to log: the field a
// validation error names (a name from our code), or the kind of JSON error.
// Error texts are not used because they may quote the input.
func Reason(err error) string {
	var fe *event.FieldError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &fe) && errors.Is(err, event.ErrMissing):
		return "missing " + fe.Field
	case errors.As(err, &fe):
		return "invalid " + fe.Field
	case errors.Is(err, event.ErrNotNotification):
		return "not a notification"
	case errors.As(err, &syn):
		return "invalid JSON"
	case errors.As(err, &typ):
		return "wrong JSON type"
	}
	return "malformed event"
}

// Response answers Lambda: one batch item failure per failed message index,
// in batch order, each reported once.
func Response(msgs []events.SQSMessage, failed []int) events.SQSEventResponse {
	failed = slices.Clone(failed)
	slices.Sort(failed)
	failed = slices.Compact(failed)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, i := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msgs[i].MessageId})
	}
	return resp
}

// DefaultPolicy is the retry policy of the consumers: from 50ms to 2s
// between calls, until 500ms before the invocation's deadline (30s in all
// when it has none), so that a batch still answers Lambda with its failures
// instead of timing out, which would redeliver it whole and count its events
// twice.
var DefaultPolicy = awsretry.Policy{Base: 50 * time.Millisecond, Max: 2 * time.Second, Reserve: 500 * time.Millisecond, Budget: 30 * time.Second}

// Bound returns a per-call bound of an options struct: v when it lies in
// (0, limit], else limit (the service's), so that the zero value means the
// service's limit and tests may lower a bound but never raise it.
func Bound(v, limit int) int {
	if v <= 0 || v > limit {
		return limit
	}
	return v
}

// Pack groups items, in order, into calls of at most maxItems items whose
// sizes add up to at most maxBytes; an item larger than maxBytes gets a call
// of its own (the service then refuses it, and the caller counts it lost).
func Pack[T any](items []T, maxItems, maxBytes int, size func(T) int) [][]T {
	var groups [][]T
	total := 0
	for _, it := range items {
		n := len(groups)
		if n == 0 || len(groups[n-1]) >= maxItems || total+size(it) > maxBytes {
			groups = append(groups, nil)
			n++
			total = 0
		}
		groups[n-1] = append(groups[n-1], it)
		total += size(it)
	}
	return groups
}
