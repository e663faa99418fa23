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
	// ErrTooLarge: the event's datums alone exceed one call's limits, which
	// only limits lowered below what one event writes can cause.
	ErrTooLarge = errors.New("event's metrics larger than one request")
)

// maxValue is the largest magnitude CloudWatch accepts for a value (2^360).
var maxValue = math.Ldexp(1, 360)

// seriesKey identifies one aggregate inside a group: a metric and the
// dimensions besides UserPoolId (empty values are not part of the set).
type seriesKey struct {
	metric, client, reason, challenge string
}

type series struct {
	key  seriesKey
	unit types.StandardUnit
	// values maps each distinct value to its number of samples.
	values map[float64]float64
}

// groupKey is a one-minute bucket of one user pool. Every datum an event
// contributes to (its count metric and TriggerLatency, in each of its
// dimension sets) has the same groupKey, so a group's datums are exactly the
// datums its messages contribute to, and no message contributes to two groups.
type groupKey struct {
	minute int64
	pool   string
}

// sample is what one stored event contributes to its group.
type sample struct {
	msg                               int32
	metric, client, reason, challenge string
	latency                           float64
}

// aggregator collects the events of a batch by group.
type aggregator struct {
	now             time.Time
	maxAge, maxAhed time.Duration
	groups          map[groupKey][]sample
	events          int
}

func newAggregator(o Config, now time.Time) *aggregator {
	return &aggregator{now: now, maxAge: o.MaxAge, maxAhed: o.MaxAhead, groups: make(map[groupKey][]sample)}
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
	reason, challenge := "", ""
	if ev.Type == event.SignUpRejected || ev.Type == event.MigrationFailed {
		if !validDimension(d.Reason) {
			return ErrDimensionValue
		}
		reason = d.Reason
	}
	if d.ChallengeName != "" {
		if !validDimension(d.ChallengeName) {
			return ErrDimensionValue
		}
		challenge = d.ChallengeName
	}
	// Whole milliseconds: finer detail is noise for a trigger timing itself,
	// and it keeps a minute's distinct latencies to a few Values arrays.
	latency := math.Round(d.LatencyMs)
	if math.IsNaN(latency) || latency < 0 || latency >= maxValue {
		return ErrLatencyRange
	}

	a.events++
	k := groupKey{minute: bucket.Unix() / 60, pool: d.UserPoolID}
	a.groups[k] = append(a.groups[k], sample{msg: int32(msg), metric: name, client: d.ClientID, reason: reason, challenge: challenge, latency: latency})
	return nil
}

// limits are one call's bounds, as Config sets them.
type limits struct {
	datums, values, bytes int
	// base is the size of a request without datums.
	base int
}

func (o Config) limits() limits {
	return limits{datums: o.MaxDatumsPerCall, values: o.MaxValuesPerDatum, bytes: o.MaxRequestBytes, base: inputSize(o.Namespace)}
}

// unit is what the packer places in a call, whole: the datums of a set of
// messages of one group, to which no message outside the set contributes.
// So a call holds every datum of its messages, and a failed call fails
// exactly the messages whose samples it would have stored.
type unit struct {
	datums []types.MetricDatum
	msgs   []int32
	// bytes is the serialized size of the datums.
	bytes int
}

func (l limits) fits(u *unit) bool {
	return len(u.datums) <= l.datums && l.base+u.bytes <= l.bytes
}

// units turns the groups into units, each within one call's limits, in
// order of minute and pool. A group is one unit unless it alone exceeds a
// call; then its messages (never its datums) are split into parts, each
// re-aggregated into a unit of its own, so every message still lands in
// exactly one unit. An event whose datums alone exceed a call (impossible
// with the service's limits: an event writes at most 5 small datums) is
// returned in tooLarge.
func (a *aggregator) units(l limits) (units, tooLarge []unit) {
	keys := make([]groupKey, 0, len(a.groups))
	for k := range a.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y groupKey) int {
		return cmp.Or(cmp.Compare(x.minute, y.minute), cmp.Compare(x.pool, y.pool))
	})
	units = make([]unit, 0, len(keys))
	for _, k := range keys {
		samples := a.groups[k]
		u := build(k, samples, l.values)
		if l.fits(&u) {
			units = append(units, u)
			continue
		}
		// Parts cut from this order share few series: a client's samples,
		// and a metric's, stay together.
		slices.SortFunc(samples, func(x, y sample) int {
			return cmp.Or(cmp.Compare(x.client, y.client), cmp.Compare(x.metric, y.metric),
				cmp.Compare(x.reason, y.reason), cmp.Compare(x.challenge, y.challenge), cmp.Compare(x.latency, y.latency), cmp.Compare(x.msg, y.msg))
		})
		units, tooLarge = l.split(units, tooLarge, k, samples, &u)
	}
	return units, tooLarge
}

