package api

import "github.com/aws/aws-lambda-go/lambda"

// lambdaHandler wraps a as Lambda does: JSON in, JSON out.
func lambdaHandler(a *API) lambda.Handler { return lambda.NewHandler(a.Handle) }
