package emf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
)

// TestParseWhatAWriterWrites: the datums of a Writer's line are what was put,
// per dimension set.
func TestParseWhatAWriterWrites(t *testing.T) {
	var out bytes.Buffer
	w := emf.NewWriter(&out, emf.Options{Namespace: "Cogwatch", DimensionSets: poolSets, Now: fixedNow})
	m := w.New()
	m.SetDimension("UserPoolId", "eu-west-1_abc")
	m.SetDimension("ClientId", "client1")
	m.SetProperty("requestId", "5d5c3b9e")
	require.NoError(t, m.Put("SignInSucceeded", 1, emf.Count))
	require.NoError(t, m.Put("TriggerLatency", 12.5, emf.Milliseconds))
	require.NoError(t, m.Put("TriggerLatency", 7, emf.Milliseconds))
	require.NoError(t, m.PutHighResolution("PublishLatency", 3, emf.Milliseconds))
	require.NoError(t, m.Flush())

	doc, err := emf.Parse(out.Bytes())
	require.NoError(t, err)
	at := fixedNow().Truncate(time.Millisecond)
	require.True(t, doc.Timestamp.Equal(at), "%v", doc.Timestamp)
	require.Equal(t, "5d5c3b9e", doc.Members["requestId"])
	require.Equal(t, []emf.MetricDefinition{{Name: "SignInSucceeded", Unit: emf.Count}, {Name: "TriggerLatency", Unit: emf.Milliseconds},
		{Name: "PublishLatency", Unit: emf.Milliseconds, StorageResolution: 1}}, doc.Directives[0].Metrics)
	pool, both := map[string]string{"UserPoolId": "eu-west-1_abc"}, map[string]string{"UserPoolId": "eu-west-1_abc", "ClientId": "client1"}
	want := []emf.Datum{
		{Namespace: "Cogwatch", Name: "SignInSucceeded", Unit: emf.Count, Dimensions: pool, Time: doc.Timestamp, Values: []float64{1}},
		{Namespace: "Cogwatch", Name: "SignInSucceeded", Unit: emf.Count, Dimensions: both, Time: doc.Timestamp, Values: []float64{1}},
		{Namespace: "Cogwatch", Name: "TriggerLatency", Unit: emf.Milliseconds, Dimensions: pool, Time: doc.Timestamp, Values: []float64{12.5, 7}},
		{Namespace: "Cogwatch", Name: "TriggerLatency", Unit: emf.Milliseconds, Dimensions: both, Time: doc.Timestamp, Values: []float64{12.5, 7}},
		{Namespace: "Cogwatch", Name: "PublishLatency", Unit: emf.Milliseconds, Dimensions: pool, Time: doc.Timestamp, Values: []float64{3}},
		{Namespace: "Cogwatch", Name: "PublishLatency", Unit: emf.Milliseconds, Dimensions: both, Time: doc.Timestamp, Values: []float64{3}},
	}
	require.Equal(t, want, doc.Datums())
	v, ok := doc.Values("TriggerLatency")
	require.True(t, ok)
	require.Equal(t, []float64{12.5, 7}, v)
	_, ok = doc.Values("requestId")
	require.False(t, ok, "a string property is not a metric value")
}

