// Package awsconf loads the AWS SDK configuration every cogwatch binary uses.
//
// Endpoints and credentials come from the SDK's standard variables
// (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SNS, AWS_ACCESS_KEY_ID, …),
// read through the same getenv as the rest of a function's configuration:
// os.Getenv in Lambda, where this is what the SDK would read itself; a map
// in the local stack and in tests, so that functions built in one process
// each reach their own endpoints and nothing sets the process environment.
package awsconf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/cogwatch/cogwatch/internal/envconf"
)

// loadTimeout bounds credential and region discovery (IMDS, SSO, …), which
// must never eat a trigger's budget.
const loadTimeout = 2 * time.Second

// Load returns the SDK's default configuration with what getenv says of the
// region (AWS_REGION, else AWS_DEFAULT_REGION), the endpoint
// (AWS_ENDPOINT_URL), static credentials (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the profile and its files
// (AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and instance
// metadata (AWS_EC2_METADATA_DISABLED) taking precedence; opts come
// last. Discovery is bounded in time. A client takes its own endpoint with
// Endpoint.
func Load(ctx context.Context, getenv func(string) string, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, append(fromEnv(getenv), opts...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// Variables lists the SDK's standard variables Load reads through getenv
// (docs/configuration.md). The SDK reads others of its own from the process
// environment (AWS_USE_FIPS_ENDPOINT, AWS_RETRY_MODE, …).
var Variables = []envconf.Variable{
	{Name: "AWS_REGION", Description: "Region of the AWS APIs called; Lambda sets it. AWS_DEFAULT_REGION when unset."},
	{Name: "AWS_ENDPOINT_URL", Description: "Endpoint of every AWS API called, instead of AWS's (an emulator)."},
	{Name: "AWS_ENDPOINT_URL_<SERVICE>", Description: "Endpoint of one service's API (AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, …); wins over AWS_ENDPOINT_URL."},
	{Name: "AWS_ACCESS_KEY_ID", Description: "With AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), the credentials; Lambda sets them from the function's role."},
	{Name: "AWS_PROFILE", Description: "Shared-configuration profile (with AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), when no key is set."},
	{Name: "AWS_EC2_METADATA_DISABLED", Description: "`true` stops the SDK from asking the instance metadata service for credentials or a region."},
}

// fromEnv turns the standard variables getenv holds into load options.
func fromEnv(getenv func(string) string) []func(*config.LoadOptions) error {
	var opts []func(*config.LoadOptions) error
	region := strings.TrimSpace(getenv("AWS_REGION"))
	if region == "" {
		region = strings.TrimSpace(getenv("AWS_DEFAULT_REGION"))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if ep := strings.TrimSpace(getenv("AWS_ENDPOINT_URL")); ep != "" {
		opts = append(opts, config.WithBaseEndpoint(ep))
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	}
	if p := strings.TrimSpace(getenv("AWS_PROFILE")); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if f := strings.TrimSpace(getenv("AWS_CONFIG_FILE")); f != "" {
		opts = append(opts, config.WithSharedConfigFiles([]string{f}))
	}
	if f := strings.TrimSpace(getenv("AWS_SHARED_CREDENTIALS_FILE")); f != "" {
		opts = append(opts, config.WithSharedCredentialsFiles([]string{f}))
	}
	if strings.EqualFold(strings.TrimSpace(getenv("AWS_EC2_METADATA_DISABLED")), "true") {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	return opts
}

// Endpoint returns the endpoint getenv names for one service,
// AWS_ENDPOINT_URL_<service id> as the SDK spells it (AWS_ENDPOINT_URL_SNS,
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS), or nil. Set it as the client's
// BaseEndpoint when not nil: a client resolves its service's variable from
// the process environment only.
func Endpoint(getenv func(string) string, serviceID string) *string {
	name := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(serviceID), " ", "_")
	if ep := strings.TrimSpace(getenv(name)); ep != "" {
		return aws.String(ep)
	}
	return nil
}

// IsTopicARN checks the shape of an SNS topic ARN from the environment,
// arn:partition:sns:region:account:name, so that a typo is a configuration
// error at start rather than a failed publish later.
func IsTopicARN(s string) bool {
	p := strings.Split(s, ":")
	return len(p) == 6 && p[0] == "arn" && p[1] != "" && p[2] == "sns" && p[3] != "" && p[4] != "" && p[5] != ""
}
