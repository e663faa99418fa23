// Package awsconf loads the AWS SDK configuration every cogwatch binary uses.
//
// Endpoints and credentials come the SDK's standard way (AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SNS, …), so one binary talks to AWS or to
// a local emulator without code changes.
package awsconf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// loadTimeout bounds credential and region discovery (IMDS, SSO, …), which
// must never eat a trigger's budget.
const loadTimeout = 2 * time.Second

// Load returns the default SDK configuration, bounded in time.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// IsTopicARN checks the shape of an SNS topic ARN from the environment,
// arn:partition:sns:region:account:name, so that a typo is a configuration
// error at start rather than a failed publish later.
func IsTopicARN(s string) bool {
	p := strings.Split(s, ":")
	return len(p) == 6 && p[0] == "arn" && p[1] != "" && p[2] == "sns" && p[3] != "" && p[4] != "" && p[5] != ""
}
