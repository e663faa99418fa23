package jsonlex

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Lexer reads JSON at an offset of a byte slice. Each method reports false
// when the input there is not what it reads, leaving the offset unspecified.
type Lexer struct {
	b []byte
	i int
}

// New returns a Lexer at the start of b.
func New(b []byte) Lexer { return Lexer{b: b} }

// plain marks the bytes that stand for themselves in a string literal.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Space returns the offset of the first byte of b at or after i that is not
// JSON whitespace.
func Space(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// WS skips JSON whitespace.
func (l *Lexer) WS() { l.i = Space(l.b, l.i) }

func (l *Lexer) at(c byte) bool { return l.i < len(l.b) && l.b[l.i] == c }

// End reports whether only whitespace is left.
func (l *Lexer) End() bool {
	l.WS()
	return l.i == len(l.b)
}

// Str reads a string literal. It returns the literal with its quotes and
// whether it holds an escape or a byte outside ASCII (then the value is not
// the bytes between the quotes as they are: see AppendUnquote).
func (l *Lexer) Str() (lit []byte, special, ok bool) {
	if !l.at('"') {
		return nil, false, false
	}
	start := l.i
	i := l.i + 1
	for i < len(l.b) {
		for i < len(l.b) && plain[l.b[i]] {
			i++
		}
		if i == len(l.b) {
			break
		}
		c := l.b[i]
		switch {
		case c == '"':
			l.i = i + 1
			return l.b[start:l.i], special, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			special = true
			if i+1 >= len(l.b) {
				return nil, false, false
			}
			switch l.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(l.b) || hex4(l.b[i+2:i+6]) < 0 {
					return nil, false, false
				}
				i += 6
			default:
				return nil, false, false
			}
		case c >= utf8.RuneSelf:
			special = true
			i++
		default:
			i++
		}
	}
	return nil, false, false
}

// Text reads a string literal and returns its value as encoding/json
// decodes it into a Go string.
func (l *Lexer) Text() (string, bool) {
	lit, special, ok := l.Str()
	if !ok {
		return "", false
	}
	if !special {
		return string(lit[1 : len(lit)-1]), true
	}
	return string(mustUnquote(lit[1 : len(lit)-1])), true
}

// Exact reads the string literal "want" (no escapes) and nothing else.
func (l *Lexer) Exact(want string) bool {
	if l.i+len(want)+2 <= len(l.b) && l.b[l.i] == '"' && string(l.b[l.i+1:l.i+1+len(want)]) == want && l.b[l.i+1+len(want)] == '"' {
		l.i += len(want) + 2
		return true
	}
	return false
}

// Num reads a number literal: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (l *Lexer) Num() ([]byte, bool) {
	b, start, i := l.b, l.i, l.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return nil, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return nil, false
		}
		i = j
	}
	l.i = i
	return b[start:i], true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// Object reads an object, calling member for each member with the offset at
// the value (whitespace skipped); member reads the value. A member name with
// an escape or a byte outside ASCII is refused (false): callers that match
// names leave those to encoding/json.
func (l *Lexer) Object(member func(key []byte) bool) bool {
	if !l.at('{') {
		return false
	}
	// the loop of list, by hand: this is the hot path of event decoding
	for more := l.first('}'); more; {
		lit, special, ok := l.Str()
		if !ok || special {
			return false
		}
		if l.WS(); !l.at(':') {
			return false
		}
		l.i++
		l.WS()
		if !member(lit[1 : len(lit)-1]) {
			return false
		}
		switch l.WS(); {
		case l.at(','):
			l.i++
			l.WS()
		case l.at('}'):
			l.i++
			more = false
		default:
			return false
		}
	}
	return true
}

// list reads the object or array opened at the offset, calling item for
// each member or element (whitespace before it skipped).
func (l *Lexer) list(close byte, item func() bool) bool {
	for more := l.first(close); more; {
		ok := item()
		if ok {
			more, ok = l.next(close)
		}
		if !ok {
			return false
		}
	}
	return true
}

// first reads the opening byte of an object or array and the whitespace
// after it, and reports whether an item follows: else it reads close too.
func (l *Lexer) first(close byte) bool {
	l.i++
	l.WS()
	if l.at(close) {
		l.i++
		return false
	}
	return true
}

