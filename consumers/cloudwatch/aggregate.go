package cloudwatch

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// Reasons an event's metrics cannot be stored. They are logged and make the
// message a batch item failure; the error texts are fixed and quote nothing.
var (
	ErrTooOld         = errors.New("event time older than CloudWatch accepts")
	ErrTooNew         = errors.New("event time further in the future than CloudWatch accepts")
	ErrDimensionValue = errors.New("dimension value CloudWatch would refuse")
	ErrLatencyRange   = errors.New("latency outside CloudWatch's value range")
	ErrUnknownType    = errors.New("event type without a metric")
)

// maxValue is the largest magnitude CloudWatch accepts for a value (2^360).
var maxValue = math.Ldexp(1, 360)

// seriesKey identifies one aggregate: a metric, one of its dimension sets
// (empty values are not part of the set) and a one-minute bucket.
type seriesKey struct {
	metric               string
	pool, client, reason string
	minute               int64
}

type series struct {
	key  seriesKey
	unit types.StandardUnit
	// values maps each distinct value to the messages (batch indexes) that
	// contributed one sample of it; its count is len of that list.
	values map[float64][]int32
}

// aggregator folds events into series.
type aggregator struct {
	now             time.Time
	maxAge, maxAhed time.Duration
	series          map[seriesKey]*series
	events          int
}

func newAggregator(o Options, now time.Time) *aggregator {
	return &aggregator{now: now, maxAge: o.MaxAge, maxAhed: o.MaxAhead, series: make(map[seriesKey]*series)}
}

// validDimension reports whether CloudWatch accepts v as a dimension value:
// 1 to 1024 characters of UTF-8, not all white space.
func validDimension(v string) bool {
	return v != "" && len(v) <= 1024 && utf8.ValidString(v) && strings.TrimSpace(v) != ""
}

// add checks that every metric of ev can be stored and then adds them, all
// or none. msg is the message's index in the batch.
func (a *aggregator) add(ev *event.Event, msg int) error {
	name := catalog.ForEvent(ev.Type)
	if name == "" {
		return ErrUnknownType
	}
	bucket := ev.Time.Truncate(time.Minute)
	switch {
	case bucket.Before(a.now.Add(-a.maxAge)):
		return ErrTooOld
	case bucket.After(a.now.Add(a.maxAhed)):
		return ErrTooNew
	}
	d := &ev.Data
	if !validDimension(d.UserPoolID) || (d.ClientID != "" && !validDimension(d.ClientID)) {
		return ErrDimensionValue
	}
	reason := ""
	if ev.Type == event.SignUpRejected {
		if !validDimension(d.Reason) {
			return ErrDimensionValue
		}
		reason = d.Reason
	}
	// Whole milliseconds: finer detail is noise for a trigger timing itself,
	// and it keeps a minute's distinct latencies to a few Values arrays.
	latency := math.Round(d.LatencyMs)
	if math.IsNaN(latency) || latency < 0 || latency >= maxValue {
		return ErrLatencyRange
	}

	a.events++
	m := bucket.Unix() / 60
	i := int32(msg)
	a.sample(seriesKey{metric: name, pool: d.UserPoolID, minute: m}, types.StandardUnitCount, 1, i)
	a.sample(seriesKey{metric: catalog.TriggerLatency, pool: d.UserPoolID, minute: m}, types.StandardUnitMilliseconds, latency, i)
	if d.ClientID != "" {
		a.sample(seriesKey{metric: name, pool: d.UserPoolID, client: d.ClientID, minute: m}, types.StandardUnitCount, 1, i)
		a.sample(seriesKey{metric: catalog.TriggerLatency, pool: d.UserPoolID, client: d.ClientID, minute: m}, types.StandardUnitMilliseconds, latency, i)
	}
	if reason != "" {
		a.sample(seriesKey{metric: name, pool: d.UserPoolID, reason: reason, minute: m}, types.StandardUnitCount, 1, i)
	}
	return nil
}

func (a *aggregator) sample(k seriesKey, unit types.StandardUnit, v float64, msg int32) {
	s := a.series[k]
	if s == nil {
		s = &series{key: k, unit: unit, values: make(map[float64][]int32, 1)}
		a.series[k] = s
	}
	s.values[v] = append(s.values[v], msg)
}

// datum is one MetricDatum with the messages that contributed to it.
type datum struct {
	d    types.MetricDatum
	msgs []int32
	size int
}

// datums turns the series into MetricDatums of at most maxValues distinct
// values each, in a stable order: minute, user pool, metric, client, reason,
// value. Keeping a pool's datums together keeps each message's datums
// together, so that a batch split over several calls rarely has a message
// in two of them (which, if one call failed for good, would count the
// message's other samples twice on redelivery).
func (a *aggregator) datums(maxValues int) []datum {
	all := make([]*series, 0, len(a.series))
	for _, s := range a.series {
		all = append(all, s)
	}
	slices.SortFunc(all, func(x, y *series) int {
		return cmp.Or(cmp.Compare(x.key.minute, y.key.minute), cmp.Compare(x.key.pool, y.key.pool),
			cmp.Compare(x.key.metric, y.key.metric), cmp.Compare(x.key.client, y.key.client), cmp.Compare(x.key.reason, y.key.reason))
	})
	var out []datum
	for _, s := range all {
		dims := dimensions(s.key)
		ts := time.Unix(s.key.minute*60, 0).UTC()
		name := s.key.metric
		vals := make([]float64, 0, len(s.values))
		for v := range s.values {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		for chunk := range slices.Chunk(vals, maxValues) {
			d := datum{d: types.MetricDatum{
				MetricName: &name,
				Dimensions: dims,
				Timestamp:  &ts,
				Unit:       s.unit,
				Values:     chunk,
				Counts:     make([]float64, len(chunk)),
			}}
			for j, v := range chunk {
				msgs := s.values[v]
				d.d.Counts[j] = float64(len(msgs))
				d.msgs = append(d.msgs, msgs...)
			}
			d.size = datumSize(&d.d)
			out = append(out, d)
		}
	}
	return out
}

func dimensions(k seriesKey) []types.Dimension {
	dims := make([]types.Dimension, 0, 2)
	add := func(name, value string) {
		dims = append(dims, types.Dimension{Name: &name, Value: &value})
	}
	add(catalog.DimUserPoolID, k.pool)
	if k.client != "" {
		add(catalog.DimClientID, k.client)
	}
	if k.reason != "" {
		add(catalog.DimReason, k.reason)
	}
	return dims
}

// call is one PutMetricData request with the messages behind its datums.
type call struct {
	in    *cw.PutMetricDataInput
	msgs  []int32
	bytes int
}

// pack fills calls in order, each within maxDatums datums and maxBytes of
// serialized body. A datum too large for any call (impossible with the
// dimensions this package writes, but checked) is returned apart.
func pack(namespace string, ds []datum, maxDatums, maxBytes int) (calls []call, tooLarge []datum) {
	base := inputSize(namespace)
	var cur *call
	for _, d := range ds {
		if base+d.size > maxBytes {
			tooLarge = append(tooLarge, d)
			continue
		}
		if cur == nil || len(cur.in.MetricData) >= maxDatums || cur.bytes+d.size > maxBytes {
			calls = append(calls, call{in: &cw.PutMetricDataInput{Namespace: &namespace}, bytes: base})
			cur = &calls[len(calls)-1]
		}
		cur.in.MetricData = append(cur.in.MetricData, d.d)
		cur.msgs = append(cur.msgs, d.msgs...)
		cur.bytes += d.size
	}
	return calls, tooLarge
}
