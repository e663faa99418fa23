package eventbridge

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// BenchmarkHandle forwards a batch of 10,000 events (the largest SQS batch a
// Lambda receives) to a PutEvents double that accepts everything, and
// reports events per second and calls per batch: 10 entries per call, so
// 1,000 calls, against 10,000 for one call per event.
func BenchmarkHandle(b *testing.B) {
	msgs := batch(10_000)
	var calls, entries int
	put := func(_ context.Context, in *eb.PutEventsInput, _ ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
		calls++
		entries += len(in.Entries)
		out := &eb.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
		for i := range out.Entries {
			out.Entries[i].EventId = ptr("id")
		}
		return out, nil
	}
	c := New(Config{}, put, nil)
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := c.Handle(b.Context(), events.SQSEvent{Records: msgs}); len(resp.BatchItemFailures) > 0 {
			b.Fatal(resp.BatchItemFailures)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}
