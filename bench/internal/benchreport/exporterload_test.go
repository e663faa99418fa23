package benchreport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExporterBench runs a tiny load: every notification must be answered
// 200 by both receivers and create one series each.
func TestExporterBench(t *testing.T) {
	loads, scrapes, err := ExporterBench(t.Context(), ExporterConfig{Pools: 2, Clients: 5, Workers: 2, MaxTime: 20 * time.Second, Scrapes: 2})
	require.NoError(t, err)
	require.Len(t, loads, 2)
	for _, l := range loads {
		require.Equal(t, 50, l.OK)
		require.Positive(t, l.P99)
	}
	require.Len(t, scrapes, 2)
	for _, s := range scrapes {
		require.Equal(t, 50, s.Series, s.Name)
	}
}
