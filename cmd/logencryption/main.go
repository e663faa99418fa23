// Command logencryption is the Lambda function behind the
// Custom::LogEncryption CloudFormation resource. See package logencryption.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/custom-resources/logencryption"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := logencryption.FromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
