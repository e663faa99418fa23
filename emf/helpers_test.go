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

	parsed, err := emf.Parse([]byte(line)) // every reference names a root member of the right type
	require.NoError(t, err, line)
	for _, d := range parsed.Directives {
		for _, set := range d.Dimensions {
			for _, name := range set {
				require.NotEmpty(t, parsed.Members[name], "dimension %q has an empty value: %s", name, line)
			}
		}
		for _, m := range d.Metrics {
			v, _ := parsed.Values(m.Name)
			require.LessOrEqual(t, len(v), emf.MaxValues, "metric %q: too many values", m.Name)
		}
	}
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &doc))
	return doc
}

// failWriter fails every Write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
