package exporter_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
)

// goawsSQS is an exporter.SQSClient that speaks goaws v0.4.4's query
// protocol (the SDK's SQS client speaks only AWS JSON, which goaws lacks).
type goawsSQS struct{ url string }

func (g goawsSQS) call(ctx context.Context, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("goaws %s: %s: %s", form.Get("Action"), resp.Status, b)
	}
	return xml.Unmarshal(b, out)
}

func (g goawsSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, fmt.Errorf("ReceiveMessage without a deadline")
	}
	form := url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {aws.ToString(in.QueueUrl)},
		"MaxNumberOfMessages": {strconv.Itoa(int(in.MaxNumberOfMessages))}, "WaitTimeSeconds": {strconv.Itoa(int(in.WaitTimeSeconds))},
		"VisibilityTimeout": {strconv.Itoa(int(in.VisibilityTimeout))}}
	var r app.ReceiveMessageResponse
	if err := g.call(ctx, form, &r); err != nil {
		return nil, err
	}
	out := &sqs.ReceiveMessageOutput{}
	for _, m := range r.Result.Message {
		out.Messages = append(out.Messages, sqstypes.Message{MessageId: aws.String(m.MessageId),
			ReceiptHandle: aws.String(m.ReceiptHandle), Body: aws.String(string(m.Body))})
	}
	return out, nil
}

func (g goawsSQS) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, fmt.Errorf("DeleteMessageBatch without a deadline")
	}
	form := url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {aws.ToString(in.QueueUrl)}}
	for i, e := range in.Entries {
		p := "DeleteMessageBatchRequestEntry." + strconv.Itoa(i+1) + "."
		form.Set(p+"Id", aws.ToString(e.Id))
		form.Set(p+"ReceiptHandle", aws.ToString(e.ReceiptHandle))
	}
	var r app.DeleteMessageBatchResponse
	if err := g.call(ctx, form, &r); err != nil {
		return nil, err
	}
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range r.Result.Entry {
		out.Successful = append(out.Successful, sqstypes.DeleteMessageBatchResultEntry{Id: aws.String(e.Id)})
	}
	for _, e := range r.Result.Error {
		out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: aws.String(e.Id), Code: aws.String(e.Code)})
	}
	return out, nil
}

func (g goawsSQS) createQueue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	form := url.Values{"Action": {"CreateQueue"}, "QueueName": {name}}
	i := 1
	for k, v := range attrs {
		form.Set("Attribute."+strconv.Itoa(i)+".Name", k)
		form.Set("Attribute."+strconv.Itoa(i)+".Value", v)
		i++
	}
	var r app.CreateQueueResponse
	require.NoError(t, g.call(t.Context(), form, &r))
	return r.Result.QueueUrl
}

func (g goawsSQS) send(t *testing.T, queueURL, body string) {
	t.Helper()
	var r app.SendMessageResponse
	require.NoError(t, g.call(t.Context(), url.Values{"Action": {"SendMessage"}, "QueueUrl": {queueURL}, "MessageBody": {body}}, &r))
}

