package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// cwOptions and ebOptions keep the consumers' retries short in tests
// (their Retry policy's type is internal to consumers/, so it is set field
// by field). budget bounds an invocation's calls and retries.
func cwOptions(now time.Time, budget time.Duration) cloudwatch.Config {
	o := cloudwatch.DefaultConfig
	o.Now = func() time.Time { return now }
	o.Retry.Base, o.Retry.Max, o.Retry.Reserve, o.Retry.Budget = time.Millisecond, 4*time.Millisecond, 0, budget
	return o
}

func ebOptions(budget time.Duration) eventbridge.Config {
	o := eventbridge.DefaultConfig
	o.BusName = "cogwatch"
	o.Retry.Base, o.Retry.Max, o.Retry.Reserve, o.Retry.Budget = time.Millisecond, 4*time.Millisecond, 0, budget
	return o
}

var testTypes = []event.Type{event.SignUpAccepted, event.SignInAttempted, event.SignInSucceeded, event.UserConfirmed, event.PasswordReset}

// sqsMessages returns n SQS messages, each an SNS envelope around a
// distinct user event of one of testTypes, all in one user pool.
func sqsMessages(t *testing.T, prefix string, n int, at time.Time) ([]events.SQSMessage, map[string]event.Type) {
	t.Helper()
	msgs := make([]events.SQSMessage, n)
	types := map[string]event.Type{}
	for i := range n {
		typ := testTypes[i%len(testTypes)]
		id := fmt.Sprintf("%s-%05d", prefix, i)
		msgs[i] = sqstest.Enveloped("sqs-"+id, "sns-"+id, event.Event{
			SpecVersion: event.SpecVersion, ID: id, Source: event.Source("us-east-1", "us-east-1_faults"), Type: typ,
			Time: at, DataContentType: event.ContentType,
			Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: "us-east-1_faults", ClientID: fmt.Sprintf("client%d", i%3),
				TriggerSource: "PostAuthentication_Authentication", Region: "us-east-1", LatencyMs: float64(i % 7)},
		})
		types[msgs[i].MessageId] = typ
	}
	return msgs, types
}

// redeliver runs handle on batches of msgs as Lambda's event-source mapping
// would: the batch item failures come back in the next round, until none
// fails or rounds run out. It returns the failures of the first round.
func redeliver(t *testing.T, msgs []events.SQSMessage, batch int, handle func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), afterFirst func()) (firstFailed map[string]bool) {
	t.Helper()
	pending := msgs
	for round := 0; len(pending) > 0; round++ {
		require.Less(t, round, 5, "messages still failing after 5 rounds")
		var next []events.SQSMessage
		byID := map[string]events.SQSMessage{}
		for _, m := range pending {
			byID[m.MessageId] = m
		}
		failedNow := map[string]bool{}
		for start := 0; start < len(pending); start += batch {
			b := pending[start:min(start+batch, len(pending))]
			resp, err := handle(t.Context(), events.SQSEvent{Records: b})
			require.NoError(t, err)
			for _, f := range resp.BatchItemFailures {
				m, ok := byID[f.ItemIdentifier]
				require.True(t, ok, "unknown failure %q", f.ItemIdentifier)
				require.False(t, failedNow[f.ItemIdentifier], "reported twice")
				failedNow[f.ItemIdentifier] = true
				next = append(next, m)
			}
		}
		if round == 0 {
			firstFailed = failedNow
			if afterFirst != nil {
				afterFirst()
			}
		}
		pending = next
	}
	return firstFailed
}

// apiError is an injected failure as the SDK decodes one: its code says
// what happened (the fault is left unknown, so that the code alone decides
// whether the consumer retries, as it does for the client faults injected).
func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "injected"}
}

// cwRecorder is CloudWatch's PutMetricData: it fails the calls its plan
// says and sums the counts of the calls it accepts.
type cwRecorder struct {
	mu    sync.Mutex
	calls int
	// fail decides the n-th call's error (nil: accepted).
	fail func(n int, in *cw.PutMetricDataInput) error
	// per (metric, dimension names) → total count accepted.
	totals map[string]float64
	faults int
}

func (r *cwRecorder) put(_ context.Context, in *cw.PutMetricDataInput, _ ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.calls
	r.calls++
	if r.fail != nil {
		if err := r.fail(n, in); err != nil {
			r.faults++
			return nil, err
		}
	}
	for _, d := range in.MetricData {
		if d.Unit != "Count" {
			continue
		}
		key := *d.MetricName
		for _, dim := range d.Dimensions {
			key += "|" + *dim.Name
		}
		for i := range d.Values {
			r.totals[key] += d.Values[i] * d.Counts[i]
		}
	}
	return &cw.PutMetricDataOutput{}, nil
}

