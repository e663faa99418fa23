package event_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// TestDocs keeps docs/event.md true: its member tables list exactly the Go
// fields with their JSON type and required-ness, its type table the six
// types, and its example is a valid event (the signup-rejected fixture).
func TestDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/event.md")
	require.NoError(t, err)
	doc := string(b)

	row := regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\| ([a-z]+)[^|]* \\| ([a-z ]+) \\|")
	section := func(from, to string) string {
		i := strings.Index(doc, from)
		require.GreaterOrEqual(t, i, 0, from)
		j := strings.Index(doc[i+len(from):], to)
		require.GreaterOrEqual(t, j, 0, to)
		return doc[i : i+len(from)+j]
	}
	for _, tc := range []struct {
		typ   reflect.Type
		table string
	}{
		{reflect.TypeFor[event.Event](), section("| Member | JSON type |", "\n\n")},
		{reflect.TypeFor[event.Data](), section("| `data` member | JSON type |", "\n\n")},
	} {
		var got []goField
		for _, m := range row.FindAllStringSubmatch(tc.table, -1) {
			got = append(got, goField{name: m[1], jsonType: m[2], required: m[3] == "yes"})
		}
		require.Equal(t, goFields(t, tc.typ), got, "docs/event.md: the %s table", tc.typ.Name())
	}

	types := section("| Cognito trigger source | `type` |", "\n\n")
	for _, ty := range event.Types() {
		require.Contains(t, types, "| `"+string(ty)+"` |")
	}

	example := section("A rejected sign-up, as the SNS message body:\n\n```json\n", "```")
	example = strings.TrimPrefix(example, "A rejected sign-up, as the SNS message body:\n\n```json\n")
	got, err := event.Decode([]byte(example))
	require.NoError(t, err)
	want, err := event.Decode(readFile(t, "signup-rejected.json"))
	require.NoError(t, err)
	require.Equal(t, want, got)
}
