package main

import (
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"

	"github.com/cogwatch/cogwatch/internal/testutil"
)

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

func TestFlagsDoc(t *testing.T) {
	testutil.GoldenSection(t, docPath, "<!-- flags:begin", "<!-- flags:end", []byte(flagsTable()))
}
