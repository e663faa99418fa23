package event

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// lexer reads JSON the way encoding/json's scanner accepts it, for the fast
// decoding paths (fast.go). Each method reports false when it is not sure:
// input it does not take (invalid JSON, or valid JSON it leaves to
// encoding/json), never input that encoding/json would read differently.
type lexer struct {
	b []byte
	i int
}

// plain marks the bytes that stand for themselves in a string literal.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// maxSkipDepth bounds the nesting of values skipped by skip.
const maxSkipDepth = 64

// ws skips JSON whitespace.
func (l *lexer) ws() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// at reports whether the next byte is c (no whitespace skipped).
func (l *lexer) at(c byte) bool { return l.i < len(l.b) && l.b[l.i] == c }

// end reports whether only whitespace is left.
func (l *lexer) end() bool {
	l.ws()
	return l.i == len(l.b)
}

// str reads a string literal at l.i. It returns the literal with its quotes
// and whether it holds an escape or a byte outside ASCII (then the value is
// not the bytes between the quotes as they are: see unquote).
func (l *lexer) str() (lit []byte, special, ok bool) {
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

// text reads a string literal and returns its value as encoding/json
// decodes it into a Go string.
func (l *lexer) text() (string, bool) {
	lit, special, ok := l.str()
	if !ok {
		return "", false
	}
	if !special {
		return string(lit[1 : len(lit)-1]), true
	}
	return unquote(lit[1 : len(lit)-1]), true
}

// num reads a number literal: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (l *lexer) num() ([]byte, bool) {
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

// object reads an object at l.i, calling member for each member with l.i at
// the value (whitespace skipped); member reads the value. Keys with an
// escape or a byte outside ASCII are left to encoding/json (false).
func (l *lexer) object(member func(key []byte) bool) bool {
	if !l.at('{') {
		return false
	}
	l.i++
	l.ws()
	if l.at('}') {
		l.i++
		return true
	}
	for {
		lit, special, ok := l.str()
		if !ok || special {
			return false
		}
		l.ws()
		if !l.at(':') {
			return false
		}
		l.i++
		l.ws()
		if !member(lit[1 : len(lit)-1]) {
			return false
		}
		l.ws()
		switch {
		case l.at(','):
			l.i++
			l.ws()
		case l.at('}'):
			l.i++
			return true
		default:
			return false
		}
	}
}

// skip reads any value, nested at most maxSkipDepth deep.
func (l *lexer) skip(depth int) bool {
	if l.i >= len(l.b) || depth > maxSkipDepth {
		return false
	}
	switch c := l.b[l.i]; {
	case c == '"':
		_, _, ok := l.str()
		return ok
	case c == '{':
		l.i++
		l.ws()
		if l.at('}') {
			l.i++
			return true
		}
		for {
			if _, _, ok := l.str(); !ok {
				return false
			}
			l.ws()
			if !l.at(':') {
				return false
			}
			l.i++
			l.ws()
			if !l.skip(depth + 1) {
				return false
			}
			l.ws()
			switch {
			case l.at(','):
				l.i++
				l.ws()
			case l.at('}'):
				l.i++
				return true
			default:
				return false
			}
		}
	case c == '[':
		l.i++
		l.ws()
		if l.at(']') {
			l.i++
			return true
		}
		for {
			if !l.skip(depth + 1) {
				return false
			}
			l.ws()
			switch {
			case l.at(','):
				l.i++
				l.ws()
			case l.at(']'):
				l.i++
				return true
			default:
				return false
			}
		}
	case c == 't':
		return l.word("true")
	case c == 'f':
		return l.word("false")
	case c == 'n':
		return l.word("null")
	default:
		_, ok := l.num()
		return ok
	}
}

func (l *lexer) word(w string) bool {
	if len(l.b)-l.i < len(w) || string(l.b[l.i:l.i+len(w)]) != w {
		return false
	}
	l.i += len(w)
	return true
}

// hex4 returns the value of four hex digits, or -1.
func hex4(b []byte) rune {
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
		r = r*16 + rune(c)
	}
	return r
}

// unquote returns the value of the contents s of a string literal that str
// accepted, as encoding/json decodes it: escapes resolved, a lone or
// unpaired surrogate escape and each byte of invalid UTF-8 replaced by
// U+FFFD.
func unquote(s []byte) string { return string(unquoteBytes(s)) }

// unquoteBytes is unquote into a new slice.
func unquoteBytes(s []byte) []byte {
	out := make([]byte, 0, len(s)+utf8.UTFMax)
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
			switch e := s[r+1]; e {
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
				rr := hex4(s[r+2 : r+6])
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := rune(-1)
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						rr1 = hex4(s[r+2 : r+6])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						out, r = utf8.AppendRune(out, dec), r+6
						break
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
			default: // '"', '\\', '/'
				out, r = append(out, e), r+2
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
	return out
}
