package redact_test

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/redact"
)

// FuzzWriter: whatever the output and wherever it is split, the Writer
// writes exactly the redacted input, no run of local-part characters but
// the mask stands before an @ that starts a domain, and redacting again
// changes nothing.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("│ Destination: alice@example.com │\n"), uint16(7))
	f.Add([]byte(`{"email":"u1..x@example.com"}`+"\n"+"u2@-example.com"), uint16(20))
	f.Add([]byte("a@b@c.com\n@types/node\njörg@bücher.example"), uint16(3))
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		i := int(split) % (len(in) + 1)
		var out bytes.Buffer
		w := redact.NewWriter(&out)
		_, err := w.Write(in[:i])
		require.NoError(t, err)
		_, err = w.Write(in[i:])
		require.NoError(t, err)
		require.NoError(t, w.Flush())

		var want []byte
		for line := range bytes.Lines(in) {
			want = append(want, redact.Emails(line)...)
		}
		require.Equal(t, string(want), out.String())
		require.Equal(t, out.String(), string(redact.Emails(out.Bytes())), "idempotent")
		if !utf8.Valid(in) {
			return
		}
		for line := range bytes.Lines(out.Bytes()) {
			for at := bytes.IndexByte(line, '@'); at >= 0; {
				if local := localBefore(line[:at]); local != "" && at+1 < len(line) && domainStart(line[at+1:]) {
					require.Equal(t, redact.Mask, local, "line %q", line)
				}
				next := bytes.IndexByte(line[at+1:], '@')
				if next < 0 {
					break
				}
				at += 1 + next
			}
		}
	})
}

// localBefore and domainStart restate the ASCII part of the rule, to check
// the result independently of the implementation.
func localBefore(b []byte) string {
	i := len(b)
	for i > 0 && (isAlnum(b[i-1]) || bytes.IndexByte([]byte(".!#$%&'*+-/=?^_`{|}~"), b[i-1]) >= 0) {
		i--
	}
	if i > 0 && b[i-1] >= utf8.RuneSelf {
		return "" // a non-ASCII rune: its letters count too; the unit tests cover them
	}
	return string(b[i:])
}

func domainStart(b []byte) bool {
	return isAlnum(b[0]) || b[0] == '-' || b[0] == '.' || b[0] == '['
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
