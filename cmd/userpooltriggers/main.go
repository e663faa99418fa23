// Command userpooltriggers is the Lambda function behind the
// Custom::UserPoolTriggers CloudFormation resource. See package userpooltriggers.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/custom-resources/userpooltriggers"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := userpooltriggers.FromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
