package emf_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	prozz "github.com/prozz/aws-embedded-metrics-golang/emf"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
)

const (
	benchPool   = "eu-west-1_AbCdEf123"
	benchClient = "4example7clientid"
)

// writeOurs and writeProzz write the same document: what a trigger writes
// per invocation (three metrics, the [UserPoolId] and [UserPoolId, ClientId]
// sets), each the idiomatic way of its library.
func writeOurs(w *emf.Writer) {
	m := w.New()
	m.SetDimension("UserPoolId", benchPool)
	m.SetDimension("ClientId", benchClient)
	_ = m.Put("SignInSucceeded", 1, emf.Count)
	_ = m.Put("TriggerLatency", 14.2, emf.Milliseconds)
	_ = m.Put("PublishLatency", 8.1, emf.Milliseconds)
	_ = m.Flush()
}

func writeProzz(out io.Writer) {
	prozz.New(prozz.WithWriter(out), prozz.WithoutDimensions()).
		Namespace("Cogwatch").
		DimensionSet(prozz.NewDimension("UserPoolId", benchPool)).
		DimensionSet(prozz.NewDimension("UserPoolId", benchPool), prozz.NewDimension("ClientId", benchClient)).
		MetricAs("SignInSucceeded", 1, prozz.Count).
		MetricFloatAs("TriggerLatency", 14.2, prozz.Milliseconds).
		MetricFloatAs("PublishLatency", 8.1, prozz.Milliseconds).
		Log()
}

func newBenchWriter(out io.Writer) *emf.Writer {
	return emf.NewWriter(out, emf.Options{Namespace: "Cogwatch", DimensionSets: poolSets})
}

// TestBenchmarkDocumentsMatch shows that the benchmark compares like with
// like: both libraries write the same directive and members.
func TestBenchmarkDocumentsMatch(t *testing.T) {
	var ours, theirs bytes.Buffer
	writeOurs(newBenchWriter(&ours))
	writeProzz(&theirs)
	decode := func(b []byte) map[string]any {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc))
		delete(doc["_aws"].(map[string]any), "Timestamp")
		return doc
	}
	checkDocument(t, ours.String())
	require.Equal(t, decode(theirs.Bytes()), decode(ours.Bytes()))
}

func BenchmarkTriggerDocument(b *testing.B) {
	b.Run("cogwatch", func(b *testing.B) {
		w := newBenchWriter(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			writeOurs(w)
		}
	})
	b.Run("prozz", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeProzz(io.Discard)
		}
	})
}

// BenchmarkLargeDocument: 20 metrics, 3 properties, the same in both.
func BenchmarkLargeDocument(b *testing.B) {
	names := make([]string, 20)
	for i := range names {
		names[i] = "Metric" + string(rune('A'+i))
	}
	b.Run("cogwatch", func(b *testing.B) {
		w := newBenchWriter(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			m := w.New()
			m.SetDimension("UserPoolId", benchPool)
			m.SetDimension("ClientId", benchClient)
			m.SetProperty("requestId", "5d5c3b9e-0f3a-4a51-9d1c-1b0a2e7c9f00")
			m.SetProperty("functionVersion", "$LATEST")
			m.SetProperty("coldStart", "false")
			for i, n := range names {
				_ = m.Put(n, float64(i)+0.5, emf.Milliseconds)
			}
			_ = m.Flush()
		}
	})
	b.Run("prozz", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l := prozz.New(prozz.WithWriter(io.Discard), prozz.WithoutDimensions()).
				Namespace("Cogwatch").
				DimensionSet(prozz.NewDimension("UserPoolId", benchPool)).
				DimensionSet(prozz.NewDimension("UserPoolId", benchPool), prozz.NewDimension("ClientId", benchClient)).
				Property("requestId", "5d5c3b9e-0f3a-4a51-9d1c-1b0a2e7c9f00").
				Property("functionVersion", "$LATEST").
				Property("coldStart", "false")
			for i, n := range names {
				l.MetricFloatAs(n, float64(i)+0.5, prozz.Milliseconds)
			}
			l.Log()
		}
	})
}

// BenchmarkValues: 20 metrics of 5 values each, which prozz cannot write
// (it keeps the last value of a name), and 250 values of one metric, which
// Flush splits over three lines.
func BenchmarkValues(b *testing.B) {
	names := make([]string, 20)
	for i := range names {
		names[i] = "Metric" + string(rune('A'+i))
	}
	b.Run("20x5", func(b *testing.B) {
		w := newBenchWriter(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			m := w.New()
			m.SetDimension("UserPoolId", benchPool)
			for _, n := range names {
				for v := range 5 {
					_ = m.Put(n, float64(v)+0.5, emf.Milliseconds)
				}
			}
			_ = m.Flush()
		}
	})
	b.Run("1x250", func(b *testing.B) {
		w := newBenchWriter(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			m := w.New()
			m.SetDimension("UserPoolId", benchPool)
			for v := range 250 {
				_ = m.Put("Latency", float64(v), emf.Milliseconds)
			}
			_ = m.Flush()
		}
	})
}
