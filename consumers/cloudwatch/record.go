package cloudwatch

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
)

// RecordTo returns a PutMetricDataFunc that stores nothing in CloudWatch but
// writes each call's input as one JSON line to w, and succeeds. It is safe
// for concurrent use. The local stack uses it where no CloudWatch emulator
// runs; Summarize reads the lines back.
func RecordTo(w io.Writer) PutMetricDataFunc {
	var mu sync.Mutex
	return func(ctx context.Context, in *cw.PutMetricDataInput, _ ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		line, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("record PutMetricData: %w", err)
		}
		line = append(line, '\n')
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.Write(line); err != nil {
			return nil, fmt.Errorf("record PutMetricData: %w", err)
		}
		return &cw.PutMetricDataOutput{}, nil
	}
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4*MaxRequestBytes)
	for sc.Scan() {
		var in cw.PutMetricDataInput
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			return s, fmt.Errorf("summarize PutMetricData record %d: %w", s.Calls+1, err)
		}
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
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("summarize PutMetricData records: %w", err)
	}
	return s, nil
}
