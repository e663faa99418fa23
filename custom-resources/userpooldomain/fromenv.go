package userpooldomain

import (
	"context"
	"io"
	"net"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// FromEnv builds the function's handler: the custom-resource runtime around
// a Resource with the SDK's Cognito client and the system resolver. It is
// not wrapped in warmup.Wrap; cmd/userpooldomain does that.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	log := logging.New(stdout, getenv)
	r := New(cip.NewFromConfig(cfg, func(o *cip.Options) {
		if ep := awsconf.Endpoint(getenv, cip.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	}), net.DefaultResolver.LookupIP, Options{Logger: log})
	return customresources.New(r.Handle, customresources.Options{Logger: log}), nil
}
