// Package envconf is the one convention by which cogwatch's functions are
// configured, and the renderer of its documentation.
//
// Every function's package has a Config struct (its zero value is not the
// default: start from DefaultConfig), LoadConfig(getenv func(string) string)
// (Config, error) that starts from the defaults and names the variable at
// fault, and a Variables table, []envconf.Variable, listing each variable
// it reads with its default and meaning. getenv is os.Getenv in Lambda and a
// map in the local stack and in tests, so nothing sets the process
// environment. docs/configuration.md is generated from the tables
// (docs/configuration_test.go) and golden-tested.
//
// It holds no variable of its own and reads no environment.
package envconf

import (
	"fmt"
	"strings"
)

// Variable documents one environment variable.
type Variable struct {
	Name        string
	Default     string // as written in the environment; empty: unset
	Description string
}

// Table renders vars as a Markdown table: Variable, Default, Description.
func Table(vars []Variable) string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Description |\n| --- | --- | --- |\n")
	for _, v := range vars {
		def := "unset"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, strings.ReplaceAll(v.Description, "|", `\|`))
	}
	return b.String()
}
