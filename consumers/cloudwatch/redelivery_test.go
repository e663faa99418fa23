package cloudwatch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	smithy "github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// store is a PutMetricDataFunc double that keeps only the calls it accepts,
// as CloudWatch would, and fails the calls fail picks (n counts every call
// it received, failed or not).
type store struct {
	mu       sync.Mutex
	n        int
	fail     func(n int, in *cw.PutMetricDataInput) error
	accepted []*cw.PutMetricDataInput
	failed   int
}

func (s *store) put(_ context.Context, in *cw.PutMetricDataInput, _ ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.n
	s.n++
	if s.fail != nil {
		if err := s.fail(n, in); err != nil {
			s.failed++
			return nil, err
		}
	}
	s.accepted = append(s.accepted, in)
	return &cw.PutMetricDataOutput{}, nil
}

// minuteKey names a metric, a dimension set with its values and a minute:
// "Name{Dim=v,Dim=v}@unix".
func minuteKey(d types.MetricDatum) string {
	return sampleKey(d) + "@" + strconv.FormatInt(d.Timestamp.Unix(), 10)
}

// stored sums the samples (Counts) of the accepted calls by minuteKey.
func (s *store) stored() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]float64{}
	for _, in := range s.accepted {
		for _, d := range in.MetricData {
			for _, c := range d.Counts {
				out[minuteKey(d)] += c
			}
		}
	}
	return out
}

// expected is what CloudWatch must hold once every event is stored exactly
// once: one sample per event in each of its dimension sets, for its count
// metric and for TriggerLatency, keyed as minuteKey.
func expected(evs []event.Event) map[string]float64 {
	out := map[string]float64{}
	for _, e := range evs {
		at := "@" + strconv.FormatInt(e.Time.Truncate(time.Minute).Unix(), 10)
		name, d := catalog.ForEvent(e.Type), &e.Data
		for _, m := range []string{name, catalog.TriggerLatency} {
			out[m+"{UserPoolId="+d.UserPoolID+"}"+at]++
			if d.ClientID != "" {
				out[m+"{UserPoolId="+d.UserPoolID+",ClientId="+d.ClientID+"}"+at]++
			}
		}
		if e.Type == event.SignUpRejected || e.Type == event.MigrationFailed {
			out[name+"{UserPoolId="+d.UserPoolID+",Reason="+d.Reason+"}"+at]++
		}
		if d.ChallengeName != "" {
			out[name+"{UserPoolId="+d.UserPoolID+",ChallengeName="+d.ChallengeName+"}"+at]++
		}
	}
	return out
}

// deliver plays Lambda's event source mapping with ReportBatchItemFailures:
// it hands each batch of first to h, then hands the reported failures back
// in batches of batch, until none fails. It returns the number of rounds
// and checks that every failure names a message of its batch, once.
func deliver(t *testing.T, h *Consumer, first [][]events.SQSMessage, batch, maxRounds int, beforeRound func(round int)) int {
	t.Helper()
	batches := first
	round := 0
	for ; len(batches) > 0; round++ {
		require.Less(t, round, maxRounds, "messages still failing")
		if beforeRound != nil {
			beforeRound(round)
		}
		var next []events.SQSMessage
		for _, b := range batches {
			byID := map[string]events.SQSMessage{}
			for _, m := range b {
				byID[m.MessageId] = m
			}
			resp, err := h.Handle(t.Context(), events.SQSEvent{Records: b})
			require.NoError(t, err)
			seen := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				m, ok := byID[f.ItemIdentifier]
				require.True(t, ok, "failure %q is not a message of the batch", f.ItemIdentifier)
				require.False(t, seen[f.ItemIdentifier], "failure %q reported twice", f.ItemIdentifier)
				seen[f.ItemIdentifier] = true
				next = append(next, m)
			}
		}
		batches = chunks(next, batch)
	}
	return round
}

func chunks(msgs []events.SQSMessage, n int) [][]events.SQSMessage {
	var out [][]events.SQSMessage
	for start := 0; start < len(msgs); start += n {
		out = append(out, msgs[start:min(start+n, len(msgs))])
	}
	return out
}

