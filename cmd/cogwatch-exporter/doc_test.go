package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the flags table in docs/exporter.md")

const docPath = "../../docs/exporter.md"

// flagsTable renders every flag of the binary as a Markdown table.
func flagsTable() string {
	app := kingpin.New("cogwatch-exporter", "")
	flags(app)
	promslogflag.AddFlags(app, &promslog.Config{})
	var b strings.Builder
	b.WriteString("| Flag | Default | Description |\n| --- | --- | --- |\n")
	for _, f := range app.Model().Flags {
		if f.Name == "help" || f.Name == "version" || f.Hidden {
			continue
		}
		def := strings.Join(f.Default, ", ")
		if def == "" && f.IsBoolFlag() {
			def = "`false`"
		} else if def == "" {
			def = "unset"
		} else {
			def = "`" + def + "`"
		}
		name := "`--" + f.Name + "`"
		if c, ok := f.Value.(interface{ IsCumulative() bool }); ok && c.IsCumulative() {
			name += " (repeatable)"
		}
		b.WriteString("| " + name + " | " + def + " | " + strings.ReplaceAll(f.Help, "|", "\\|") + " |\n")
	}
	return b.String()
}

// replaceBetween replaces what lies between the line starting with begin
// and the line starting with end.
func replaceBetween(t *testing.T, doc, begin, end, body string) string {
	i := strings.Index(doc, begin)
	require.GreaterOrEqual(t, i, 0, begin)
	i += strings.Index(doc[i:], "\n") + 1
	j := strings.Index(doc, end)
	require.GreaterOrEqual(t, j, i, end)
	return doc[:i] + body + doc[j:]
}

func TestFlagsDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	want := replaceBetween(t, string(doc), "<!-- flags:begin", "<!-- flags:end", flagsTable())
	if *update {
		require.NoError(t, os.WriteFile(docPath, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, string(doc), "docs/exporter.md is stale: go test ./cmd/cogwatch-exporter -run TestFlagsDoc -update")
}
