package recording

import (
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// PutMetricData returns a PutMetricDataFunc that stores nothing in CloudWatch but
// writes each call's input as one JSON line to w, and succeeds. It is safe
// for concurrent use. The local stack uses it where no CloudWatch emulator
// runs; SummarizeMetricData reads the lines back.
func PutMetricData(w io.Writer) cloudwatch.PutMetricDataFunc {
	return Func[cloudwatch.PutMetricDataFunc](w, "PutMetricData", func(*cw.PutMetricDataInput) *cw.PutMetricDataOutput {
		return &cw.PutMetricDataOutput{}
	})
}

// MetricDataSummary counts what a PutMetricData file holds.
type MetricDataSummary struct {
	// Calls is the number of PutMetricData calls.
	Calls int `json:"calls"`
	// Datums is the number of MetricData entries over all calls.
	Datums int `json:"datums"`
	// Samples sums each datum's Counts (or 1 for a datum with a single
	// Value): the number of data points the calls carried.
	Samples map[string]float64 `json:"samples"`
	// PerPool is Samples restricted to the [UserPoolId] dimension set, where
	// each event counts exactly once: the figure to compare with the events.
	PerPool map[string]float64 `json:"perPool"`
}

// SummarizeMetricData reads the JSON lines PutMetricData wrote. Samples is keyed by metric
// name and sums over every dimension set, so an event counts once per set.
func SummarizeMetricData(r io.Reader) (MetricDataSummary, error) {
	s := MetricDataSummary{Samples: map[string]float64{}, PerPool: map[string]float64{}}
	err := Each(r, "PutMetricData", 4*cloudwatch.MaxRequestBytes, func(in *cw.PutMetricDataInput) {
		s.Calls++
		s.Datums += len(in.MetricData)
		for _, d := range in.MetricData {
			name := ""
			if d.MetricName != nil {
				name = *d.MetricName
			}
			n := 1.0
			switch {
			case len(d.Counts) > 0:
				n = 0
				for _, c := range d.Counts {
					n += c
				}
			case len(d.Values) > 0:
				n = float64(len(d.Values))
			}
			s.Samples[name] += n
			if len(d.Dimensions) == 1 && aws.ToString(d.Dimensions[0].Name) == catalog.DimUserPoolID {
				s.PerPool[name] += n
			}
		}
	})
	return s, err
}
