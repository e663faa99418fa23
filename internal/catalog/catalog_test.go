package catalog

import (
	"testing"

	"github.com/cogwatch/cogwatch/event"
	"github.com/stretchr/testify/require"
)

func TestEveryEventTypeHasACountMetric(t *testing.T) {
	for _, typ := range event.Types() {
		name := ForEvent(typ)
		require.NotEmpty(t, name, typ)
		m, ok := ByName(name)
		require.True(t, ok, name)
		require.Equal(t, Count, m.Unit)
	}
	require.Empty(t, ForEvent("cogwatch.unknown"))
}

func TestMetricNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Metrics {
		require.False(t, seen[m.Name], "duplicate %s", m.Name)
		seen[m.Name] = true
		require.NotEmpty(t, m.Dimensions, m.Name)
		require.NotEmpty(t, m.Emitters, m.Name)
	}
}
