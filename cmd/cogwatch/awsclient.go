package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/logging"

	"github.com/cogwatch/cogwatch/internal/awsconf"
)

// cognitoClient builds the Cognito client from awsConfig, pointed at
// endpoint when one is given.
func cognitoClient(ctx context.Context, endpoint, region string, getenv func(string) string) (*cip.Client, error) {
	cfg, err := awsConfig(ctx, endpoint, region, getenv)
	if err != nil {
		return nil, err
	}
	return cip.NewFromConfig(cfg, func(o *cip.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// lambdaClient builds the Lambda client from awsConfig, pointed at
// endpoint when one is given.
func lambdaClient(ctx context.Context, endpoint, region string, getenv func(string) string) (*awslambda.Client, error) {
	cfg, err := awsConfig(ctx, endpoint, region, getenv)
	if err != nil {
		return nil, err
	}
	return awslambda.NewFromConfig(cfg, func(o *awslambda.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// awsConfig loads the SDK's default configuration, with region overriding
// it when given. endpoint (a --endpoint flag, possibly empty) must be an
// http or https URL; when it is on the loopback interface (an emulator),
// stand-in credentials and region fill in for those the environment lacks.
func awsConfig(ctx context.Context, endpoint, region string, getenv func(string) string) (aws.Config, error) {
	// The SDK's own log lines ("falling back to IMDSv1" when there are no
	// credentials) would sit unexplained beside the one-line causes the
	// commands print; explain says what matters.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	local := false
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return aws.Config{}, fmt.Errorf("--endpoint %q: want an http or https URL", endpoint)
		}
		local = isLoopback(u.Hostname())
	}
	if local && getenv("AWS_ACCESS_KEY_ID") == "" && getenv("AWS_PROFILE") == "" {
		// Emulators accept any credentials; without these the SDK would go
		// looking for some (IMDS) and fail.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	if local && region == "" && getenv("AWS_REGION") == "" && getenv("AWS_DEFAULT_REGION") == "" {
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	cfg, err := awsconf.Load(ctx, getenv, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Credentials != nil {
		// The SDK's "no credentials" errors are plain text: mark them, so
		// that explain can tell them apart by type.
		cfg.Credentials = aws.NewCredentialsCache(markedCredentials{cfg.Credentials})
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: give --region or set AWS_REGION")
	}
	return cfg, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
