package eventsource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/eventsource"
	"github.com/cogwatch/cogwatch/local/goaws"
)

var server *goaws.Server

func TestMain(m *testing.M) {
	s, err := goaws.Start(goaws.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server = s
	code := m.Run()
	_ = s.Close()
	os.Exit(code)
}

// queue creates a goaws queue with the given visibility timeout in seconds.
func queue(t *testing.T, c *sqs.Client, visibility int) (url, arn string) {
	t.Helper()
	name := fmt.Sprintf("q%d", time.Now().UnixNano())
	out, err := c.CreateQueue(t.Context(), &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(visibility)},
	})
	require.NoError(t, err)
	return *out.QueueUrl, "arn:aws:sqs:" + goaws.Region + ":" + goaws.AccountID + ":" + name
}

// setup is the start of every goaws test: skipped under -short, a fresh
// queue (visibility timeout in seconds) holding bodies. The tests do not run
// in parallel: goaws v0.4.4 reads its queue map without a lock in most
// handlers, so one test's CreateQueue beside another's polling is a data race
// inside goaws (seen with -race).
func setup(t *testing.T, visibility int, bodies ...string) (client *sqs.Client, url, arn string) {
	t.Helper()
	if testing.Short() {
		t.Skip("goaws")
	}
	client = sqs.NewFromConfig(server.AWSConfig())
	url, arn = queue(t, client, visibility)
	send(t, client, url, bodies...)
	return client, url, arn
}

func send(t *testing.T, c *sqs.Client, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		_, err := c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err)
	}
}

// consumer records every batch and answers with fail(body) per record.
type consumer struct {
	mu      sync.Mutex
	batches [][]string
	times   map[string][]time.Time
	fail    func(body string) bool // item failure
	crash   func(body string) bool // whole-invocation failure
}

func (c *consumer) invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.times == nil {
		c.times = map[string][]time.Time{}
	}
	var bodies []string
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		bodies = append(bodies, r.Body)
		c.times[r.Body] = append(c.times[r.Body], time.Now())
		if r.EventSource != "aws:sqs" || r.EventSourceARN == "" || r.ReceiptHandle == "" {
			return nil, fmt.Errorf("record %q lacks Lambda's fields", r.MessageId)
		}
		if c.crash != nil && c.crash(r.Body) {
			c.batches = append(c.batches, bodies)
			return nil, fmt.Errorf("crash on %s", r.Body)
		}
		if c.fail != nil && c.fail(r.Body) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	c.batches = append(c.batches, bodies)
	return json.Marshal(resp)
}

func (c *consumer) seen(body string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.times[body])
}

// run polls m with invoke until the test ends, and checks that Run returns
// promptly and cleanly once cancelled.
func run(t *testing.T, client *sqs.Client, m eventsource.Mapping, invoke eventsource.InvokeFunc) *eventsource.Poller {
	t.Helper()
	p, err := eventsource.New(client, m, invoke, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return p
}

func depth(t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	out, err := c.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	require.NoError(t, err)
	var n, inflight int
	_, err = fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &n)
	require.NoError(t, err)
	_, err = fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &inflight)
	require.NoError(t, err)
	return n + inflight
}

