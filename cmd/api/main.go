// Command api is the Lambda behind the API's guest and user endpoints (see package api).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/api"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := api.FromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
