package event_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// seeds adds every testdata fixture and a few malformed inputs.
func seeds(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"specversion":"1.0"}`, `{"Type":"Notification","Message":"{}"}`,
		`{"specversion":"1.0","ID":"x"}`, `{"data":{"data":{}}}`, `{"id":"a","id":"b"}`,
	} {
		f.Add([]byte(s))
	}
}

// roundTrip checks that an accepted event is valid, valid under the
// schema, and re-marshals to what decodes to the same event.
func roundTrip(t *testing.T, e event.Event) {
	require.NoError(t, e.Validate())
	b, err := event.Marshal(e)
	require.NoError(t, err)
	require.NoError(t, schemaValidate(t, b), "the schema refuses what Decode accepted: %s", b)
	again, err := event.Decode(b)
	require.NoError(t, err, "%s", b)
	require.True(t, e.Time.Equal(again.Time))
	b2, err := event.Marshal(again)
	require.NoError(t, err)
	require.True(t, bytes.Equal(b, b2), "%s\n%s", b, b2)
	e.Time, again.Time = e.Time.UTC(), again.Time.UTC()
	require.Equal(t, e, again)
}

// FuzzDecode: any input gives an error or a valid event that round-trips;
// never a panic.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := event.Decode(b)
		if err != nil {
			require.Equal(t, event.Event{}, e)
			return
		}
		roundTrip(t, e)
	})
}

// FuzzFromSNS: the same for SNS bodies, enveloped or raw.
func FuzzFromSNS(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, env, err := event.FromSNS(b)
		if err != nil {
			require.Equal(t, event.Event{}, e)
			return
		}
		if env.Type != "" {
			require.Equal(t, "Notification", env.Type)
		}
		roundTrip(t, e)
	})
}
