package exporter_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
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

// stallingSQS wraps a client for one replica. Armed once, it holds back
// for stall the answer of a receive that got messages (the replica sees
// the batch late: its visibility timeout runs out first), a delete request
// (the delete reaches SQS late, then is sent whatever the caller's
// deadline), or a delete's answer (SQS deletes at once, the replica hears
// of it late). It keeps how many times each event was received.
type stallingSQS struct {
	exporter.SQSClient
	stall  time.Duration
	paused atomic.Bool // receives get nothing while it is set

	stallReceive, stallDeleteRequest, stallDeleteAnswer atomic.Bool
	stalled                                             chan int // the user events of each stalled batch, when its stall starts

	mu       sync.Mutex
	received map[string]int // CloudEvents id → receives
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
	if err != nil {
		return out, err
	}
	events := 0
	s.mu.Lock()
	for _, m := range out.Messages {
		if ev, _, err := event.FromSNS([]byte(aws.ToString(m.Body))); err == nil {
			if s.received == nil {
				s.received = map[string]int{}
			}
			s.received[ev.ID]++
			events++
		}
	}
	s.mu.Unlock()
	if events > 0 && s.stallReceive.CompareAndSwap(true, false) {
		s.stalled <- events
		time.Sleep(s.stall) // the answer is late: the timeout runs out before the exporter sees it
	}
	return out, err
}

func (s *stallingSQS) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if s.stallDeleteRequest.CompareAndSwap(true, false) {
		s.stalled <- len(in.Entries)
		time.Sleep(s.stall) // stuck on its way past the timeout, then delivered all the same
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return s.SQSClient.DeleteMessageBatch(ctx, in, opts...)
	}
	out, err := s.SQSClient.DeleteMessageBatch(ctx, in, opts...)
	if err == nil && s.stallDeleteAnswer.CompareAndSwap(true, false) {
		s.stalled <- len(in.Entries)
		time.Sleep(s.stall) // deleted, but the answer comes after the timeout
	}
	return out, err
}

// redelivered is the number of receives of events this replica received before.
func (s *stallingSQS) redelivered() int {
	n := 0
	for _, c := range s.ids() {
		n += c - 1
	}
	return n
}

// ids are the events received.
func (s *stallingSQS) ids() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.received)
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

// pullQueue is a goaws queue for pull mode, subscribed to two topics (one
// with raw message delivery, one enveloped), with a dead-letter queue after
// two receives and a 2s visibility timeout.
type pullQueue struct {
	g        goawsSQS
	url, dlq string
	sns      *sns.Client
	topics   []*string
	sent     int
}

