package exporter

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/event"
)

// SQSClient is the part of the SQS API that pull mode calls; *sqs.Client
// has it.
type SQSClient interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Pull-mode metric names.
const (
	MetricSQSReceived  = "cogwatch_exporter_sqs_messages_received_total"
	MetricSQSInvalid   = "cogwatch_exporter_sqs_messages_invalid_total"
	MetricSQSDups      = "cogwatch_exporter_sqs_messages_duplicates_total"
	MetricSQSDeleted   = "cogwatch_exporter_sqs_messages_deleted_total"
	MetricSQSAbandoned = "cogwatch_exporter_sqs_messages_abandoned_total"
	MetricSQSErrors    = "cogwatch_exporter_sqs_errors_total"
)

// Reasons of MetricSQSAbandoned.
const (
	// AbandonExpired: the visibility timeout ran out (or nearly) before the
	// delete could be sent. Not deleted: SQS hands the message out again.
	AbandonExpired = "expired"
	// AbandonDeleteFailed: SQS answered that the entry was not deleted. It
	// hands the message out again.
	AbandonDeleteFailed = "delete_failed"
	// AbandonDeleteUnconfirmed: the delete call failed, or its answer came
	// after the visibility timeout. SQS may have deleted the message (then
	// nobody counts it) or not (then it hands it out again).
	AbandonDeleteUnconfirmed = "delete_unconfirmed"
)

// sqsMaxBatch is the most messages one ReceiveMessage or DeleteMessageBatch
// call takes (SQS's limit).
const sqsMaxBatch = 10

// Pull-mode back-off after a failed call: doubling from the first to the
// last, reset by a success.
const (
	sqsBackoffFirst = 100 * time.Millisecond
	sqsBackoffLast  = 30 * time.Second
)

// sqsDeleteMargin is the least time left in a batch's visibility timeout
// for its delete to be sent (a tenth of the timeout if that is less): a
// delete sent later would more likely be answered too late, leaving its
// messages' fate unknown, than in time.
const sqsDeleteMargin = time.Second

// sqsMetrics are pull mode's own counters.
type sqsMetrics struct {
	received, invalid, duplicates, deleted prometheus.Counter
	abandoned, errors                      *prometheus.CounterVec
}

func newSQSMetrics(reg prometheus.Registerer) (*sqsMetrics, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &sqsMetrics{
		received:   c(MetricSQSReceived, "SQS messages received in pull mode, whatever became of them."),
		invalid:    c(MetricSQSInvalid, "SQS messages that hold no user event: left in the queue, so that its redrive policy moves them to the dead-letter queue."),
		duplicates: c(MetricSQSDups, "SQS messages dropped as duplicates (same CloudEvents id or SNS MessageId) by this replica, once deleted."),
		deleted:    c(MetricSQSDeleted, "SQS messages whose delete SQS confirmed within their visibility timeout: each counted once, or dropped as a duplicate."),
		abandoned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricSQSAbandoned,
			Help: "SQS messages left uncounted because their delete was not confirmed within their visibility timeout, by reason: expired and delete_failed come back, to be counted by their next receiver; delete_unconfirmed may have been deleted, and then nobody counts them."},
			[]string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricSQSErrors,
			Help: "Failed SQS calls (whole calls, and entries of a batch delete), by operation."}, []string{"operation"}),
	}
	for _, r := range []string{AbandonExpired, AbandonDeleteFailed, AbandonDeleteUnconfirmed} {
		m.abandoned.WithLabelValues(r)
	}
	m.errors.WithLabelValues("receive")
	m.errors.WithLabelValues("delete")
	for _, col := range []prometheus.Collector{m.received, m.invalid, m.duplicates, m.deleted, m.abandoned, m.errors} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Pull long-polls the SQS queue at queueURL with o.SQSClient until ctx ends,
// counting the user events its messages hold (raw or in an SNS envelope,
// told apart per message). A message that holds no user event is not
// deleted: after the queue's maximum receives its redrive policy moves it
// to the dead-letter queue, and it never holds up the others. A failed call
// is retried after a growing pause. When ctx ends, the batch in hand is
// still deleted and counted, under its own deadline; then Pull returns nil.
//
// A message is counted only once SQS has confirmed its delete within the
// visibility timeout, measured from before the receive was sent (SQS starts
// it later, when it answers). Until then no other consumer can have
// received it, and after a confirmed delete none will: so replicas sharing
// a queue count each message once in total. A message whose delete is not
// confirmed in time is left uncounted (MetricSQSAbandoned): whoever
// receives it next counts it, this replica included. The one case this
// cannot settle is a delete SQS carried out whose answer came too late:
// that message is counted by nobody (AbandonDeleteUnconfirmed).
func (e *Exporter) Pull(ctx context.Context, queueURL string) error {
	if e.o.SQSClient == nil {
		return errors.New("exporter: pull mode needs Options.SQSClient")
	}
	log := e.log.With("queue_url", queueURL)
	pause := time.Duration(0)
	for {
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		sent := e.o.Now()
		rctx, cancel := context.WithTimeout(ctx, e.o.SQSWaitTime+e.o.SQSCallTimeout)
		out, err := e.o.SQSClient.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(queueURL),
			MaxNumberOfMessages: sqsMaxBatch,
			WaitTimeSeconds:     int32(e.o.SQSWaitTime / time.Second),
			VisibilityTimeout:   int32(e.o.SQSVisibilityTimeout / time.Second),
		})
		cancel()
		if err != nil {
			if ctx.Err() != nil { // shutting down: SQS shows what it handed out again after the timeout
				return nil
			}
			e.sqs.errors.WithLabelValues("receive").Inc()
			pause = nextPause(pause)
			log.ErrorContext(ctx, "SQS receive failed", "err", clipErr(err), "retry_in", pause)
			continue
		}
		// SQS starts the timeout when it answers, after sent: the lease
		// measured from sent ends no later than the one SQS keeps.
		if e.handleBatch(ctx, queueURL, out.Messages, sent.Add(e.o.SQSVisibilityTimeout)) {
			pause = nextPause(pause)
		} else {
			pause = 0
		}
	}
}

