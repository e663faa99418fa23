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
	MetricSQSReceived = "cogwatch_exporter_sqs_messages_received_total"
	MetricSQSInvalid  = "cogwatch_exporter_sqs_messages_invalid_total"
	MetricSQSDups     = "cogwatch_exporter_sqs_messages_duplicates_total"
	MetricSQSDeleted  = "cogwatch_exporter_sqs_messages_deleted_total"
	MetricSQSExpired  = "cogwatch_exporter_sqs_messages_expired_total"
	MetricSQSLate     = "cogwatch_exporter_sqs_messages_deleted_late_total"
	MetricSQSErrors   = "cogwatch_exporter_sqs_errors_total"
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

// sqsMetrics are pull mode's own counters.
type sqsMetrics struct {
	received, invalid, duplicates, deleted, expired, late prometheus.Counter
	errors                                                *prometheus.CounterVec
}

func newSQSMetrics(reg prometheus.Registerer) (*sqsMetrics, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &sqsMetrics{
		received:   c(MetricSQSReceived, "SQS messages received in pull mode, whatever became of them."),
		invalid:    c(MetricSQSInvalid, "SQS messages that hold no user event: left in the queue, so that its redrive policy moves them to the dead-letter queue."),
		duplicates: c(MetricSQSDups, "SQS messages dropped as duplicates (same CloudEvents id or SNS MessageId) by this replica, and deleted."),
		deleted:    c(MetricSQSDeleted, "SQS messages deleted after being counted or dropped as duplicates."),
		expired:    c(MetricSQSExpired, "SQS messages whose visibility timeout had passed before they could be counted: neither counted nor deleted, SQS hands them out again."),
		late:       c(MetricSQSLate, "SQS messages counted here whose delete ended after their visibility timeout: another replica may have received and counted them too."),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricSQSErrors,
			Help: "Failed SQS calls (whole calls, and entries of a batch delete), by operation."}, []string{"operation"}),
	}
	m.errors.WithLabelValues("receive")
	m.errors.WithLabelValues("delete")
	for _, col := range []prometheus.Collector{m.received, m.invalid, m.duplicates, m.deleted, m.expired, m.late, m.errors} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Pull long-polls the SQS queue at queueURL with o.SQSClient until ctx ends,
// counting the user events its messages hold (raw or in an SNS envelope,
// told apart per message) and deleting what it counted. A message that
// holds no user event is not deleted: after the queue's maximum receives
// its redrive policy moves it to the dead-letter queue, and it never holds
// up the others. A failed call is retried after a growing pause. When ctx
// ends, the batch in hand is still counted and its delete completes, under
// its own deadline; then Pull returns nil.
//
// Every receive asks for o.SQSVisibilityTimeout, so the exporter knows how
// long SQS hides each message from other replicas: a message whose timeout
// has passed by the time the batch is in hand is neither counted nor
// deleted (another replica may have it now), and a message counted whose
// delete ends after the timeout is counted in MetricSQSLate.
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

// handleBatch counts the messages of a batch and deletes the counted ones
// and the duplicates, if they are still hidden from other consumers until
// lease. It reports whether the delete failed.
func (e *Exporter) handleBatch(ctx context.Context, queueURL string, msgs []types.Message, lease time.Time) (failed bool) {
	if len(msgs) == 0 {
		return false
	}
	e.sqs.received.Add(float64(len(msgs)))
	now := e.o.Now()
	if !now.Before(lease) {
		e.sqs.expired.Add(float64(len(msgs)))
		e.log.WarnContext(ctx, "SQS messages received after their visibility timeout: not counted, SQS hands them out again",
			"queue_url", queueURL, "messages", len(msgs), "late_by", now.Sub(lease))
		return false
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(msgs))
	counted := 0
	for i, m := range msgs {
		ev, env, err := event.FromSNS([]byte(aws.ToString(m.Body)))
		if err != nil {
			e.sqs.invalid.Inc()
			e.log.WarnContext(ctx, "SQS message holds no user event: left for the dead-letter queue",
				"queue_url", queueURL, "message_id", clip(aws.ToString(m.MessageId)), "reason", sqsbatch.Reason(err))
			continue
		}
		keys := []key{keyOf(keyEventID, ev.Source, ev.ID)}
		if env.MessageID != "" {
			keys = append(keys, keyOf(keyMessageID, env.MessageID))
		}
		if e.seen.add(now, now.Add(e.o.MaxAge), keys...) {
			e.series.observe(&ev)
			counted++
		} else {
			e.sqs.duplicates.Inc()
		}
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if len(entries) == 0 {
		return false
	}
	// The delete completes even when ctx ends: what was counted must go.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.o.SQSCallTimeout)
	defer cancel()
	out, err := e.o.SQSClient.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
	if !e.o.Now().Before(lease) {
		e.sqs.late.Add(float64(counted))
		e.log.WarnContext(ctx, "SQS delete ended after the visibility timeout: another replica may count these messages too",
			"queue_url", queueURL, "counted", counted)
	}
	if err != nil {
		e.sqs.errors.WithLabelValues("delete").Inc()
		e.log.ErrorContext(ctx, "SQS delete failed: the messages come back after their visibility timeout",
			"queue_url", queueURL, "messages", len(entries), "err", clipErr(err))
		return true
	}
	e.sqs.deleted.Add(float64(len(out.Successful)))
	if len(out.Failed) > 0 {
		e.sqs.errors.WithLabelValues("delete").Add(float64(len(out.Failed)))
		f := out.Failed[0]
		e.log.ErrorContext(ctx, "SQS delete failed for some messages: they come back after their visibility timeout",
			"queue_url", queueURL, "failed", len(out.Failed), "code", clip(aws.ToString(f.Code)))
		return true
	}
	return false
}
