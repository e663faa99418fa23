package dashboards

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/metricmath"
)

// publishedEvery is how often AWS publishes a datapoint in a namespace when
// it is coarser than a minute. Amazon Cognito's metrics, in AWS/Cognito and
// its quota usage in AWS/Usage, "are available at five minute intervals":
// https://docs.aws.amazon.com/cognito/latest/developerguide/tracking-quotas-and-usage-in-cloud-watch-and-service-quotas.html
var publishedEvery = map[string]time.Duration{NSCognito: 5 * time.Minute, NSUsage: 5 * time.Minute}

// point is one datapoint as CloudWatch stores it: the value published for
// the interval starting at t.
type point struct {
	t time.Time
	v float64
}

// evaluation is what an alarm computes for one period: a value, or missing.
type evaluation struct {
	v       float64
	missing bool
}

// periodValues aggregates each metric of a (all its metrics use Stat Sum,
// as the alarms this simulates do) into a's periods over [from, to) and
// applies its expression, with PERIOD(id) the alarm's period in seconds and
// SERVICE_QUOTA(id) quota, as CloudWatch metric math does.
func periodValues(t *testing.T, a Alarm, data map[string][]point, quota float64, from, to time.Time) []evaluation {
	t.Helper()
	period := time.Duration(a.Period) * time.Second
	require.Positive(t, period)
	fn := regexp.MustCompile(`\b(PERIOD|SERVICE_QUOTA)\((\w+)\)`)
	var out []evaluation
	for start := from; start.Before(to); start = start.Add(period) {
		sums := map[string]float64{}
		for _, m := range a.Metrics {
			require.Equal(t, "Sum", m.Stat, "%s: the simulation adds datapoints up", a.LogicalID)
			for _, p := range data[m.ID] {
				if !p.t.Before(start) && p.t.Before(start.Add(period)) {
					sums[m.ID] += p.v
				}
			}
		}
		if len(a.Exprs) == 0 {
			v, ok := sums[a.Metrics[0].ID]
			out = append(out, evaluation{v: v, missing: !ok})
			continue
		}
		var expr string
		for _, e := range a.Exprs {
			if e.ID == a.ReturnID {
				expr = e.Expression
			}
		}
		expr = fn.ReplaceAllStringFunc(expr, func(call string) string {
			if strings.HasPrefix(call, "PERIOD(") {
				return strconv.Itoa(a.Period)
			}
			return strconv.FormatFloat(quota, 'f', -1, 64)
		})
		v, ok, err := metricmath.Eval(expr, sums)
		require.NoError(t, err, a.LogicalID)
		out = append(out, evaluation{v: v, missing: !ok})
	}
	return out
}

// fires reports whether a goes to ALARM at the end of any period of vals:
// at least DatapointsToAlarm of the last EvaluationPeriods values breach,
// missing values counted as TreatMissingData says. See
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
func fires(t *testing.T, a Alarm, vals []evaluation) bool {
	t.Helper()
	require.Contains(t, []string{"notBreaching", "breaching"}, a.TreatMissingData, "%s: the simulation knows notBreaching and breaching", a.LogicalID)
	breaches := func(e evaluation) bool {
		if e.missing {
			return a.TreatMissingData == "breaching"
		}
		switch a.Comparison {
		case "GreaterThanThreshold":
			return e.v > a.Threshold
		case "GreaterThanOrEqualToThreshold":
			return e.v >= a.Threshold
		}
		t.Fatalf("%s: comparison %s not simulated", a.LogicalID, a.Comparison)
		return false
	}
	for end := a.EvaluationPeriods; end <= len(vals); end++ {
		n := 0
		for _, e := range vals[end-a.EvaluationPeriods : end] {
			if breaches(e) {
				n++
			}
		}
		if n >= a.DatapointsToAlarm {
			return true
		}
	}
	return false
}

// cognitoCalls is Cognito's CallCount as it publishes it: one datapoint
// every five minutes holding that interval's calls, at rate(i) requests per
// second for the i-th interval.
func cognitoCalls(from time.Time, intervals int, rate func(i int) float64) []point {
	var out []point
	for i := range intervals {
		out = append(out, point{t: from.Add(time.Duration(i) * 5 * time.Minute), v: rate(i) * 300})
	}
	return out
}

