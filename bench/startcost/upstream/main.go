// Command upstream answers one lookup with github.com/AfterShip/email-verifier,
// which builds its 120,000-entry map at package initialisation.
package main

import (
	"os"
	"strconv"

	emailverifier "github.com/AfterShip/email-verifier"
)

func main() {
	ok := emailverifier.NewVerifier().IsDisposable(os.Args[len(os.Args)-1])
	os.Stdout.WriteString(strconv.FormatBool(ok) + "\n")
}
