package exporter_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
)

// fakeSQS is an in-memory exporter.SQSClient: each receive hands out the
// next batch of up to 10 bodies, then empty answers; a delete records what
// it was asked to delete. Hooks replace either call's behaviour.
type fakeSQS struct {
	mu       sync.Mutex
	bodies   []string
	next     int
	deleted  []string // receipt handles
	receives int
	deletes  int

	onReceive func(ctx context.Context) error
	onDelete  func(ctx context.Context) error
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("ReceiveMessage without a deadline")
	}
	if in.MaxNumberOfMessages != 10 || in.VisibilityTimeout <= in.WaitTimeSeconds {
		return nil, errors.New("unexpected receive parameters")
	}
	if f.onReceive != nil {
		if err := f.onReceive(ctx); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.receives++
	out := &sqs.ReceiveMessageOutput{}
	for ; f.next < len(f.bodies) && len(out.Messages) < int(in.MaxNumberOfMessages); f.next++ {
		id := strconv.Itoa(f.next)
		out.Messages = append(out.Messages, sqstypes.Message{MessageId: aws.String("sqs-" + id),
			ReceiptHandle: aws.String("rh-" + id), Body: aws.String(f.bodies[f.next])})
	}
	if len(out.Messages) == 0 { // an empty long poll, short
		f.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(time.Millisecond):
		}
		f.mu.Lock()
	}
	return out, nil
}

func (f *fakeSQS) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("DeleteMessageBatch without a deadline")
	}
	if len(in.Entries) > 10 {
		return nil, errors.New("more than 10 entries")
	}
	if f.onDelete != nil {
		if err := f.onDelete(ctx); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes++
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		f.deleted = append(f.deleted, aws.ToString(e.ReceiptHandle))
		out.Successful = append(out.Successful, sqstypes.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (f *fakeSQS) deletedHandles() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(slices.Values(f.deleted))
}

// envelope wraps body as SNS delivers it to SQS without raw message delivery.
func envelope(t testing.TB, messageID, body string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"Type": "Notification", "MessageId": messageID,
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:user-events", "Message": body, "Timestamp": "2026-01-02T03:04:05.000Z"})
	require.NoError(t, err)
	return string(b)
}

// pullUntil runs Pull on f until done reports true, then stops it.
func pullUntil(t *testing.T, f *fakeSQS, mod func(*exporter.Options), done func(g prometheus.Gatherer) bool) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	o := exporter.Options{Registerer: reg, Gatherer: reg, SQSClient: f, SQSQueueURLs: []string{"q"}}
	if mod != nil {
		mod(&o)
	}
	e, err := exporter.New(o)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- e.Pull(ctx, "q") }()
	require.Eventually(t, func() bool { return done(reg) }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-errc)
	return reg
}

func TestPullCountsRawAndEnveloped(t *testing.T) {
	raw := userEvent(t, "e1", event.SignInAttempted, "c", "", 1)
	f := &fakeSQS{bodies: []string{
		raw, // rh-0: raw message delivery
		envelope(t, "m2", userEvent(t, "e2", event.SignInSucceeded, "c", "", 1)), // rh-1: enveloped
		"not a user event",     // rh-2: poison
		envelope(t, "m3", raw), // rh-3: the same event, enveloped
		`{"Type":"SubscriptionConfirmation","MessageId":"m4","Message":"x"}`, // rh-4: no event either
	}}
	reg := pullUntil(t, f, nil, func(g prometheus.Gatherer) bool {
		return sum(t, g, exporter.MetricSQSDeleted) == 3
	})
	require.Equal(t, 2.0, sum(t, reg, exporter.MetricUserEvents))
	require.Equal(t, 5.0, sum(t, reg, exporter.MetricSQSReceived))
	require.Equal(t, 2.0, sum(t, reg, exporter.MetricSQSInvalid))
	require.Equal(t, 1.0, sum(t, reg, exporter.MetricSQSDups))
	require.Equal(t, []string{"rh-0", "rh-1", "rh-3"}, f.deletedHandles(), "the messages without an event stay for the dead-letter queue")
	require.Equal(t, 1, f.deletes, "one batch delete for the batch")
}

