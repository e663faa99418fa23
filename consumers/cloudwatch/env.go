package cloudwatch

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/consumers/internal/fromenv"
	"github.com/cogwatch/cogwatch/internal/awsconf"
)

// FromEnv builds the consumer the way the Lambda function runs it:
// configuration from getenv (see LoadConfig), the SDK's CloudWatch client from the
// default AWS configuration, JSON logs to stdout. The handler is not wrapped
// for warm-ups; cmd/cloudwatch-consumer does that.
//
// The client's own retries are turned off: Handle retries throttled calls
// itself, bounded by the invocation's deadline, so that retries never stack
// (SDK attempts times ours) and never outlive the invocation.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	return fromenv.Handler(ctx, getenv, stdout, LoadConfig, func(opts Config, cfg aws.Config, log *slog.Logger) lambda.Handler {
		client := cw.NewFromConfig(cfg, func(o *cw.Options) {
			o.RetryMaxAttempts = 1
			if ep := awsconf.Endpoint(getenv, cw.ServiceID); ep != nil {
				o.BaseEndpoint = ep
			}
		})
		return lambda.NewHandler(New(opts, client.PutMetricData, log).Handle)
	})
}