func newPullQueue(t *testing.T) *pullQueue {
	g := startGoawsSQS(t)
	p := &pullQueue{g: g, dlq: g.createQueue(t, "exporter-dlq", nil)}
	p.url = g.createQueue(t, "exporter", map[string]string{"VisibilityTimeout": "2",
		"RedrivePolicy": `{"maxReceiveCount":"2","deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:exporter-dlq"}`})
	p.sns = sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(g.url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	for _, raw := range []string{"true", "false"} {
		created, err := p.sns.CreateTopic(t.Context(), &sns.CreateTopicInput{Name: aws.String("user-events-raw-" + raw)})
		require.NoError(t, err)
		_, err = p.sns.Subscribe(t.Context(), &sns.SubscribeInput{TopicArn: created.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:exporter"), Attributes: map[string]string{"RawMessageDelivery": raw}})
		require.NoError(t, err)
		p.topics = append(p.topics, created.TopicArn)
	}
	return p
}

// publish publishes n distinct events, alternately to each topic.
func (p *pullQueue) publish(t *testing.T, n int) {
	for range n {
		body := userEvent(t, fmt.Sprintf("e%d", p.sent), event.SignInAttempted, "client1", "", 10)
		_, err := p.sns.Publish(t.Context(), &sns.PublishInput{TopicArn: p.topics[p.sent%2], Message: aws.String(body)})
		require.NoError(t, err)
		p.sent++
	}
}

// drained waits until the queue holds nothing, visible or hidden.
func (p *pullQueue) drained(t *testing.T) {
	require.Eventually(t, func() bool { return p.g.messages(t, p.url) == 0 }, 20*time.Second, 50*time.Millisecond)
}

// pullReplica is one exporter replica pulling from q until the test ends.
type pullReplica struct {
	reg    *prometheus.Registry
	client *stallingSQS
}

func startPullReplica(t *testing.T, ctx context.Context, wg *sync.WaitGroup, q *pullQueue, client *stallingSQS) pullReplica {
	r := pullReplica{reg: prometheus.NewPedanticRegistry(), client: client}
	e, err := exporter.New(exporter.Options{Registerer: r.reg, Gatherer: r.reg, SQSClient: r.client,
		SQSQueueURLs: []string{q.url}, SQSWaitTime: time.Second, SQSVisibilityTimeout: 2 * time.Second})
	require.NoError(t, err)
	wg.Go(func() {
		if err := e.Pull(ctx, q.url); err != nil {
			t.Error(err)
		}
	})
	return r
}

// stall is past the 2s timeout and goaws' 100ms housekeeping tick.
const stall = 3500 * time.Millisecond

// TestPullConservation is issue 17's conservation test for pull mode: two
// exporter replicas pull one goaws queue, subscribed to two topics (one with
// raw message delivery, one enveloped), and what they count in total is
// exactly what was published, although SQS hands some messages out twice:
// a replica that gets a batch after its visibility timeout leaves it to the
// other, and so does a replica whose delete reaches SQS after it (with a
// stale receipt handle, which deletes nothing). A poison message goes to
// the dead-letter queue without holding up the rest.
func TestPullConservation(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test")
	}
	q := newPullQueue(t)
	pullCtx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	a := startPullReplica(t, pullCtx, &wg, q, &stallingSQS{SQSClient: q.g, stall: stall, stalled: make(chan int, 2)})
	b := startPullReplica(t, pullCtx, &wg, q, &stallingSQS{SQSClient: q.g})
	b.client.paused.Store(true)
	total := func(name string) float64 { return sum(t, a.reg, name) + sum(t, b.reg, name) }

	// 1. A receives a batch whose answer comes after the visibility
	// timeout: it neither counts nor deletes it, B (held until then) does.
	q.g.send(t, q.url, "not a user event")
	a.client.stallReceive.Store(true)
	q.publish(t, 100)
	expiredBatch := stalled(t, a.client)
	b.client.paused.Store(false)
	q.drained(t)
	require.Equal(t, 1, q.g.messages(t, q.dlq), "the poison message is in the dead-letter queue")

	// 2. A's delete reaches SQS after the timeout, when B holds the batch:
	// the stale receipt handles delete nothing, A counts nothing, B counts
	// the batch once.
	b.client.paused.Store(true)
	a.client.stallDeleteRequest.Store(true)
	q.publish(t, 100)
	staleBatch := stalled(t, a.client)
	b.client.paused.Store(false)
	q.drained(t)
	require.Eventually(t, func() bool { return sum(t, a.reg, exporter.MetricSQSAbandoned) == float64(expiredBatch+staleBatch) },
		10*time.Second, 20*time.Millisecond, "A is done with the stale delete: %v %v %v", expiredBatch, staleBatch, func() string { b, _ := a.reg.Gather(); return fmt.Sprint(b) }())
	time.Sleep(2500 * time.Millisecond) // past another timeout: nothing more comes back

	receives := a.client.ids()
	for id, n := range b.client.ids() {
		receives[id] += n
	}
	redelivered := 0
	for _, n := range receives {
		redelivered += n - 1
	}
	require.Len(t, receives, q.sent, "every event received")
	t.Logf("published %d, counted %v (A %v, B %v); redelivered %d (what counting before the delete would have counted twice at most); A abandoned %v (expired %d, stale delete %d)",
		q.sent, total(exporter.MetricUserEvents), sum(t, a.reg, exporter.MetricUserEvents), sum(t, b.reg, exporter.MetricUserEvents),
		redelivered, sum(t, a.reg, exporter.MetricSQSAbandoned), expiredBatch, staleBatch)
	require.Equal(t, float64(q.sent), total(exporter.MetricUserEvents), "sum over the replicas = events published")
	require.Equal(t, float64(q.sent), total(exporter.MetricSQSDeleted))
	require.GreaterOrEqual(t, redelivered, expiredBatch+staleBatch, "SQS handed both batches out twice")
	require.Equal(t, float64(expiredBatch), labelled(t, a.reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonExpired))
	require.Equal(t, float64(staleBatch), labelled(t, a.reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonDeleteUnconfirmed),
		"a delete answered after the timeout counts nothing")
	require.Zero(t, sum(t, b.reg, exporter.MetricSQSAbandoned))
	require.Zero(t, total(exporter.MetricSQSDups))
	require.Equal(t, 1, q.g.messages(t, q.dlq), "no user event was dead-lettered")
	require.GreaterOrEqual(t, total(exporter.MetricSQSInvalid), 2.0, "the poison message was received twice before it went to the dead-letter queue")
	require.Zero(t, total(exporter.MetricSQSErrors))
}

// TestPullDeleteAnsweredLate measures the case the exporter cannot settle:
// SQS deletes a batch at once but its answer comes after the visibility
// timeout. The replica cannot tell whether another one received the
// messages meanwhile (then the delete deleted nothing, and that one counts
// them) or not (then they are gone). It counts nothing: when they are gone,
// nobody counts them, and the abandoned delete_unconfirmed count bounds
// the loss.
func TestPullDeleteAnsweredLate(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test")
	}
	q := newPullQueue(t)
	pullCtx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	a := startPullReplica(t, pullCtx, &wg, q, &stallingSQS{SQSClient: q.g, stall: stall, stalled: make(chan int, 1)})
	a.client.stallDeleteAnswer.Store(true)
	q.publish(t, 30)
	lost := stalled(t, a.client)
	q.drained(t)
	require.Eventually(t, func() bool { return sum(t, a.reg, exporter.MetricSQSAbandoned) == float64(lost) }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(2500 * time.Millisecond) // past another timeout: nothing comes back
	t.Logf("published %d, counted %v, lost %d: the batch whose delete was answered late", q.sent, sum(t, a.reg, exporter.MetricUserEvents), lost)
	require.Equal(t, float64(q.sent-lost), sum(t, a.reg, exporter.MetricUserEvents), "the batch is lost, not counted twice")
	require.Equal(t, float64(lost), labelled(t, a.reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonDeleteUnconfirmed),
		"and the replica says how many may be lost")
	require.Zero(t, a.client.redelivered(), "SQS had deleted them")
}
