package eventbridge

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cogwatch/cogwatch/consumers/internal/fromenv"
	"github.com/cogwatch/cogwatch/internal/awsconf"
)

// FromEnv builds the consumer the way the Lambda function runs it:
// configuration from getenv (see LoadConfig), the SDK's EventBridge client from the
// default AWS configuration, JSON logs to stdout. The handler is not wrapped
// for warm-ups; cmd/eventbridge-consumer does that.
//
// The client's own retries are turned off: Handle retries throttled calls
// and entries itself, bounded by the invocation's deadline.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	return fromenv.Handler(ctx, getenv, stdout, LoadConfig, func(opts Config, cfg aws.Config, log *slog.Logger) lambda.Handler {
		client := eb.NewFromConfig(cfg, func(o *eb.Options) {
			o.RetryMaxAttempts = 1
			if ep := awsconf.Endpoint(getenv, eb.ServiceID); ep != nil {
				o.BaseEndpoint = ep
			}
		})
		return lambda.NewHandler(New(opts, client.PutEvents, log).Handle)
	})
}