// next reads what follows an item: a comma and the whitespace after it
// (more), or close (not more).
func (l *Lexer) next(close byte) (more, ok bool) {
	l.WS()
	switch {
	case l.at(','):
		l.i++
		l.WS()
		return true, true
	case l.at(close):
		l.i++
		return false, true
	}
	return false, false
}

// colon reads a member's ':' and the whitespace around it.
func (l *Lexer) colon() bool {
	l.WS()
	if !l.at(':') {
		return false
	}
	l.i++
	l.WS()
	return true
}

// Skip reads any value, refusing containers nested deeper than maxDepth
// (a value at depth 0 is the outermost).
func (l *Lexer) Skip(maxDepth int) bool { return l.skip(0, maxDepth) }

func (l *Lexer) skip(depth, maxDepth int) bool {
	if l.i >= len(l.b) || depth > maxDepth {
		return false
	}
	value := func() bool { return l.skip(depth+1, maxDepth) }
	switch c := l.b[l.i]; {
	case c == '"':
		_, _, ok := l.Str()
		return ok
	case c == '{':
		return l.list('}', func() bool {
			_, _, ok := l.Str()
			return ok && l.colon() && value()
		})
	case c == '[':
		return l.list(']', value)
	case c == 't':
		return l.word("true")
	case c == 'f':
		return l.word("false")
	case c == 'n':
		return l.word("null")
	default:
		_, ok := l.Num()
		return ok
	}
}

func (l *Lexer) word(w string) bool {
	if len(l.b)-l.i < len(w) || string(l.b[l.i:l.i+len(w)]) != w {
		return false
	}
	l.i += len(w)
	return true
}

// hex4 returns the value of the four hex digits b begins with, or -1 (also
// when b is shorter).
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// AppendUnquote appends to out the value of s, the contents of a string
// literal between its quotes, as encoding/json decodes it: escapes resolved,
// a lone or unpaired surrogate escape and each byte of invalid UTF-8 replaced
// by U+FFFD. It reports false for an invalid escape. s is not checked for the
// quotes or control bytes a literal cannot hold.
func AppendUnquote(out, s []byte) ([]byte, bool) {
	for r := 0; r < len(s); {
		if plain[s[r]] { // a run of bytes that stand for themselves
			j := r + 1
			for j < len(s) && plain[s[j]] {
				j++
			}
			out, r = append(out, s[r:j]...), j
			continue
		}
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				return nil, false
			}
			switch e := s[r+1]; e {
			case '"', '\\', '/':
				out, r = append(out, e), r+2
			case 'b':
				out, r = append(out, '\b'), r+2
			case 'f':
				out, r = append(out, '\f'), r+2
			case 'n':
				out, r = append(out, '\n'), r+2
			case 'r':
				out, r = append(out, '\r'), r+2
			case 't':
				out, r = append(out, '\t'), r+2
			case 'u':
				rr := hex4(s[r+2:])
				if rr < 0 {
					return nil, false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := rune(-1)
					if r+1 < len(s) && s[r] == '\\' && s[r+1] == 'u' {
						rr1 = hex4(s[r+2:])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						out, r = utf8.AppendRune(out, dec), r+6
						break
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			out, r = append(out, c), r+1
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, unicode.ReplacementChar)
			} else {
				out = append(out, s[r:r+size]...)
			}
			r += size
		}
	}
	return out, true
}

// StrValue reads a string literal and returns its value as AppendUnquote does,
// sharing the literal's memory when it holds no escape or non-ASCII byte.
func (l *Lexer) StrValue() ([]byte, bool) {
	lit, special, ok := l.Str()
	if !ok {
		return nil, false
	}
	if !special {
		return lit[1 : len(lit)-1], true
	}
	return mustUnquote(lit[1 : len(lit)-1]), true
}

// mustUnquote returns the value of contents Str accepted.
func mustUnquote(s []byte) []byte {
	out, _ := AppendUnquote(make([]byte, 0, len(s)+utf8.UTFMax), s)
	return out
}
