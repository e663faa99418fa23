// Command warmer is the Lambda function that keeps cogwatch's triggers warm,
// run by an EventBridge Scheduler schedule. See package warmers.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/warmers"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := warmers.FromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