func TestBatchSizeAndWindow(t *testing.T) {
	client, url, arn := setup(t, 30, "1", "2", "3", "4", "5", "6", "7")
	c := &consumer{}
	p := run(t, client, eventsource.Mapping{QueueURL: url, QueueARN: arn, BatchSize: 3, BatchingWindow: 300 * time.Millisecond}, c.invoke)
	require.Eventually(t, func() bool { return p.Stats().Deleted == 7 }, 10*time.Second, 20*time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Equal(t, [][]string{{"1", "2", "3"}, {"4", "5", "6"}, {"7"}}, c.batches)
	require.Equal(t, eventsource.Stats{Received: 7, Invocations: 3, Deleted: 7}, p.Stats())
}

func TestPartialBatchFailureKeepsOnlyFailedItems(t *testing.T) {
	client, url, arn := setup(t, 1, "a", "b", "c", "d")
	c := &consumer{}
	c.fail = func(body string) bool { return body == "b" && len(c.times["b"]) == 1 } // only the first time
	p := run(t, client, eventsource.Mapping{QueueURL: url, QueueARN: arn, BatchSize: 10, ReportBatchItemFailures: true}, c.invoke)
	require.Eventually(t, func() bool { return p.Stats().Deleted == 4 }, 10*time.Second, 20*time.Millisecond)
	for body, want := range map[string]int{"a": 1, "b": 2, "c": 1, "d": 1} {
		require.Equal(t, want, c.seen(body), body)
	}
	require.Equal(t, eventsource.Stats{Received: 5, Invocations: 2, Deleted: 4, Retained: 1}, p.Stats())
}

func TestMalformedBatchResponseFailsTheWholeBatch(t *testing.T) {
	client, url, arn := setup(t, 1, "x", "y")
	calls := 0
	invoke := func(ctx context.Context, payload []byte) ([]byte, error) {
		calls++
		if calls == 1 {
			return []byte(`{"batchItemFailures":[{"itemIdentifier":"not-a-message-id"}]}`), nil
		}
		return []byte(`{}`), nil
	}
	p := run(t, client, eventsource.Mapping{QueueURL: url, QueueARN: arn, ReportBatchItemFailures: true}, invoke)
	require.Eventually(t, func() bool { return p.Stats().Deleted == 2 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, p.Stats().Failed)
	require.Equal(t, 4, p.Stats().Received, "both came back")
}

func TestFailedInvocationWaitsForTheVisibilityTimeout(t *testing.T) {
	client, url, arn := setup(t, 2, "v")
	c := &consumer{}
	c.crash = func(string) bool { return len(c.times["v"]) == 1 }
	p := run(t, client, eventsource.Mapping{QueueURL: url, QueueARN: arn}, c.invoke)
	require.Eventually(t, func() bool { return p.Stats().Deleted == 1 }, 10*time.Second, 20*time.Millisecond)
	c.mu.Lock()
	ts := slices.Clone(c.times["v"])
	c.mu.Unlock()
	require.Len(t, ts, 2)
	require.GreaterOrEqual(t, ts[1].Sub(ts[0]), 2*time.Second, "invisible for the queue's visibility timeout")
	require.Equal(t, eventsource.Stats{Received: 2, Invocations: 2, Failed: 1, Deleted: 1, Retained: 1}, p.Stats())
}

func TestRedriveAfterMaxReceives(t *testing.T) {
	client, url, arn := setup(t, 1, "poison", "fine")
	dlq, _ := queue(t, client, 30)
	c := &consumer{crash: func(body string) bool { return body == "poison" }}
	p := run(t, client, eventsource.Mapping{
		QueueURL: url, QueueARN: arn, BatchSize: 1, MaxReceiveCount: 2, DeadLetterQueueURL: dlq,
	}, c.invoke)
	require.Eventually(t, func() bool { return p.Stats().Redriven == 1 }, 15*time.Second, 20*time.Millisecond)
	require.Equal(t, 2, c.seen("poison"), "the function sees the message exactly MaxReceiveCount times")
	require.Equal(t, 1, c.seen("fine"))

	out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	require.Equal(t, "poison", *out.Messages[0].Body)
	require.Equal(t, 0, depth(t, client, url))
}

func TestNewValidates(t *testing.T) {
	ok := func(context.Context, []byte) ([]byte, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		m    eventsource.Mapping
		want string
	}{
		{name: "no queue", m: eventsource.Mapping{}, want: "eventsource: QueueURL is required"},
		{name: "batch too big", m: eventsource.Mapping{QueueURL: "u", BatchSize: 10001}, want: "eventsource: BatchSize 10001 not in 1..10000"},
		{name: "redrive without dlq", m: eventsource.Mapping{QueueURL: "u", MaxReceiveCount: 3}, want: "eventsource: MaxReceiveCount needs a DeadLetterQueueURL"},
		{name: "negative concurrency", m: eventsource.Mapping{QueueURL: "u", Concurrency: -1}, want: "eventsource: Concurrency -1 not in 1..1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eventsource.New(nil, tc.m, ok, nil)
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestConcurrentBatches(t *testing.T) {
	client, url, arn := setup(t, 30, "x", "y", "z")
	var arrived sync.WaitGroup
	arrived.Add(3)
	invoke := func(ctx context.Context, payload []byte) ([]byte, error) {
		// A barrier: returns only once three batches are in flight at once.
		arrived.Done()
		all := make(chan struct{})
		go func() { arrived.Wait(); close(all) }()
		select {
		case <-all:
			return []byte(`{}`), nil
		case <-time.After(5 * time.Second):
			return nil, fmt.Errorf("batches were not concurrent")
		}
	}
	p := run(t, client, eventsource.Mapping{QueueURL: url, QueueARN: arn, BatchSize: 1, Concurrency: 3}, invoke)
	require.Eventually(t, func() bool { return p.Stats().Deleted == 3 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, eventsource.Stats{Received: 3, Invocations: 3, Deleted: 3}, p.Stats())
}
