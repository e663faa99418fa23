package envconf

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTable(t *testing.T) {
	got := Table([]Variable{
		{Name: "A", Default: "1s", Description: "first"},
		{Name: "B", Description: "a | b"},
	})
	require.Equal(t, "| Variable | Default | Description |\n| --- | --- | --- |\n"+
		"| `A` | `1s` | first |\n"+
		"| `B` | unset | a \\| b |\n", got)
}
