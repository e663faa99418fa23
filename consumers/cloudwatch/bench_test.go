package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
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
		c := New(Config{Now: fixed}, cnt.put, nil)
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
	c := New(Config{Now: fixed}, nil, nil)
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
				c := New(Config{Now: fixed}, cnt.put, nil)
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

// BenchmarkBatch is the whole path of an ordinary invocation, the figure by
// which event's decoding was chosen (docs/event.md): a batch of 10 SQS
// records, each an SNS Notification as SNS delivers it to a queue without
// raw delivery (signature, URLs and message attributes included), decoded,
// deduplicated, aggregated into datums and put in one call, to an
// in-process stand-in and through the real SDK client to a loopback server.
func BenchmarkBatch(b *testing.B) {
	const n = 10
	msgs := ordinary(b, n, now.Add(-time.Hour).Truncate(time.Minute))
	for i := range msgs {
		e, _, err := event.FromSNS([]byte(msgs[i].Body))
		if err != nil {
			b.Fatal(err)
		}
		body, err := event.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i].Body = string(snsNotification(b, fmt.Sprintf("sns-%d", i), body, e))
	}
	f := newFakeCloudWatch(b)
	client := f.client()
	var cnt counter
	for _, put := range []struct {
		name string
		put  PutMetricDataFunc
	}{{"stand-in", cnt.put}, {"sdk-loopback", client.PutMetricData}} {
		b.Run(put.name, func(b *testing.B) {
			c := New(Config{Now: fixed}, put.put, nil)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				resp, err := c.Handle(b.Context(), events.SQSEvent{Records: msgs})
				if err != nil || len(resp.BatchItemFailures) != 0 {
					b.Fatal(err, resp.BatchItemFailures)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time of the process, all threads (the garbage
// collector's too): a figure that other processes on the machine move less
// than the wall time of ns/op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// snsNotification is the body SNS writes to a queue for a published event.
func snsNotification(b *testing.B, id string, body []byte, e event.Event) []byte {
	attrs := map[string]map[string]string{}
	for k, v := range e.Attributes() {
		attrs[k] = map[string]string{"Type": "String", "Value": v}
	}
	env, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-" + id,
		"TopicArn": "arn:aws:sns:eu-west-1:123456789012:user-events", "Message": string(body),
		"Timestamp": e.Time.Format(time.RFC3339Nano), "SignatureVersion": "1",
		"Signature":         strings.Repeat("EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQ=", 4),
		"SigningCertURL":    "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
		"UnsubscribeURL":    "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:user-events:0a1b2c3d",
		"MessageAttributes": attrs,
	})
	if err != nil {
		b.Fatal(err)
	}
	return env
}
