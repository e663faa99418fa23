package local

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writes records each Write it receives.
type writes struct{ got []string }

func (w *writes) Write(p []byte) (int, error) { w.got = append(w.got, string(p)); return len(p), nil }

func TestLineWriterPassesWholeLinesOnly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   []string
	}{
		{name: "one line", writes: []string{"a\n"}, want: []string{"a\n"}},
		{name: "two lines in one write", writes: []string{"a\nb\n"}, want: []string{"a\nb\n"}},
		{name: "a line over three writes", writes: []string{"a", "b", "c\n"}, want: []string{"abc\n"}},
		{name: "a line ends, the next begins", writes: []string{"a\nb", "c\n"}, want: []string{"a\n", "bc\n"}},
		{name: "no end yet", writes: []string{"abc"}, want: nil},
		{name: "a line too long is dropped", writes: []string{strings.Repeat("x", maxLine+1), "tail\nnext\n"}, want: []string{"next\n"}},
		{name: "a line too long in one write", writes: []string{"a\n" + strings.Repeat("x", maxLine+1), "y", "z\nb\n"}, want: []string{"a\n", "b\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w writes
			l := &lineWriter{w: &w}
			for _, s := range tc.writes {
				n, err := l.Write([]byte(s))
				require.NoError(t, err)
				require.Equal(t, len(s), n)
			}
			require.Equal(t, tc.want, w.got)
		})
	}
}

// TestLineWriterKeepsFunctionsApart: two functions' halves of lines,
// interleaved, reach the shared writer as whole lines.
func TestLineWriterKeepsFunctionsApart(t *testing.T) {
	var shared bytes.Buffer
	a, b := &lineWriter{w: &shared}, &lineWriter{w: &shared}
	for _, step := range []struct {
		w *lineWriter
		s string
	}{{a, `{"fn":"a",`}, {b, `{"fn":"b",`}, {a, `"v":1}` + "\n"}, {b, `"v":2}` + "\n"}} {
		_, _ = step.w.Write([]byte(step.s))
	}
	require.Equal(t, `{"fn":"a","v":1}`+"\n"+`{"fn":"b","v":2}`+"\n", shared.String())
}
