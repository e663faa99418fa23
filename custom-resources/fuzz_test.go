package customresources

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"
)

// FuzzDecodeEvent feeds arbitrary payloads to the event and property
// decoders. Properties: no panic; a decoded event re-encodes and decodes to
// itself; properties either decode or fail with a *PropertyError; old
// properties never fail to decode, and give what the strict decoder gives
// whenever that succeeds.
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
	f.Add([]byte(`{"RequestType":"Update","RequestId":"r","StackId":"s","LogicalResourceId":"l","PhysicalResourceId":"p","ResponseURL":"https://h/x","ResourceProperties":{"Name":"n","Count":"3"},"OldResourceProperties":{"Name":["n"],"Count":"three","Nested":{"Port":"x","CertificateArn":"a","Other":"1"},"Tags":{"k":1},"Names":["a",{}],"Typo":"1"}}`))
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
		strictErr := DecodeProperties(ev.ResourceProperties, &s)
		if strictErr != nil {
			var pe *PropertyError
			require.ErrorAs(t, strictErr, &pe)
		}
		var lenient sample
		require.NoError(t, DecodeOldProperties(ev.ResourceProperties, &lenient))
		if strictErr == nil {
			require.Equal(t, s, lenient)
		}
		if ev.RequestType == cfn.RequestUpdate {
			_, _, err := Properties[sample](ev)
			if err != nil {
				require.NotContains(t, err.Error(), "old properties", "old properties never fail an update")
			}
		}
	})
}
