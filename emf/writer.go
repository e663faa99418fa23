package emf

import (
	"context"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// Options configures a Writer. Namespace is required; the rest may be zero.
type Options struct {
	// Namespace is the CloudWatch namespace of every metric: 1 to 255 bytes of
	// letters, digits, spaces and . - _ / # :, not starting with "AWS/".
	Namespace string
	// DimensionSets are the dimension sets of metrics written with Put and
	// PutHighResolution. Nil or empty: such metrics have no dimensions ([[]]).
	// A set may be empty ([]string{}), to aggregate over every dimension.
	DimensionSets [][]string
	// Dimensions are dimension values written on every document; an
	// invocation's SetDimension overrides them.
	Dimensions map[string]string
	// Now gives the documents' timestamp. Nil: time.Now.
	Now func() time.Time
}

// Validate reports the first problem of o: the error Writer.Err and every
// Flush of a Writer built from o return.
func (o Options) Validate() error {
	if err := checkNamespace(o.Namespace); err != nil {
		return err
	}
	if err := checkSets(o.DimensionSets); err != nil {
		return err
	}
	for _, k := range sortedKeys(o.Dimensions) {
		if err := checkDimensionName(k); err != nil {
			return err
		}
		if err := checkDimensionValue(k, o.Dimensions[k]); err != nil {
			return err
		}
	}
	return nil
}

// Writer writes EMF documents, one JSON object per line, to an io.Writer.
// It is safe for concurrent use: each line is written whole with one Write
// call, under a lock, so lines of concurrent invocations never interleave.
type Writer struct {
	out  io.Writer
	ns   string
	sets [][]string // default dimension sets, copied
	dims []kv       // default dimension values, sorted by name
	now  func() time.Time
	err  error // configuration error, returned by every Flush

	mu   sync.Mutex // serialises out.Write
	bufs sync.Pool  // *[]byte
}

type kv struct{ k, v string }

// NewWriter returns a Writer of documents to w (nil: io.Discard). A bad
// Options does not panic: Err and every Flush return the problem, and
// nothing is written.
func NewWriter(w io.Writer, opts Options) *Writer {
	if w == nil {
		w = io.Discard
	}
	wr := &Writer{out: w, ns: opts.Namespace, now: opts.Now, err: opts.Validate()}
	if wr.now == nil {
		wr.now = time.Now
	}
	wr.sets = make([][]string, len(opts.DimensionSets))
	for i, s := range opts.DimensionSets {
		wr.sets[i] = slices.Clone(s)
		if wr.sets[i] == nil {
			wr.sets[i] = []string{}
		}
	}
	for _, k := range sortedKeys(opts.Dimensions) {
		wr.dims = append(wr.dims, kv{k, opts.Dimensions[k]})
	}
	return wr
}

// Err returns the configuration error of w, or nil. Check it at start: a
// Writer with a bad configuration writes nothing.
func (w *Writer) Err() error {
	if w == nil {
		return nil
	}
	return w.err
}

// discard backs Metrics of a nil *Writer.
var discard = NewWriter(io.Discard, Options{Namespace: "Discard"})

// New returns an empty Metrics for one invocation. On a nil *Writer it
// returns Metrics that check every call as usual and write nothing.
func (w *Writer) New() *Metrics {
	if w == nil {
		w = discard
	}
	m := &Metrics{w: w}
	m.dims = m.dimsInl[:0]
	m.entries = m.entriesInl[:0]
	return m
}

func (w *Writer) write(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.out.Write(b)
	return err
}

func (w *Writer) getBuf() *[]byte {
	if b, ok := w.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (w *Writer) putBuf(b *[]byte) {
	if cap(*b) > 2*MaxDocumentBytes {
		return
	}
	*b = (*b)[:0]
	w.bufs.Put(b)
}

// defaultDim returns the writer's default value of dimension name.
func (w *Writer) defaultDim(name string) (string, bool) {
	for _, d := range w.dims {
		if d.k == name {
			return d.v, true
		}
	}
	return "", false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type ctxKey struct{}

// NewContext returns a copy of ctx carrying m, so code deep in an invocation
// can add to the invocation's metrics.
func NewContext(ctx context.Context, m *Metrics) context.Context {
	return context.WithValue(ctx, ctxKey{}, m)
}

// FromContext returns the Metrics that NewContext stored in ctx, or nil.
func FromContext(ctx context.Context) *Metrics {
	m, _ := ctx.Value(ctxKey{}).(*Metrics)
	return m
}
