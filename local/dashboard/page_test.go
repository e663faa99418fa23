package dashboard

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fill writes sign-in traffic as the triggers do (EMF lines through the
// project's own writer) into store: per 10 s step i, attempts 10+i, successes
// 8+i, latencies and rejections by two reasons.
func fill(t testing.TB, store *Store, steps int, now func() time.Time) {
	t.Helper()
	var at time.Time
	w := emf.NewWriter(store, emf.Options{Namespace: catalog.Namespace,
		DimensionSets: [][]string{{catalog.DimUserPoolID}, {catalog.DimUserPoolID, catalog.DimClientID}},
		Now:           func() time.Time { return at }})
	require.NoError(t, w.Err())
	put := func(name string, v float64, unit emf.Unit) {
		m := w.New()
		m.SetDimension(catalog.DimUserPoolID, "local_pool")
		m.SetDimension(catalog.DimClientID, "client1")
		require.NoError(t, m.Put(name, v, unit))
		require.NoError(t, m.Flush())
	}
	for i := range steps {
		at = now().Add(-time.Duration(steps-i) * 10 * time.Second).Add(time.Second)
		for range 10 + i {
			put(catalog.SignInAttempted, 1, emf.Count)
		}
		for k := range 8 + i {
			put(catalog.SignInSucceeded, 1, emf.Count)
			put(catalog.TriggerLatency, float64(20+k), emf.Milliseconds)
		}
		put(catalog.SignUpAccepted, 3, emf.Count)
		put(catalog.UserConfirmed, 2, emf.Count)
		for j, reason := range []string{"disposable_domain", "invalid_email"} {
			m := w.New()
			m.SetDimension(catalog.DimUserPoolID, "local_pool")
			m.SetDimension(catalog.DimReason, reason)
			require.NoError(t, m.PutWithDimensions(catalog.SignUpRejected, float64(1+j), emf.Count,
				[]string{catalog.DimUserPoolID}, []string{catalog.DimUserPoolID, catalog.DimReason}))
			require.NoError(t, m.Flush())
		}
	}
}

func TestStoreReadsEMFAsCloudWatchWould(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return t0 }
	store := NewStore(now, time.Hour)
	fill(t, store, 3, now)
	// A plain log line, a line split over two writes, a broken EMF line.
	_, _ = io.WriteString(store, `{"level":"INFO","message":"hello"}`+"\n")
	line := fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"]],"Metrics":[{"Name":"PasswordReset","Unit":"Count"}]}]},"UserPoolId":"local_pool","PasswordReset":[1,1,1]}`,
		t0.Add(-5*time.Second).UnixMilli())
	_, _ = io.WriteString(store, line[:40])
	_, _ = io.WriteString(store, line[40:]+"\n")
	_, _ = io.WriteString(store, `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Metrics":[{"Name":"X"}]}]}}`+"\n")
	require.Equal(t, 1, store.Rejected(), "the EMF line without a value is rejected, the plain log line is not")

	q := func(name string, schema []string, groupBy []string, stat string) []Series {
		ss, err := store.Query(t.Context(), Query{Namespace: catalog.Namespace, Name: name, Schema: schema,
			Filters: []dashboards.Dim{{Name: catalog.DimUserPoolID, Value: "local_pool"}}, GroupBy: groupBy, Stat: stat,
			Since: t0.Add(-30 * time.Second), Step: 10 * time.Second})
		require.NoError(t, err)
		return ss
	}
	pool := []string{catalog.DimUserPoolID}
	got := q(catalog.SignInAttempted, pool, nil, "Sum")
	require.Len(t, got, 1)
	require.Equal(t, []float64{10, 11, 12}, values(got[0]), "one point per step, none yet for the step under way; the [UserPoolId, ClientId] copies are another metric")
	require.Equal(t, []float64{0, 0, 3}, values(q(catalog.PasswordReset, pool, nil, "Sum")[0]), "the split line counts, its three values too")
	require.Equal(t, []float64{27, 28, 29}, values(q(catalog.TriggerLatency, pool, nil, "Maximum")[0]))
	require.Equal(t, []float64{27, 28, 29}, values(q(catalog.TriggerLatency, pool, nil, "p99")[0]))
	require.Equal(t, []float64{20, 20, 20}, values(q(catalog.TriggerLatency, pool, nil, "Minimum")[0]))
	byReason := q(catalog.SignUpRejected, []string{catalog.DimUserPoolID, catalog.DimReason}, []string{catalog.DimReason}, "Sum")
	require.Len(t, byReason, 2)
	require.Equal(t, "disposable_domain", byReason[0].Label)
	require.Equal(t, []float64{1, 1, 1}, values(byReason[0]))
	require.Equal(t, []float64{2, 2, 2}, values(byReason[1]))
	_, err := store.Query(t.Context(), Query{Stat: "p101", Step: time.Second, Since: t0.Add(-time.Second), Namespace: catalog.Namespace,
		Name: catalog.TriggerLatency, Schema: pool})
	require.ErrorContains(t, err, "unknown statistic")
}

