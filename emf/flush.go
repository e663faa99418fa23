package emf

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Flush writes the collected metrics, one line normally and more only when
// a limit forces a split (more than MaxMetrics metrics or MaxValues values
// of one metric, one name with two definitions, or MaxDocumentBytes). Then
// it forgets the metrics and keeps the dimensions and properties, so a
// long-running invocation may flush again. With no metrics it writes nothing.
//
// The error joins the problems of the calls since the last Flush that had
// no error result, any metric whose dimension sets were all left out, and
// the Writer's error.
func (m *Metrics) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.err
	m.err = nil
	if m.w.err != nil {
		m.reset()
		return errors.Join(m.w.err, err)
	}
	if len(m.entries) == 0 {
		return err
	}
	defer m.reset()

	w := m.w
	bp := w.getBuf()
	defer w.putBuf(bp)
	buf := (*bp)[:0]

	// The members every document of this flush shares: dimension values,
	// then properties, each with a leading comma.
	for _, d := range w.dims {
		if !m.dimOverridden(d.k) {
			buf = appendMember(buf, d.k)
			buf = appendString(buf, d.v)
		}
	}
	for _, d := range m.dims {
		if d.v != "" {
			buf = appendMember(buf, d.k)
			buf = appendString(buf, d.v)
		}
	}
	dimsLen := len(buf)
	for _, p := range m.props {
		n := len(buf)
		buf = appendMember(buf, p.k)
		var perr error
		if buf, perr = appendAny(buf, p.v); perr != nil {
			buf = buf[:n]
			err = errors.Join(err, fmt.Errorf("emf: property %q: %w: %v", p.k, ErrProperty, perr))
		}
	}
	if len(buf) > MaxDocumentBytes/2 {
		err = errors.Join(err, fmt.Errorf("emf: properties: %w: %d bytes with the dimensions, the limit is %d; written without them",
			ErrTooLarge, len(buf), MaxDocumentBytes/2))
		buf = buf[:dimsLen]
	}
	shared := len(buf)
	ts := w.now().UnixMilli()

	for {
		var sel, take [MaxMetrics]int
		cnt := 0
		size := shared + 64 + len(w.ns)
	pick:
		for i := range m.entries {
			e := &m.entries[i]
			if e.sent == e.n {
				continue
			}
			if cnt == MaxMetrics {
				break
			}
			for _, j := range sel[:cnt] {
				if m.entries[j].name == e.name {
					continue pick
				}
			}
			k := min(MaxValues, e.n-e.sent)
			es := m.entrySize(e, k)
			if cnt > 0 && size+es > MaxDocumentBytes {
				continue
			}
			sel[cnt], take[cnt] = i, k
			cnt++
			size += es
		}
		if cnt == 0 {
			break
		}
		var derr error
		buf, derr = m.appendDocument(buf, shared, ts, sel[:cnt], take[:cnt])
		err = errors.Join(err, derr)
		if werr := w.write(buf[shared:]); werr != nil {
			err = errors.Join(err, fmt.Errorf("emf: write: %w", werr))
		}
		buf = buf[:shared]
		for a, i := range sel[:cnt] {
			m.entries[i].sent += take[a]
		}
	}
	*bp = buf
	return err
}

func (m *Metrics) reset() {
	clear(m.entries)
	m.entries = m.entries[:0]
}

// entrySize bounds the bytes k values of e add to a document.
func (m *Metrics) entrySize(e *entry, k int) int {
	// name in its definition and as a member, the directive around it
	// (counted for every metric, though metrics with the same sets share
	// one), each value with its comma
	n := 4*len(e.name) + 80 + len(m.w.ns) + 48 + k*26
	for _, s := range m.setsOf(e) {
		n += 4
		for _, d := range s {
			n += 2*len(d) + 3
		}
	}
	return n
}

func (m *Metrics) setsOf(e *entry) [][]string {
	if e.own {
		return e.sets
	}
	return m.w.sets
}

// sameSets reports whether a and b go in the same directive: their
// dimension sets, their own or the writer's, are equal.
func (m *Metrics) sameSets(a, b *entry) bool {
	if a.own == b.own && !a.own {
		return true
	}
	return setsEqual(m.setsOf(a), m.setsOf(b))
}

