package emf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
)

var poolSets = [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}}

const aws = `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[`

func TestFlush(t *testing.T) {
	tests := []struct {
		name    string
		opts    emf.Options
		do      func(m *emf.Metrics)
		want    string // every line, exactly
		wantErr error  // errors.Is, nil for none
	}{
		{
			name: "both dimension sets",
			opts: emf.Options{DimensionSets: poolSets},
			do: func(m *emf.Metrics) {
				m.SetDimension("UserPoolId", "eu-west-1_abc")
				m.SetDimension("ClientId", "client1")
				m.Put("SignInSucceeded", 1, emf.Count)
				m.Put("TriggerLatency", 12.5, emf.Milliseconds)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"],["UserPoolId","ClientId"]],` +
				`"Metrics":[{"Name":"SignInSucceeded","Unit":"Count"},{"Name":"TriggerLatency","Unit":"Milliseconds"}]}]},` +
				`"UserPoolId":"eu-west-1_abc","ClientId":"client1","SignInSucceeded":1,"TriggerLatency":12.5}` + "\n",
		},
		{
			name: "null clientId leaves the second set out",
			opts: emf.Options{DimensionSets: poolSets},
			do: func(m *emf.Metrics) {
				m.SetDimension("UserPoolId", "eu-west-1_abc")
				m.SetDimension("ClientId", "")
				m.Put("UserConfirmed", 1, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"]],"Metrics":[{"Name":"UserConfirmed","Unit":"Count"}]}]},` +
				`"UserPoolId":"eu-west-1_abc","UserConfirmed":1}` + "\n",
		},
		{
			name: "empty value hides a default dimension",
			opts: emf.Options{DimensionSets: poolSets, Dimensions: map[string]string{"UserPoolId": "p", "ClientId": "default"}},
			do: func(m *emf.Metrics) {
				m.SetDimension("ClientId", "")
				m.Put("A", 1, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"UserPoolId":"p","A":1}` + "\n",
		},
		{
			name: "invocation overrides a default dimension",
			opts: emf.Options{DimensionSets: [][]string{{"Service", "Stage"}}, Dimensions: map[string]string{"Stage": "prod", "Service": "auth"}},
			do: func(m *emf.Metrics) {
				m.SetDimension("Stage", "dev")
				m.Put("A", 2, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[["Service","Stage"]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"Service":"auth","Stage":"dev","A":2}` + "\n",
		},
		{
			name: "no dimension sets is the empty set",
			do:   func(m *emf.Metrics) { m.Put("A", 1, emf.Count) },
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"A":1}` + "\n",
		},
		{
			name: "explicit empty set beside another",
			opts: emf.Options{DimensionSets: [][]string{{}, {"UserPoolId"}}},
			do: func(m *emf.Metrics) {
				m.SetDimension("UserPoolId", "p")
				m.Put("A", 1, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[],["UserPoolId"]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"UserPoolId":"p","A":1}` + "\n",
		},
		{
			name: "repeated put appends values",
			do: func(m *emf.Metrics) {
				m.Put("Latency", 1, emf.Milliseconds)
				m.Put("Latency", 2.5, emf.Milliseconds)
				m.Put("Latency", 3, emf.Milliseconds)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]},"Latency":[1,2.5,3]}` + "\n",
		},
		{
			name: "own dimension sets make a second directive",
			opts: emf.Options{DimensionSets: poolSets},
			do: func(m *emf.Metrics) {
				m.SetDimension("UserPoolId", "p")
				m.SetDimension("ClientId", "c")
				m.SetDimension("Reason", "disposable_domain")
				m.Put("SignUpRejected", 1, emf.Count)
				m.PutWithDimensions("SignUpRejectedByReason", 1, emf.Count, []string{"UserPoolId", "Reason"})
				m.PutWithDimensions("Total", 1, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"],["UserPoolId","ClientId"]],"Metrics":[{"Name":"SignUpRejected","Unit":"Count"}]},` +
				`{"Namespace":"Cogwatch","Dimensions":[["UserPoolId","Reason"]],"Metrics":[{"Name":"SignUpRejectedByReason","Unit":"Count"}]},` +
				`{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Total","Unit":"Count"}]}]},` +
				`"UserPoolId":"p","ClientId":"c","Reason":"disposable_domain","SignUpRejected":1,"SignUpRejectedByReason":1,"Total":1}` + "\n",
		},
		{
			name: "equal own sets share a directive",
			do: func(m *emf.Metrics) {
				m.SetDimension("Fn", "f")
				m.PutWithDimensions("A", 1, emf.Count, []string{"Fn"})
				m.Put("B", 1, emf.Count)
				m.PutWithDimensions("C", 1, emf.Count, []string{"Fn"})
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[["Fn"]],"Metrics":[{"Name":"A","Unit":"Count"},{"Name":"C","Unit":"Count"}]},` +
				`{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"B","Unit":"Count"}]}]},"Fn":"f","A":1,"B":1,"C":1}` + "\n",
		},
		{
			name: "high resolution and no unit",
			do: func(m *emf.Metrics) {
				m.PutHighResolution("Fast", 0.25, emf.Seconds)
				m.Put("Plain", 7, "")
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Fast","Unit":"Seconds","StorageResolution":1},{"Name":"Plain"}]}]},"Fast":0.25,"Plain":7}` + "\n",
		},
		{
			name: "properties of every kind",
			do: func(m *emf.Metrics) {
				m.SetProperty("requestId", "8f1c")
				m.SetProperty("cold", true)
				m.SetProperty("attempt", 2)
				m.SetProperty("ratio", 0.5)
				m.SetProperty("none", nil)
				m.SetProperty("tags", []string{"a", "b"})
				m.SetProperty("attempt", int64(3)) // the last value wins
				m.Put("A", 1, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},` +
				`"requestId":"8f1c","cold":true,"attempt":3,"ratio":0.5,"none":null,"tags":["a","b"],"A":1}` + "\n",
		},
		{
			name: "number formats",
			do: func(m *emf.Metrics) {
				m.Put("Big", 1e21, emf.None)
				m.Put("Small", 1e-7, emf.None)
				m.Put("Int", 123456789, emf.None)
				m.Put("Neg", -0.001, emf.None)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Big","Unit":"None"},{"Name":"Small","Unit":"None"},{"Name":"Int","Unit":"None"},{"Name":"Neg","Unit":"None"}]}]},` +
				`"Big":1e+21,"Small":1e-7,"Int":123456789,"Neg":-0.001}` + "\n",
		},
		{
			name: "one name with two units goes in two documents",
			do: func(m *emf.Metrics) {
				m.Put("Size", 1, emf.Bytes)
				m.Put("Size", 2, emf.Kilobytes)
				m.Put("Size", 3, emf.Bytes)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Size","Unit":"Bytes"}]}]},"Size":[1,3]}` + "\n" +
				aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Size","Unit":"Kilobytes"}]}]},"Size":2}` + "\n",
		},
		{
			name: "one name at two resolutions goes in two documents",
			do: func(m *emf.Metrics) {
				m.Put("Depth", 1, emf.Count)
				m.PutHighResolution("Depth", 2, emf.Count)
			},
			want: aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Depth","Unit":"Count"}]}]},"Depth":1}` + "\n" +
				aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"Depth","Unit":"Count","StorageResolution":1}]}]},"Depth":2}` + "\n",
		},
		{
			name: "every set left out: a plain log line and an error",
			opts: emf.Options{DimensionSets: [][]string{{"UserPoolId", "ClientId"}}},
			do: func(m *emf.Metrics) {
				m.SetDimension("UserPoolId", "p")
				m.Put("A", 1, emf.Count)
			},
			want:    `{"UserPoolId":"p","A":1}` + "\n",
			wantErr: emf.ErrDropped,
		},
		{
			name: "only the metric whose sets are all left out is not extracted",
			opts: emf.Options{DimensionSets: [][]string{{"ClientId"}}},
			do: func(m *emf.Metrics) {
				m.Put("A", 1, emf.Count)
				m.PutWithDimensions("B", 2, emf.Count)
			},
			want:    aws + `{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"B","Unit":"Count"}]}]},"A":1,"B":2}` + "\n",
			wantErr: emf.ErrDropped,
		},
		{
			name: "no metrics writes nothing",
			do:   func(m *emf.Metrics) { m.SetDimension("UserPoolId", "p"); m.SetProperty("k", "v") },
			want: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := tc.opts
			opts.Namespace, opts.Now = "Cogwatch", fixedNow
			w := emf.NewWriter(&out, opts)
			require.NoError(t, w.Err())
			m := w.New()
			tc.do(m)
			err := m.Flush()
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			require.Equal(t, tc.want, out.String())
			for _, l := range lines(t, out.Bytes()) {
				if strings.HasPrefix(l, `{"_aws"`) {
					checkDocument(t, l)
				}
			}
		})
	}
}

func TestStringEscaping(t *testing.T) {
	values := []string{
		`quote " and backslash \`, "new\nline\ttab\rcr", "ctrl \x00\x01\x1f\b\f", "del \x7f",
		"émoji 🙂 and 中文", "invalid \xff\xfe utf8", "sep \u2028 \u2029", "<html>&amp;",
	}
	for i, v := range values {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var out bytes.Buffer
			m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
			m.SetProperty(v, v)
			require.NoError(t, m.Put("A", 1, emf.Count))
			require.NoError(t, m.Flush())
			checkDocument(t, out.String())
			var enc bytes.Buffer // what encoding/json writes, without HTML escaping
			e := json.NewEncoder(&enc)
			e.SetEscapeHTML(false)
			require.NoError(t, e.Encode(v))
			quoted := strings.TrimSuffix(enc.String(), "\n")
			require.Contains(t, out.String(), ","+quoted+":"+quoted+",")
		})
	}
}

