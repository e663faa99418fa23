package logencryption

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/awsconf"
)

// FromEnv builds the function's handler: the custom-resource runtime around
// a Resource with the SDK's CloudWatch Logs client. It is not wrapped in
// warmup.Wrap; cmd/logencryption does that.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	return customresources.FromEnv(ctx, getenv, stdout, func(cfg aws.Config, log *slog.Logger) customresources.Func {
		return New(cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
			if ep := awsconf.Endpoint(getenv, cloudwatchlogs.ServiceID); ep != nil {
				o.BaseEndpoint = ep
			}
		}), Options{Logger: log}).Handle
	})
}
