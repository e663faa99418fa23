package customresources

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeEvent feeds arbitrary payloads to the event and property
// decoders. Properties: no panic; a decoded event re-encodes and decodes to
// itself; properties either decode or fail with a *PropertyError.
func FuzzDecodeEvent(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	require.NoError(f, err)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"RequestType":"Create","RequestId":"r","StackId":"s","LogicalResourceId":"l","ResponseURL":"https://h/x","ResourceProperties":{"Count":"1e3","Names":["a",null],"Nested":{"Port":"-0"}}}`))
	f.Add([]byte(`{"ResourceProperties":[]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := DecodeEvent(payload)
		if err != nil {
			require.ErrorIs(t, err, ErrBadEvent)
			return
		}
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		again, err := DecodeEvent(b)
		require.NoError(t, err)
		require.Equal(t, ev, again)

		var s sample
		if err := DecodeProperties(ev.ResourceProperties, &s); err != nil {
			var pe *PropertyError
			require.ErrorAs(t, err, &pe)
		}
	})
}
