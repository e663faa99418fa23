// Command cloudwatch-consumer is the CloudWatch consumer: it aggregates SQS batches of user events into PutMetricData calls (see package consumers/cloudwatch).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := cloudwatch.FromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
