package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cogwatch/cogwatch/internal/testutil"
)

const cliDoc = "../../docs/cli.md"

// TestCLIReference keeps docs/cli.md equal to what the command tree says
// about itself. After changing a command or adding one, run
//
//	go test ./cmd/cogwatch -run TestCLIReference -update
func TestCLIReference(t *testing.T) {
	got := cliReference(newRootCmd())
	testutil.Golden(t, cliDoc, []byte(got))
}

// cliReference renders the reference of every command as markdown.
func cliReference(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("# cogwatch command line\n\n")
	b.WriteString("<!-- Generated from the commands' own help by\n")
	b.WriteString("     go test ./cmd/cogwatch -run TestCLIReference -update\n")
	b.WriteString("     Do not edit by hand. -->\n\n")
	b.WriteString("`cogwatch` is one binary; `cogwatch COMMAND --help` prints what this page says about COMMAND.\n")
	b.WriteString("Every command exits 0 on success, 1 when it ran and failed, 2 on bad usage or configuration\n")
	b.WriteString("(unknown command or flag, missing or invalid value: nothing was done).\n\n")
	var cmds []*cobra.Command
	walk(root, func(c *cobra.Command) {
		if !c.Hidden {
			cmds = append(cmds, c)
		}
	})
	for _, c := range cmds[1:] {
		indent := strings.Repeat("  ", strings.Count(c.CommandPath(), " ")-1)
		fmt.Fprintf(&b, "%s- [`%s`](#%s) — %s\n", indent, c.CommandPath(), anchor(c.CommandPath()), c.Short)
	}
	for _, c := range cmds[1:] {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", c.CommandPath(), c.Short)
		fmt.Fprintf(&b, "```\n%s\n```\n\n", strings.TrimSpace(c.UseLine()))
		if c.Long != "" {
			fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(c.Long))
		}
		if c.Example != "" {
			fmt.Fprintf(&b, "Examples:\n\n```sh\n%s\n```\n\n", strings.TrimRight(dedent(c.Example), "\n"))
		}
		var rows []string
		c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			name := "`--" + f.Name + "`"
			if f.Shorthand != "" {
				name = "`-" + f.Shorthand + "`, " + name
			}
			def := ""
			if f.DefValue != "" && f.Value.Type() != "bool" {
				def = "`" + f.DefValue + "`"
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |", name, def, strings.ReplaceAll(f.Usage, "|", `\|`)))
		})
		if len(rows) > 0 {
			b.WriteString("| Flag | Default | Description |\n| --- | --- | --- |\n")
			b.WriteString(strings.Join(rows, "\n"))
			b.WriteString("\n")
		}
	}
	return strings.ReplaceAll(b.String(), "\n\n\n", "\n\n")
}

func anchor(s string) string { return strings.ReplaceAll(s, " ", "-") }

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return strings.Join(lines, "\n")
}