func values(s Series) []float64 {
	out := make([]float64, len(s.Points))
	for i, p := range s.Points {
		out[i] = p.V
	}
	return out
}

func TestStoreRetention(t *testing.T) {
	t.Parallel()
	now := t0
	store := NewStore(func() time.Time { return now }, time.Minute)
	store.Add("Cogwatch", "X", nil, t0.Add(-2*time.Minute), 1)
	store.Add("Cogwatch", "X", nil, t0, 2)
	store.Add("Cogwatch", "X", nil, t0, math.NaN())
	ss, err := store.Query(t.Context(), Query{Namespace: "Cogwatch", Name: "X", Stat: "SampleCount", Since: t0.Add(-3 * time.Minute), Step: time.Minute})
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0, 0, 1}, values(ss[0]), "the old sample and the NaN are gone")
}

func TestSnapshot(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return t0 }
	store := NewStore(now, time.Hour)
	fill(t, store, 6, now)
	snap, err := Snapshot(t.Context(), store, dashboards.Params{"UserPool": "local_pool"}, dashboards.Detail(), t0, time.Minute, 10*time.Second)
	require.NoError(t, err)
	require.Len(t, snap.Widgets, len(dashboards.Detail().Widgets))
	byTitle := map[string]LocalWidget{}
	for _, w := range snap.Widgets {
		byTitle[w.Title] = w
	}
	signIns := byTitle["Sign-ins: attempted, succeeded, failed"]
	require.Len(t, signIns.Series, 3)
	require.Equal(t, "failed", signIns.Series[2].Label)
	require.Equal(t, []float64{2, 2, 2, 2, 2, 2}, values(signIns.Series[2]), "attempted - succeeded per step")
	ratio := byTitle["Failed sign-in ratio"]
	require.Len(t, ratio.Series, 1, "only the expression is drawn; m1 and m2 are hidden")
	require.InDelta(t, 100*2.0/15, ratio.Series[0].Points[len(ratio.Series[0].Points)-1].V, 1e-9)
	require.Contains(t, byTitle["Cognito quota use (AWS/Usage)"].Note, "CloudWatch only")

	// Legends: counts give their total over the window (the sum of the
	// points drawn), other lines their last value.
	require.Equal(t, Series{Label: "attempted", Legend: "total", Value: 10 + 11 + 12 + 13 + 14 + 15}, withoutPoints(signIns.Series[0]))
	require.Equal(t, "total", signIns.Series[2].Legend, "metric math in a widget of counts is a count")
	require.Equal(t, 12.0, signIns.Series[2].Value)
	require.Equal(t, "last", ratio.Series[0].Legend)
	require.InDelta(t, 100*2.0/15, ratio.Series[0].Value, 1e-9)
	latency := byTitle["Trigger duration p50 / p99 against Cognito's 5-second limit"].Series
	require.Len(t, latency, 1, "no AWS/Lambda samples here: only cogwatch's own")
	require.Equal(t, "cogwatch TriggerLatency p99", latency[0].Label, "a label that names its percentile keeps it")
	require.Equal(t, "last", latency[0].Legend)
	require.Equal(t, 20.0+7+5, latency[0].Value, "p99 of the last step's 13 latencies, 20 to 32 ms")
	require.Len(t, byTitle["Rejected sign-ups by reason"].Series, 2)
	require.Equal(t, "no local data yet for these metrics", byTitle["DLQ depth"].Note)
}

