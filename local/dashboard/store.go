package dashboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/emf"
)

// Point is one value of a series at a time (Unix milliseconds).
type Point struct {
	T int64   `json:"t"`
	V float64 `json:"v"`
}

// Series is one line of a chart.
type Series struct {
	Label  string  `json:"label"`
	Points []Point `json:"points"`
	// Legend says what Value is, for the legend beside the line: "total",
	// the sum of the points (a count over the window), or "last", the
	// latest point (a latency, a depth, a ratio). Set by [Snapshot].
	Legend string  `json:"legend,omitempty"`
	Value  float64 `json:"value"`
}

// Query asks a [Source] for the values of one metric, CloudWatch-style: the
// samples of Namespace/Name whose dimension names are exactly Schema and whose
// values match Filters, split by the dimensions in GroupBy, with Stat applied
// within each Step from Since on, up to Until (the zero value: now).
type Query struct {
	Namespace, Name string
	Schema          []string
	Filters         []dashboards.Dim
	GroupBy         []string
	Stat            string
	Since           time.Time
	Until           time.Time
	Step            time.Duration
}

// Source gives the local page its live series. [Store] is one; the local
// stack may wrap it to add AWS/Lambda or AWS/SQS samples it measures.
type Source interface {
	Query(ctx context.Context, q Query) ([]Series, error)
}

type sample struct {
	ns, name string
	dims     map[string]string
	t        time.Time
	v        float64
}

// Store keeps recent metric samples in memory: the local stack's stand-in for
// CloudWatch. Write it the triggers' EMF output (it is an io.Writer of EMF
// lines) or Add samples directly. Safe for concurrent use.
type Store struct {
	mu        sync.Mutex
	samples   []sample
	partial   []byte
	now       func() time.Time
	retention time.Duration
	max       int
	rejected  int
}

// NewStore returns a Store that keeps samples for retention (default 1 h)
// and at most 200,000 of them; now defaults to time.Now.
func NewStore(now func() time.Time, retention time.Duration) *Store {
	if now == nil {
		now = time.Now
	}
	if retention <= 0 {
		retention = time.Hour
	}
	return &Store{now: now, retention: retention, max: 200_000}
}

// Add records one sample. dims is copied.
func (s *Store) Add(namespace, name string, dims map[string]string, t time.Time, v float64) {
	d := make(map[string]string, len(dims))
	for k, val := range dims {
		d[k] = val
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(sample{namespace, name, d, t, v})
}

func (s *Store) addLocked(sm sample) {
	if math.IsNaN(sm.v) || math.IsInf(sm.v, 0) {
		return
	}
	s.samples = append(s.samples, sm)
	cut := s.now().Add(-s.retention)
	drop := 0
	for drop < len(s.samples) && (s.samples[drop].t.Before(cut) || len(s.samples)-drop > s.max) {
		drop++
	}
	if drop > 0 {
		s.samples = slices.Delete(s.samples, 0, drop)
	}
}

// Earliest returns the time of the oldest sample the store keeps, and
// false when it keeps none.
func (s *Store) Earliest() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, sm := range s.samples { // in arrival order: a datum may be stamped earlier than one before it
		if first.IsZero() || sm.t.Before(first) {
			first = sm.t
		}
	}
	return first, !first.IsZero()
}

// Rejected counts the lines Write could not read as EMF (non-JSON lines,
// such as plain log lines, are skipped without counting).
func (s *Store) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Write reads EMF log lines: every line whose JSON carries
// _aws.CloudWatchMetrics adds one sample per metric and dimension set, as
// CloudWatch Logs would. Other lines are ignored; a line may span writes.
// It never fails, so it can sit in an io.MultiWriter beside stdout.
func (s *Store) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := append(s.partial, p...)
	s.partial = nil
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		s.lineLocked(data[:i])
		data = data[i+1:]
	}
	if len(data) > 1<<20 { // a line longer than CloudWatch's 1 MiB event limit: drop it
		s.rejected++
		data = nil
	}
	s.partial = append([]byte(nil), data...)
	return len(p), nil
}

func (s *Store) lineLocked(line []byte) {
	doc, err := emf.Parse(line)
	if errors.Is(err, emf.ErrNotEMF) {
		return
	}
	datums := doc.Datums()
	if err != nil || len(datums) == 0 {
		s.rejected++
		return
	}
	for _, d := range datums {
		for _, v := range d.Values {
			s.addLocked(sample{d.Namespace, d.Name, d.Dimensions, d.Time, v})
		}
	}
}