// messages is len(queue.Messages) in goaws: visible and hidden ones.
func (g goawsSQS) messages(t *testing.T, queueURL string) int {
	t.Helper()
	var r app.GetQueueAttributesResponse
	require.NoError(t, g.call(t.Context(), url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {queueURL},
		"AttributeName.1": {"ApproximateNumberOfMessages"}}, &r))
	for _, a := range r.Result.Attrs {
		if a.Name == "ApproximateNumberOfMessages" {
			n, err := strconv.Atoi(a.Value)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no ApproximateNumberOfMessages")
	return 0
}

// startGoawsSQS is startGoaws with goaws' housekeeping running every 100ms:
// it is what makes messages visible again after their visibility timeout,
// and moves them to a dead-letter queue.
func startGoawsSQS(t *testing.T) goawsSQS {
	u := startGoaws(t)
	quit := make(chan struct{})
	go gosqs.PeriodicTasks(100*time.Millisecond, quit)
	t.Cleanup(func() { close(quit) })
	return goawsSQS{url: u}
}

// stallingSQS wraps a client for one replica: it can hold back the answer
// of a receive that got messages, or a delete, for stall, each once armed.
type stallingSQS struct {
	exporter.SQSClient
	stall  time.Duration
	paused atomic.Bool // receives get nothing while it is set

	stallReceive, stallDelete atomic.Bool
	stalled                   chan int // the size of each stalled batch, when its stall starts
}

func (s *stallingSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if s.paused.Load() { // an empty answer, soon: a receive that waits here would look late to the exporter
		select {
		case <-time.After(20 * time.Millisecond):
			return &sqs.ReceiveMessageOutput{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out, err := s.SQSClient.ReceiveMessage(ctx, in, opts...)
	if err == nil && len(out.Messages) > 0 && s.stallReceive.CompareAndSwap(true, false) {
		s.stalled <- len(out.Messages)
		time.Sleep(s.stall) // the answer is late: the timeout runs out before the exporter sees it
	}
	return out, err
}

func (s *stallingSQS) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if s.stallDelete.CompareAndSwap(true, false) {
		s.stalled <- len(in.Entries)
		time.Sleep(s.stall) // counted, then stuck past the timeout before deleting
	}
	return s.SQSClient.DeleteMessageBatch(ctx, in, opts...)
}

// stalled returns the size of the next batch s stalls on.
func stalled(t *testing.T, s *stallingSQS) int {
	t.Helper()
	select {
	case n := <-s.stalled:
		return n
	case <-time.After(20 * time.Second):
		t.Fatal("no stall")
		return 0
	}
}

// TestGoawsVisibilityTimeout checks what the pull-mode test relies on: goaws
// hides a received message for the queue's visibility timeout, then hands
// it out again with a new receipt handle; the old handle deletes nothing.
func TestGoawsVisibilityTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test")
	}
	g := startGoawsSQS(t)
	q := g.createQueue(t, "visibility", map[string]string{"VisibilityTimeout": "1"})
	g.send(t, q, "m")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10}
	first, err := g.ReceiveMessage(ctx, in)
	require.NoError(t, err)
	require.Len(t, first.Messages, 1)
	again, err := g.ReceiveMessage(ctx, in)
	require.NoError(t, err)
	require.Empty(t, again.Messages, "hidden during its visibility timeout")
	time.Sleep(1500 * time.Millisecond)
	again, err = g.ReceiveMessage(ctx, in)
	require.NoError(t, err)
	require.Len(t, again.Messages, 1, "visible again after it")
	require.NotEqual(t, aws.ToString(first.Messages[0].ReceiptHandle), aws.ToString(again.Messages[0].ReceiptHandle))
	_, err = g.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q),
		Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: first.Messages[0].ReceiptHandle}}})
	require.NoError(t, err)
	require.Equal(t, 1, g.messages(t, q), "a stale receipt handle deletes nothing")
}

