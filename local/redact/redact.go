package redact

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Mask replaces the local part of each address.
const Mask = "***"

// MaxLine is how much of a line a Writer holds back waiting for its end;
// past it, the Writer writes what it holds up to the last byte that cannot
// be part of an address.
const MaxLine = 64 << 10

// Emails returns line with the local part of every email address replaced
// by Mask. It allocates only when it finds one.
func Emails(line []byte) []byte {
	at := bytes.IndexByte(line, '@')
	if at < 0 {
		return line
	}
	var out []byte
	done := 0 // line[:done] is in out (or needs no change when out is nil)
	for ; at >= 0; at = nextAt(line, at) {
		start := localStart(line[:at])
		if start == at || at+1 >= len(line) || !isDomainStart(line[at+1:]) {
			continue // no local part, or nothing like a domain after the @
		}
		if bytes.Equal(line[start:at], []byte(Mask)) {
			continue // already redacted
		}
		out = append(out, line[done:start]...)
		out = append(out, Mask...)
		done = at
	}
	if out == nil {
		return line
	}
	return append(out, line[done:]...)
}

func nextAt(line []byte, at int) int {
	i := bytes.IndexByte(line[at+1:], '@')
	if i < 0 {
		return -1
	}
	return at + 1 + i
}

// localStart returns where the run of local-part characters that ends b
// begins: RFC 5322 atext, dots, and letters and digits of any script.
func localStart(b []byte) int {
	i := len(b)
	for i > 0 {
		r, size := utf8.DecodeLastRune(b[:i])
		if !isLocal(r) {
			break
		}
		i -= size
	}
	return i
}

func isLocal(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r)
	default:
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
	}
}

// isDomainStart reports whether b begins like a domain or an address
// literal: a letter or digit (of any script), a hyphen, a dot or a bracket.
// Malformed domains (-example.com, example..com) count: they are still
// someone's local part in front.
func isDomainStart(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return r == '-' || r == '.' || r == '[' || r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// Writer redacts email addresses from what it passes on to W, a line at a
// time: it holds back an unfinished line until its newline arrives (or
// Flush, or MaxLine), so an address split across two writes is still found.
// It is safe for concurrent use; os/exec's copying goroutine and Flush may
// call it at once.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte // the unfinished line
	err error  // the first error of w, returned from then on
}

// NewWriter returns a Writer passing redacted lines on to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write redacts every complete line of p (with what came before it) and
// writes it to the underlying writer. It reports len(p) unless that writer
// failed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	end := bytes.LastIndexByte(w.buf, '\n') + 1
	if end == 0 && len(w.buf) > MaxLine {
		end = safeCut(w.buf)
	}
	if end > 0 {
		if err := w.emit(w.buf[:end]); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[end:]...)
	}
	return len(p), nil
}

// emit writes the redacted lines of b.
func (w *Writer) emit(b []byte) error {
	var out []byte
	for line := range bytes.Lines(b) {
		out = append(out, Emails(line)...)
	}
	if _, err := w.w.Write(out); err != nil {
		w.err = err
	}
	return w.err
}

// safeCut returns the length of the longest prefix of b that ends with a
// byte no address can contain (so no address straddles the cut), or len(b)
// when there is none.
func safeCut(b []byte) int {
	for i := len(b) - 1; i > 0; i-- {
		if c := b[i]; c < utf8.RuneSelf && c != '@' && !isLocal(rune(c)) {
			return i + 1
		}
	}
	return len(b)
}

// Flush writes the unfinished line, redacted. Call it when the output ends
// (the child exited).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	err := w.emit(w.buf)
	w.buf = w.buf[:0]
	return err
}
