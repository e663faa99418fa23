package emf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
)

// FuzzRoundTrip puts arbitrary names, values, units, dimensions and
// properties, flushes, and decodes what was written. Property: a refused
// Put writes nothing; an accepted one yields JSON lines, valid under the EMF
// schema when they carry metadata, holding exactly the values put.
func FuzzRoundTrip(f *testing.F) {
	f.Add("SignInSucceeded", 1.0, "Count", "UserPoolId", "eu-west-1_AbCdEf123", "requestId", "5d5c3b9e", uint8(0), false)
	f.Add("TriggerLatency", 14.2, "Milliseconds", "ClientId", "", "functionVersion", "$LATEST", uint8(3), false)
	f.Add("Fast", 0.001, "Seconds", "Reason", "disposable_domain", "note", "quote \" backslash \\ newline \n", uint8(120), true)
	f.Add("Bytes", 1e21, "Bytes/Second", ":bad", "v", "_aws", "x", uint8(1), false)
	f.Add("Neg", -1e-7, "", "D", "Zürich", "ключ", "\xff\xfe", uint8(250), false)
	f.Add("", math.Inf(1), "count", "", "", "", "", uint8(0), false)
	f.Add("same", 2.0, "None", "same", "v", "same", "p", uint8(2), true)
	f.Fuzz(func(t *testing.T, name string, value float64, unit, dim, dimValue, key, prop string, n uint8, high bool) {
		var out bytes.Buffer
		w := emf.NewWriter(&out, emf.Options{Namespace: "Fuzz", DimensionSets: [][]string{{dim}}, Now: fixedNow})
		if w.Err() != nil {
			require.ErrorIs(t, w.Err(), emf.ErrDimension)
			w = emf.NewWriter(&out, emf.Options{Namespace: "Fuzz", Now: fixedNow})
			require.NoError(t, w.Err())
		}
		m := w.New()
		m.SetDimension(dim, dimValue)
		m.SetProperty(key, prop)
		count := int(n)%250 + 1
		var putErr error
		for range count {
			if high {
				putErr = m.PutHighResolution(name, value, emf.Unit(unit))
			} else {
				putErr = m.Put(name, value, emf.Unit(unit))
			}
			if putErr != nil {
				break
			}
		}
		flushErr := m.Flush()
		if putErr != nil {
			require.Empty(t, out.String(), "a refused Put wrote")
			return
		}
		for _, known := range []error{emf.ErrDimension, emf.ErrProperty, emf.ErrConflict, emf.ErrDropped} {
			if errors.Is(flushErr, known) {
				flushErr = nil
			}
		}
		require.NoError(t, flushErr)
		got := 0
		for _, l := range lines(t, out.Bytes()) {
			require.Less(t, len(l), emf.MaxDocumentBytes)
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &doc), "invalid JSON: %q", l)
			if _, ok := doc["_aws"]; ok {
				checkDocument(t, l)
			}
			switch v := doc[name].(type) {
			case float64:
				require.Equal(t, value, v)
				got++
			case []any:
				for _, x := range v {
					require.Equal(t, value, x)
				}
				got += len(v)
			default:
				t.Fatalf("metric %q: member %v (%T): %s", name, v, v, l)
			}
		}
		require.Equal(t, count, got, "values lost or repeated")
	})
}