func quotaAlarms(t *testing.T) []Alarm {
	t.Helper()
	var out []Alarm
	for _, a := range Alarms() {
		if strings.HasPrefix(a.LogicalID, "Quota") {
			out = append(out, a)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// TestQuotaAlarmsFireOnFiveMinuteData feeds each Cognito quota alarm
// synthetic CallCount data at Cognito's five-minute granularity and checks
// that a sustained breach pages and ordinary load does not.
func TestQuotaAlarmsFireOnFiveMinuteData(t *testing.T) {
	t.Parallel()
	const quota = 120.0 // requests per second, the category's SERVICE_QUOTA
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const hour = 12 // five-minute intervals
	tests := []struct {
		name string
		rate func(i int) float64
		want bool
	}{
		{name: "sustained 90 % of the quota", rate: func(int) float64 { return 0.9 * quota }, want: true},
		{name: "breach from the middle of the hour on", rate: func(i int) float64 {
			if i >= 6 {
				return 0.95 * quota
			}
			return 0.2 * quota
		}, want: true},
		{name: "steady half of the quota", rate: func(int) float64 { return 0.5 * quota }, want: false},
		{name: "just under the threshold", rate: func(int) float64 { return 0.79 * quota }, want: false},
		{name: "one five-minute burst", rate: func(i int) float64 {
			if i == 4 {
				return 0.99 * quota
			}
			return 0.3 * quota
		}, want: false},
		{name: "no calls at all", rate: func(int) float64 { return 0 }, want: false},
	}
	for _, a := range quotaAlarms(t) {
		for _, tc := range tests {
			t.Run(a.LogicalID+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				data := map[string][]point{}
				for _, m := range a.Metrics {
					data[m.ID] = cognitoCalls(from, hour, tc.rate)
				}
				vals := periodValues(t, a, data, quota, from, from.Add(hour*5*time.Minute))
				require.Equal(t, tc.want, fires(t, a, vals), "values per period: %v", vals)
			})
		}
	}
}

// TestQuotaAlarmRateIsPerSecond checks the alarm's value on a five-minute
// datapoint: the rate is the interval's calls divided by the seconds of the
// period, as a percentage of the per-second quota.
func TestQuotaAlarmRateIsPerSecond(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, a := range quotaAlarms(t) {
		data := map[string][]point{}
		for _, m := range a.Metrics {
			data[m.ID] = cognitoCalls(from, 1, func(int) float64 { return 30 }) // 9,000 calls in five minutes
		}
		vals := periodValues(t, a, data, 120, from, from.Add(5*time.Minute))
		require.NotEmpty(t, vals)
		require.False(t, vals[0].missing, a.LogicalID)
		require.InDelta(t, 25.0, vals[0].v, 1e-9, "%s: 30 rps of a 120 rps quota is 25 %%", a.LogicalID)
	}
}

// TestAlarmsMatchPublishIntervals checks every alarm against how often its
// metrics are published: a period shorter than the interval puts a whole
// interval's datapoint into one period and leaves the others empty, so the
// rate is overstated and M-of-N rules cannot be met.
func TestAlarmsMatchPublishIntervals(t *testing.T) {
	t.Parallel()
	for _, a := range Alarms() {
		for _, m := range a.Metrics {
			every, ok := publishedEvery[m.Namespace]
			if !ok {
				continue
			}
			t.Run(a.LogicalID, func(t *testing.T) {
				p := time.Duration(a.Period) * time.Second
				require.GreaterOrEqual(t, p, every, "period of %s/%s", m.Namespace, m.Name)
				require.Zero(t, p%every, "period of %s/%s is a multiple of %s", m.Namespace, m.Name, every)
				window := time.Duration(a.EvaluationPeriods) * p
				require.GreaterOrEqual(t, int(window/every), a.DatapointsToAlarm,
					"%s: %d of %d periods must breach, but its metrics give %d datapoints in that window",
					a.LogicalID, a.DatapointsToAlarm, a.EvaluationPeriods, int(window/every))
			})
		}
	}
}

func TestAlarmSimulationCatchesBadRules(t *testing.T) {
	t.Parallel()
	// The evaluation above is worth something only if a badly tuned alarm
	// fails it: one-minute periods on five-minute data never fire.
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := quotaAlarms(t)[0]
	a.Period, a.EvaluationPeriods, a.DatapointsToAlarm = 60, 5, 3
	data := map[string][]point{}
	for _, m := range a.Metrics {
		data[m.ID] = cognitoCalls(from, 12, func(int) float64 { return 119 })
	}
	vals := periodValues(t, a, data, 120, from, from.Add(time.Hour))
	require.False(t, fires(t, a, vals), "one datapoint in five one-minute periods cannot meet 3 of 5")
	// And one-minute periods with 1 of 1 page on half the quota: the five
	// minutes' calls land in one minute, five times the real rate.
	a.EvaluationPeriods, a.DatapointsToAlarm = 1, 1
	data = map[string][]point{}
	for _, m := range a.Metrics {
		data[m.ID] = cognitoCalls(from, 12, func(int) float64 { return 60 })
	}
	vals = periodValues(t, a, data, 120, from, from.Add(time.Hour))
	require.True(t, fires(t, a, vals), "%v", vals)
	require.InDelta(t, 250.0, vals[0].v, 1e-9, "50 %% of the quota reads as 250 %%")
}