func withoutPoints(s Series) Series {
	s.Points = nil
	return s
}

// TestSnapshotNamesPercentiles: one function's p50 and p99 lines are told
// apart by their labels, and their legends give their last values.
func TestSnapshotNamesPercentiles(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return t0 }
	store := NewStore(now, time.Hour)
	for i, ms := range []float64{10, 20, 30, 40, 400} {
		store.Add(dashboards.NSLambda, "Duration", map[string]string{"FunctionName": "PreSignUpFunction"}, t0.Add(-time.Duration(15-i)*time.Second), ms)
	}
	params := dashboards.Params{}
	for _, f := range dashboards.Functions {
		params[f.LogicalID] = f.LogicalID
	}
	snap, err := Snapshot(t.Context(), store, params, dashboards.Detail(), t0, time.Minute, 10*time.Second)
	require.NoError(t, err)
	var got []Series
	for _, w := range snap.Widgets {
		if strings.HasPrefix(w.Title, "Trigger duration") {
			for _, s := range w.Series {
				got = append(got, withoutPoints(s))
			}
		}
	}
	require.Equal(t, []Series{
		{Label: "presignup p50", Legend: "last", Value: 30},
		{Label: "presignup p99", Legend: "last", Value: 400},
	}, got, "the last step holds 20, 30, 40 and 400 ms")
}

// TestWindow: the page's window fits the data the store holds.
func TestWindow(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return t0 }
	step, span := 10*time.Second, 15*time.Minute
	store := NewStore(now, time.Hour)
	require.Equal(t, MinWindow, Window(store, t0, span, step), "nothing yet")
	store.Add(dashboards.NSLambda, "Invocations", nil, t0.Add(-20*time.Second), 1)
	require.Equal(t, MinWindow, Window(store, t0, span, step), "never under a minute")
	store.Add(dashboards.NSLambda, "Invocations", nil, t0.Add(-2*time.Minute), 1)
	require.Equal(t, 2*time.Minute+step, Window(store, t0, span, step), "a stack up for 2 minutes")
	store.Add(dashboards.NSLambda, "Invocations", nil, t0.Add(-40*time.Minute), 1)
	require.Equal(t, span, Window(store, t0, span, step), "at most the span asked for")
	snap, err := Snapshot(t.Context(), store, nil, dashboards.Detail(), t0, Window(store, t0, 3*time.Minute, step), step)
	require.NoError(t, err)
	require.LessOrEqual(t, snap.Since, t0.Add(-3*time.Minute).UnixMilli())
}

