package jsonlex

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLexer: the lexer takes a whole input as a string, a number or any
// value only if it is that valid JSON, and a string's value is encoding/json's.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{`""`, `"a\u00e9\ud83d\ude00\ud800\udc00x\/\b"`, "\"\xff\xed\xa0\x80\"", `"\ud83d\u0041"`,
		`"\uDBFF\uDFFF"`, `"\u"`, `0`, `-0.5e+10`, `01`, `1.`, `[1,{"a":null}]`, `{"a":[]}`, `tru`, `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		l := New(b)
		if lit, _, ok := l.Str(); ok && l.End() {
			require.True(t, valid, "Str took %q", b)
			var want string
			require.NoError(t, json.Unmarshal(b, &want))
			l = New(b)
			got, ok := l.Text()
			require.True(t, ok)
			require.Equal(t, want, got)
			l = New(b)
			value, ok := l.StrValue()
			require.True(t, ok)
			require.Equal(t, want, string(value))
			unquoted, ok := AppendUnquote(nil, lit[1:len(lit)-1])
			require.True(t, ok)
			require.Equal(t, want, string(unquoted))
		} else if valid && len(b) > 0 && b[0] == '"' {
			t.Fatalf("Str refused the JSON string %q", b)
		}
		l = New(b)
		if _, ok := l.Num(); ok && l.End() {
			require.True(t, valid, "Num took %q", b)
		} else if valid && len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
			t.Fatalf("Num refused the JSON number %q", b)
		}
		l = New(b)
		l.WS()
		require.Equal(t, len(b)-len(strings.TrimLeft(string(b), " \t\r\n")), l.i, "WS")
		if l.Skip(maxDepth) && l.End() {
			require.True(t, valid, "Skip took %q", b)
		} else if valid && strings.Count(string(b), "[")+strings.Count(string(b), "{") <= maxDepth {
			t.Fatalf("Skip refused the JSON value %q", b)
		}
	})
}

// maxDepth is encoding/json's nesting limit, as Skip counts.
const maxDepth = 10000 - 1

func TestSkipDepth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		depth    int
		maxDepth int
		want     bool
	}{
		{name: "within", depth: 3, maxDepth: 2, want: true},
		{name: "too deep", depth: 4, maxDepth: 2, want: false},
		{name: "encoding/json's limit", depth: 10000, maxDepth: maxDepth, want: true},
		{name: "beyond encoding/json's limit", depth: 10001, maxDepth: maxDepth, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(strings.Repeat("[", tc.depth) + strings.Repeat("]", tc.depth))
			l := New(b)
			require.Equal(t, tc.want, l.Skip(tc.maxDepth) && l.End())
			if tc.maxDepth == maxDepth {
				require.Equal(t, tc.want, json.Valid(b), "encoding/json disagrees")
			}
		})
	}
}

func TestAppendUnquote(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{name: "plain", in: `abc`, want: "abc", ok: true},
		{name: "escapes", in: `\"\\\/\b\f\n\r\t`, want: "\"\\/\b\f\n\r\t", ok: true},
		{name: "pair", in: `\ud83d\ude00`, want: "😀", ok: true},
		{name: "lone surrogate", in: `\ud83dx`, want: "\uFFFDx", ok: true},
		{name: "unpaired surrogate", in: `\ud83d\u0041`, want: "\uFFFDA", ok: true},
		{name: "invalid UTF-8", in: "a\xffb", want: "a\uFFFDb", ok: true},
		{name: "unknown escape", in: `\x`},
		{name: "trailing backslash", in: `a\`},
		{name: "short hex", in: `\u12`},
		{name: "bad hex", in: `\u12g4`},
		{name: "surrogate then bad hex", in: `\ud83d\uzzzz`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := AppendUnquote([]byte("x"), []byte(tc.in))
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, "x"+tc.want, string(got))
			}
		})
	}
}

func TestSpace(t *testing.T) {
	require.Equal(t, 4, Space([]byte(" \t\r\nx "), 0))
	require.Equal(t, 6, Space([]byte(" \t\r\nx "), 5))
	require.Equal(t, 1, Space([]byte("x\v"), 1)) // \v is not JSON whitespace
}
