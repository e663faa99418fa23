package eventbridge

import (
	"context"
	"io"

	"github.com/aws/aws-lambda-go/lambda"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// FromEnv builds the consumer the way the Lambda function runs it:
// configuration from getenv (see LoadConfig), the SDK's EventBridge client from the
// default AWS configuration, JSON logs to stdout. The handler is not wrapped
// for warm-ups; cmd/eventbridge-consumer does that.
//
// The client's own retries are turned off: Handle retries throttled calls
// and entries itself, bounded by the invocation's deadline.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	opts, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	client := eb.NewFromConfig(cfg, func(o *eb.Options) {
		o.RetryMaxAttempts = 1
		if ep := awsconf.Endpoint(getenv, eb.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	})
	return lambda.NewHandler(New(opts, client.PutEvents, logging.New(stdout, getenv)).Handle), nil
}