// TestAFailedCallCountsNothingTwiceOnRedelivery reproduces the fault suite's
// finding: with calls of at most 5 datums, a batch of several pools, clients
// and minutes needs many calls; one of them fails for good. Its messages are
// redelivered and stored then. Had any of them also contributed a datum to a
// call that succeeded, that datum would now be counted twice.
func TestAFailedCallCountsNothingTwiceOnRedelivery(t *testing.T) {
	const n = 3000
	start := now.Add(-10 * time.Minute).Truncate(time.Minute)
	types := event.Types()
	evs := make([]event.Event, n)
	msgs := make([]events.SQSMessage, n)
	for i := range n {
		client := fmt.Sprintf("client%d", i%4)
		if i%9 == 8 {
			client = ""
		}
		evs[i] = ev(fmt.Sprintf("ev-%d", i), types[(i/7)%len(types)], fmt.Sprintf("eu-west-1_pool%d", i%3), client,
			start.Add(time.Duration(i%4)*time.Minute+time.Duration(i%50)*time.Second), float64(i%200))
		msgs[i] = sqstest.Raw(fmt.Sprintf("m-%d", i), evs[i])
	}
	for _, tc := range []struct {
		name     string
		failCall int // the one call of the first round that fails for good
	}{{"second call fails", 1}, {"a call in the middle fails", 17}, {"last but one call fails", -2}} {
		t.Run(tc.name, func(t *testing.T) {
			// A dry run counts the calls of the first round.
			dry := &store{}
			resp, err := New(Config{Now: fixed, MaxDatumsPerCall: 5}, dry.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Greater(t, dry.n, 20, "the batch needs many calls")
			require.Equal(t, expected(evs), dry.stored(), "without faults every event counts once")
			bad := (tc.failCall + dry.n) % dry.n

			s := &store{fail: func(n int, _ *cw.PutMetricDataInput) error {
				if n == bad {
					return &smithy.GenericAPIError{Code: "InvalidParameterCombination", Message: "injected"}
				}
				return nil
			}}
			c := New(Config{Now: fixed, MaxDatumsPerCall: 5}, s.put, nil)
			rounds := deliver(t, c, chunks(msgs, n), n, 3, nil)
			require.Equal(t, 1, s.failed, "exactly one call failed")
			require.Equal(t, 2, rounds, "its messages were redelivered once and stored")

			got, want := s.stored(), expected(evs)
			for k, v := range want {
				require.Equal(t, v, got[k], "%s after redelivery", k)
			}
			require.Equal(t, want, got)
		})
	}
}

// TestRedeliveryCountsEachEventOnce is a property test: random batches
// (pools, clients, types, minutes, latencies, duplicate deliveries), random
// limits, and calls that fail for good at random until the messages they
// fail have been redelivered often enough to get through. Whatever happens,
// CloudWatch ends with exactly one sample per event in each of its dimension
// sets, and every call respects the limits.
func TestRedeliveryCountsEachEventOnce(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 60
	}
	types := event.Types()
	for seed := range uint64(iterations) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		pools, clients, minutes := 1+r.IntN(4), r.IntN(5), 1+r.IntN(4)
		spread := 1 + r.IntN(400) // distinct latencies
		n := 1 + r.IntN(400)
		opts := Config{Now: fixed, MaxDatumsPerCall: 5 + r.IntN(60), MaxValuesPerDatum: 1 + r.IntN(150)}
		if r.IntN(2) == 0 {
			opts.MaxRequestBytes = 2_000 + r.IntN(30_000)
		}
		batch := 1 + r.IntN(n)
		pFail := r.Float64() * 0.6

		start := now.Add(-30 * time.Minute).Truncate(time.Minute)
		evs := make([]event.Event, n)
		msgs := make([]events.SQSMessage, n)
		for i := range n {
			client := ""
			if c := r.IntN(clients + 1); c > 0 {
				client = fmt.Sprintf("client%d", c)
			}
			evs[i] = ev(fmt.Sprintf("s%d-ev%d", seed, i), types[r.IntN(len(types))], fmt.Sprintf("pool%d", r.IntN(pools)), client,
				start.Add(time.Duration(r.IntN(minutes*60))*time.Second), float64(r.IntN(spread))+r.Float64())
			msgs[i] = sqstest.Raw(fmt.Sprintf("m%d", i), evs[i])
		}
		// SNS delivers some events twice, in the same batch (duplicates
		// across batches are not detected, by design).
		first := chunks(msgs, batch)
		for k, b := range first {
			b = slices.Clone(b)
			for i := range len(b) {
				if r.IntN(20) == 0 {
					e, _, err := event.FromSNS([]byte(b[i].Body))
					require.NoError(t, err)
					b = append(b, sqstest.Enveloped(fmt.Sprintf("dup-%s", b[i].MessageId), "sns", e))
				}
			}
			r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
			first[k] = b
		}

		failNow := true
		s := &store{fail: func(_ int, in *cw.PutMetricDataInput) error {
			checkLimits(t, opts, in)
			if failNow && r.Float64() < pFail {
				return &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "injected"}
			}
			return nil
		}}
		c := New(opts, s.put, nil)
		// Faults for 15 rounds, then CloudWatch heals so the test ends.
		deliver(t, c, first, batch, 20, func(round int) { failNow = round < 15 })
		require.Equal(t, expected(evs), s.stored(), "seed %d: %d events, opts %+v, batch %d, pFail %.2f, %d of %d calls failed",
			seed, n, opts, batch, pFail, s.failed, s.n)
	}
}

// checkLimits requires in to respect opts' limits, its size computed exactly.
func checkLimits(t *testing.T, opts Config, in *cw.PutMetricDataInput) {
	t.Helper()
	o := opts.withDefaults()
	require.LessOrEqual(t, len(in.MetricData), o.MaxDatumsPerCall)
	size := inputSize(*in.Namespace)
	for i, d := range in.MetricData {
		size += datumSize(&in.MetricData[i])
		require.LessOrEqual(t, len(d.Values), o.MaxValuesPerDatum)
		require.Len(t, d.Counts, len(d.Values))
	}
	require.LessOrEqual(t, size, o.MaxRequestBytes)
}
