// Package fromenv builds an SQS consumer's Lambda handler the way the
// function runs it: the consumer's configuration and the SDK's both read
// through one getenv (os.Getenv in Lambda, a map in the local stack and in
// tests), JSON logs to stdout.
//
// It is internal to consumers/: the CloudWatch aggregator and the
// EventBridge forwarder use it.
package fromenv

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// Handler reads the consumer's configuration with load, then the SDK's
// (awsconf.Load), and returns the handler build makes of them and a logger
// writing to stdout. A configuration error comes first, before any SDK
// discovery.
func Handler[C any](ctx context.Context, getenv func(string) string, stdout io.Writer,
	load func(getenv func(string) string) (C, error), build func(C, aws.Config, *slog.Logger) lambda.Handler) (lambda.Handler, error) {
	c, err := load(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return build(c, cfg, logging.New(stdout, getenv)), nil
}