func TestParse(t *testing.T) {
	const head = `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}]}`
	at := time.UnixMilli(1700000000000)
	tests := []struct {
		name    string
		line    string
		want    []emf.Datum
		wantErr string // exact; "" for none
		notEMF  bool
	}{
		{name: "one value", line: head + `,"D":"d","M":2}`,
			want: []emf.Datum{{Namespace: "N", Name: "M", Dimensions: map[string]string{"D": "d"}, Time: at, Values: []float64{2}}}},
		{name: "values, white space around", line: " \t" + head + `,"D":"d","M":[1,2.5]}` + "\n",
			want: []emf.Datum{{Namespace: "N", Name: "M", Dimensions: map[string]string{"D": "d"}, Time: at, Values: []float64{1, 2.5}}}},
		{name: "no dimension sets: one datum without dimensions",
			line: `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Metrics":[{"Name":"M"}]}]},"M":1}`,
			want: []emf.Datum{{Namespace: "N", Name: "M", Dimensions: map[string]string{}, Time: at, Values: []float64{1}}}},
		{name: "empty dimension set", line: `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}`,
			want: []emf.Datum{{Namespace: "N", Name: "M", Dimensions: map[string]string{}, Time: at, Values: []float64{1}}}},
		{name: "no directive", line: `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[]},"M":1}`},
		{name: "plain log line", line: `{"level":"INFO","msg":"hello"}`, notEMF: true},
		{name: "text", line: `START RequestId: 1 Version: $LATEST`, notEMF: true},
		{name: "empty", line: ``, notEMF: true},
		{name: "null", line: `null`, notEMF: true},
		{name: "array", line: `[{"_aws":{}}]`, notEMF: true},
		{name: "truncated", line: head[:40], notEMF: true},
		{name: "_aws in another case", line: `{"_AWS":{"Timestamp":1}}`, notEMF: true},
		{name: "_aws not an object", line: `{"_aws":1}`, wantErr: "emf: _aws: json: cannot unmarshal number into Go value of type struct { Timestamp int64; CloudWatchMetrics []emf.Directive }"},
		{name: "no timestamp", line: `{"_aws":{"CloudWatchMetrics":[]}}`, wantErr: "emf: _aws.Timestamp missing or not positive"},
		{name: "negative timestamp", line: `{"_aws":{"Timestamp":-1,"CloudWatchMetrics":[]}}`, wantErr: "emf: _aws.Timestamp missing or not positive"},
		{name: "no namespace", line: `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Metrics":[{"Name":"M"}]}]},"M":1}`, wantErr: "emf: directive without Namespace"},
		{name: "metric without member", line: head + `,"D":"d"}`, wantErr: `emf: metric "M" has no value`},
		{name: "metric null", line: head + `,"D":"d","M":null}`, wantErr: `emf: metric "M": value is not a number or list of numbers`},
		{name: "metric a string", line: head + `,"D":"d","M":"1"}`, wantErr: `emf: metric "M": value is not a number or list of numbers`},
		{name: "metric an empty list", line: head + `,"D":"d","M":[]}`, wantErr: `emf: metric "M": value is not a number or list of numbers`},
		{name: "metric a list with a string", line: head + `,"D":"d","M":[1,"2"]}`, wantErr: `emf: metric "M": value is not a number or list of numbers`},
		{name: "dimension without member", line: head + `,"M":1}`, wantErr: `emf: dimension "D" is not a string member`},
		{name: "dimension a number", line: head + `,"D":1,"M":1}`, wantErr: `emf: dimension "D" is not a string member`},
		{name: "number out of range", line: head + `,"D":"d","M":1e400}`, wantErr: `emf: member "M": json: cannot unmarshal number 1e400 into Go value of type float64`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := emf.Parse([]byte(tc.line))
			switch {
			case tc.notEMF:
				require.ErrorIs(t, err, emf.ErrNotEMF)
			case tc.wantErr != "":
				require.EqualError(t, err, tc.wantErr)
				require.False(t, errors.Is(err, emf.ErrNotEMF))
			default:
				require.NoError(t, err)
				require.Equal(t, tc.want, doc.Datums())
			}
		})
	}
}

// FuzzParse: any line gives ErrNotEMF, an error, or a document whose datums
// are its directives' metrics, each with values and its dimension set's
// string members; never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"],[]],"Metrics":[{"Name":"M","Unit":"Count"}]}]},"D":"d","M":[1,2]}`))
	f.Add([]byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Metrics":[{"Name":"M","StorageResolution":1}]}]},"M":-0.5}` + "\n"))
	f.Add([]byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"D"}]}]},"D":"d"}`))
	f.Add([]byte(`{"level":"INFO"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		doc, err := emf.Parse(line)
		if err != nil {
			require.Equal(t, emf.Document{}, doc)
			if !json.Valid(bytes.TrimSpace(line)) {
				require.ErrorIs(t, err, emf.ErrNotEMF)
			}
			return
		}
		require.Positive(t, doc.Timestamp.UnixMilli())
		want := 0
		for _, d := range doc.Directives {
			want += len(d.Metrics) * max(1, len(d.Dimensions))
		}
		datums := doc.Datums()
		require.Len(t, datums, want)
		for _, d := range datums {
			require.NotEmpty(t, d.Namespace)
			require.NotEmpty(t, d.Values)
			vals, ok := doc.Values(d.Name)
			require.True(t, ok)
			require.Equal(t, vals, d.Values)
			for k, v := range d.Dimensions {
				require.Equal(t, doc.Members[k], v)
			}
		}
	})
}
