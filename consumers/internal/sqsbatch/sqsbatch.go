// Package sqsbatch is the plumbing the SQS-triggered consumers share: decoding
// a batch of SNS-delivered user events, dropping duplicates, classifying AWS
// errors by code, retrying throttled calls inside the invocation's deadline,
// and answering Lambda with the batch item failures.
//
// It is internal to consumers/: the CloudWatch aggregator and the EventBridge
// forwarder use it, and the log forwarder its error classification, retry
// policy and call packing; nothing else should.
package sqsbatch

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cogwatch/cogwatch/event"
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

// throttleCodes are the error codes AWS services use for throttling and
// request-rate limits, plus the transient server-side failures worth a retry.
var throttleCodes = map[string]bool{
	"Throttling":                             true,
	"ThrottlingException":                    true,
	"ThrottledException":                     true,
	"RequestThrottledException":              true,
	"TooManyRequestsException":               true,
	"ProvisionedThroughputExceededException": true,
	"TransactionInProgressException":         true,
	"RequestLimitExceeded":                   true,
	"BandwidthLimitExceeded":                 true,
	"LimitExceeded":                          true,
	"LimitExceededException":                 true,
	"RequestThrottled":                       true,
	"SlowDown":                               true,
	"PriorRequestNotComplete":                true,
	"EC2ThrottledException":                  true,
	"InternalFailure":                        true,
	"InternalServiceError":                   true,
	"InternalServiceFault":                   true,
	"InternalException":                      true,
	"ServiceUnavailable":                     true,
	"ServiceUnavailableException":            true,
}

// RetryableCode reports whether an AWS error code is worth a retry.
func RetryableCode(code string) bool { return throttleCodes[code] }

// Retryable reports whether err is worth a retry: an AWS API error whose
// code says throttling or a transient service failure, or a request that
// never reached the service. It never looks at error text.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return RetryableCode(api.ErrorCode())
	}
	var send *smithyhttp.RequestSendError
	return errors.As(err, &send)
}

// Code returns the AWS error code of err, or "" when it carries none.
func Code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// Policy bounds the retries of one call.
type Policy struct {
	// Base is the first backoff; each retry doubles it, up to Max.
	Base time.Duration
	// Max caps one backoff.
	Max time.Duration
	// Reserve is the time kept back before the invocation's deadline, so the
	// handler still answers Lambda (with its failures) instead of timing out,
	// which would redeliver the whole batch and count its events twice.
	Reserve time.Duration
	// Budget bounds the calls and their retries when the invocation has no
	// deadline (a test, a host that sets none), so a service that throttles
	// forever cannot hold the handler forever. Lambda always sets one.
	Budget time.Duration
}

// DefaultPolicy is the retry policy of both consumers.
var DefaultPolicy = Policy{Base: 50 * time.Millisecond, Max: 2 * time.Second, Reserve: 500 * time.Millisecond, Budget: 30 * time.Second}

// WithReserve returns a context that ends Reserve before ctx's deadline, or
// Budget from now if ctx has no deadline (or no later than that when Budget
// is zero: never).
func (p Policy) WithReserve(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-p.Reserve))
	}
	if p.Budget > 0 {
		return context.WithTimeout(ctx, p.Budget)
	}
	return context.WithCancel(ctx)
}

// Do calls attempt until it returns nil or an error that is not retryable
// (as judged by retryable), sleeping a full-jitter exponential backoff
// between attempts. It stops when ctx ends or when the next backoff would
// end after ctx's deadline, and returns the last error. attempts counts the
// calls made.
func (p Policy) Do(ctx context.Context, retryable func(error) bool, attempt func(context.Context) error) (attempts int, err error) {
	backoff := p.Base
	if backoff <= 0 {
		backoff = DefaultPolicy.Base // never a busy loop
	}
	if p.Max < backoff {
		p.Max = backoff
	}
	for {
		attempts++
		err = attempt(ctx)
		if err == nil || !retryable(err) {
			return attempts, err
		}
		sleep := time.Duration(rand.Int64N(int64(backoff) + 1))
		if d, ok := ctx.Deadline(); ok && time.Now().Add(sleep).After(d) {
			return attempts, err
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempts, err
		case <-t.C:
		}
		backoff = min(2*backoff, p.Max)
	}
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
