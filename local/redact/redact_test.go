package redact_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/redact"
)

func TestEmails(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "none", in: "no address here\n", want: "no address here\n"},
		{name: "plain", in: "alice@example.com\n", want: "***@example.com\n"},
		{name: "in JSON", in: `{"email":"bob.smith+tag@example.org","n":1}`, want: `{"email":"***@example.org","n":1}`},
		{name: "in cognito-local's box", in: "│ Destination: carol_1@sub.example.net │", want: "│ Destination: ***@sub.example.net │"},
		{name: "two", in: "a@x.com, b@y.com", want: "***@x.com, ***@y.com"},
		{name: "no top-level domain", in: "u1@example", want: "***@example"},
		{name: "consecutive dots", in: "u1..x@example.com", want: "***@example.com"},
		{name: "hyphen label", in: "u1@-example.com", want: "***@-example.com"},
		{name: "empty label", in: "u1@example..com", want: "***@example..com"},
		{name: "address literal", in: "u1@[127.0.0.1]", want: "***@[127.0.0.1]"},
		{name: "non-ASCII local part", in: "jörg.müller@example.de", want: "***@example.de"},
		{name: "non-ASCII domain", in: "x@bücher.example", want: "***@bücher.example"},
		{name: "in angle brackets", in: "To: <dave@example.com>", want: "To: <***@example.com>"},
		{name: "query string (/ ? = are atext: more goes)", in: "GET /?email=eve@example.com HTTP/1.1", want: "GET ***@example.com HTTP/1.1"},
		{name: "after a colon", in: "user:frank@example.com", want: "user:***@example.com"},
		{name: "double @", in: "a@b@c.com", want: "***@***@c.com"},
		{name: "no local part", in: "@types/node and @ 1", want: "@types/node and @ 1"},
		{name: "nothing like a domain after", in: "a@ b@\n", want: "a@ b@\n"},
		{name: "already redacted", in: "***@example.com", want: "***@example.com"},
		{name: "empty", in: "", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(redact.Emails([]byte(tc.in)))
			require.Equal(t, tc.want, got)
			require.Equal(t, got, string(redact.Emails([]byte(got))), "idempotent")
		})
	}
}

// TestWriterSplitsAnywhere writes a log at every split point in two writes,
// and byte by byte: the output is always the redacted whole.
func TestWriterSplitsAnywhere(t *testing.T) {
	in := "start\n│ Username: alice@example.com │\nCODE 123456 for bob.b@example.org\nno newline at the end: carol@example.net"
	want := "start\n│ Username: ***@example.com │\nCODE 123456 for ***@example.org\nno newline at the end: ***@example.net"
	for i := range len(in) + 1 {
		var out bytes.Buffer
		w := redact.NewWriter(&out)
		for _, part := range []string{in[:i], in[i:]} {
			n, err := w.Write([]byte(part))
			require.NoError(t, err)
			require.Equal(t, len(part), n)
		}
		require.NoError(t, w.Flush())
		require.Equal(t, want, out.String(), "split at %d", i)
	}
	var out bytes.Buffer
	w := redact.NewWriter(&out)
	for i := range len(in) {
		_, err := w.Write([]byte{in[i]})
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	require.Equal(t, want, out.String())
}

// TestWriterHoldsOnlyUnfinishedLines: a complete line goes through at
// once, an unfinished one waits for its newline or Flush.
func TestWriterHoldsOnlyUnfinishedLines(t *testing.T) {
	var out bytes.Buffer
	w := redact.NewWriter(&out)
	_, err := w.Write([]byte("one a@example.com\ntwo b"))
	require.NoError(t, err)
	require.Equal(t, "one ***@example.com\n", out.String())
	_, err = w.Write([]byte("@example.com"))
	require.NoError(t, err)
	require.Equal(t, "one ***@example.com\n", out.String(), "the line has not ended")
	require.NoError(t, w.Flush())
	require.Equal(t, "one ***@example.com\ntwo ***@example.com", out.String())
	require.NoError(t, w.Flush(), "nothing left")
	require.Equal(t, "one ***@example.com\ntwo ***@example.com", out.String())
}

// TestWriterLongLine: a line longer than MaxLine is written in pieces cut
// between addresses, never through one.
func TestWriterLongLine(t *testing.T) {
	var in strings.Builder
	for in.Len() < 3*redact.MaxLine {
		in.WriteString(`"user.name+tag@example.com" `)
	}
	var out bytes.Buffer
	w := redact.NewWriter(&out)
	b := []byte(in.String())
	for len(b) > 0 {
		n := min(len(b), 1000)
		_, err := w.Write(b[:n])
		require.NoError(t, err)
		b = b[n:]
	}
	require.Greater(t, out.Len(), 0, "written before the line ended")
	require.NoError(t, w.Flush())
	require.Equal(t, strings.ReplaceAll(in.String(), "user.name+tag@", "***@"), out.String())
}

func TestWriterReportsTheUnderlyingError(t *testing.T) {
	boom := errors.New("disk full")
	w := redact.NewWriter(errWriter{boom})
	_, err := w.Write([]byte("no newline yet"))
	require.NoError(t, err, "held back, nothing written yet")
	_, err = w.Write([]byte("\n"))
	require.ErrorIs(t, err, boom)
	_, err = w.Write([]byte("more\n"))
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, w.Flush(), boom)
}

type errWriter struct{ err error }

func (e errWriter) Write([]byte) (int, error) { return 0, e.err }
