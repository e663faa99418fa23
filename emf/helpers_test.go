package emf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/emf"
)

// t0 is the documents' timestamp in tests: 2023-11-14T22:13:20Z.
var t0 = time.UnixMilli(1700000000000)

func fixedNow() time.Time { return t0 }

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// emfSchema compiles testdata/emf.schema.json, the EMF specification's
// schema with the current limits.
func emfSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		f, err := os.Open("testdata/emf.schema.json")
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if schemaErr = c.AddResource("emf.schema.json", doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile("emf.schema.json")
	})
	require.NoError(t, schemaErr)
	return schema
}

// lines splits what a Writer wrote into its lines, each ending in "\n".
func lines(t testing.TB, out []byte) []string {
	t.Helper()
	if len(out) == 0 {
		return nil
	}
	require.True(t, bytes.HasSuffix(out, []byte("\n")), "output does not end in a newline: %q", out)
	ls := strings.SplitAfter(string(out), "\n")
	return ls[:len(ls)-1]
}

// checkDocument checks that line is one JSON object valid under the EMF
// schema, whose every reference names a root member of the right type
// (what the schema cannot say), and returns it decoded.
func checkDocument(t testing.TB, line string) map[string]any {
	t.Helper()
	require.True(t, strings.HasSuffix(line, "\n"), "line without newline: %q", line)
	require.Less(t, len(line), emf.MaxDocumentBytes, "line too long")
	require.True(t, json.Valid([]byte(line)), "invalid JSON: %s", line)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
	require.NoError(t, err)
	require.NoError(t, emfSchema(t).Validate(inst), "schema: %s", line)

	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &doc))
	aws := doc["_aws"].(map[string]any)
	for _, d := range aws["CloudWatchMetrics"].([]any) {
		dir := d.(map[string]any)
		for _, set := range dir["Dimensions"].([]any) {
			for _, name := range set.([]any) {
				v, ok := doc[name.(string)]
				require.True(t, ok, "dimension %q has no member: %s", name, line)
				s, ok := v.(string)
				require.True(t, ok && s != "", "dimension %q is %v, not a string: %s", name, v, line)
			}
		}
		for _, md := range dir["Metrics"].([]any) {
			name := md.(map[string]any)["Name"].(string)
			switch v := doc[name].(type) {
			case float64:
			case []any:
				require.NotEmpty(t, v, "metric %q: empty values", name)
				require.LessOrEqual(t, len(v), emf.MaxValues, "metric %q: too many values", name)
				for _, x := range v {
					_, ok := x.(float64)
					require.True(t, ok, "metric %q: value %v is not a number", name, x)
				}
			default:
				t.Fatalf("metric %q has member %v (%T), not a number or numbers: %s", name, v, v, line)
			}
		}
	}
	return doc
}

// failWriter fails every Write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
