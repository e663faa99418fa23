package recording

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

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

func TestPutMetricDataAndSummarize(t *testing.T) {
	var buf bytes.Buffer
	put := PutMetricData(&buf)
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
	s, err := SummarizeMetricData(&buf)
	require.NoError(t, err)
	require.Equal(t, 20, s.Calls)
	require.Equal(t, 40, s.Datums)
	require.Equal(t, map[string]float64{name: 190 + 20}, s.Samples)
	require.Empty(t, s.PerPool, "no datum has the [UserPoolId] set")

	_, err = SummarizeMetricData(strings.NewReader("{}\nnot json\n"))
	require.EqualError(t, err, "summarize PutMetricData record 2: invalid character 'o' in literal null (expecting 'u')")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = put(ctx, &cw.PutMetricDataInput{Namespace: &ns})
	require.ErrorIs(t, err, context.Canceled)
}

func ExamplePutMetricData() {
	var lines bytes.Buffer
	c := cloudwatch.New(cloudwatch.Config{}, PutMetricData(&lines), nil)
	_, _ = c.Handle(context.Background(), sqstest.Batch(userEvent("1", event.SignInSucceeded)))
	s, _ := SummarizeMetricData(&lines)
	fmt.Println(s.Calls, s.Datums, s.Samples["SignInSucceeded"], s.Samples["TriggerLatency"], s.PerPool["SignInSucceeded"])
	// Output: 1 2 1 1 1
}