// Query implements Source.
func (s *Store) Query(ctx context.Context, q Query) ([]Series, error) {
	if q.Step <= 0 {
		return nil, errors.New("query: step must be positive")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := stat(q.Stat, []float64{0}); err != nil {
		return nil, err
	}
	schema := slices.Clone(q.Schema)
	sort.Strings(schema)
	until := q.Until
	if until.IsZero() {
		until = s.now()
	}
	n := int(until.Sub(q.Since)/q.Step) + 1
	if n <= 0 || n > 10_000 {
		return nil, fmt.Errorf("query: %d steps is out of range", n)
	}
	groups := map[string][][]float64{}
	s.mu.Lock()
	for _, sm := range s.samples {
		if sm.ns != q.Namespace || sm.name != q.Name || sm.t.Before(q.Since) || sm.t.After(until) || !sameKeys(sm.dims, schema) || !matches(sm.dims, q.Filters) {
			continue
		}
		i := int(sm.t.Sub(q.Since) / q.Step)
		if i >= n {
			continue
		}
		key := groupKey(sm.dims, q.GroupBy)
		b := groups[key]
		if b == nil {
			b = make([][]float64, n)
			groups[key] = b
		}
		b[i] = append(b[i], sm.v)
	}
	s.mu.Unlock()
	keys := slices.Sorted(maps.Keys(groups))
	var out []Series
	for _, k := range keys {
		ser := Series{Label: k}
		for i, vals := range groups[k] {
			if len(vals) == 0 {
				// Counts are 0 where nothing happened, except in the step still
				// under way, which is not over yet.
				if isCount(q.Stat) && i < n-1 {
					ser.Points = append(ser.Points, Point{q.Since.Add(time.Duration(i) * q.Step).UnixMilli(), 0})
				}
				continue
			}
			v, err := stat(q.Stat, vals)
			if err != nil {
				return nil, err
			}
			ser.Points = append(ser.Points, Point{q.Since.Add(time.Duration(i) * q.Step).UnixMilli(), v})
		}
		out = append(out, ser)
	}
	return out, nil
}

func isCount(stat string) bool { return stat == "Sum" || stat == "SampleCount" }

func sameKeys(dims map[string]string, schema []string) bool {
	if len(dims) != len(schema) {
		return false
	}
	for _, k := range schema {
		if _, ok := dims[k]; !ok {
			return false
		}
	}
	return true
}

func matches(dims map[string]string, filters []dashboards.Dim) bool {
	for _, f := range filters {
		if dims[f.Name] != f.Value {
			return false
		}
	}
	return true
}

func groupKey(dims map[string]string, by []string) string {
	parts := make([]string, 0, len(by))
	for _, k := range by {
		parts = append(parts, dims[k])
	}
	return strings.Join(parts, " ")
}

// stat applies a CloudWatch statistic to the values of one period.
func stat(name string, vals []float64) (float64, error) {
	switch name {
	case "Sum":
		t := 0.0
		for _, v := range vals {
			t += v
		}
		return t, nil
	case "SampleCount":
		return float64(len(vals)), nil
	case "Average":
		t, _ := stat("Sum", vals)
		return t / float64(len(vals)), nil
	case "Maximum":
		return slices.Max(vals), nil
	case "Minimum":
		return slices.Min(vals), nil
	}
	if p, ok := strings.CutPrefix(name, "p"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err == nil && f >= 0 && f <= 100 {
			sorted := slices.Clone(vals)
			slices.Sort(sorted)
			i := int(math.Ceil(f/100*float64(len(sorted)))) - 1
			return sorted[max(i, 0)], nil
		}
	}
	return 0, fmt.Errorf("query: unknown statistic %q", name)
}

// AddMetricData records a PutMetricData call as CloudWatch would store it,
// so that the local stack can feed the store with what the CloudWatch
// consumer sends (namespace Cogwatch/Delivered). Values with Counts repeat
// each value Count times (at most 10,000); StatisticValues, which carry no
// single values, are recorded as one sample of their Sum, right for the Sum
// statistic only.
func (s *Store) AddMetricData(in *cloudwatch.PutMetricDataInput) {
	if in == nil || in.Namespace == nil {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range in.MetricData {
		if d.MetricName == nil {
			continue
		}
		dims := make(map[string]string, len(d.Dimensions))
		for _, dim := range d.Dimensions {
			if dim.Name != nil && dim.Value != nil {
				dims[*dim.Name] = *dim.Value
			}
		}
		t := now
		if d.Timestamp != nil {
			t = *d.Timestamp
		}
		add := func(v float64) { s.addLocked(sample{*in.Namespace, *d.MetricName, dims, t, v}) }
		switch {
		case d.Value != nil:
			add(*d.Value)
		case len(d.Values) > 0:
			for i, v := range d.Values {
				n := 1
				if i < len(d.Counts) {
					n = int(min(max(d.Counts[i], 0), 10_000))
				}
				for range n {
					add(v)
				}
			}
		case d.StatisticValues != nil && d.StatisticValues.Sum != nil:
			add(*d.StatisticValues.Sum)
		}
	}
}
