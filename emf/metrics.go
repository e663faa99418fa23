package emf

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Metrics collects the metrics, dimensions and properties of one invocation
// until Flush writes them. Take one per invocation from Writer.New. Its
// methods are safe for concurrent use by the goroutines of that invocation.
//
// Methods without an error result (SetDimension, SetProperty) ignore a bad
// call and keep its error for the next Flush, which returns it.
type Metrics struct {
	w  *Writer
	mu sync.Mutex

	dims    []kv // this invocation's dimension values; "" hides a default
	props   []prop
	entries []entry
	err     error // problems of calls without an error result
	last    int   // index of the entry of the last Put

	dimsInl    [4]kv
	entriesInl [8]entry
}

type prop struct {
	k string
	v any
}

// entry is one metric definition (name, unit, resolution, dimension sets)
// and its values. The same name with another definition is another entry,
// written in another document.
type entry struct {
	name string
	unit Unit
	high bool
	own  bool       // sets are the entry's own (PutWithDimensions), not the writer's
	sets [][]string // own sets; empty: the empty dimension set
	n    int        // number of values
	v0   float64
	more []float64 // values after the first
	sent int       // values already written by the running Flush
}

func (e *entry) same(name string, unit Unit, high, own bool, sets [][]string) bool {
	return e.name == name && e.unit == unit && e.high == high && e.own == own && (!own || setsEqual(e.sets, sets))
}

func (e *entry) add(v float64) {
	if e.more == nil {
		e.more = make([]float64, 0, 7)
	}
	e.more = append(e.more, v)
	e.n++
}

func (e *entry) value(i int) float64 {
	if i == 0 {
		return e.v0
	}
	return e.more[i-1]
}

// SetDimension sets the value of dimension name for this invocation's
// documents, overriding Options.Dimensions. An empty value removes it: a
// dimension set naming it is then left out of the document (this is how
// Cognito's null clientId drops the [UserPoolId, ClientId] set). Names are
// 1 to 255 bytes and values 1 to 1024 bytes of printable ASCII, not blank;
// a name may not start with a colon nor be a metric or property name.
func (m *Metrics) SetDimension(name, value string) {
	err := checkDimensionName(name)
	if err == nil && value != "" {
		err = checkDimensionValue(name, value)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil && (m.entryNamed(name) || m.propIndex(name) >= 0) {
		err = fmt.Errorf("emf: dimension %q: %w: a metric or property has that name", name, ErrConflict)
	}
	if err != nil {
		m.err = errors.Join(m.err, err)
		return
	}
	for i := range m.dims {
		if m.dims[i].k == name {
			m.dims[i].v = value
			return
		}
	}
	m.dims = append(m.dims, kv{name, value})
}

// SetProperty adds a member to this invocation's documents: searchable in
// CloudWatch Logs, not a metric. value is written as encoding/json would
// (a value it cannot encode is left out, and Flush says so). A key may not
// be empty, "_aws", a dimension with a value or a metric name.
func (m *Metrics) SetProperty(key string, value any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	switch {
	case key == "" || key == reservedKey:
		err = fmt.Errorf("emf: property %q: %w: reserved key", key, ErrProperty)
	case m.dimValue(key) != "" || m.entryNamed(key):
		err = fmt.Errorf("emf: property %q: %w: a metric or dimension has that name", key, ErrConflict)
	}
	if err != nil {
		m.err = errors.Join(m.err, err)
		return
	}
	if i := m.propIndex(key); i >= 0 {
		m.props[i].v = value
		return
	}
	m.props = append(m.props, prop{key, value})
}

// Put adds value to metric name, with the writer's dimension sets and
// standard (60 s) resolution. Putting the same name again adds a value to
// it (several values per metric); Flush splits beyond MaxValues values.
// Names are 1 to 255 bytes of printable ASCII, not blank, and not the name
// of a dimension or property of this invocation.
func (m *Metrics) Put(name string, value float64, unit Unit) error {
	return m.put(name, value, unit, false, false, nil)
}

// PutHighResolution is Put with storage resolution 1 second.
func (m *Metrics) PutHighResolution(name string, value float64, unit Unit) error {
	return m.put(name, value, unit, true, false, nil)
}

// PutWithDimensions is Put with the metric's own dimension sets instead of
// the writer's, written as a second metric directive of the same document.
// No sets means no dimensions ([[]]). A set names at most MaxDimensions
// dimensions, each once.
func (m *Metrics) PutWithDimensions(name string, value float64, unit Unit, sets ...[]string) error {
	if err := checkSets(sets); err != nil {
		return err
	}
	return m.put(name, value, unit, false, true, sets)
}

func (m *Metrics) put(name string, value float64, unit Unit, high, own bool, sets [][]string) error {
	if err := checkMetricName(name); err != nil {
		return err
	}
	if err := checkUnit(name, unit); err != nil {
		return err
	}
	if err := checkValue(name, value); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dimValue(name) != "" || m.propIndex(name) >= 0 {
		return fmt.Errorf("emf: metric %q: %w: a dimension or property has that name", name, ErrConflict)
	}
	// The last metric put is the likeliest: values are often put in a loop.
	if i := m.last; i < len(m.entries) && m.entries[i].same(name, unit, high, own, sets) {
		m.entries[i].add(value)
		return nil
	}
	for i := range m.entries {
		if m.entries[i].same(name, unit, high, own, sets) {
			m.entries[i].add(value)
			m.last = i
			return nil
		}
	}
	m.last = len(m.entries)
	e := entry{name: name, unit: unit, high: high, own: own, n: 1, v0: value}
	if own {
		e.sets = m.internSets(sets)
	}
	m.entries = append(m.entries, e)
	return nil
}

// internSets returns a copy of sets that the caller cannot change, shared
// with an earlier entry when one has the same sets.
func (m *Metrics) internSets(sets [][]string) [][]string {
	if len(sets) == 0 {
		return nil
	}
	for i := range m.entries {
		if e := &m.entries[i]; e.own && setsEqual(e.sets, sets) {
			return e.sets
		}
	}
	c := make([][]string, len(sets))
	for i, s := range sets {
		c[i] = slices.Clone(s)
		if c[i] == nil {
			c[i] = []string{}
		}
	}
	return c
}

func setsEqual(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// dimValue returns the value dimension name has in this invocation's
// documents; "" when it has none.
func (m *Metrics) dimValue(name string) string {
	for _, d := range m.dims {
		if d.k == name {
			return d.v
		}
	}
	v, _ := m.w.defaultDim(name)
	return v
}

func (m *Metrics) dimOverridden(name string) bool {
	for _, d := range m.dims {
		if d.k == name {
			return true
		}
	}
	return false
}

func (m *Metrics) propIndex(key string) int {
	for i, p := range m.props {
		if p.k == key {
			return i
		}
	}
	return -1
}

func (m *Metrics) entryNamed(name string) bool {
	for i := range m.entries {
		if m.entries[i].name == name {
			return true
		}
	}
	return false
}
