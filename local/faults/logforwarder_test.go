package faults

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// triggerSNS stands between the triggers and goaws: it forwards, or hangs
// every request until the client gives up (an SNS brownout), and counts the
// requests that reached it.
type triggerSNS struct{ testutil.HangingProxy }

// endpoint starts the proxy in front of goaws and returns its URL; it is
// local.Options.TriggerSNS.
func (p *triggerSNS) endpoint(t *testing.T) func(string) string {
	return func(goaws string) string { return p.Start(t, goaws) }
}

// simulated runs the simulation's users through the stack in one or more
// rounds and returns how many events they caused.
func simulated(t *testing.T, s *local.Stack, users int, seed uint64) int {
	t.Helper()
	e := s.Endpoints()
	r, err := simulate.Run(t.Context(), s.Cognito(), simulate.Options{
		Users: users, Seed: seed, ClientID: e.ClientID, UserPoolID: e.UserPoolID,
		ConfirmationCode: local.DefaultConfirmationCode,
		Disposable:       0.2, Invalid: 0.1, WrongPassword: 0.3,
		Legacy: 0.25, Directory: s.Legacy(),
	})
	require.NoError(t, err)
	require.Zero(t, r.Unexpected(), "%+v", r)
	caused := 0
	for _, n := range local.Expected(r) {
		caused += n
	}
	return caused
}

// conserved drains the stack and checks that every event the simulation
// caused went through every stage exactly once: the topic (the stack's own
// subscriber), both SQS consumers, the exporter; nothing in a dead-letter
// queue or the forwarder's dead-letter file. It returns the events counted.
func conserved(t *testing.T, s *local.Stack, caused int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	require.NoError(t, s.Drain(ctx))
	sum, err := s.Summary(ctx)
	require.NoError(t, err)
	produced := 0
	for _, n := range sum.Events {
		produced += n
	}
	require.Equal(t, caused, produced, "events the simulation caused = events the topic delivered")
	require.Zero(t, sum.Malformed)
	for q, st := range sum.Queues {
		require.Equal(t, produced, st.Deleted, q)
	}
	for q, n := range sum.DeadLetters {
		require.Zero(t, n, q)
	}
	for typ, n := range sum.Events {
		want := 2 * n
		if typ == event.SignUpRejected || typ == event.MigrationFailed {
			want = 3 * n
		}
		require.Equal(t, float64(want), sum.PutMetricData.Samples[catalog.ForEvent(typ)], typ)
		require.Equal(t, float64(n), sum.EMF[catalog.ForEvent(typ)], "%s: the triggers' EMF count", typ)
	}
	require.Positive(t, sum.Events[event.UserMigrated], "the migration journey ran")
	require.Positive(t, sum.Events[event.MigrationFailed], "the migration journey ran")
	require.Equal(t, produced, sum.PutEvents.Entries)
	counted := 0.0
	for k, v := range sum.Exporter {
		if strings.HasPrefix(k, exporter.MetricUserEvents+"{") {
			counted += v
		}
	}
	require.Equal(t, float64(produced), counted, "the exporter counted each event once")
	require.Equal(t, sum.Events, exporterByType(sum.Exporter), "the exporter's count of each type")
	return produced
}

// TestConservationLogSink runs simulated users through the whole local stack
// with the triggers' log sink: the triggers make no call to SNS at all (the
// endpoint they are given counts requests), their event lines reach the log
// forwarder through the trigger logs' subscription, and every event is
// counted exactly once by every consumer. The delay from each trigger to the
// stack's own subscriber is logged.
func TestConservationLogSink(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	var sns triggerSNS
	s, err := local.Start(t.Context(), local.Options{
		WarmInterval: -1, VisibilityTimeout: 2 * time.Second, EventSink: "log", TriggerSNS: sns.endpoint(t),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	caused := simulated(t, s, 16, 21)
	produced := conserved(t, s, caused)
	require.Zero(t, sns.Requests.Load(), "the log sink makes no network call")
	delivered, dead := s.LogSubscription()
	require.Equal(t, produced, delivered, "every event line went through the forwarder")
	require.Zero(t, dead)
	sum, err := s.Summary(t.Context())
	require.NoError(t, err)
	require.Positive(t, sum.Functions[local.LogForwarderFunction].Invocations)

	d := s.DeliveryDelays()
	slices.Sort(d)
	t.Logf("log sink: %d events; trigger → subscriber delay p50 %v, p99 %v, max %v (subscription window 200 ms)",
		len(d), d[len(d)/2].Round(time.Millisecond), d[len(d)*99/100].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
	tally(t, 0, 4*produced)
}

// TestSNSOutageWithLogForwarder: SNS (the triggers' endpoint) hangs in the
// middle of a simulated run and comes back; the triggers' breakers open and
// the events go to their logs; with the log forwarder deployed beside the
// SNS sink, no event is lost: events in (caused by the simulation) = events
// counted out by the topic's subscriber, both consumers and the exporter.
func TestSNSOutageWithLogForwarder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	var sns triggerSNS
	s, err := local.Start(t.Context(), local.Options{
		WarmInterval: -1, VisibilityTimeout: 2 * time.Second, LogForwarder: true, TriggerSNS: sns.endpoint(t),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	caused := simulated(t, s, 6, 31) // SNS up
	published := sns.Requests.Load()
	require.Positive(t, published)

	sns.Hang.Store(true) // the outage
	caused += simulated(t, s, 6, 32)
	hung := sns.Hung.Load()
	require.Positive(t, hung)

	sns.Hang.Store(false) // SNS is back; the breakers are still open for their cool-down
	caused += simulated(t, s, 6, 33)

	produced := conserved(t, s, caused)
	delivered, dead := s.LogSubscription()
	require.Zero(t, dead)
	require.Positive(t, delivered, "events went through the log during the outage")
	t.Logf("SNS outage: %d events caused and counted; %d publishes reached SNS's endpoint, %d hung until the budget; %d events recovered from the logs by the forwarder",
		produced, sns.Requests.Load(), hung, delivered)
	tally(t, int(hung)+delivered, 4*produced)
}