// setPresent reports whether every dimension of set has a value.
func (m *Metrics) setPresent(set []string) bool {
	for _, d := range set {
		if m.dimValue(d) == "" {
			return false
		}
	}
	return true
}

// extracted reports whether e gets a metric directive: it has no sets (the
// empty set) or one of its sets has all its values.
func (m *Metrics) extracted(e *entry) bool {
	sets := m.setsOf(e)
	if len(sets) == 0 {
		return true
	}
	for _, s := range sets {
		if m.setPresent(s) {
			return true
		}
	}
	return false
}

// appendDocument appends one document to buf, whose first shared bytes are
// the shared members: the metadata, those members, then the values.
func (m *Metrics) appendDocument(buf []byte, shared int, ts int64, sel, take []int) ([]byte, error) {
	var err error
	var done, out [MaxMetrics]bool
	anyOut := false
	for a, i := range sel {
		out[a] = m.extracted(&m.entries[i])
		anyOut = anyOut || out[a]
		if !out[a] {
			err = errors.Join(err, fmt.Errorf("emf: metric %q: %w; written as a plain member, not extracted", m.entries[i].name, ErrDropped))
		}
	}
	buf = append(buf, '{')
	comma := false
	if anyOut {
		buf = append(buf, `"_aws":{"Timestamp":`...)
		buf = strconv.AppendInt(buf, ts, 10)
		buf = append(buf, `,"CloudWatchMetrics":[`...)
		first := true
		for a, i := range sel {
			if done[a] || !out[a] {
				continue
			}
			e := &m.entries[i]
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(buf, `{"Namespace":`...)
			buf = appendString(buf, m.w.ns)
			buf = append(buf, `,"Dimensions":[`...)
			sets := m.setsOf(e)
			if len(sets) == 0 {
				buf = append(buf, "[]"...)
			}
			firstSet := true
			for _, s := range sets {
				if !m.setPresent(s) {
					continue
				}
				if !firstSet {
					buf = append(buf, ',')
				}
				firstSet = false
				buf = append(buf, '[')
				for j, d := range s {
					if j > 0 {
						buf = append(buf, ',')
					}
					buf = appendString(buf, d)
				}
				buf = append(buf, ']')
			}
			buf = append(buf, `],"Metrics":[`...)
			for b := a; b < len(sel); b++ {
				f := &m.entries[sel[b]]
				if done[b] || !out[b] || !m.sameSets(e, f) {
					continue
				}
				if b > a {
					buf = append(buf, ',')
				}
				done[b] = true
				buf = append(buf, `{"Name":`...)
				buf = appendString(buf, f.name)
				if f.unit != "" {
					buf = append(buf, `,"Unit":`...)
					buf = appendString(buf, string(f.unit))
				}
				if f.high {
					buf = append(buf, `,"StorageResolution":1`...)
				}
				buf = append(buf, '}')
			}
			buf = append(buf, "]}"...)
		}
		buf = append(buf, "]}"...)
		comma = true
	}
	if shared > 0 {
		if comma {
			buf = append(buf, buf[:shared]...)
		} else {
			buf = append(buf, buf[1:shared]...)
		}
		comma = true
	}
	for a, i := range sel {
		e := &m.entries[i]
		if comma {
			buf = append(buf, ',')
		}
		comma = true
		buf = appendString(buf, e.name)
		buf = append(buf, ':')
		if take[a] == 1 {
			buf = appendFloat(buf, e.value(e.sent))
			continue
		}
		buf = append(buf, '[')
		for j := range take[a] {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendFloat(buf, e.value(e.sent+j))
		}
		buf = append(buf, ']')
	}
	buf = append(buf, "}\n"...)
	return buf, err
}

// appendMember appends ,"key": to b.
func appendMember(b []byte, key string) []byte {
	b = append(b, ',')
	b = appendString(b, key)
	return append(b, ':')
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, as encoding/json would without
// HTML escaping: invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat appends f as a JSON number, as encoding/json would.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendAny appends v as JSON: common types directly, others through
// encoding/json.
func appendAny(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, fmt.Errorf("unsupported value %v", x)
		}
		return appendFloat(b, x), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}
