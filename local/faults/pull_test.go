package faults

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// lateReplica makes one replica late, once each way, past its visibility
// timeout, as after a long pause of the process or a slow network, when
// SQS may hand the messages to another consumer meanwhile:
//   - the answer of a receive reaches it after stall: it must not count
//     the batch, which SQS hands out again;
//   - its delete reaches SQS after stall, when another consumer has
//     received the messages again: SQS deletes nothing (a stale receipt
//     handle), so the replica must not count them either.
//
// Both arm once the replica has received after messages, so that it counts
// some before.
type lateReplica struct {
	exporter.SQSClient
	after                     int64
	received                  atomic.Int64
	stall                     time.Duration
	receiveArmed, deleteArmed atomic.Bool
	lateReceived, lateDeleted atomic.Int64 // messages in each late batch
}

func (l *lateReplica) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out, err := l.SQSClient.ReceiveMessage(ctx, in, opts...)
	if err != nil || len(out.Messages) == 0 {
		return out, err
	}
	if l.received.Add(int64(len(out.Messages))) > l.after && l.receiveArmed.CompareAndSwap(true, false) {
		time.Sleep(l.stall)
		l.lateReceived.Store(int64(len(out.Messages)))
	}
	return out, err
}

func (l *lateReplica) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if l.received.Load() <= 2*l.after || !l.deleteArmed.CompareAndSwap(true, false) {
		return l.SQSClient.DeleteMessageBatch(ctx, in, opts...)
	}
	time.Sleep(l.stall) // on its way, whatever the caller's deadline
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	out, err := l.SQSClient.DeleteMessageBatch(ctx, in, opts...)
	l.lateDeleted.Store(int64(len(in.Entries)))
	return out, err
}

// TestPullConservation runs simulated users through the whole local stack
// with two exporter replicas in pull mode on one queue subscribed to the
// topic, one of which is late past its visibility timeout, once with a
// receive and once with a delete (lateReplica). The events counted by the
// replicas (their /metrics scraped and parsed as Prometheus does) add up,
// type by type, to the events the triggers published: the late replica
// counts neither batch, whoever receives them again does.
func TestPullConservation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	const vis = 2 * time.Second
	// Past the timeout, goaws' 1s housekeeping tick and the others' next receive.
	late := &lateReplica{stall: vis + 3*time.Second, after: 5}
	late.receiveArmed.Store(true)
	late.deleteArmed.Store(true)
	s, err := local.Start(t.Context(), local.Options{
		WarmInterval: -1, VisibilityTimeout: vis, PullReplicas: 2,
		WrapPullSQS: func(i int, c exporter.SQSClient) exporter.SQSClient {
			if i == 0 {
				late.SQSClient = c
				return late
			}
			return c
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	e := s.Endpoints()
	require.Len(t, e.PullExporters, 2)

	ctx := t.Context()
	const users = 30
	r, err := simulate.Run(ctx, s.Cognito(), simulate.Options{
		Users: users, Seed: 17, ClientID: e.ClientID, UserPoolID: e.UserPoolID,
		ConfirmationCode: local.DefaultConfirmationCode,
		Disposable:       0.2, Invalid: 0.1, WrongPassword: 0.3,
	})
	require.NoError(t, err)
	require.Zero(t, r.Unexpected(), "%+v", r)

	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, s.Drain(dctx))
	// The queue may be empty while the late replica still waits for its
	// batch: another replica received and deleted it meanwhile.
	expired := exporter.MetricSQSAbandoned + `{reason="` + exporter.AbandonExpired + `"}`
	unconfirmed := exporter.MetricSQSAbandoned + `{reason="` + exporter.AbandonDeleteUnconfirmed + `"}`
	var sum local.Summary
	require.Eventually(t, func() bool {
		sum, err = s.Summary(dctx)
		require.NoError(t, err)
		m := sum.PullExporters[0]
		return late.lateReceived.Load() > 0 && m[expired] == float64(late.lateReceived.Load()) &&
			late.lateDeleted.Load() > 0 && m[unconfirmed] == float64(late.lateDeleted.Load())
	}, 30*time.Second, 100*time.Millisecond, "replica 0 was late with a receive and a delete, and left both batches uncounted")

	// Published: what the triggers published, as the stack's own tap saw it.
	produced := 0
	for _, n := range sum.Events {
		produced += n
	}
	require.Positive(t, produced)
	require.Equal(t, local.Expected(r), nonZero(sum.Events), "events the simulation caused, by type")

	// Counted: sum() over the replicas, by type and in total.
	require.Len(t, sum.PullExporters, 2)
	counted := map[event.Type]float64{}
	replica := make([]float64, 2)
	var abandoned, deleted, dups float64
	for i, m := range sum.PullExporters {
		for k, v := range m {
			if name, labels, ok := strings.Cut(k, "{"); ok && name == exporter.MetricUserEvents {
				_, typ, _ := strings.Cut(labels, `type="`)
				typ, _, _ = strings.Cut(typ, `"`)
				counted[event.Type(typ)] += v
				replica[i] += v
			}
		}
		for _, reason := range []string{exporter.AbandonExpired, exporter.AbandonDeleteUnconfirmed, exporter.AbandonDeleteFailed} {
			abandoned += m[exporter.MetricSQSAbandoned+`{reason="`+reason+`"}`]
		}
		deleted += m[exporter.MetricSQSDeleted]
		dups += m[exporter.MetricSQSDups]
	}
	for typ, n := range sum.Events {
		require.Equal(t, float64(n), counted[typ], "%s: sum over the replicas = events published", typ)
	}
	total := replica[0] + replica[1]
	t.Logf("pull mode: %d events published, counted %v (replica 0: %v, replica 1: %v); replica 0 received a batch of %d late and deleted one of %d late, abandoned %v; %v deleted, %v duplicates",
		produced, total, replica[0], replica[1], late.lateReceived.Load(), late.lateDeleted.Load(), abandoned, deleted, dups)
	require.Equal(t, float64(produced), total)
	require.Equal(t, float64(late.lateReceived.Load()+late.lateDeleted.Load()), abandoned, "the only batches left uncounted")
	require.Equal(t, float64(produced), deleted, "each event deleted once")
	require.Zero(t, dups)
	require.Zero(t, sum.PullDeadLetters)
	tally(t, 2, produced)
}
