package dashboards

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// TestMigrationCrashAlarm feeds the migration-crash alarm synthetic
// MigrationFailures over two hours, per minute and by reason, as the wrapped
// migration trigger writes them: it pages on a burst of panics, of time-outs
// or of both, and stays quiet on rejections (unknown users, wrong
// passwords: a migration's normal "no"), a stray crash, and no migration.
func TestMigrationCrashAlarm(t *testing.T) {
	t.Parallel()
	var a Alarm
	for _, al := range Alarms() {
		if al.LogicalID == "MigrationCrashAlarm" {
			a = al
		}
	}
	require.NotEmpty(t, a.Metrics, "no MigrationCrashAlarm")
	reasonOf := map[string]string{}
	for _, m := range a.Metrics {
		require.Equal(t, catalog.MigrationFailures, m.Name)
		for _, d := range m.Dims {
			if d.Name == catalog.DimReason {
				reasonOf[m.ID] = d.Value
			}
		}
	}
	require.ElementsMatch(t, []string{event.ReasonMigrationPanic, event.ReasonMigrationTimeout}, []string{reasonOf["m1"], reasonOf["m2"]})

	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const minutes = 120
	type perMinute map[string]float64 // reason → failures in the minute
	tests := []struct {
		name     string
		failures func(minute int) perMinute
		want     bool
	}{
		{name: "no migration", failures: func(int) perMinute { return nil }, want: false},
		{name: "rejections only, many", failures: func(int) perMinute { return perMinute{event.ReasonMigrationRejected: 30} }, want: false},
		{name: "a stray panic every 20 minutes", failures: func(i int) perMinute {
			if i%20 == 0 {
				return perMinute{event.ReasonMigrationRejected: 3, event.ReasonMigrationPanic: 1}
			}
			return perMinute{event.ReasonMigrationRejected: 3}
		}, want: false},
		{name: "panics after a deploy", failures: func(i int) perMinute {
			if i >= 60 {
				return perMinute{event.ReasonMigrationPanic: 2}
			}
			return nil
		}, want: true},
		{name: "the old directory slows down", failures: func(i int) perMinute {
			if i >= 30 && i < 35 {
				return perMinute{event.ReasonMigrationTimeout: 1}
			}
			return nil
		}, want: true},
		{name: "two panics and two time-outs in 5 minutes", failures: func(i int) perMinute {
			switch i {
			case 40:
				return perMinute{event.ReasonMigrationPanic: 2}
			case 42:
				return perMinute{event.ReasonMigrationTimeout: 2}
			}
			return nil
		}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := map[string][]point{}
			for i := range minutes {
				at := from.Add(time.Duration(i) * time.Minute)
				for id, reason := range reasonOf {
					if v, ok := tc.failures(i)[reason]; ok {
						data[id] = append(data[id], point{t: at, v: v})
					}
				}
			}
			vals := periodValues(t, a, data, 0, from, from.Add(minutes*time.Minute))
			require.Equal(t, tc.want, fires(t, a, vals), "values per period: %v", vals)
		})
	}
}