// split appends the units of samples, whose aggregate u exceeds a call: it
// cuts them into as many equal parts as u's size suggests and splits again
// any part that still does not fit.
func (l limits) split(units, tooLarge []unit, k groupKey, samples []sample, u *unit) ([]unit, []unit) {
	if len(samples) == 1 {
		return units, append(tooLarge, *u)
	}
	parts := max(2, ceilDiv(len(u.datums), l.datums), ceilDiv(u.bytes, max(1, l.bytes-l.base)))
	parts = min(parts, len(samples))
	for i := range parts {
		part := samples[i*len(samples)/parts : (i+1)*len(samples)/parts]
		pu := build(k, part, l.values)
		if l.fits(&pu) {
			units = append(units, pu)
			continue
		}
		units, tooLarge = l.split(units, tooLarge, k, part, &pu)
	}
	return units, tooLarge
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// build aggregates the samples of group k into one unit: a datum per
// metric and dimension set (more for a set with more than maxValues
// distinct values), ordered by metric, client, reason and value.
func build(k groupKey, samples []sample, maxValues int) unit {
	byKey := make(map[seriesKey]*series, 8)
	add := func(sk seriesKey, unit types.StandardUnit, v float64) {
		s := byKey[sk]
		if s == nil {
			s = &series{key: sk, unit: unit, values: make(map[float64]float64, 1)}
			byKey[sk] = s
		}
		s.values[v]++
	}
	u := unit{msgs: make([]int32, len(samples))}
	for i := range samples {
		sm := &samples[i]
		u.msgs[i] = sm.msg
		add(seriesKey{metric: sm.metric}, types.StandardUnitCount, 1)
		add(seriesKey{metric: catalog.TriggerLatency}, types.StandardUnitMilliseconds, sm.latency)
		if sm.client != "" {
			add(seriesKey{metric: sm.metric, client: sm.client}, types.StandardUnitCount, 1)
			add(seriesKey{metric: catalog.TriggerLatency, client: sm.client}, types.StandardUnitMilliseconds, sm.latency)
		}
		if sm.reason != "" {
			add(seriesKey{metric: sm.metric, reason: sm.reason}, types.StandardUnitCount, 1)
		}
		if sm.challenge != "" {
			add(seriesKey{metric: sm.metric, challenge: sm.challenge}, types.StandardUnitCount, 1)
		}
	}

	all := make([]*series, 0, len(byKey))
	for _, s := range byKey {
		all = append(all, s)
	}
	slices.SortFunc(all, func(x, y *series) int {
		return cmp.Or(cmp.Compare(x.key.metric, y.key.metric), cmp.Compare(x.key.client, y.key.client), cmp.Compare(x.key.reason, y.key.reason),
			cmp.Compare(x.key.challenge, y.key.challenge))
	})
	ts := time.Unix(k.minute*60, 0).UTC()
	u.datums = make([]types.MetricDatum, 0, len(all))
	for _, s := range all {
		dims := dimensions(k.pool, s.key)
		name := s.key.metric
		vals := make([]float64, 0, len(s.values))
		for v := range s.values {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		for chunk := range slices.Chunk(vals, maxValues) {
			d := types.MetricDatum{
				MetricName: &name,
				Dimensions: dims,
				Timestamp:  &ts,
				Unit:       s.unit,
				Values:     chunk,
				Counts:     make([]float64, len(chunk)),
			}
			for j, v := range chunk {
				d.Counts[j] = s.values[v]
			}
			u.bytes += datumSize(&d)
			u.datums = append(u.datums, d)
		}
	}
	return u
}

func dimensions(pool string, k seriesKey) []types.Dimension {
	dims := make([]types.Dimension, 0, 2)
	add := func(name, value string) {
		dims = append(dims, types.Dimension{Name: &name, Value: &value})
	}
	add(catalog.DimUserPoolID, pool)
	if k.client != "" {
		add(catalog.DimClientID, k.client)
	}
	if k.reason != "" {
		add(catalog.DimReason, k.reason)
	}
	if k.challenge != "" {
		add(catalog.DimChallengeName, k.challenge)
	}
	return dims
}

// call is one PutMetricData request with the messages behind its datums,
// each listed once.
type call struct {
	in    *cw.PutMetricDataInput
	msgs  []int32
	bytes int
}

// pack places whole units in calls, first fit in decreasing order of size
// (the larger of a unit's shares of the datum and byte limits): a unit
// goes to the first call it fits in, else to a new one. Each call then
// carries its units' datums in the units' order (minute, pool). Every unit
// fits a call on its own (units sees to it).
func pack(namespace string, units []unit, l limits) []call {
	room := float64(max(1, l.bytes-l.base))
	weight := func(u *unit) float64 {
		return max(float64(len(u.datums))/float64(l.datums), float64(u.bytes)/room)
	}
	order := make([]int, len(units))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(weight(&units[j]), weight(&units[i])) })

	type bin struct {
		datums, bytes, msgs int
		units               []int
	}
	var bins []bin
	for _, i := range order {
		u := &units[i]
		j := slices.IndexFunc(bins, func(b bin) bool {
			return b.datums+len(u.datums) <= l.datums && b.bytes+u.bytes <= l.bytes
		})
		if j < 0 {
			bins = append(bins, bin{bytes: l.base})
			j = len(bins) - 1
		}
		b := &bins[j]
		b.datums += len(u.datums)
		b.bytes += u.bytes
		b.msgs += len(u.msgs)
		b.units = append(b.units, i)
	}

	calls := make([]call, len(bins))
	for j := range bins {
		b := &bins[j]
		slices.Sort(b.units)
		c := call{
			in:    &cw.PutMetricDataInput{Namespace: &namespace, MetricData: make([]types.MetricDatum, 0, b.datums)},
			msgs:  make([]int32, 0, b.msgs),
			bytes: b.bytes,
		}
		for _, i := range b.units {
			c.in.MetricData = append(c.in.MetricData, units[i].datums...)
			c.msgs = append(c.msgs, units[i].msgs...)
		}
		calls[j] = c
	}
	return calls
}