func TestLocalPageHTTP(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return t0 }
	store := NewStore(now, time.Hour)
	fill(t, store, 3, now)
	srv := httptest.NewServer(http.StripPrefix("/dashboard", LocalPage(store, dashboards.Params{"UserPool": "local_pool"}, now)))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/dashboard/")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	for _, external := range []string{`src="http`, `href="http`, "@import", "cdn"} {
		require.NotContains(t, strings.ToLower(string(page)), external, "the page is self-contained")
	}

	resp, err = http.Get(srv.URL + "/dashboard/series?minutes=1&step=10")
	require.NoError(t, err)
	var snap LocalSnapshot
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&snap))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, "detail", snap.Dashboard)
	require.Equal(t, int64(10_000), snap.StepMs)
	require.NotEmpty(t, snap.Widgets[0].Series)

	// 30 seconds of data: a minute's window, not the 15 minutes asked for.
	resp, err = http.Get(srv.URL + "/dashboard/series?minutes=15&step=10")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&snap))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, t0.Add(-MinWindow).UnixMilli(), snap.Since)
	accepted := func(snap LocalSnapshot) float64 {
		for _, s := range snap.Widgets[0].Series {
			if s.Label == "accepted" {
				return s.Value
			}
		}
		return -1
	}
	require.Equal(t, 9.0, accepted(snap), "3 steps of 3 sign-ups")

	// As of an earlier moment: what the page drew then, nothing later.
	then := t0.Add(-20 * time.Second)
	resp, err = http.Get(fmt.Sprintf("%s/dashboard/series?minutes=15&step=10&now=%d", srv.URL, then.UnixMilli()))
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&snap))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, then.UnixMilli(), snap.Now)
	require.Equal(t, 3.0, accepted(snap), "only the step written before then")
	resp, err = http.Get(fmt.Sprintf("%s/dashboard/series?now=%d", srv.URL, t0.Add(time.Hour).UnixMilli()))
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&snap))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, t0.UnixMilli(), snap.Now, "never later than now")

	resp, err = http.Post(srv.URL+"/dashboard/series", "text/plain", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func FuzzStoreWrite(f *testing.F) {
	f.Add([]byte(`{"_aws":{"Timestamp":1764072000000,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"]],"Metrics":[{"Name":"SignInAttempted","Unit":"Count"}]}]},"UserPoolId":"p","SignInAttempted":[1,2]}` + "\n"))
	f.Add([]byte(`{"_aws":{"Timestamp":1764072000000,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"X"}]}]},"X":"1"}` + "\n"))
	f.Add([]byte("not json\n{\"level\":\"INFO\"}\n"))
	f.Add([]byte(`{"_aws":{"Timestamp":1764072000000,"CloudWatchMetrics":[{"Namespace":"","Metrics":[]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		now := func() time.Time { return time.UnixMilli(1764072000000) }
		store := NewStore(now, time.Hour)
		n, err := store.Write(data)
		require.NoError(t, err, "Write never fails: it sits beside stdout")
		require.Equal(t, len(data), n)
		_, _ = store.Write([]byte("\n"))
		// Whatever was stored answers queries without error.
		for _, sm := range store.samples {
			require.False(t, math.IsNaN(sm.v) || math.IsInf(sm.v, 0))
			keys := make([]string, 0, len(sm.dims))
			for k := range sm.dims {
				keys = append(keys, k)
			}
			_, err := store.Query(t.Context(), Query{Namespace: sm.ns, Name: sm.name, Schema: keys, Stat: "p50",
				Since: now().Add(-time.Hour), Step: time.Minute})
			require.NoError(t, err)
		}
	})
}

func TestStoreAddMetricData(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return t0 }
	store := NewStore(now, time.Hour)
	name, pool := catalog.SignInSucceeded, catalog.DimUserPoolID
	at := t0.Add(-15 * time.Second)
	store.AddMetricData(&cloudwatch.PutMetricDataInput{
		Namespace: aws.String(catalog.DeliveredNamespace),
		MetricData: []types.MetricDatum{
			{MetricName: &name, Dimensions: []types.Dimension{{Name: &pool, Value: aws.String("local_pool")}},
				Timestamp: &at, Values: []float64{1}, Counts: []float64{4}},
			{MetricName: &name, Dimensions: []types.Dimension{{Name: &pool, Value: aws.String("local_pool")}},
				Timestamp: &at, Value: aws.Float64(1)},
			{MetricName: &name, Dimensions: []types.Dimension{{Name: &pool, Value: aws.String("local_pool")}},
				Timestamp: &at, StatisticValues: &types.StatisticSet{Sum: aws.Float64(5), SampleCount: aws.Float64(5),
					Minimum: aws.Float64(1), Maximum: aws.Float64(1)}},
			{Dimensions: []types.Dimension{{Name: &pool, Value: aws.String("ignored: no metric name")}}, Value: aws.Float64(9)},
		},
	})
	store.AddMetricData(nil)
	ss, err := store.Query(t.Context(), Query{Namespace: catalog.DeliveredNamespace, Name: name, Schema: []string{pool},
		Stat: "Sum", Since: t0.Add(-20 * time.Second), Step: 10 * time.Second})
	require.NoError(t, err)
	require.Len(t, ss, 1)
	require.Equal(t, []float64{10, 0}, values(ss[0]), "4 + 1 + 5 in the step of the timestamp, 0 in the next")
}
