package goaws

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig is an SDK configuration for this server: static local
// credentials, Region, and the server as every service's endpoint.
func (s *Server) AWSConfig() aws.Config { return LocalConfig(s.url) }

// LocalConfig is an SDK configuration for a local emulator at endpoint, with
// static credentials (emulators accept any) and Region.
func LocalConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}