func TestPullFinishesDeleteOnShutdown(t *testing.T) {
	f := &fakeSQS{bodies: []string{userEvent(t, "e1", event.SignInAttempted, "c", "", 1)}}
	reg := prometheus.NewPedanticRegistry()
	e, err := exporter.New(exporter.Options{Registerer: reg, Gatherer: reg, SQSClient: f, SQSQueueURLs: []string{"q"}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	deleting := make(chan struct{})
	f.onDelete = func(dctx context.Context) error {
		close(deleting)
		<-ctx.Done() // shutdown begins while the delete is in flight
		time.Sleep(10 * time.Millisecond)
		return dctx.Err() // the delete's own context lives on
	}
	errc := make(chan error, 1)
	go func() { errc <- e.Pull(ctx, "q") }()
	<-deleting
	cancel()
	require.NoError(t, <-errc)
	require.Equal(t, []string{"rh-0"}, f.deletedHandles())
	require.Equal(t, 1.0, sum(t, reg, exporter.MetricSQSDeleted))
	require.Zero(t, sum(t, reg, exporter.MetricSQSErrors))
}

func TestPullBacksOff(t *testing.T) {
	var mu sync.Mutex
	var calls []time.Time
	f := &fakeSQS{onReceive: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		return errors.New("throttled")
	}}
	reg := pullUntil(t, f, nil, func(g prometheus.Gatherer) bool {
		return labelled(t, g, exporter.MetricSQSErrors, "operation", "receive") >= 4
	})
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(calls), 4)
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		require.GreaterOrEqual(t, calls[i+1].Sub(calls[i]), want, "pause before retry %d", i+1)
	}
	require.Zero(t, sum(t, reg, exporter.MetricSQSReceived))
}

func TestPullDeleteFailureBacksOffUncounted(t *testing.T) {
	f := &fakeSQS{bodies: []string{userEvent(t, "e1", event.SignInAttempted, "c", "", 1)}}
	f.onDelete = func(context.Context) error { return errors.New("access denied") }
	reg := pullUntil(t, f, nil, func(g prometheus.Gatherer) bool {
		return labelled(t, g, exporter.MetricSQSErrors, "operation", "delete") == 1
	})
	require.Zero(t, sum(t, reg, exporter.MetricUserEvents), "not counted: whoever receives it again counts it")
	require.Equal(t, 1.0, labelled(t, reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonDeleteUnconfirmed))
	require.Zero(t, sum(t, reg, exporter.MetricSQSDeleted))
}

// skewClock is a clock a test moves forward.
type skewClock struct{ off atomic.Int64 }

func (c *skewClock) now() time.Time              { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *skewClock) skip(d time.Duration)        { c.off.Add(int64(d)) }
func (c *skewClock) options(o *exporter.Options) { o.Now = c.now }

// redeliver hands the bodies out again, as SQS does with messages not
// deleted within their visibility timeout.
func (f *fakeSQS) redeliver(bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, bodies...)
}

// TestPullCountsOnlyDeletesConfirmedInTime checks the rule that keeps the sum
// over replicas exact: a message is counted once its delete is confirmed
// within the visibility timeout. A delete answered after it leaves the
// message uncounted (SQS may have handed it to another replica, which counts
// it), and when it comes back to this replica, this replica counts it: it
// is not a duplicate of anything counted.
func TestPullCountsOnlyDeletesConfirmedInTime(t *testing.T) {
	body := userEvent(t, "e1", event.SignInAttempted, "c", "", 1)
	f := &fakeSQS{bodies: []string{body, userEvent(t, "e2", event.SignInAttempted, "c", "", 1)}}
	var clock skewClock
	var first sync.Once
	f.onDelete = func(ctx context.Context) error {
		deadline, _ := ctx.Deadline()
		first.Do(func() {
			clock.skip(time.Minute) // the delete's answer comes after the 30s timeout
			f.redeliver(body)       // and SQS had handed one message out again
		})
		if time.Until(deadline) > 30*time.Second {
			return errors.New("the delete may wait past the visibility timeout")
		}
		return nil
	}
	reg := pullUntil(t, f, clock.options, func(g prometheus.Gatherer) bool {
		return sum(t, g, exporter.MetricSQSDeleted) == 1
	})
	require.Equal(t, 2.0, labelled(t, reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonDeleteUnconfirmed), "the first batch")
	require.Equal(t, 1.0, sum(t, reg, exporter.MetricUserEvents), "the redelivered message, counted once")
	require.Zero(t, sum(t, reg, exporter.MetricSQSDups))
	require.Equal(t, 2, f.deletes)
}

// TestPullAbandonsExpiredBatch: a batch whose visibility timeout is (nearly)
// over when it is in hand, a receive answered late or a replica that
// stalled, is neither deleted nor counted.
func TestPullAbandonsExpiredBatch(t *testing.T) {
	for name, late := range map[string]time.Duration{"over": 31 * time.Second, "under a second left": 29500 * time.Millisecond} {
		t.Run(name, func(t *testing.T) {
			f := &fakeSQS{bodies: []string{userEvent(t, "e1", event.SignInAttempted, "c", "", 1), "not an event"}}
			var clock skewClock
			var once sync.Once
			f.onReceive = func(context.Context) error {
				once.Do(func() { clock.skip(late) }) // the answer of the first receive takes that long
				return nil
			}
			reg := pullUntil(t, f, clock.options, func(g prometheus.Gatherer) bool {
				return sum(t, g, exporter.MetricSQSAbandoned) == 1
			})
			require.Equal(t, 1.0, labelled(t, reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonExpired))
			require.Equal(t, 1.0, sum(t, reg, exporter.MetricSQSInvalid), "the invalid message is not abandoned: it holds no event")
			require.Zero(t, sum(t, reg, exporter.MetricUserEvents))
			require.Zero(t, f.deletes, "nothing deleted")
		})
	}
}

