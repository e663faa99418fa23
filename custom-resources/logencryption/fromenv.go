package logencryption

import (
	"context"
	"io"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// FromEnv builds the function's handler: the custom-resource runtime around
// a Resource with the SDK's CloudWatch Logs client. It is not wrapped in
// warmup.Wrap; cmd/logencryption does that.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	log := logging.New(stdout, getenv)
	r := New(cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if ep := awsconf.Endpoint(getenv, cloudwatchlogs.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	}), Options{Logger: log})
	return customresources.New(r.Handle, customresources.Options{Logger: log}), nil
}
