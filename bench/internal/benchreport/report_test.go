package benchreport

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestReportWrite renders a report from synthetic figures and checks the
// ratios the summary quotes.
func TestReportWrite(t *testing.T) {
	res := Results{}
	require.NoError(t, res.Parse(strings.NewReader(`
BenchmarkTriggerDocument/cogwatch-2 1 1000 ns/op 100 B/op 1 allocs/op
BenchmarkTriggerDocument/prozz-2 1 4000 ns/op 400 B/op 32 allocs/op
`), "emf."))
	require.NoError(t, res.Parse(strings.NewReader(`
BenchmarkHandle/handle-2 1 25000000 ns/op 400000 events/s 1 calls/op
BenchmarkHandle/aggregate-2 1 5000000 ns/op 2000000 events/s
BenchmarkCalls/10k/aggregated-2 1 250000000 ns/op 1 calls/op 60000 request-bytes/op 114 datums/op
BenchmarkCalls/10k/per-event-2 1 500000000 ns/op 10000 calls/op 6000000 request-bytes/op 40000 datums/op
`), "cloudwatch."))
	require.NoError(t, res.Parse(strings.NewReader(`
BenchmarkLookup/cogwatch/hit-2 1 200 ns/op 0 B/op 0 allocs/op
BenchmarkLookup/slice-scan/hit-2 1 200000 ns/op 0 B/op 0 allocs/op
BenchmarkLookup/map/hit-2 1 20 ns/op 0 B/op 0 allocs/op
BenchmarkLoad/cogwatch-2 1 1000 ns/op 1000 B/op 5 allocs/op
BenchmarkLoad/slice-2 1 2000000 ns/op 2000000 B/op 1 allocs/op
BenchmarkLoad/map-2 1 8000000 ns/op 9000000 B/op 500 allocs/op
`), "disposable."))
	sample := func(first time.Duration) []Sample {
		return []Sample{{FirstAnswer: first, WarmCPU: first / 20, WarmWall: first / 10, MaxRSS: 20 << 20}}
	}
	r := &Report{
		Command: "make bench", ColdRuns: 1, Warm: 10, Go: res,
		Machine: Machine{CPU: "test", CPUs: 2, Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		Cold: []ColdResult{
			{Trigger: "presignup", Runtime: "go", Samples: sample(5 * time.Millisecond), Size: 10 << 20},
			{Trigger: "presignup", Runtime: "python", Samples: sample(150 * time.Millisecond)},
			{Trigger: "presignup", Runtime: "node", Samples: sample(200 * time.Millisecond), Size: 5 << 20},
		},
		Loads: []LoadResult{{Name: "ours", Sent: 10, OK: 10, Elapsed: time.Second, P99: 2 * time.Millisecond, CPU: 90 * time.Microsecond}, {Name: "alt", Sent: 10, OK: 10, Elapsed: time.Second / 2, P99: time.Millisecond, CPU: 50 * time.Microsecond}},
		Wire: []WireSize{
			{Invocation: "sign-in attempted", SNSEMF: 500, SNSMessage: 600, SNSAttributes: 100, LogEMF: 400, LogEvent: 600},
			{Invocation: "sign-in succeeded", SNSEMF: 500, SNSMessage: 600, SNSAttributes: 100, LogEMF: 400, LogEvent: 600},
		},
		Scrapes: []ScrapeResult{{Name: "ours", Series: 10000, Lines: 11000, Bytes: 1 << 20, Median: 50 * time.Millisecond, Scrapes: 3}, {Name: "alt", Series: 10000, Lines: 10000, Bytes: 1 << 20, Median: 40 * time.Millisecond, Scrapes: 3}},
	}
	var b strings.Builder
	require.NoError(t, r.Write(&b))
	out := b.String()
	for _, want := range []string{
		"| CPUs (nproc) | 2 |",
		"| presignup | python | 150.0 ms | 150.0 ms |",
		"| 30.0× |", // python vs go
		"Go is at least 30× faster than the same job in Python",
		"Go is at least 40× faster than the same job in Node.js",
		"cogwatch's writer 4.0× faster than prozz, 32.0× fewer allocations",
		"1 PutMetricData call(s) instead of 10.0 k (10000.0× fewer), 100.0× fewer request bytes",
		"is slower than the trusting receiver",
		"Aggregation is also faster per event (2.0× the events per second at 10,000 events",
		"+40 µs",
		"at least 1000× the lookups per second of a scanned list",
		"A map answers a lookup faster (20 ns against 200 ns)",
		"| sign-in attempted | 500 B | 600 + 100 B | 400 B | 600 B |",
		// Priced by hand in TestPerMillion.
		"Cost per million sign-ins (us-east-1 prices of 2026-12-03, bytes measured): SNS sink $2.03, log sink $1.63, one PutMetricData per event $20.53, Cognito's Plus log export $501.00.",
	} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "LargeDocument: cogwatch's writer", "no ratio for what was not measured")
}