func nextPause(p time.Duration) time.Duration {
	return min(max(2*p, sqsBackoffFirst), sqsBackoffLast)
}

// staged is a message of a batch whose delete is under way: what counting
// it takes once the delete is confirmed.
type staged struct {
	ev    event.Event
	keys  [2]key // CloudEvents source and id; SNS MessageId if enveloped
	nkeys int
}

// handleBatch deletes the messages of a batch that hold a user event and,
// once SQS has confirmed the delete before lease, counts them (or drops
// them as duplicates). It reports whether the delete failed.
func (e *Exporter) handleBatch(ctx context.Context, queueURL string, msgs []types.Message, lease time.Time) (failed bool) {
	if len(msgs) == 0 {
		return false
	}
	e.sqs.received.Add(float64(len(msgs)))
	batch := make([]staged, 0, len(msgs))
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(msgs))
	for _, m := range msgs {
		ev, env, err := event.FromSNS([]byte(aws.ToString(m.Body)))
		if err != nil {
			e.sqs.invalid.Inc()
			e.log.WarnContext(ctx, "SQS message holds no user event: left for the dead-letter queue",
				"queue_url", queueURL, "message_id", clip(aws.ToString(m.MessageId)), "reason", sqsbatch.Reason(err))
			continue
		}
		st := staged{ev: ev, keys: [2]key{keyOf(keyEventID, ev.Source, ev.ID)}, nkeys: 1}
		if env.MessageID != "" {
			st.keys[1], st.nkeys = keyOf(keyMessageID, env.MessageID), 2
		}
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(batch))), ReceiptHandle: m.ReceiptHandle})
		batch = append(batch, st)
	}
	if len(entries) == 0 {
		return false
	}
	left := lease.Sub(e.o.Now())
	if left < min(sqsDeleteMargin, e.o.SQSVisibilityTimeout/10) {
		e.sqs.abandoned.WithLabelValues(AbandonExpired).Add(float64(len(entries)))
		e.log.WarnContext(ctx, "SQS visibility timeout over before the delete: messages left uncounted for their next receiver",
			"queue_url", queueURL, "messages", len(entries), "late_by", -left)
		return false
	}
	// The delete completes even when ctx ends (what was received is to be
	// counted), but never waits past the lease: a later answer counts nothing.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(e.o.SQSCallTimeout, left))
	defer cancel()
	out, err := e.o.SQSClient.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
	now := e.o.Now()
	if err != nil {
		e.sqs.errors.WithLabelValues("delete").Inc()
		e.sqs.abandoned.WithLabelValues(AbandonDeleteUnconfirmed).Add(float64(len(entries)))
		e.log.ErrorContext(ctx, "SQS delete failed: messages left uncounted for their next receiver, unless SQS deleted them",
			"queue_url", queueURL, "messages", len(entries), "err", clipErr(err))
		return true
	}
	// Each entry as SQS answered for it: deleted, failed, or (an answer
	// that leaves it out) neither.
	outcome := make([]entryOutcome, len(batch))
	for _, f := range out.Failed {
		if i, ok := entryIndex(f.Id, len(batch)); ok {
			outcome[i] = entryFailed
		}
	}
	for _, d := range out.Successful {
		if i, ok := entryIndex(d.Id, len(batch)); ok && outcome[i] == entryUnanswered {
			outcome[i] = entryDeleted
		}
	}
	late := !now.Before(lease)
	var nFailed, nUnconfirmed int
	for i, o := range outcome {
		switch {
		case o == entryFailed:
			nFailed++
		case o == entryUnanswered || late:
			nUnconfirmed++
		default:
			e.sqs.deleted.Inc()
			if e.seen.add(now, now.Add(e.o.MaxAge), batch[i].keys[:batch[i].nkeys]...) {
				e.series.observe(&batch[i].ev)
			} else {
				e.sqs.duplicates.Inc()
			}
		}
	}
	if nFailed > 0 {
		e.sqs.errors.WithLabelValues("delete").Add(float64(nFailed))
		e.sqs.abandoned.WithLabelValues(AbandonDeleteFailed).Add(float64(nFailed))
		e.log.ErrorContext(ctx, "SQS delete failed for some messages: left uncounted for their next receiver",
			"queue_url", queueURL, "failed", nFailed, "code", clip(aws.ToString(out.Failed[0].Code)))
	}
	if nUnconfirmed > 0 {
		e.sqs.abandoned.WithLabelValues(AbandonDeleteUnconfirmed).Add(float64(nUnconfirmed))
		e.log.WarnContext(ctx, "SQS delete not confirmed within the visibility timeout: messages left uncounted for their next receiver, unless SQS deleted them",
			"queue_url", queueURL, "messages", nUnconfirmed, "late_by", max(now.Sub(lease), 0))
	}
	return nFailed > 0
}

// What a batch delete's answer says of one entry.
type entryOutcome uint8

const (
	entryUnanswered entryOutcome = iota
	entryDeleted
	entryFailed
)

// entryIndex is the index of the batch entry whose Id is id, as handleBatch
// numbers them.
func entryIndex(id *string, n int) (int, bool) {
	i, err := strconv.Atoi(aws.ToString(id))
	return i, err == nil && i >= 0 && i < n && strconv.Itoa(i) == aws.ToString(id)
}