// TestPullCountsOnlyDeletedEntries: entries SQS reports as not deleted are
// left uncounted, and so are entries its answer leaves out (goaws does so
// for a stale receipt handle); the rest of the batch is counted.
func TestPullCountsOnlyDeletedEntries(t *testing.T) {
	f := &failingEntriesSQS{fakeSQS: &fakeSQS{bodies: []string{
		userEvent(t, "e1", event.SignInAttempted, "c", "", 1),
		userEvent(t, "e2", event.SignInAttempted, "c", "", 1),
		userEvent(t, "e3", event.SignInAttempted, "c", "", 1),
		userEvent(t, "e4", event.SignInAttempted, "c", "", 1),
	}}, fail: "1", omit: "3"}
	reg := prometheus.NewPedanticRegistry()
	e, err := exporter.New(exporter.Options{Registerer: reg, Gatherer: reg, SQSClient: f, SQSQueueURLs: []string{"q"}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- e.Pull(ctx, "q") }()
	require.Eventually(t, func() bool { return sum(t, reg, exporter.MetricSQSDeleted) == 2 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-errc)
	require.Equal(t, 2.0, sum(t, reg, exporter.MetricUserEvents))
	require.Equal(t, 1.0, labelled(t, reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonDeleteFailed))
	require.Equal(t, 1.0, labelled(t, reg, exporter.MetricSQSAbandoned, "reason", exporter.AbandonDeleteUnconfirmed))
	require.Equal(t, 1.0, labelled(t, reg, exporter.MetricSQSErrors, "operation", "delete"))
}

// failingEntriesSQS reports the entry with Id fail as not deleted, leaves
// the one with Id omit out of its answer, and deletes the others.
type failingEntriesSQS struct {
	*fakeSQS
	fail, omit string
}

func (f *failingEntriesSQS) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	var keep []sqstypes.DeleteMessageBatchRequestEntry
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		if aws.ToString(e.Id) == f.fail {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), SenderFault: true})
			continue
		}
		if aws.ToString(e.Id) != f.omit {
			keep = append(keep, e)
		}
	}
	ok, err := f.fakeSQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: in.QueueUrl, Entries: keep}, opts...)
	if err != nil {
		return nil, err
	}
	out.Successful = ok.Successful
	return out, nil
}

func TestPullOptionsChecked(t *testing.T) {
	tests := []struct {
		name string
		o    exporter.Options
		want string
	}{
		{name: "no client", o: exporter.Options{SQSQueueURLs: []string{"q"}}, want: "exporter: SQS queue URLs need Options.SQSClient"},
		{name: "long wait", o: exporter.Options{SQSWaitTime: 21 * time.Second, SQSVisibilityTimeout: time.Minute},
			want: "exporter: SQS wait time 21s is more than SQS's 20s"},
		{name: "short visibility", o: exporter.Options{SQSWaitTime: 20 * time.Second, SQSVisibilityTimeout: 20 * time.Second},
			want: "exporter: SQS visibility timeout 20s must be longer than the wait time 20s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exporter.New(tc.o)
			require.EqualError(t, err, tc.want)
		})
	}
}

// benchSQS serves an endless queue for BenchmarkPull: 1,000 distinct events,
// half raw and half enveloped, cycling; the exporter's dedupe window is
// cleared at the start of each cycle so that every message is counted.
type benchSQS struct {
	e        *exporter.Exporter
	bodies   []string
	next     int
	limit    int
	deleted  int
	receives int
	deletes  int
	done     chan struct{}
}

func (f *benchSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.receives++
	out := &sqs.ReceiveMessageOutput{Messages: make([]sqstypes.Message, 0, in.MaxNumberOfMessages)}
	for len(out.Messages) < int(in.MaxNumberOfMessages) && f.next < f.limit {
		i := f.next % len(f.bodies)
		if i == 0 {
			f.e.ForgetSeen()
		}
		out.Messages = append(out.Messages, sqstypes.Message{MessageId: aws.String("m"), ReceiptHandle: aws.String("rh"), Body: &f.bodies[i]})
		f.next++
	}
	if len(out.Messages) == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return out, nil
}

