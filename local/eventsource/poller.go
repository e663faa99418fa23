package eventsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Client is the part of the SQS API a Poller calls; *sqs.Client fills it.
type Client interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// InvokeFunc runs the function synchronously with payload; lambdahost.Host.Invoke
// bound to a function name fills it. An error is a failed invocation.
type InvokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Defaults of Mapping's zero fields.
const (
	DefaultBatchSize = 10
	DefaultWaitTime  = time.Second
	callTimeout      = 5 * time.Second
)

// Mapping configures one event-source mapping.
type Mapping struct {
	// QueueURL is polled; QueueARN goes into each record's eventSourceARN.
	QueueURL, QueueARN string
	// Function names the target in logs.
	Function string
	// BatchSize is the most records per invocation; DefaultBatchSize if zero.
	BatchSize int
	// BatchingWindow is how long to gather records before invoking with a
	// batch that is not full; zero invokes as soon as any record arrives.
	BatchingWindow time.Duration
	// ReportBatchItemFailures reads the function's SQSEventResponse and
	// keeps only the listed messages.
	ReportBatchItemFailures bool
	// MaxReceiveCount > 0 sends a message received more often than that to
	// DeadLetterQueueURL instead of invoking the function with it.
	MaxReceiveCount    int
	DeadLetterQueueURL string
	// WaitTime is the long-poll wait of each ReceiveMessage; DefaultWaitTime if zero.
	WaitTime time.Duration
	// Region goes into each record's awsRegion.
	Region string
	// Concurrency is how many batches are received and processed at once,
	// as Lambda runs several pollers per mapping; 1 if zero.
	Concurrency int
}

// Stats counts what a Poller did.
type Stats struct {
	Received    int // messages received (redelivered ones each time)
	Invocations int
	Failed      int // invocations that failed as a whole
	Deleted     int // messages deleted after success
	Retained    int // messages left for redelivery (failed batches and items)
	Redriven    int // messages moved to the dead-letter queue
}

// Poller feeds one function from one queue.
type Poller struct {
	c      Client
	m      Mapping
	invoke InvokeFunc
	log    *slog.Logger

	mu       sync.Mutex
	stats    Stats
	receives map[string]int // message id → receives seen
}

// New validates m and returns its Poller. A nil logger discards.
func New(c Client, m Mapping, invoke InvokeFunc, log *slog.Logger) (*Poller, error) {
	switch {
	case m.QueueURL == "":
		return nil, errors.New("eventsource: QueueURL is required")
	case invoke == nil:
		return nil, errors.New("eventsource: an InvokeFunc is required")
	case m.BatchSize < 0 || m.BatchSize > 10000:
		return nil, fmt.Errorf("eventsource: BatchSize %d not in 1..10000", m.BatchSize)
	case m.MaxReceiveCount < 0:
		return nil, fmt.Errorf("eventsource: MaxReceiveCount %d is negative", m.MaxReceiveCount)
	case m.MaxReceiveCount > 0 && m.DeadLetterQueueURL == "":
		return nil, errors.New("eventsource: MaxReceiveCount needs a DeadLetterQueueURL")
	case m.Concurrency < 0 || m.Concurrency > 1000:
		return nil, fmt.Errorf("eventsource: Concurrency %d not in 1..1000", m.Concurrency)
	}
	if m.Concurrency == 0 {
		m.Concurrency = 1
	}
	if m.BatchSize == 0 {
		m.BatchSize = DefaultBatchSize
	}
	if m.WaitTime <= 0 {
		m.WaitTime = DefaultWaitTime
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{c: c, m: m, invoke: invoke, log: log.With("function", m.Function, "queue", m.QueueURL), receives: map[string]int{}}, nil
}

// Stats returns a copy of the counts so far.
func (p *Poller) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Poller) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// Run polls with Concurrency loops until ctx is done, then finishes the
// batches in hand and returns nil. Errors talking to SQS are logged and
// retried after a pause.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range p.m.Concurrency {
		wg.Go(func() { p.loop(ctx) })
	}
	wg.Wait()
	return nil
}

