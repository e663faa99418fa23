package cloudwatch

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/catalog"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "default", env: nil, want: catalog.DeliveredNamespace},
		{name: "override", env: map[string]string{EnvNamespace: "MyApp/Users"}, want: "MyApp/Users"},
		{name: "powertools namespace is not read", env: map[string]string{"POWERTOOLS_METRICS_NAMESPACE": "Cogwatch"}, want: catalog.DeliveredNamespace},
		{name: "the triggers' namespace would double count", env: map[string]string{EnvNamespace: "Cogwatch"},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace "Cogwatch" is where the triggers' EMF already writes these metrics; the consumer's copy would count every event twice`},
		{name: "reserved prefix", env: map[string]string{EnvNamespace: "AWS/Cognito"},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace "AWS/Cognito" starts with AWS/, which is reserved`},
		{name: "too long", env: map[string]string{EnvNamespace: strings.Repeat("n", 256)},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace longer than 255 characters`},
		{name: "control character", env: map[string]string{EnvNamespace: "a\tb"},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace "a\tb" has a character that is not printable ASCII`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Load(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, o.Namespace)
		})
	}
}

func TestZeroOptionsTakeTheDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	require.Equal(t, DefaultOptions.Namespace, o.Namespace)
	require.Equal(t, 1000, o.MaxDatumsPerCall)
	require.Equal(t, 150, o.MaxValuesPerDatum)
	require.Equal(t, MaxRequestBytes, o.MaxRequestBytes)
	require.Equal(t, DefaultOptions.Retry, o.Retry)
	// Limits above the service's are clamped to it.
	o = Options{MaxDatumsPerCall: 5000, MaxValuesPerDatum: 1000, MaxRequestBytes: 1 << 30}.withDefaults()
	require.Equal(t, 1000, o.MaxDatumsPerCall)
	require.Equal(t, 150, o.MaxValuesPerDatum)
	require.Equal(t, MaxRequestBytes, o.MaxRequestBytes)
}

func TestRecordToAndSummarize(t *testing.T) {
	var buf bytes.Buffer
	put := RecordTo(&buf)
	ts := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	name, ns := catalog.SignInSucceeded, catalog.DeliveredNamespace
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			in := &cw.PutMetricDataInput{Namespace: &ns, MetricData: []types.MetricDatum{
				{MetricName: &name, Timestamp: &ts, Unit: types.StandardUnitCount, Values: []float64{1}, Counts: []float64{float64(i)}},
				{MetricName: &name, Timestamp: &ts, Unit: types.StandardUnitCount, Values: []float64{1}, Counts: []float64{1}},
			}}
			_, err := put(t.Context(), in)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, 20, strings.Count(buf.String(), "\n"), "one line per call, never interleaved")
	s, err := Summarize(&buf)
	require.NoError(t, err)
	require.Equal(t, 20, s.Calls)
	require.Equal(t, 40, s.Datums)
	require.Equal(t, map[string]float64{name: 190 + 20}, s.Samples)
	require.Empty(t, s.PerPool, "no datum has the [UserPoolId] set")

	_, err = Summarize(strings.NewReader("{}\nnot json\n"))
	require.EqualError(t, err, "summarize PutMetricData record 2: invalid character 'o' in literal null (expecting 'u')")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = put(ctx, &cw.PutMetricDataInput{Namespace: &ns})
	require.ErrorIs(t, err, context.Canceled)
}

func ExampleRecordTo() {
	var lines bytes.Buffer
	c := New(Options{Now: fixed}, RecordTo(&lines), nil)
	_, _ = c.Handle(context.Background(), eventsOf(ev("1", "cogwatch.signin.succeeded", "eu-west-1_abc", "", now, 12)))
	s, _ := Summarize(&lines)
	fmt.Println(s.Calls, s.Datums, s.Samples["SignInSucceeded"], s.Samples["TriggerLatency"], s.PerPool["SignInSucceeded"])
	// Output: 1 2 1 1 1
}
