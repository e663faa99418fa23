package emf_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHotPathAllocations pins the allocations of a trigger's invocation:
// New allocates the Metrics; dimensions, three metrics and the flush of
// one line allocate nothing more.
func TestHotPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	w := newBenchWriter(io.Discard)
	writeOurs(w) // warm the buffer pool
	got := testing.AllocsPerRun(200, func() { writeOurs(w) })
	require.LessOrEqual(t, got, 1.0)
}
