// Command pretokengeneration is the pre token generation Cognito trigger Lambda (see package triggers).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/triggers"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func main() {
	h, err := triggers.PreTokenGenerationFromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(warmup.Wrap(h))
}
