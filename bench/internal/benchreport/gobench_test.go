package benchreport

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	out := `goos: linux
pkg: github.com/cogwatch/cogwatch/emf
BenchmarkTriggerDocument/cogwatch-2         	  612345	      1953 ns/op	     512 B/op	       3 allocs/op
BenchmarkTriggerDocument/cogwatch-2         	  612345	      1853 ns/op	     512 B/op	       3 allocs/op
BenchmarkTriggerDocument/cogwatch-2         	  612345	      2053 ns/op	     512 B/op	       3 allocs/op
BenchmarkCalls/10k/aggregated-2         	       1	 268591952 ns/op	         1.000 calls/op	       114.0 datums/op
BenchmarkNoProcs 10 5 ns/op
--- BENCH: BenchmarkX
PASS
ok  	github.com/cogwatch/cogwatch/emf	3.1s
`
	r := Results{}
	require.NoError(t, r.Parse(strings.NewReader(out), "emf."))
	require.Len(t, r, 3)
	v, ok := r.Median("emf.BenchmarkTriggerDocument/cogwatch", "ns/op")
	require.True(t, ok)
	require.Equal(t, 1953.0, v)
	require.Equal(t, []float64{3, 3, 3}, r["emf.BenchmarkTriggerDocument/cogwatch"]["allocs/op"])
	v, _ = r.Median("emf.BenchmarkCalls/10k/aggregated", "calls/op")
	require.Equal(t, 1.0, v)
	_, ok = r.Median("emf.BenchmarkCalls/10k/aggregated", "B/op")
	require.False(t, ok)
	v, _ = r.Median("emf.BenchmarkNoProcs", "ns/op")
	require.Equal(t, 5.0, v)
}

func TestParseRejectsBadNumbers(t *testing.T) {
	require.ErrorContains(t, Results{}.Parse(strings.NewReader("BenchmarkA-2 1 x ns/op\n"), ""), `"x" is not a number`)
}

func TestPercentile(t *testing.T) {
	xs := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	require.Equal(t, 5.0, Median(xs))
	require.Equal(t, 9.0, Percentile(xs, 90))
	require.Equal(t, 10.0, Percentile(xs, 99))
	require.Equal(t, 1.0, Percentile(xs, 0))
	require.True(t, Median(nil) != Median(nil)) // NaN
}
