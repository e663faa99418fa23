// Command disposable answers one lookup from triggers/disposable's list.
package main

import (
	"os"
	"strconv"

	"github.com/cogwatch/cogwatch/triggers/disposable"
)

func main() {
	d, err := disposable.Normalize(os.Args[len(os.Args)-1])
	if err != nil {
		os.Exit(1)
	}
	_, ok := disposable.NewChecker(nil, nil).Match(d)
	os.Stdout.WriteString(strconv.FormatBool(ok) + "\n")
}
