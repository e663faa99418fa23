package emf

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotEMF is returned by Parse for a line that is not an EMF document: not
// a JSON object, or an object without an "_aws" member. CloudWatch Logs keeps
// such a line as a plain log event.
var ErrNotEMF = errors.New("emf: not an EMF document")

// Document is one EMF log line read back.
type Document struct {
	Timestamp  time.Time   // _aws.Timestamp
	Directives []Directive // _aws.CloudWatchMetrics, in order
	// Members holds the root members other than _aws (metric values,
	// dimension values, properties) as encoding/json decodes them into any:
	// numbers are float64, lists []any.
	Members map[string]any
}

// Directive is one member of _aws.CloudWatchMetrics.
type Directive struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []MetricDefinition
}

// MetricDefinition names a metric of a Directive; its values are the root
// member of that name.
type MetricDefinition struct {
	Name              string
	Unit              Unit
	StorageResolution int
}

// Datum is what CloudWatch extracts for one metric of a directive and one
// of its dimension sets.
type Datum struct {
	Namespace  string
	Name       string
	Unit       Unit
	Dimensions map[string]string // the set's names, with their root members' values
	Time       time.Time
	Values     []float64
}

// Parse reads one EMF log line (surrounding white space allowed) as
// CloudWatch Logs extracts metrics from it, and is meant for readers of the
// lines a Writer writes: the local stack's in-memory CloudWatch and tests.
// It returns ErrNotEMF for a line that is not an EMF document, and an error
// naming the member for a document CloudWatch would extract nothing from:
// a missing or non-positive Timestamp, a directive without Namespace, a
// metric whose root member is not a number or a non-empty list of numbers,
// or a dimension whose root member is not a string. Parse never checks the
// specification's limits; the Writer keeps to them.
func Parse(line []byte) (Document, error) {
	var root map[string]json.RawMessage
	if json.Unmarshal(line, &root) != nil || root == nil {
		return Document{}, ErrNotEMF
	}
	raw, ok := root[reservedKey]
	if !ok {
		return Document{}, ErrNotEMF
	}
	delete(root, reservedKey)
	var meta struct {
		Timestamp         int64
		CloudWatchMetrics []Directive
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return Document{}, fmt.Errorf("emf: _aws: %w", err)
	}
	if meta.Timestamp <= 0 {
		return Document{}, errors.New("emf: _aws.Timestamp missing or not positive")
	}
	doc := Document{Timestamp: time.UnixMilli(meta.Timestamp), Directives: meta.CloudWatchMetrics, Members: make(map[string]any, len(root))}
	for k, v := range root {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return Document{}, fmt.Errorf("emf: member %q: %w", k, err)
		}
		doc.Members[k] = x
	}
	for _, d := range doc.Directives {
		if d.Namespace == "" {
			return Document{}, errors.New("emf: directive without Namespace")
		}
		for _, m := range d.Metrics {
			if _, err := doc.values(m.Name); err != nil {
				return Document{}, err
			}
		}
		for _, set := range d.Dimensions {
			for _, k := range set {
				if _, ok := doc.Members[k].(string); !ok {
					return Document{}, fmt.Errorf("emf: dimension %q is not a string member", k)
				}
			}
		}
	}
	return doc, nil
}

// Values returns the values of the metric member name: one for a number,
// the list's for a list. It is false when the member is neither a number
// nor a non-empty list of numbers.
func (d *Document) Values(name string) ([]float64, bool) {
	v, err := d.values(name)
	return v, err == nil
}

func (d *Document) values(name string) ([]float64, error) {
	switch v := d.Members[name].(type) {
	case float64:
		return []float64{v}, nil
	case []any:
		out := make([]float64, len(v))
		for i, x := range v {
			f, ok := x.(float64)
			if !ok {
				return nil, fmt.Errorf("emf: metric %q: value is not a number or list of numbers", name)
			}
			out[i] = f
		}
		if len(out) > 0 {
			return out, nil
		}
	case nil:
		if _, ok := d.Members[name]; !ok {
			return nil, fmt.Errorf("emf: metric %q has no value", name)
		}
	}
	return nil, fmt.Errorf("emf: metric %q: value is not a number or list of numbers", name)
}

// Datums returns what CloudWatch extracts from the document: a Datum per
// directive, metric and dimension set, in document order. A directive
// without dimension sets gives each metric one Datum without dimensions.
func (d *Document) Datums() []Datum {
	var out []Datum
	for _, dir := range d.Directives {
		sets := dir.Dimensions
		if len(sets) == 0 {
			sets = [][]string{{}}
		}
		for _, m := range dir.Metrics {
			vals, _ := d.values(m.Name) // checked by Parse
			for _, set := range sets {
				dims := make(map[string]string, len(set))
				for _, k := range set {
					dims[k], _ = d.Members[k].(string)
				}
				out = append(out, Datum{Namespace: dir.Namespace, Name: m.Name, Unit: m.Unit, Dimensions: dims, Time: d.Timestamp, Values: vals})
			}
		}
	}
	return out
}