// TestCloudWatchConsumerUnderFaults: with some calls throttled (retried
// inside the invocation) and some failing for good, the failed messages are
// exactly those of the failed calls; once they are redelivered (with
// CloudWatch healthy again) every event is counted exactly once.
func TestCloudWatchConsumerUnderFaults(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Minute)
	tests := []struct {
		name string
		fail func(n int, in *cw.PutMetricDataInput) error
		// wantAllFailedInBatch: a failing call fails its whole batch (one
		// call per batch of 10).
		wantFirstFailed func(batches int) int
	}{
		{name: "throttled then accepted", fail: func(n int, _ *cw.PutMetricDataInput) error {
			if n%3 != 2 {
				return apiError("Throttling")
			}
			return nil
		}, wantFirstFailed: func(int) int { return 0 }},
		{name: "every other call fails for good", fail: func(n int, _ *cw.PutMetricDataInput) error {
			if n%2 == 0 {
				return apiError("InvalidParameterCombination")
			}
			return nil
		}, wantFirstFailed: func(batches int) int { return (batches + 1) / 2 * 10 }},
		{name: "throttled past the budget", fail: func(n int, _ *cw.PutMetricDataInput) error {
			return apiError("Throttling")
		}, wantFirstFailed: func(batches int) int { return batches * 10 }},
	}
	faults, checked := 0, 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const n, batch = 200, 10
			msgs, types := sqsMessages(t, "cw-"+tc.name, n, now)
			rec := &cwRecorder{fail: tc.fail, totals: map[string]float64{}}
			budget := 5 * time.Second
			if tc.name == "throttled past the budget" {
				budget = 20 * time.Millisecond
			}
			c := cloudwatch.New(cwOptions(now, budget), rec.put, nil)
			first := redeliver(t, msgs, batch, c.Handle, func() { rec.mu.Lock(); rec.fail = nil; rec.mu.Unlock() })
			require.Len(t, first, tc.wantFirstFailed(n/batch))
			if tc.name == "every other call fails for good" {
				// One call per batch; calls 0, 2, 4 … fail: batches 0, 2, 4 ….
				for i, m := range msgs {
					require.Equal(t, (i/batch)%2 == 0, first[m.MessageId], m.MessageId)
				}
			}
			want := map[string]float64{}
			for _, typ := range types {
				want[catalog.ForEvent(typ)+"|"+catalog.DimUserPoolID]++
			}
			for k, v := range want {
				require.Equal(t, v, rec.totals[k], "%s after redelivery", k)
			}
			faults += rec.faults
			checked += n
		})
	}
	tally(t, faults, checked)
}

// ebRecorder is EventBridge's PutEvents: it fails whole calls or single
// entries as its plan says and records the accepted entries by event id.
type ebRecorder struct {
	mu       sync.Mutex
	calls    int
	failCall func(n int) error
	// failEntry returns the error code of an entry ("" accepts it).
	failEntry func(call, i int, e ebtypes.PutEventsRequestEntry) string
	accepted  map[string]int // CloudEvents id → times accepted
	faults    int
}

func (r *ebRecorder) put(_ context.Context, in *eb.PutEventsInput, _ ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.calls
	r.calls++
	if r.failCall != nil {
		if err := r.failCall(n); err != nil {
			r.faults++
			return nil, err
		}
	}
	out := &eb.PutEventsOutput{Entries: make([]ebtypes.PutEventsResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		if r.failEntry != nil {
			if code := r.failEntry(n, i, e); code != "" {
				out.Entries[i] = ebtypes.PutEventsResultEntry{ErrorCode: &code, ErrorMessage: &code}
				out.FailedEntryCount++
				r.faults++
				continue
			}
		}
		var ev event.Event
		if err := json.Unmarshal([]byte(*e.Detail), &ev); err != nil || ev.ID == "" {
			panic(fmt.Sprintf("entry detail is not a user event: %v", err))
		}
		r.accepted[ev.ID]++
		id := fmt.Sprintf("eb-%d-%d", n, i)
		out.Entries[i] = ebtypes.PutEventsResultEntry{EventId: &id}
	}
	return out, nil
}

// TestEventBridgeConsumerUnderFaults: whole calls throttled or failing, and
// single entries throttled (retried) or failing for good; the failed
// messages are exactly those whose entries were not accepted, and after
// redelivery every event is on the bus exactly once.
func TestEventBridgeConsumerUnderFaults(t *testing.T) {
	tests := []struct {
		name      string
		failCall  func(n int) error
		failEntry func(call, i int, e ebtypes.PutEventsRequestEntry) string
		// wantFailed says whether message i fails in the first round; nil:
		// count only (wantCount).
		wantFailed func(i int) bool
	}{
		{name: "calls throttled then accepted", failCall: func(n int) error {
			if n%2 == 0 {
				return apiError("ThrottlingException")
			}
			return nil
		}, wantFailed: func(int) bool { return false }},
		{name: "entries throttled then accepted", failEntry: func(call, i int, _ ebtypes.PutEventsRequestEntry) string {
			if call%2 == 0 && i%3 == 0 {
				return "ThrottlingException"
			}
			return ""
		}, wantFailed: func(int) bool { return false }},
		{name: "some entries fail for good", failEntry: func(_, _ int, e ebtypes.PutEventsRequestEntry) string {
			var ev event.Event
			_ = json.Unmarshal([]byte(*e.Detail), &ev)
			if ev.Type == event.SignInAttempted {
				return "AccessDeniedException"
			}
			return ""
		}, wantFailed: func(i int) bool { return testTypes[i%len(testTypes)] == event.SignInAttempted }},
		{name: "a call fails for good", failCall: func(n int) error {
			if n == 3 {
				return apiError("AccessDeniedException")
			}
			return nil
		}, wantFailed: func(i int) bool { return i/10 == 3 }},
	}
	faults, checked := 0, 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const n, batch = 200, 10
			msgs, _ := sqsMessages(t, "eb-"+tc.name, n, time.Now().UTC())
			rec := &ebRecorder{failCall: tc.failCall, failEntry: tc.failEntry, accepted: map[string]int{}}
			c := eventbridge.New(ebOptions(5*time.Second), rec.put, nil)
			first := redeliver(t, msgs, batch, c.Handle, func() {
				rec.mu.Lock()
				rec.failCall, rec.failEntry = nil, nil
				rec.mu.Unlock()
			})
			for i, m := range msgs {
				require.Equal(t, tc.wantFailed(i), first[m.MessageId], "message %d", i)
			}
			require.Len(t, rec.accepted, n)
			for id, times := range rec.accepted {
				require.Equal(t, 1, times, "event %s on the bus %d times", id, times)
			}
			faults += rec.faults
			checked += n
		})
	}
	tally(t, faults, checked)
}
