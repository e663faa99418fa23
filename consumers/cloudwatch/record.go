package cloudwatch

import (
	"io"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/consumers/internal/recording"
)

// RecordTo returns a PutMetricDataFunc that stores nothing in CloudWatch but
// writes each call's input as one JSON line to w, and succeeds. It is safe
// for concurrent use. The local stack uses it where no CloudWatch emulator
// runs; Summarize reads the lines back.
func RecordTo(w io.Writer) PutMetricDataFunc {
	return recording.Func[PutMetricDataFunc](w, "PutMetricData", func(*cw.PutMetricDataInput) *cw.PutMetricDataOutput {
		return &cw.PutMetricDataOutput{}
	})
}

// Summary counts what a RecordTo file holds.
type Summary struct {
	// Calls is the number of PutMetricData calls.
	Calls int `json:"calls"`
	// Datums is the number of MetricData entries over all calls.
	Datums int `json:"datums"`
	// Samples sums each datum's Counts (or 1 for a datum with a single
	// Value): the number of data points the calls carried.
	Samples map[string]float64 `json:"samples"`
}

// Summarize reads the JSON lines RecordTo wrote. Samples is keyed by metric
// name and sums over every dimension set, so an event counts once per set.
func Summarize(r io.Reader) (Summary, error) {
	s := Summary{Samples: map[string]float64{}}
	err := recording.Each(r, "PutMetricData", 4*MaxRequestBytes, func(in *cw.PutMetricDataInput) {
		s.Calls++
		s.Datums += len(in.MetricData)
		for _, d := range in.MetricData {
			name := ""
			if d.MetricName != nil {
				name = *d.MetricName
			}
			switch {
			case len(d.Counts) > 0:
				for _, c := range d.Counts {
					s.Samples[name] += c
				}
			case len(d.Values) > 0:
				s.Samples[name] += float64(len(d.Values))
			default:
				s.Samples[name]++
			}
		}
	})
	return s, err
}
