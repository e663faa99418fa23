package cloudwatch

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// PutMetricDataFunc is the one CloudWatch call the consumer makes; the SDK
// client's method value (*cloudwatch.Client).PutMetricData fills it.
type PutMetricDataFunc func(context.Context, *cw.PutMetricDataInput, ...func(*cw.Options)) (*cw.PutMetricDataOutput, error)

// Consumer aggregates SQS batches of user events into PutMetricData calls.
type Consumer struct {
	opts Config
	put  PutMetricDataFunc
	log  *slog.Logger
}

// New returns a Consumer that stores metrics through put. Zero fields of
// opts take DefaultConfig's values; a nil log discards.
func New(opts Config, put PutMetricDataFunc, log *slog.Logger) *Consumer {
	if log == nil {
		log = logging.Discard()
	}
	return &Consumer{opts: opts.withDefaults(), put: put, log: log}
}

// Handle aggregates one SQS batch and stores it in as few PutMetricData
// calls as the limits allow. It never returns an error (which would make
// Lambda redeliver the whole batch): the messages that could not be decoded
// or whose metrics could not be stored are the response's batch item
// failures, and no other message is.
func (c *Consumer) Handle(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
	batch := sqsbatch.Decode(ctx, c.log, in.Records)
	failed := batch.Failed

	agg := newAggregator(c.opts, c.opts.Now())
	for i := range batch.Records {
		r := &batch.Records[i]
		if err := agg.add(&r.Event, r.Index); err != nil {
			failed = append(failed, r.Index)
			c.log.WarnContext(ctx, "event not storable", "messageId", r.MessageID, "eventId", r.Event.ID,
				"type", string(r.Event.Type), "eventTime", r.Event.Time, "reason", err.Error())
		}
	}

	// Each message's datums are packed into one call, never two: when a call
	// fails for good, exactly its messages fail and are redelivered, and
	// none of their samples was stored by another call.
	lim := c.opts.limits()
	units, tooLarge := agg.units(lim)
	for _, u := range tooLarge {
		failed = appendMsgs(failed, u.msgs)
		for _, m := range u.msgs {
			c.log.ErrorContext(ctx, "event not storable", "messageId", in.Records[m].MessageId,
				"reason", ErrTooLarge.Error(), "datums", len(u.datums), "bytes", u.bytes)
		}
	}
	calls := pack(c.opts.Namespace, units, lim)

	ctx, cancel := c.opts.Retry.WithReserve(ctx)
	defer cancel()
	datums, stored := 0, 0
	for i := range calls {
		cl := &calls[i]
		attempts, err := c.opts.Retry.Do(ctx, awsretry.Retryable, func(ctx context.Context) error {
			_, err := c.put(ctx, cl.in)
			return err
		})
		if err != nil {
			failed = appendMsgs(failed, cl.msgs)
			c.log.ErrorContext(ctx, "PutMetricData failed", "err", err, "code", awsretry.Code(err),
				"attempts", attempts, "datums", len(cl.in.MetricData), "bytes", cl.bytes)
			continue
		}
		stored++
		datums += len(cl.in.MetricData)
	}

	resp := sqsbatch.Response(in.Records, failed)
	c.log.InfoContext(ctx, "batch", "messages", len(in.Records), "events", agg.events,
		"duplicates", batch.Duplicates, "calls", len(calls), "callsStored", stored, "datums", datums,
		"failures", len(resp.BatchItemFailures))
	return resp, nil
}

func appendMsgs(failed []int, msgs []int32) []int {
	for _, m := range msgs {
		failed = append(failed, int(m))
	}
	return failed
}
