package faults

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// faultyCloudWatch fails the first PutMetricData calls: throttled ones are
// retried by the consumer inside the invocation; one fails with a code no
// retry helps, which fails its batch, redelivered by SQS. (Failing a batch
// more than the queue's maxReceiveCount times sends it to the dead-letter
// queue, as designed.)
type faultyCloudWatch struct {
	mu                  sync.Mutex
	calls               int
	throttled, rejected int
}

func (f *faultyCloudWatch) wrap(next cloudwatch.PutMetricDataFunc) cloudwatch.PutMetricDataFunc {
	return func(ctx context.Context, in *cw.PutMetricDataInput, opts ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
		f.mu.Lock()
		n := f.calls
		f.calls++
		var err error
		switch n {
		case 0, 2:
			f.throttled++
			err = apiError("Throttling")
		case 1:
			f.rejected++
			err = apiError("InvalidParameterValue")
		}
		f.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return next(ctx, in, opts...)
	}
}

// faultyEventBridge fails single entries of the first calls: the first
// entry of a call for good (its message is redelivered), the second one
// throttled (retried in place). Accepted entries reach next (recorded).
type faultyEventBridge struct {
	mu                     sync.Mutex
	calls                  int
	entryFailed, throttled int
}

func (f *faultyEventBridge) wrap(next eventbridge.PutEventsFunc) eventbridge.PutEventsFunc {
	return func(ctx context.Context, in *eb.PutEventsInput, opts ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
		f.mu.Lock()
		n := f.calls
		f.calls++
		codes := make([]string, len(in.Entries))
		if n < 6 {
			codes[0] = "AccessDeniedException"
			f.entryFailed++
			if len(codes) > 1 {
				codes[1] = "ThrottlingException"
				f.throttled++
			}
		}
		f.mu.Unlock()
		var pass []ebtypes.PutEventsRequestEntry
		for i, e := range in.Entries {
			if codes[i] == "" {
				pass = append(pass, e)
			}
		}
		out := &eb.PutEventsOutput{Entries: make([]ebtypes.PutEventsResultEntry, len(in.Entries))}
		var inner *eb.PutEventsOutput
		if len(pass) > 0 {
			var err error
			if inner, err = next(ctx, &eb.PutEventsInput{Entries: pass}, opts...); err != nil {
				return nil, err
			}
		}
		j := 0
		for i := range in.Entries {
			if codes[i] != "" {
				out.Entries[i] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String(codes[i]), ErrorMessage: aws.String("injected")}
				out.FailedEntryCount++
				continue
			}
			out.Entries[i] = inner.Entries[j]
			out.FailedEntryCount += boolInt(inner.Entries[j].ErrorCode != nil)
			j++
		}
		return out, nil
	}
}

