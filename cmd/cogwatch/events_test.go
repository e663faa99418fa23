package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
)

// TestEventsDecodeGolden runs `events decode` on every input under
// testdata/events and compares exit code, stdout and stderr with the golden
// file beside it.
func TestEventsDecodeGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/events/*.json*")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		for _, compact := range []bool{false, true} {
			args := []string{"events", "decode", in}
			golden := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden"
			if compact {
				args = append(args, "--compact")
				golden = strings.TrimSuffix(golden, ".golden") + ".compact.golden"
			}
			t.Run(filepath.Base(golden), func(t *testing.T) {
				r := cogwatch(t.Context(), nil, args...)
				got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
				testutil.Golden(t, golden, []byte(got))
			})
		}
	}
}

// TestEventsDecode pins what the golden files show, so that -update cannot
// silently accept a regression.
func TestEventsDecode(t *testing.T) {
	tests := []struct {
		file      string
		code      int
		ids       []string
		errLines  []string
		errSuffix string
	}{
		{file: "single.json", ids: []string{"7c1f9a52-3d2e-4b8a-9f0e-0a1b2c3d4e5f"}},
		{file: "array.json", ids: []string{"evt-1", "evt-2", "evt-3"}},
		{file: "lines.jsonl", ids: []string{"evt-1", "evt-2", "evt-3", "evt-4"}},
		{
			file: "bad.jsonl", code: 1, ids: []string{"evt-1", "evt-4"},
			errLines: []string{
				"testdata/events/bad.jsonl:2: event: type: invalid value: unknown event type \"cogwatch.signin.maybe\"",
				"testdata/events/bad.jsonl:3:29: event: decode: unexpected end of JSON input",
				"testdata/events/bad.jsonl:4: event: data.region: missing required field",
				"testdata/events/bad.jsonl:5: event: decode: json: unknown field \"colour\"",
				"testdata/events/bad.jsonl:6: event: SNS message is not a Notification: \"SubscriptionConfirmation\"",
			},
			errSuffix: "cogwatch events decode: 5 of 7 events invalid\n",
		},
		{
			file: "bad-array.json", code: 1, ids: []string{"evt-1"},
			errLines: []string{
				"testdata/events/bad-array.json:21: [1]: event: data.region: missing required field",
				"testdata/events/bad-array.json:39:25: [2]: event: decode: invalid character '\"' after object key:value pair",
			},
			errSuffix: "cogwatch events decode: 2 of 3 events invalid\n",
		},
		{
			file: "strings.json", code: 1, ids: []string{"evt-1", "evt-4"},
			errLines: []string{
				"testdata/events/strings.json:4: [2]: event: decode: unexpected end of JSON input",
				"testdata/events/strings.json:5: [3]: event: decode: want a JSON object (an event or an SNS envelope), got a number",
			},
			errSuffix: "cogwatch events decode: 2 of 4 events invalid\n",
		},
		{file: "empty.json", code: 1, errSuffix: "cogwatch events decode: testdata/events/empty.json: no events in the input\n"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, "events", "decode", "--compact", "testdata/events/"+tc.file)
			require.Equal(t, tc.code, r.code, r.stderr)
			var ids []string
			for line := range strings.Lines(r.stdout) {
				e, err := event.Decode([]byte(line))
				require.NoError(t, err, "output must decode again: %s", line)
				ids = append(ids, e.ID)
			}
			require.Equal(t, tc.ids, ids)
			for _, l := range tc.errLines {
				require.Contains(t, r.stderr, l+"\n")
			}
			require.True(t, strings.HasSuffix(r.stderr, tc.errSuffix), r.stderr)
			require.Equal(t, len(tc.errLines)+min(1, len(tc.errSuffix)), strings.Count(r.stderr, "\n"))
		})
	}
}

func TestEventsDecodeStdin(t *testing.T) {
	in, err := os.ReadFile("testdata/events/lines.jsonl")
	require.NoError(t, err)
	for _, args := range [][]string{{"events", "decode"}, {"events", "decode", "-"}} {
		r := cogwatch(t.Context(), bytes.NewReader(in), args...)
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, 4, strings.Count(r.stdout, `"specversion"`))
	}
	r := cogwatch(t.Context(), strings.NewReader("{\"specversion\":\"1.0\"}\n"), "events", "decode")
	require.Equal(t, 1, r.code)
	require.Equal(t, "stdin:1: event: id: missing required field\ncogwatch events decode: 1 of 1 events invalid\n", r.stderr)
}

// TestEventsDecodeColumns: a syntax error's line:column is the offending
// character's, 1-based, in every shape of input (a json.Decoder's own
// offsets are off by one, and by more inside an array).
func TestEventsDecodeColumns(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "one value", in: `{"a":1,}`, want: "stdin:1:8: event: decode: invalid character '}' looking for beginning of object key string"},
		{name: "pretty-printed", in: "{\n  \"a\": 1,\n  x\n}\n", want: "stdin:3:3: event: decode: invalid character 'x' looking for beginning of object key string"},
		{name: "after a value", in: "\t{\"id\":1} x", want: "stdin:1:11: event: decode: invalid character 'x' looking for beginning of value"},
		{name: "json lines, indented", in: "{\"id\":1}\n  {\"a\":1,}\n", want: "stdin:2:10: event: decode: invalid character '}' looking for beginning of object key string"},
		{name: "array element", in: "[\n {\"id\":1},\n {\"b\":2,x}\n]\n", want: "stdin:3:9: [1]: event: decode: invalid character 'x' looking for beginning of object key string"},
		{name: "array without comma", in: `[{"id":1} {"id":2}]`, want: "stdin:1:11: [1]: event: decode: expected comma after array element"},
		{name: "array, two commas", in: `[{"id":1},,{"id":2}]`, want: "stdin:1:11: [1]: event: decode: invalid character ',' looking for beginning of value"},
		{name: "array not closed", in: `[{"id":1}`, want: "stdin:1:10: event: decode: unexpected EOF"},
		{name: "after the array", in: `[{"id":1}] x`, want: "stdin:1:12: event: decode: data after the array"},
		{name: "inside a string: no column", in: `"{\"a\":1,}"`, want: "stdin:1: event: decode: invalid character '}' looking for beginning of object key string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), strings.NewReader(tc.in), "events", "decode")
			require.Equal(t, 1, r.code)
			// The syntax error is the last record: the line before the count.
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			require.GreaterOrEqual(t, len(lines), 2, r.stderr)
			require.Equal(t, tc.want, lines[len(lines)-2], r.stderr)
		})
	}
}

func TestEventsDecodeDirectory(t *testing.T) {
	dir := t.TempDir()
	r := cogwatch(t.Context(), nil, "events", "decode", dir)
	require.Equal(t, 1, r.code)
	require.Equal(t, "cogwatch events decode: "+dir+": is a directory\n", r.stderr)
}

func TestEventsDecodeTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte(" "), maxEventsInput+1)
	r := cogwatch(t.Context(), bytes.NewReader(big), "events", "decode")
	require.Equal(t, 1, r.code)
	require.Equal(t, "cogwatch events decode: stdin: input larger than 64 MiB\n", r.stderr)

	// A file says its size: refused before any of it is read.
	f := filepath.Join(t.TempDir(), "big.jsonl")
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	require.NoError(t, os.Truncate(f, maxEventsInput+1))
	r = cogwatch(t.Context(), nil, "events", "decode", f)
	require.Equal(t, 1, r.code)
	require.Equal(t, "cogwatch events decode: "+f+": input larger than 64 MiB\n", r.stderr)

	help := cogwatch(t.Context(), nil, "events", "decode", "--help")
	require.Contains(t, help.stdout, "The input is at most 64 MiB")
}

// TestReadAtMost: the limit is exact, and a reader that goes on for ever
// is read no further than the limit.
func TestReadAtMost(t *testing.T) {
	b, err := readAtMost(bytes.NewReader(bytes.Repeat([]byte("x"), 3<<20)), 3<<20)
	require.NoError(t, err)
	require.Len(t, b, 3<<20)
	endless := &countingReader{}
	_, err = readAtMost(endless, 3<<20)
	require.ErrorIs(t, err, errTooLarge)
	require.LessOrEqual(t, endless.n, int64(3<<20+1))
}

// countingReader is an endless input that counts what was read of it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// BenchmarkRefuseOversized: the memory it takes to refuse an input over
// the limit (B/op), beside io.ReadAll of a limited reader, which
// `events decode` used to call.
func BenchmarkRefuseOversized(b *testing.B) {
	for name, read := range map[string]func(io.Reader) ([]byte, error){
		"readAtMost": func(r io.Reader) ([]byte, error) { return readAtMost(r, maxEventsInput) },
		"io.ReadAll": func(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, maxEventsInput+1)) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = read(&countingReader{})
			}
		})
	}
}

// FuzzDecodeEvents: any input gives records, never a panic; every record
// points into the input; every decoded event re-encodes to what decodes to
// the same event.
func FuzzDecodeEvents(f *testing.F) {
	files, _ := filepath.Glob("testdata/events/*.json*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[]"))
	f.Add([]byte("[1,"))
	f.Add([]byte("{}\n{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := bytes.Split(b, []byte("\n"))
		for _, r := range decodeEvents(b) {
			if r.Line < 1 || r.Line > len(lines) {
				t.Fatalf("record at line %d of %d", r.Line, len(lines))
			}
			if r.Column < 0 || r.Column > len(lines[r.Line-1])+1 {
				t.Fatalf("record at %d:%d, a line of %d bytes", r.Line, r.Column, len(lines[r.Line-1]))
			}
			if r.Err != nil {
				continue
			}
			once, err := json.Marshal(r.Event)
			if err != nil {
				t.Fatal(err)
			}
			again, err := event.Decode(once)
			if err != nil {
				t.Fatalf("re-decoding %s: %v", once, err)
			}
			twice, err := json.Marshal(again)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(once, twice) {
				t.Fatalf("round trip changed the event:\n%s\n%s", once, twice)
			}
		}
	})
}