func TestFlushKeepsDimensionsAndProperties(t *testing.T) {
	var out bytes.Buffer
	w := emf.NewWriter(&out, emf.Options{Namespace: "N", DimensionSets: [][]string{{"D"}}, Now: fixedNow})
	m := w.New()
	m.SetDimension("D", "d")
	m.SetProperty("p", "v")
	require.NoError(t, m.Put("A", 1, emf.Count))
	require.NoError(t, m.Flush())
	require.NoError(t, m.Flush()) // nothing new: nothing written
	require.NoError(t, m.Put("B", 2, emf.Count))
	require.NoError(t, m.Flush())
	got := lines(t, out.Bytes())
	require.Len(t, got, 2)
	first, second := checkDocument(t, got[0]), checkDocument(t, got[1])
	require.Equal(t, 1.0, first["A"])
	require.NotContains(t, second, "A")
	require.Equal(t, 2.0, second["B"])
	require.Equal(t, "d", second["D"])
	require.Equal(t, "v", second["p"])
}

func TestSplit(t *testing.T) {
	t.Run("values beyond MaxValues", func(t *testing.T) {
		var out bytes.Buffer
		m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
		for i := range 250 {
			require.NoError(t, m.Put("V", float64(i), emf.Count))
		}
		require.NoError(t, m.Put("Other", 1, emf.Count))
		require.NoError(t, m.Flush())
		got := lines(t, out.Bytes())
		require.Len(t, got, 3)
		var all []float64
		for i, l := range got {
			doc := checkDocument(t, l)
			vs := doc["V"].([]any)
			require.Len(t, vs, []int{100, 100, 50}[i])
			for _, v := range vs {
				all = append(all, v.(float64))
			}
			if i == 0 {
				require.Equal(t, 1.0, doc["Other"])
			} else {
				require.NotContains(t, doc, "Other")
			}
		}
		for i, v := range all {
			require.Equal(t, float64(i), v, "values out of order")
		}
	})
	t.Run("metrics beyond MaxMetrics", func(t *testing.T) {
		var out bytes.Buffer
		m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
		for i := range 150 {
			require.NoError(t, m.Put(fmt.Sprintf("M%03d", i), float64(i), emf.Count))
		}
		require.NoError(t, m.Flush())
		got := lines(t, out.Bytes())
		require.Len(t, got, 2)
		seen := map[string]bool{}
		for i, l := range got {
			doc := checkDocument(t, l)
			defs := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Metrics"].([]any)
			require.Len(t, defs, []int{100, 50}[i])
			for _, d := range defs {
				name := d.(map[string]any)["Name"].(string)
				require.False(t, seen[name], "%s twice", name)
				seen[name] = true
				var n int
				_, err := fmt.Sscanf(name, "M%d", &n)
				require.NoError(t, err)
				require.Equal(t, float64(n), doc[name])
			}
		}
		require.Len(t, seen, 150)
	})
	t.Run("bytes beyond MaxDocumentBytes", func(t *testing.T) {
		var out bytes.Buffer
		m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
		long := strings.Repeat("x", 250)
		want := map[string]int{}
		for i := range emf.MaxMetrics {
			name := fmt.Sprintf("%s%05d", long, i)
			for j := range emf.MaxValues {
				require.NoError(t, m.Put(name, -1.2345678901234567e-100*float64(j+1), emf.Count))
			}
			want[name] = emf.MaxValues
		}
		require.NoError(t, m.Flush())
		got := lines(t, out.Bytes())
		require.Greater(t, len(got), 1, "100 metrics of 100 long values fit no single line")
		for _, l := range got {
			doc := checkDocument(t, l)
			for name, v := range doc {
				if name != "_aws" {
					want[name] -= len(v.([]any))
				}
			}
		}
		for name, n := range want {
			require.Zero(t, n, "%s: values lost or repeated", name[250:])
		}
	})
	t.Run("many directives with long names", func(t *testing.T) {
		var out bytes.Buffer
		ns := strings.Repeat("N", emf.MaxNameLength)
		m := emf.NewWriter(&out, emf.Options{Namespace: ns, Now: fixedNow}).New()
		names := make([]string, 60)
		for i := range names {
			names[i] = fmt.Sprintf("%s%02d", strings.Repeat("d", 253), i)
			m.SetDimension(names[i], strings.Repeat("v", 100))
		}
		want := map[string]int{}
		for i := range emf.MaxMetrics {
			var set []string
			for j := range emf.MaxDimensions {
				set = append(set, names[(i+j)%len(names)])
			}
			name := fmt.Sprintf("%s%03d", strings.Repeat("m", 252), i)
			for v := range emf.MaxValues {
				require.NoError(t, m.PutWithDimensions(name, float64(v)+0.123456789, emf.Count, set))
			}
			want[name] = emf.MaxValues
		}
		require.NoError(t, m.Flush())
		got := lines(t, out.Bytes())
		require.Greater(t, len(got), 1)
		for _, l := range got {
			doc := checkDocument(t, l) // checks the line's length too
			for name, v := range doc {
				if _, ok := want[name]; ok {
					want[name] -= len(v.([]any))
				}
			}
		}
		for name, n := range want {
			require.Zero(t, n, "%s: values lost or repeated", name[250:])
		}
	})
	t.Run("huge properties are dropped, metrics kept", func(t *testing.T) {
		var out bytes.Buffer
		m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
		m.SetProperty("blob", strings.Repeat("b", emf.MaxDocumentBytes))
		require.NoError(t, m.Put("A", 1, emf.Count))
		err := m.Flush()
		require.ErrorIs(t, err, emf.ErrTooLarge)
		require.EqualError(t, err, "emf: properties: too large for one document: 131082 bytes with the dimensions, the limit is 65536; written without them")
		doc := checkDocument(t, out.String())
		require.Equal(t, 1.0, doc["A"])
		require.NotContains(t, doc, "blob")
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    emf.Options
		do      func(m *emf.Metrics) error // its error, or nil to check Flush's alone
		want    string
		is      error
		written []string // metric names still written by Flush
	}{
		{name: "empty namespace", opts: emf.Options{Namespace: ""},
			want: "emf: Options.Namespace: invalid namespace: empty", is: emf.ErrNamespace},
		{name: "AWS namespace", opts: emf.Options{Namespace: "AWS/Lambda"},
			want: `emf: Options.Namespace: invalid namespace: "AWS/Lambda": AWS/ is reserved for AWS services`, is: emf.ErrNamespace},
		{name: "namespace characters", opts: emf.Options{Namespace: "Cog$watch"},
			want: `emf: Options.Namespace: invalid namespace: "Cog$watch": only letters, digits, spaces and . - _ / # : are allowed`, is: emf.ErrNamespace},
		{name: "blank namespace", opts: emf.Options{Namespace: "   "},
			want: "emf: Options.Namespace: invalid namespace: blank", is: emf.ErrNamespace},
		{name: "long namespace", opts: emf.Options{Namespace: strings.Repeat("n", 256)},
			want: "emf: Options.Namespace: invalid namespace: 256 bytes, the limit is 255", is: emf.ErrNamespace},
		{name: "31 dimensions", opts: emf.Options{Namespace: "N", DimensionSets: [][]string{dims(31)}},
			want: fmt.Sprintf("emf: dimension set %q: invalid dimension: 31 dimensions, the limit is 30", dims(31)), is: emf.ErrDimension},
		{name: "dimension twice in a set", opts: emf.Options{Namespace: "N", DimensionSets: [][]string{{"A", "B", "A"}}},
			want: `emf: dimension set ["A" "B" "A"]: invalid dimension: "A" twice`, is: emf.ErrDimension},
		{name: "dimension name with a colon", opts: emf.Options{Namespace: "N", DimensionSets: [][]string{{":A"}}},
			want: `emf: dimension ":A": invalid dimension: name must not start with a colon`, is: emf.ErrDimension},
		{name: "default dimension value", opts: emf.Options{Namespace: "N", Dimensions: map[string]string{"Stage": "prod\n"}},
			want: `emf: dimension "Stage": invalid dimension: value only printable ASCII is allowed`, is: emf.ErrDimension},

		{name: "empty metric name", do: func(m *emf.Metrics) error { return m.Put("", 1, emf.Count) },
			want: `emf: metric "": invalid metric name: empty`, is: emf.ErrName},
		{name: "long metric name", do: func(m *emf.Metrics) error { return m.Put(strings.Repeat("m", 256), 1, emf.Count) },
			want: fmt.Sprintf("emf: metric %q: invalid metric name: 256 bytes, the limit is 255", strings.Repeat("m", 256)), is: emf.ErrName},
		{name: "non-ASCII metric name", do: func(m *emf.Metrics) error { return m.Put("Latenz€", 1, emf.Count) },
			want: `emf: metric "Latenz€": invalid metric name: only printable ASCII is allowed`, is: emf.ErrName},
		{name: "blank metric name", do: func(m *emf.Metrics) error { return m.Put("  ", 1, emf.Count) },
			want: `emf: metric "  ": invalid metric name: blank`, is: emf.ErrName},
		{name: "reserved metric name", do: func(m *emf.Metrics) error { return m.Put("_aws", 1, emf.Count) },
			want: `emf: metric "_aws": invalid metric name: reserved`, is: emf.ErrName},
		{name: "unknown unit", do: func(m *emf.Metrics) error { return m.Put("A", 1, "Bytes/second") },
			want: `emf: metric "A": invalid unit: "Bytes/second"`, is: emf.ErrUnit},
		{name: "NaN", do: func(m *emf.Metrics) error { return m.Put("A", math.NaN(), emf.Count) },
			want: `emf: metric "A": invalid value: NaN`, is: emf.ErrValue},
		{name: "infinity", do: func(m *emf.Metrics) error { return m.PutHighResolution("A", math.Inf(-1), emf.Count) },
			want: `emf: metric "A": invalid value: -Inf`, is: emf.ErrValue},
		{name: "too large", do: func(m *emf.Metrics) error { return m.Put("A", 1e200, emf.Count) },
			want: `emf: metric "A": invalid value: 1e+200 is outside CloudWatch's range 2^-360..2^360`, is: emf.ErrValue},
		{name: "too small", do: func(m *emf.Metrics) error { return m.Put("A", -1e-200, emf.Count) },
			want: `emf: metric "A": invalid value: -1e-200 is outside CloudWatch's range 2^-360..2^360`, is: emf.ErrValue},
		{name: "own set too wide", do: func(m *emf.Metrics) error { return m.PutWithDimensions("A", 1, emf.Count, dims(31)) },
			want: fmt.Sprintf("emf: dimension set %q: invalid dimension: 31 dimensions, the limit is 30", dims(31)), is: emf.ErrDimension},
		{name: "metric named like a dimension",
			do: func(m *emf.Metrics) error {
				m.SetDimension("UserPoolId", "p")
				return m.Put("UserPoolId", 1, emf.Count)
			},
			want: `emf: metric "UserPoolId": name already used in this document: a dimension or property has that name`, is: emf.ErrConflict},
		{name: "metric named like a default dimension", opts: emf.Options{Namespace: "N", Dimensions: map[string]string{"Stage": "prod"}},
			do:   func(m *emf.Metrics) error { return m.Put("Stage", 1, emf.Count) },
			want: `emf: metric "Stage": name already used in this document: a dimension or property has that name`, is: emf.ErrConflict},
		{name: "metric named like a property",
			do:   func(m *emf.Metrics) error { m.SetProperty("requestId", "r"); return m.Put("requestId", 1, emf.Count) },
			want: `emf: metric "requestId": name already used in this document: a dimension or property has that name`, is: emf.ErrConflict},

		{name: "dimension named like a metric",
			do:   func(m *emf.Metrics) error { _ = m.Put("A", 1, emf.Count); m.SetDimension("A", "x"); return nil },
			want: `emf: dimension "A": name already used in this document: a metric or property has that name`, is: emf.ErrConflict, written: []string{"A"}},
		{name: "non-ASCII dimension value",
			do: func(m *emf.Metrics) error {
				m.SetDimension("City", "Zürich")
				_ = m.Put("A", 1, emf.Count)
				return nil
			},
			want: `emf: dimension "City": invalid dimension: value only printable ASCII is allowed`, is: emf.ErrDimension, written: []string{"A"}},
		{name: "long dimension value",
			do: func(m *emf.Metrics) error {
				m.SetDimension("D", strings.Repeat("v", 1025))
				_ = m.Put("A", 1, emf.Count)
				return nil
			},
			want: `emf: dimension "D": invalid dimension: value 1025 bytes, the limit is 1024`, is: emf.ErrDimension, written: []string{"A"}},
		{name: "empty dimension name",
			do:   func(m *emf.Metrics) error { m.SetDimension("", "v"); return nil },
			want: `emf: dimension "": invalid dimension: name empty`, is: emf.ErrDimension},
		{name: "reserved property",
			do:   func(m *emf.Metrics) error { m.SetProperty("_aws", 1); _ = m.Put("A", 1, emf.Count); return nil },
			want: `emf: property "_aws": invalid property: reserved key`, is: emf.ErrProperty, written: []string{"A"}},
		{name: "property named like a metric",
			do:   func(m *emf.Metrics) error { _ = m.Put("A", 1, emf.Count); m.SetProperty("A", "x"); return nil },
			want: `emf: property "A": name already used in this document: a metric or dimension has that name`, is: emf.ErrConflict, written: []string{"A"}},
		{name: "property named like a default dimension", opts: emf.Options{Namespace: "N", Dimensions: map[string]string{"Stage": "prod"}},
			do:   func(m *emf.Metrics) error { m.SetProperty("Stage", "x"); _ = m.Put("A", 1, emf.Count); return nil },
			want: `emf: property "Stage": name already used in this document: a metric or dimension has that name`, is: emf.ErrConflict, written: []string{"A"}},
		{name: "property JSON cannot encode",
			do: func(m *emf.Metrics) error {
				m.SetProperty("ch", make(chan int))
				_ = m.Put("A", 1, emf.Count)
				return nil
			},
			want: `emf: property "ch": invalid property: json: unsupported type: chan int`, is: emf.ErrProperty, written: []string{"A"}},
		{name: "NaN property",
			do:   func(m *emf.Metrics) error { m.SetProperty("f", math.NaN()); _ = m.Put("A", 1, emf.Count); return nil },
			want: `emf: property "f": invalid property: unsupported value NaN`, is: emf.ErrProperty, written: []string{"A"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := tc.opts
			if opts.Namespace == "" && tc.do != nil {
				opts.Namespace = "N"
			}
			opts.Now = fixedNow
			w := emf.NewWriter(&out, opts)
			m := w.New()
			if tc.do == nil { // a configuration error
				require.EqualError(t, w.Err(), tc.want)
				require.ErrorIs(t, w.Err(), tc.is)
				require.NoError(t, m.Put("A", 1, emf.Count))
				require.EqualError(t, m.Flush(), tc.want)
				require.Empty(t, out.String(), "a misconfigured writer wrote")
				return
			}
			require.NoError(t, w.Err())
			err := tc.do(m)
			if err == nil {
				err = m.Flush()
			} else {
				require.NoError(t, m.Flush())
			}
			require.EqualError(t, err, tc.want)
			require.ErrorIs(t, err, tc.is)
			var got []string
			for _, l := range lines(t, out.Bytes()) {
				doc := checkDocument(t, l)
				for _, d := range doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any) {
					for _, md := range d.(map[string]any)["Metrics"].([]any) {
						got = append(got, md.(map[string]any)["Name"].(string))
					}
				}
			}
			require.Equal(t, tc.written, got)
			require.NoError(t, m.Flush(), "a reported error is reported once")
		})
	}
}

