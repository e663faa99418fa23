package event_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// compactFixture returns a testdata event as Marshal writes it.
func compactFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	e, err := event.Decode(b)
	require.NoError(t, err)
	out, err := event.Marshal(e)
	require.NoError(t, err)
	return out
}

func TestLogLineRoundTrip(t *testing.T) {
	body := compactFixture(t, "signup-rejected.json")
	for _, spill := range []string{"", "BreakerOpen", "BudgetExceeded"} {
		line := event.AppendLogLine(nil, body, spill)
		require.True(t, bytes.HasSuffix(line, []byte("}\n")))
		require.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line")
		require.True(t, json.Valid(line))
		e, got, err := event.ParseLogLine(line)
		require.NoError(t, err)
		require.Equal(t, spill, got)
		again, err := event.Marshal(e)
		require.NoError(t, err)
		require.Equal(t, string(body), string(again), "the event is the SNS message, byte for byte")
	}
}

func TestParseLogLineErrors(t *testing.T) {
	body := string(compactFixture(t, "signup-accepted.json"))
	tests := []struct {
		name, line string
		notLine    bool   // ErrNotLogLine
		want       string // error text otherwise
	}{
		{name: "EMF document", line: `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"SignInSucceeded":1}`, notLine: true},
		{name: "slog line", line: `{"timestamp":"2026-01-01T00:00:00Z","level":"INFO","message":"trigger answered"}`, notLine: true},
		{name: "warm-up", line: `{"cogwatch":"warmup","cold":true}`, notLine: true},
		{name: "plain text", line: `START RequestId: 1 Version: $LATEST`, notLine: true},
		{name: "array", line: `[1,2]`, notLine: true},
		{name: "empty", line: ``, notLine: true},
		{name: "truncated", line: `{"cogwatch":"event","event":{"specversion":"1.0"`, notLine: true},
		{name: "no event", line: `{"cogwatch":"event"}`, want: "event: event: missing required field"},
		{name: "null event", line: `{"cogwatch":"event","event":null}`, want: "event: event: missing required field"},
		{name: "event not an object", line: `{"cogwatch":"event","event":"x"}`, want: "event: decode: the event is not a JSON object"},
		{name: "event invalid", line: `{"cogwatch":"event","event":` + strings.Replace(body, `"cogwatch.signup.accepted"`, `"cogwatch.nope"`, 1) + `}`,
			want: `event: type: invalid value: unknown event type "cogwatch.nope"`},
		{name: "spill not a string", line: `{"cogwatch":"event","spill":5,"event":` + body + `}`,
			want: "event: log line: json: cannot unmarshal number into Go struct field logLine.spill of type string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := event.ParseLogLine([]byte(tc.line))
			if tc.notLine {
				require.ErrorIs(t, err, event.ErrNotLogLine)
				return
			}
			require.NotErrorIs(t, err, event.ErrNotLogLine)
			require.EqualError(t, err, tc.want)
		})
	}
}

// TestParseLogLineExtraMembers: members a log pipeline may add (timestamp,
// level, requestId) do not matter.
func TestParseLogLineExtraMembers(t *testing.T) {
	body := compactFixture(t, "user-confirmed-null-client.json")
	line := `{"timestamp":"2026-01-01T00:00:00Z","level":"INFO","cogwatch":"event","event":` + string(body) + `,"requestId":"r"}`
	e, _, err := event.ParseLogLine([]byte(line))
	require.NoError(t, err)
	require.Equal(t, event.UserConfirmed, e.Type)
}

// FuzzParseLogLine: any line gives an error or a valid event whose log line
// parses back to the same event; never a panic.
func FuzzParseLogLine(f *testing.F) {
	f.Add(event.AppendLogLine(nil, compactFixture(f, "signup-rejected.json"), "BreakerOpen"))
	f.Add(event.AppendLogLine(nil, compactFixture(f, "user-confirmed-null-client.json"), ""))
	for _, s := range []string{``, `{}`, `null`, `{"cogwatch":"event"}`, `{"cogwatch":"event","event":{}}`, `{"cogwatch":1}`,
		`{"cogwatch":"event","event":[]}`, `{"_aws":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, spill, err := event.ParseLogLine(line)
		if err != nil {
			require.Equal(t, event.Event{}, e)
			return
		}
		body, err := event.Marshal(e)
		require.NoError(t, err)
		if !json.Valid([]byte(`"`+spill+`"`)) || strings.ContainsAny(spill, `"\`) {
			spill = "" // AppendLogLine takes codes, not arbitrary text
		}
		again, spill2, err := event.ParseLogLine(event.AppendLogLine(nil, body, spill))
		require.NoError(t, err)
		require.Equal(t, spill, spill2)
		b2, err := event.Marshal(again)
		require.NoError(t, err)
		require.Equal(t, string(body), string(b2))
	})
}