// TestPullConservation is issue 17's conservation test for pull mode: two
// exporter replicas pull one goaws queue, subscribed to two topics (one with
// raw message delivery, one enveloped), and what they count in total is
// what was published, plus exactly the duplicates that the design admits:
// the messages one replica counted and then could not delete within their
// visibility timeout. A late receive (timeout over before counting) adds
// none. A poison message goes to the dead-letter queue without holding up
// the rest.
func TestPullConservation(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test")
	}
	g := startGoawsSQS(t)
	ctx := t.Context()
	dlq := g.createQueue(t, "exporter-dlq", nil)
	q := g.createQueue(t, "exporter", map[string]string{"VisibilityTimeout": "2",
		"RedrivePolicy": `{"maxReceiveCount":"2","deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:exporter-dlq"}`})
	snsClient := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(g.url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	var topics []*string
	for _, raw := range []string{"true", "false"} {
		created, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("user-events-raw-" + raw)})
		require.NoError(t, err)
		_, err = snsClient.Subscribe(ctx, &sns.SubscribeInput{TopicArn: created.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:exporter"), Attributes: map[string]string{"RawMessageDelivery": raw}})
		require.NoError(t, err)
		topics = append(topics, created.TopicArn)
	}
	published := 0
	publish := func(n int) {
		for range n {
			body := userEvent(t, fmt.Sprintf("e%d", published), event.SignInAttempted, "client1", "", 10)
			_, err := snsClient.Publish(ctx, &sns.PublishInput{TopicArn: topics[published%2], Message: aws.String(body)})
			require.NoError(t, err)
			published++
		}
	}

	type replica struct {
		reg    *prometheus.Registry
		client *stallingSQS
	}
	const stall = 3500 * time.Millisecond // past the 2s timeout and goaws' 100ms housekeeping tick
	a := replica{reg: prometheus.NewPedanticRegistry(), client: &stallingSQS{SQSClient: g, stall: stall, stalled: make(chan int, 2)}}
	b := replica{reg: prometheus.NewPedanticRegistry(), client: &stallingSQS{SQSClient: g}}
	b.client.paused.Store(true)
	pullCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	for _, r := range []replica{a, b} {
		e, err := exporter.New(exporter.Options{Registerer: r.reg, Gatherer: r.reg, SQSClient: r.client,
			SQSQueueURLs: []string{q}, SQSWaitTime: time.Second, SQSVisibilityTimeout: 2 * time.Second})
		require.NoError(t, err)
		wg.Go(func() {
			if err := e.Pull(pullCtx, q); err != nil {
				t.Error(err)
			}
		})
	}
	total := func() float64 {
		return sum(t, a.reg, exporter.MetricUserEvents) + sum(t, b.reg, exporter.MetricUserEvents)
	}

	// 1. A counts a batch, then stalls past its visibility timeout before
	// deleting: B, held until then, receives and counts that batch again.
	g.send(t, q, "not a user event")
	a.client.stallDelete.Store(true)
	publish(100)
	lateBatch := stalled(t, a.client)
	b.client.paused.Store(false)
	require.Eventually(t, func() bool { return g.messages(t, q) == 0 }, 20*time.Second, 50*time.Millisecond,
		"the queue drains, the poison message to the dead-letter queue")
	require.Equal(t, 1, g.messages(t, dlq), "the poison message is in the dead-letter queue")

	// 2. A receives a batch whose answer comes after the visibility
	// timeout: it neither counts nor deletes it, and B counts it once.
	b.client.paused.Store(true)
	a.client.stallReceive.Store(true)
	publish(100)
	expiredBatch := stalled(t, a.client)
	b.client.paused.Store(false)
	require.Eventually(t, func() bool { return g.messages(t, q) == 0 }, 20*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool { return sum(t, a.reg, exporter.MetricSQSExpired) == float64(expiredBatch) },
		10*time.Second, 20*time.Millisecond)
	time.Sleep(2500 * time.Millisecond) // past another timeout: nothing more comes back

	duplicates := total() - float64(published)
	t.Logf("published %d, counted %v (A %v, B %v); duplicates %v, A's late batch %d, A's expired batch %d",
		published, total(), sum(t, a.reg, exporter.MetricUserEvents), sum(t, b.reg, exporter.MetricUserEvents),
		duplicates, lateBatch, expiredBatch)
	require.Equal(t, float64(lateBatch), duplicates, "the only duplicates are the batch deleted after its timeout")
	require.Equal(t, float64(lateBatch), sum(t, a.reg, exporter.MetricSQSLate), "and A says so")
	require.Zero(t, sum(t, b.reg, exporter.MetricSQSLate))
	require.Zero(t, sum(t, b.reg, exporter.MetricSQSExpired))
	require.Equal(t, 1, g.messages(t, dlq), "no user event was dead-lettered")
	require.Equal(t, float64(expiredBatch), sum(t, a.reg, exporter.MetricSQSExpired))
	require.GreaterOrEqual(t, sum(t, a.reg, exporter.MetricSQSInvalid)+sum(t, b.reg, exporter.MetricSQSInvalid), 2.0,
		"the poison message was received twice before it went to the dead-letter queue")
	require.Zero(t, sum(t, a.reg, exporter.MetricSQSErrors)+sum(t, b.reg, exporter.MetricSQSErrors))
}