func dims(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("D%d", i)
	}
	return s
}

func TestWriteError(t *testing.T) {
	m := emf.NewWriter(failWriter{}, emf.Options{Namespace: "N"}).New()
	require.NoError(t, m.Put("A", 1, emf.Count))
	require.EqualError(t, m.Flush(), "emf: write: file already closed")
}

func TestNilWriterValueDiscards(t *testing.T) {
	var w *emf.Writer
	require.NoError(t, w.Err())
	m := w.New()
	require.NoError(t, m.Put("A", 1, emf.Count))
	require.ErrorIs(t, m.Put("", 1, emf.Count), emf.ErrName, "calls are checked as usual")
	require.NoError(t, m.Flush())
}

func TestNilWriterDiscards(t *testing.T) {
	m := emf.NewWriter(nil, emf.Options{Namespace: "N"}).New()
	require.NoError(t, m.Put("A", 1, emf.Count))
	require.NoError(t, m.Flush())
}

func TestUnits(t *testing.T) {
	require.Len(t, emf.Units(), 27)
	var out bytes.Buffer
	m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
	for i, u := range emf.Units() {
		require.True(t, u.Valid(), u)
		require.NoError(t, m.Put(fmt.Sprintf("M%d", i), 1, u))
	}
	require.NoError(t, m.Flush())
	checkDocument(t, out.String())
	for _, u := range []emf.Unit{"count", "Bytes/second", "Milliseconds ", "Hours"} {
		require.False(t, u.Valid(), u)
	}
	emf.Units()[0] = "changed"
	require.Equal(t, emf.Seconds, emf.Units()[0], "Units returns a copy")
}

