package cloudwatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/event"
)

// counter is a PutMetricDataFunc that stores nothing and counts calls and
// the exact serialized request bytes (size.go, pinned to the SDK's CBOR by
// TestRequestSizeMatchesTheSDK).
type counter struct{ calls, bytes, datums int }

func (c *counter) put(_ context.Context, in *cw.PutMetricDataInput, _ ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
	c.calls++
	c.datums += len(in.MetricData)
	c.bytes += inputSize(*in.Namespace)
	for i := range in.MetricData {
		c.bytes += datumSize(&in.MetricData[i])
	}
	return &cw.PutMetricDataOutput{}, nil
}

// batches returns the k-th batch of n ordinary events, each batch one minute
// after the previous, ids unique across batches.
func batchOf(b *testing.B, k, n int) []events.SQSMessage {
	msgs := ordinary(b, n, now.Add(-3*time.Hour).Truncate(time.Minute).Add(time.Duration(k)*time.Minute))
	for i := range msgs {
		msgs[i].MessageId = fmt.Sprintf("b%d-%s", k, msgs[i].MessageId)
	}
	// ordinary's event ids repeat across batches; that is fine, each batch is
	// a separate invocation and dedupe is per batch.
	return msgs
}

// BenchmarkHandle measures a whole invocation on 10,000 ordinary events:
// decoding SNS envelopes and events, aggregating, packing, and one (counted,
// not sent) call. "aggregate" isolates aggregation and packing from JSON
// decoding; "aggregate-split" does the same for a group larger than a call.
func BenchmarkHandle(b *testing.B) {
	const n = 10_000
	msgs := batchOf(b, 0, n)
	b.Run("handle", func(b *testing.B) {
		var cnt counter
		c := New(Options{Now: fixed}, cnt.put, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Handle(b.Context(), events.SQSEvent{Records: msgs}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(cnt.calls)/float64(b.N), "calls/op")
	})
	b.Run("aggregate", func(b *testing.B) { benchAggregate(b, decodeAll(b, msgs), 1) })
	// The rare case: 10,000 events of one pool and minute from 1,000 app
	// clients need 4,008 datums, more than a call holds, so the group is
	// split by its messages into parts that are aggregated again: 5 calls,
	// the fewest 4,008 datums allow.
	b.Run("aggregate-split", func(b *testing.B) {
		at := now.Add(-time.Minute)
		// The six sign-up and sign-in types: the figure above counts their
		// datums (token and code events add other metrics).
		types := []event.Type{event.SignUpAccepted, event.SignUpRejected, event.UserConfirmed, event.PasswordReset, event.SignInAttempted, event.SignInSucceeded}
		dec := make([]eventT, n)
		for i := range dec {
			dec[i] = ev(fmt.Sprint(i), types[i%len(types)], "eu-west-1_big", fmt.Sprintf("client%03d", i%1000), at, float64(i%300))
		}
		benchAggregate(b, dec, 5)
	})
}

// benchAggregate aggregates and packs decoded events, which must make calls.
func benchAggregate(b *testing.B, dec []eventT, calls int) {
	c := New(Options{Now: fixed}, nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		agg := newAggregator(c.opts, now)
		for i := range dec {
			if err := agg.add(&dec[i], i); err != nil {
				b.Fatal(err)
			}
		}
		units, _ := agg.units(c.opts.limits())
		got := pack(c.opts.Namespace, units, c.opts.limits())
		if len(got) != calls {
			b.Fatalf("%d calls, want %d", len(got), calls)
		}
	}
	b.ReportMetric(float64(len(dec)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCalls compares PutMetricData calls and request bytes per op for
// 10,000 and 1,000,000 events (100 batches of 10,000, one minute apart), this
// consumer's aggregation against one call per event (each event handled
// alone, as a consumer without aggregation would).
func BenchmarkCalls(b *testing.B) {
	for _, size := range []struct {
		name    string
		batches int
	}{{"10k", 1}, {"1M", 100}} {
		for _, mode := range []string{"aggregated", "per-event"} {
			b.Run(size.name+"/"+mode, func(b *testing.B) {
				if size.batches > 1 && testing.Short() {
					b.Skip("1,000,000 events take about a minute; run without -short")
				}
				var cnt counter
				c := New(Options{Now: fixed}, cnt.put, nil)
				for b.Loop() {
					for k := range size.batches {
						b.StopTimer()
						msgs := batchOf(b, k, 10_000)
						b.StartTimer()
						if mode == "aggregated" {
							if resp, _ := c.Handle(b.Context(), events.SQSEvent{Records: msgs}); len(resp.BatchItemFailures) > 0 {
								b.Fatal(resp.BatchItemFailures)
							}
							continue
						}
						for i := range msgs {
							if resp, _ := c.Handle(b.Context(), events.SQSEvent{Records: msgs[i : i+1]}); len(resp.BatchItemFailures) > 0 {
								b.Fatal(resp.BatchItemFailures)
							}
						}
					}
				}
				b.ReportMetric(float64(cnt.calls)/float64(b.N), "calls/op")
				b.ReportMetric(float64(cnt.bytes)/float64(b.N), "request-bytes/op")
				b.ReportMetric(float64(cnt.datums)/float64(b.N), "datums/op")
			})
		}
	}
}

func decodeAll(b *testing.B, msgs []events.SQSMessage) []eventT {
	out := make([]eventT, 0, len(msgs))
	for _, m := range msgs {
		e, _, err := fromSNS([]byte(m.Body))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}
