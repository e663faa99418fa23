package logforwarder

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// FromEnv builds the forwarder the way the Lambda function runs it:
// configuration from getenv (see LoadConfig), the SDK's SNS client from the default
// AWS configuration (AWS_ENDPOINT_URL_SNS in getenv, when set, wins), JSON
// logs and EMF lines to stdout. The handler is not wrapped for warm-ups;
// cmd/log-forwarder does that.
//
// The client's own retries are turned off: Handle retries throttled calls
// and entries itself, bounded by the invocation's deadline.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	opts, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	metrics := NewMetrics(stdout, opts)
	if err := metrics.Err(); err != nil {
		return nil, fmt.Errorf("POWERTOOLS_METRICS_NAMESPACE: %w", err)
	}
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	client := sns.NewFromConfig(cfg, func(o *sns.Options) {
		o.RetryMaxAttempts = 1
		if ep := awsconf.Endpoint(getenv, sns.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	})
	return lambda.NewHandler(New(opts, client.PublishBatch, metrics, logging.New(stdout, getenv)).Handle), nil
}
