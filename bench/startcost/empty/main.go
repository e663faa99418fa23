// Command empty is the baseline of BenchmarkStart: it answers nothing useful.
package main

import (
	"os"
	"strings"
)

func main() {
	if strings.HasSuffix(os.Args[len(os.Args)-1], ".invalid") {
		os.Stdout.WriteString("true\n")
		return
	}
	os.Stdout.WriteString("false\n")
}
