package customresources

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// FromEnv builds a resource function's handler the way Lambda runs it: the
// SDK's configuration from getenv (awsconf.Load), JSON logs to stdout, and
// the runtime around the Func that build makes of them. It is not wrapped in
// warmup.Wrap; the function's cmd does that.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer, build func(aws.Config, *slog.Logger) Func) (lambda.Handler, error) {
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	log := logging.New(stdout, getenv)
	return New(build(cfg, log), Options{Logger: log}), nil
}