func (p *Poller) loop(ctx context.Context) {
	for ctx.Err() == nil {
		batch, err := p.gather(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.WarnContext(ctx, "receive failed", "err", err)
			sleep(ctx, time.Second)
		}
		if len(batch) > 0 {
			p.process(context.WithoutCancel(ctx), batch)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// gather receives up to BatchSize messages, waiting at most BatchingWindow
// after the first, and redrives those received too often.
func (p *Poller) gather(ctx context.Context) ([]types.Message, error) {
	var batch []types.Message
	var windowEnd time.Time
	for len(batch) < p.m.BatchSize {
		wait := p.m.WaitTime
		if len(batch) > 0 {
			left := time.Until(windowEnd)
			if left <= 0 {
				break
			}
			wait = min(wait, left)
		}
		rctx, cancel := context.WithTimeout(ctx, wait+callTimeout)
		out, err := p.c.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.m.QueueURL),
			MaxNumberOfMessages:         int32(min(10, p.m.BatchSize-len(batch))),
			WaitTimeSeconds:             int32(max(1, wait/time.Second)),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		cancel()
		if err != nil {
			return batch, err
		}
		for _, m := range out.Messages {
			if p.redriven(ctx, &m) {
				continue
			}
			batch = append(batch, m)
		}
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return nil, nil
			}
			continue
		}
		if windowEnd.IsZero() {
			if p.m.BatchingWindow <= 0 {
				break
			}
			windowEnd = time.Now().Add(p.m.BatchingWindow)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return batch, nil
}

// redriven counts m's receive and, past MaxReceiveCount, moves it to the DLQ.
func (p *Poller) redriven(ctx context.Context, m *types.Message) bool {
	id := aws.ToString(m.MessageId)
	p.mu.Lock()
	p.receives[id]++
	n := p.receives[id]
	p.stats.Received++
	p.mu.Unlock()
	if m.Attributes == nil {
		m.Attributes = map[string]string{}
	}
	m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)] = strconv.Itoa(n)
	if p.m.MaxReceiveCount == 0 || n <= p.m.MaxReceiveCount {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	if _, err := p.c.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(p.m.DeadLetterQueueURL),
		MessageBody:       m.Body,
		MessageAttributes: m.MessageAttributes,
	}); err != nil {
		// Leave it in the source queue: it comes back and is tried again.
		p.log.ErrorContext(ctx, "redrive to the dead-letter queue failed", "messageId", id, "err", err)
		return true
	}
	if p.delete(ctx, []types.Message{*m}) == 1 {
		p.count(func(s *Stats) { s.Redriven++ })
		p.log.WarnContext(ctx, "message moved to the dead-letter queue", "messageId", id, "receives", n-1)
	}
	return true
}

// process invokes the function with batch and deletes what succeeded.
func (p *Poller) process(ctx context.Context, batch []types.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(batch))}
	for _, m := range batch {
		ev.Records = append(ev.Records, p.record(m))
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		p.log.ErrorContext(ctx, "encode SQS event", "err", err)
		return
	}
	p.count(func(s *Stats) { s.Invocations++ })
	out, err := p.invoke(ctx, payload)
	if err != nil {
		p.count(func(s *Stats) { s.Failed++; s.Retained += len(batch) })
		p.log.WarnContext(ctx, "invocation failed; batch stays for redelivery", "records", len(batch), "err", err)
		return
	}
	keep := map[string]bool{}
	if p.m.ReportBatchItemFailures {
		var resp events.SQSEventResponse
		ok := len(out) == 0 || string(out) == "null" || json.Unmarshal(out, &resp) == nil
		ids := map[string]bool{}
		for _, m := range batch {
			ids[aws.ToString(m.MessageId)] = true
		}
		for _, f := range resp.BatchItemFailures {
			if !ids[f.ItemIdentifier] {
				ok = false // Lambda fails the whole batch on an unknown or empty identifier
			}
			keep[f.ItemIdentifier] = true
		}
		if !ok {
			p.count(func(s *Stats) { s.Failed++; s.Retained += len(batch) })
			p.log.WarnContext(ctx, "malformed batch response; batch stays for redelivery", "records", len(batch))
			return
		}
	}
	done := make([]types.Message, 0, len(batch))
	for _, m := range batch {
		if !keep[aws.ToString(m.MessageId)] {
			done = append(done, m)
		}
	}
	p.count(func(s *Stats) { s.Retained += len(batch) - len(done) })
	p.delete(ctx, done)
}

// delete removes msgs in batches of ten and returns how many went.
func (p *Poller) delete(ctx context.Context, msgs []types.Message) int {
	deleted := 0
	for start := 0; start < len(msgs); start += 10 {
		chunk := msgs[start:min(start+10, len(msgs))]
		entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(chunk))
		for i, m := range chunk {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		dctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := p.c.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.m.QueueURL), Entries: entries})
		cancel()
		if err != nil {
			p.log.WarnContext(ctx, "delete failed; messages will be redelivered", "err", err)
			continue
		}
		for _, s := range out.Successful {
			i, _ := strconv.Atoi(aws.ToString(s.Id))
			if i >= 0 && i < len(chunk) {
				p.mu.Lock()
				delete(p.receives, aws.ToString(chunk[i].MessageId))
				p.mu.Unlock()
			}
		}
		for _, f := range out.Failed {
			p.log.WarnContext(ctx, "delete of one message failed", "code", aws.ToString(f.Code))
		}
		deleted += len(out.Successful)
	}
	p.count(func(s *Stats) { s.Deleted += deleted })
	return deleted
}

func (p *Poller) record(m types.Message) events.SQSMessage {
	r := events.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             m.Attributes,
		MessageAttributes:      map[string]events.SQSMessageAttribute{},
		EventSourceARN:         p.m.QueueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              p.m.Region,
	}
	for k, v := range m.MessageAttributes {
		r.MessageAttributes[k] = events.SQSMessageAttribute{
			DataType:    aws.ToString(v.DataType),
			StringValue: v.StringValue,
			BinaryValue: v.BinaryValue,
		}
	}
	return r
}
