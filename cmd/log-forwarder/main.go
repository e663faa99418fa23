// Command log-forwarder is the log forwarder: it publishes the user events found in the triggers' logs to the user-event topic (see package consumers/logforwarder).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/consumers/logforwarder"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := logforwarder.FromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