func TestConcurrentInvocations(t *testing.T) {
	var out bytes.Buffer // not safe for concurrent use: the Writer serialises its writes
	w := emf.NewWriter(&out, emf.Options{Namespace: "N", DimensionSets: [][]string{{"Invocation"}}, Now: fixedNow})
	const workers, perWorker = 8, 50
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range perWorker {
				id := g*perWorker + i
				m := w.New()
				m.SetDimension("Invocation", fmt.Sprint(id))
				m.SetProperty("id", id)
				for range id % 5 {
					if err := m.Put("Value", float64(id), emf.Count); err != nil {
						t.Error(err)
					}
				}
				if err := m.Flush(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, l := range lines(t, out.Bytes()) {
		doc := checkDocument(t, l)
		id := int(doc["id"].(float64))
		require.Equal(t, fmt.Sprint(id), doc["Invocation"])
		require.False(t, seen[id], "invocation %d flushed twice", id)
		seen[id] = true
		var vs []any
		if v, ok := doc["Value"].(float64); ok {
			vs = []any{v}
		} else {
			vs = doc["Value"].([]any)
		}
		require.Len(t, vs, id%5, "invocation %d got another's values", id)
		for _, v := range vs {
			require.Equal(t, float64(id), v)
		}
	}
	want := 0
	for id := range workers * perWorker {
		if id%5 != 0 {
			want++
		}
	}
	require.Len(t, seen, want)
}

func TestConcurrentUseOfOneInvocation(t *testing.T) {
	var out bytes.Buffer
	m := emf.NewWriter(&out, emf.Options{Namespace: "N", Now: fixedNow}).New()
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			m.SetProperty(fmt.Sprint("p", g), g)
			for range 10 {
				if err := m.Put("Hits", 1, emf.Count); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, m.Flush())
	doc := checkDocument(t, out.String())
	require.Len(t, doc["Hits"], 100)
}

func TestContext(t *testing.T) {
	require.Nil(t, emf.FromContext(t.Context()))
	m := emf.NewWriter(nil, emf.Options{Namespace: "N"}).New()
	ctx := emf.NewContext(t.Context(), m)
	require.Same(t, m, emf.FromContext(ctx))
	type otherKey struct{}
	require.Nil(t, emf.FromContext(context.WithValue(t.Context(), otherKey{}, m)), "another package's key")
}

func TestOptionsAreCopied(t *testing.T) {
	var out bytes.Buffer
	sets := [][]string{{"A"}}
	defaults := map[string]string{"A": "a"}
	w := emf.NewWriter(&out, emf.Options{Namespace: "N", DimensionSets: sets, Dimensions: defaults, Now: fixedNow})
	sets[0][0] = "B"
	defaults["A"] = "changed"
	own := []string{"A"}
	m := w.New()
	require.NoError(t, m.PutWithDimensions("X", 1, emf.Count, own))
	own[0] = "Z"
	require.NoError(t, m.Put("Y", 1, emf.Count))
	require.NoError(t, m.Flush())
	// The later changes to sets, defaults and own are not seen; X's own set
	// equals the writer's, so X and Y share a directive.
	want := aws + `{"Namespace":"N","Dimensions":[["A"]],"Metrics":[{"Name":"X","Unit":"Count"},{"Name":"Y","Unit":"Count"}]}]},"A":"a","X":1,"Y":1}` + "\n"
	require.Equal(t, want, out.String())
	checkDocument(t, out.String())
}

func TestErrorsAreTyped(t *testing.T) {
	m := emf.NewWriter(nil, emf.Options{Namespace: "N"}).New()
	err := m.Put("", 1, emf.Count)
	require.True(t, errors.Is(err, emf.ErrName))
	require.False(t, errors.Is(err, emf.ErrUnit))
}