func nonZero(m map[event.Type]int) map[event.Type]int {
	out := map[event.Type]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// exporterByType sums the exporter's cogwatch_user_events_total series by
// their type label.
func exporterByType(samples map[string]float64) map[event.Type]int {
	out := map[event.Type]int{}
	for k, v := range samples {
		rest, ok := strings.CutPrefix(k, exporter.MetricUserEvents+"{")
		if !ok {
			continue
		}
		_, typ, _ := strings.Cut(rest, `type="`)
		typ, _, _ = strings.Cut(typ, `"`)
		out[event.Type(typ)] += int(v)
	}
	return out
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// TestConservationUnderFaults runs simulated users through the whole local
// stack (cognito-local → triggers → goaws SNS → SQS → consumers, and SNS →
// HTTP → exporter) while CloudWatch and EventBridge fail some calls and
// entries, and while SNS delivers every notification to the exporter twice
// (a second subscription of the same exporter: at-least-once delivery). Every
// event the triggers produced must be counted exactly once by every
// consumer: redelivery repairs the failures, the exporter drops the
// duplicates by id.
func TestConservationUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	var cwf faultyCloudWatch
	var ebf faultyEventBridge
	s, err := local.Start(t.Context(), local.Options{
		WarmInterval: -1, VisibilityTimeout: 2 * time.Second,
		WrapPutMetricData: cwf.wrap, WrapPutEvents: ebf.wrap,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	e := s.Endpoints()

	// A second subscription of the exporter: goaws keys subscriptions by
	// endpoint, so the same listener under another query string.
	ctx := t.Context()
	client := sns.New(sns.Options{Region: e.Region, BaseEndpoint: aws.String(e.SNS)})
	subs, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(e.TopicARN)})
	require.NoError(t, err)
	var exporterSNS string
	for _, sub := range subs.Subscriptions {
		if aws.ToString(sub.Protocol) == "http" && strings.HasSuffix(aws.ToString(sub.Endpoint), "/sns") {
			exporterSNS = aws.ToString(sub.Endpoint)
		}
	}
	require.NotEmpty(t, exporterSNS, "the exporter's subscription")
	_, err = client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(e.TopicARN), Protocol: aws.String("http"),
		Endpoint: aws.String(exporterSNS + "?copy=2")})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		sum, err := s.Summary(ctx)
		return err == nil && sum.Exporter[exporter.MetricConfirmed] == 2
	}, 10*time.Second, 50*time.Millisecond, "second subscription confirmed")

	const users = 24
	r, err := simulate.Run(ctx, s.Cognito(), simulate.Options{
		Users: users, Seed: 11, ClientID: e.ClientID, UserPoolID: e.UserPoolID,
		ConfirmationCode: local.DefaultConfirmationCode,
		Disposable:       0.2, Invalid: 0.1, WrongPassword: 0.3,
		Legacy: 0.25, Directory: s.Legacy(),
	})
	require.NoError(t, err)
	require.Zero(t, r.Unexpected(), "%+v", r)

	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, s.Drain(dctx))
	sum, err := s.Summary(dctx)
	require.NoError(t, err)

	// Produced: what the triggers published, as the stack's own tap saw it.
	produced := 0
	for _, n := range sum.Events {
		produced += n
	}
	require.Positive(t, produced)
	rejected := 0
	for _, n := range sum.Rejections {
		rejected += n
	}
	require.Equal(t, local.RejectedByTrigger(r), rejected)
	require.Equal(t, local.Expected(r), nonZero(sum.Events), "events the simulation caused, by type")
	require.Positive(t, sum.Events[event.TokenIssued])
	require.Positive(t, sum.Events[event.CodeSent])
	require.Positive(t, sum.Events[event.PasswordReset])
	require.Positive(t, sum.Events[event.UserMigrated])
	require.Positive(t, sum.Events[event.MigrationFailed])

	// Queues: every message deleted once its consumer succeeded; failed
	// ones were left for redelivery (Retained), none reached a dead-letter
	// queue.
	for q, st := range sum.Queues {
		require.Equal(t, produced, st.Deleted, q)
		require.Equal(t, st.Received, st.Deleted+st.Retained, q)
		require.Zero(t, st.Redriven, q)
	}
	for q, n := range sum.DeadLetters {
		require.Zero(t, n, q)
	}
	require.Positive(t, sum.Queues["cogwatch-cloudwatch-consumer"].Retained, "the rejected call's batch was redelivered")
	require.Equal(t, ebf.entryFailed, sum.Queues["cogwatch-eventbridge-consumer"].Retained, "exactly the failed entries' messages were redelivered")
	require.Equal(t, 3, cwf.calls-sum.PutMetricData.Calls, "the failed PutMetricData calls are the only ones not recorded")

	// CloudWatch: one count per event and dimension set, exactly.
	for typ, n := range sum.Events {
		if n == 0 {
			continue
		}
		want := 2 * n
		if typ == event.SignUpRejected || typ == event.MigrationFailed {
			want = 3 * n
		}
		require.Equal(t, float64(want), sum.PutMetricData.Samples[catalog.ForEvent(typ)], typ)
	}
	// The triggers' own EMF counts beside the events, by type: the
	// middleware's (migrations) as the triggers'.
	for typ, n := range sum.Events {
		require.Equal(t, float64(n), sum.EMF[catalog.ForEvent(typ)], typ)
	}
	// EventBridge: one entry per event.
	require.Equal(t, produced, sum.PutEvents.Entries)
	for typ, n := range sum.Events {
		require.Equal(t, n, sum.PutEvents.ByDetailType[string(typ)], typ)
	}
	// Exporter: every event counted once, its second delivery dropped.
	counted := 0.0
	for k, v := range sum.Exporter {
		if strings.HasPrefix(k, exporter.MetricUserEvents+"{") {
			counted += v
		}
	}
	require.Equal(t, float64(produced), counted)
	require.Equal(t, sum.Events, exporterByType(sum.Exporter), "the exporter's count of each type")
	require.Equal(t, float64(produced), sum.Exporter[exporter.MetricDuplicates], "one duplicate per event")

	faults := cwf.throttled + cwf.rejected + ebf.entryFailed + ebf.throttled + produced
	t.Logf("conservation: %d events produced; injected %d PutMetricData throttles, %d rejections, %d PutEvents entry failures, %d entry throttles, %d SNS duplicates",
		produced, cwf.throttled, cwf.rejected, ebf.entryFailed, ebf.throttled, produced)
	tally(t, faults, 3*produced)
}
