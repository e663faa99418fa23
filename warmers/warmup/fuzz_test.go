package warmup

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzParse: a warm-up payload is outside input. Parse never panics; what
// it accepts carries the marker, with numbers inside their bounds; what
// lacks the marker key is never a warm-up.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"cogwatch":"warmup","concurrency":3,"holdMs":100}`, `{"cogwatch":"warmup","holdMs":1e400}`,
		`{"cogwatch":"warmup","concurrency":-2.5,"holdMs":"9"}`, `{"cogwatch":1}`, `["cogwatch"]`, `{"triggerSource":"PreSignUp_SignUp"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		req, ok := Parse(payload)
		if !ok {
			require.Zero(t, req)
			return
		}
		require.True(t, bytes.Contains(payload, marker))
		require.Equal(t, Marker, req.Cogwatch)
		require.True(t, req.Concurrency >= 0 && req.Concurrency <= MaxConcurrency, req.Concurrency)
		require.True(t, req.HoldMs >= 0 && time.Duration(req.HoldMs)*time.Millisecond <= MaxHold, req.HoldMs)
	})
}
