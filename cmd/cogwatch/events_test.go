package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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
				"testdata/events/bad.jsonl:3: event: decode: unexpected end of JSON input",
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
				"testdata/events/bad-array.json:39:20: [2]: event: decode: invalid character '\"' after object key:value pair",
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

func TestEventsDecodeTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte(" "), maxEventsInput+1)
	r := cogwatch(t.Context(), bytes.NewReader(big), "events", "decode")
	require.Equal(t, 1, r.code)
	require.Equal(t, "cogwatch events decode: stdin: input larger than 64 MiB\n", r.stderr)
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
		lines := bytes.Count(b, []byte("\n")) + 1
		for _, r := range decodeEvents(b) {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("record at line %d of %d", r.Line, lines)
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
