// Command cogwatch is the cogwatch command line: the local stack, simulated
// Cognito traffic, user-event decoding and the version. `cogwatch --help`
// lists every command; docs/cli.md is its reference.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