func (f *benchSQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	f.deletes++
	f.deleted += len(in.Entries)
	out := &sqs.DeleteMessageBatchOutput{Successful: make([]sqstypes.DeleteMessageBatchResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		out.Successful[i].Id = e.Id
	}
	if f.deleted == f.limit {
		close(f.done)
	}
	return out, nil
}

// BenchmarkPull measures one replica's pull loop (decode, dedupe, count,
// batch delete) against an SQS that answers at once: the exporter's own
// ceiling per replica, and its calls per 1,000 events. Against real SQS
// the round trips dominate: see docs/exporter.md.
func BenchmarkPull(b *testing.B) {
	bodies := make([]string, 1000)
	for i := range bodies {
		bodies[i] = userEvent(b, "e"+strconv.Itoa(i), event.SignInSucceeded, "client1", "", 42)
		if i%2 == 1 {
			bodies[i] = envelope(b, "m"+strconv.Itoa(i), bodies[i])
		}
	}
	reg := prometheus.NewRegistry()
	f := &benchSQS{bodies: bodies, limit: b.N, done: make(chan struct{})}
	e, err := exporter.New(exporter.Options{Registerer: reg, Gatherer: reg, SQSClient: f, SQSQueueURLs: []string{"q"}, DedupeSize: len(bodies)})
	if err != nil {
		b.Fatal(err)
	}
	f.e = e
	ctx, cancel := context.WithCancel(b.Context())
	b.ReportAllocs()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() { errc <- e.Pull(ctx, "q") }()
	<-f.done
	b.StopTimer()
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	if got := sum(b, reg, exporter.MetricUserEvents); got != float64(b.N) {
		b.Fatalf("counted %v of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(1000*float64(f.receives)/float64(b.N), "receives/1k-events")
	b.ReportMetric(1000*float64(f.deletes)/float64(b.N), "deletes/1k-events")
}

// TestServePulls checks that Serve runs the receive loops of every queue and
// stops them, deletes done, when its context ends.
func TestServePulls(t *testing.T) {
	f := &fakeSQS{}
	for i := range 25 {
		f.bodies = append(f.bodies, userEvent(t, "e"+strconv.Itoa(i), event.SignInAttempted, "c", "", 1))
	}
	reg := prometheus.NewPedanticRegistry()
	e, err := exporter.New(exporter.Options{Registerer: reg, Gatherer: reg, SQSClient: f, SQSQueueURLs: []string{"q"}, SQSReceivers: 3})
	require.NoError(t, err)
	snsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- e.Serve(ctx, snsL, metricsL) }()
	require.Eventually(t, func() bool { return sum(t, reg, exporter.MetricSQSDeleted) == 25 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-errc)
	require.Equal(t, 25.0, sum(t, reg, exporter.MetricUserEvents))
	require.Len(t, f.deletedHandles(), 25)
}

// FuzzPullBatch pulls one message with an arbitrary body beside a valid
// event: nothing panics, every message is counted, dropped as a duplicate or
// kept as invalid, only what was counted or dropped is deleted, and the
// valid event is counted whatever its neighbour.
func FuzzPullBatch(f *testing.F) {
	valid := userEvent(f, "e0", event.SignInAttempted, "c", "", 1)
	f.Add(userEvent(f, "e1", event.SignUpRejected, "c", event.ReasonDisposableDomain, 1))
	f.Add(envelope(f, "m1", userEvent(f, "e1", event.SignInSucceeded, "c", "", 1)))
	f.Add(valid)
	f.Add(`{"Type":"Notification","Message":"{}"}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		q := &fakeSQS{bodies: []string{valid, body}}
		reg := prometheus.NewPedanticRegistry()
		e, err := exporter.New(exporter.Options{Registerer: reg, Gatherer: reg, SQSClient: q, SQSQueueURLs: []string{"q"}, DedupeSize: 4})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		q.onReceive = func(context.Context) error {
			q.mu.Lock()
			defer q.mu.Unlock()
			if q.next == len(q.bodies) { // the batch is handled: stop
				cancel()
			}
			return nil
		}
		require.NoError(t, e.Pull(ctx, "q"))
		require.NotErrorIs(t, ctx.Err(), context.DeadlineExceeded, "Pull did not handle the batch in 5s")
		counted, dups, invalid := sum(t, reg, exporter.MetricUserEvents), sum(t, reg, exporter.MetricSQSDups), sum(t, reg, exporter.MetricSQSInvalid)
		require.Equal(t, 2.0, sum(t, reg, exporter.MetricSQSReceived))
		require.Equal(t, 2.0, counted+dups+invalid)
		require.GreaterOrEqual(t, counted, 1.0)
		deleted := f64(len(q.deletedHandles()))
		require.Equal(t, counted+dups, deleted)
		if invalid == 1 {
			require.Equal(t, []string{"rh-0"}, q.deletedHandles())
		}
	})
}

func f64(n int) float64 { return float64(n) }
