package goaws

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig is an SDK configuration for this server: static local
// credentials, Region, and the server as every service's endpoint.
func (s *Server) AWSConfig() aws.Config { return LocalConfig(s.url) }

// LocalConfig is an SDK configuration for a local emulator at endpoint, with
// static credentials (emulators accept any) and Region. Calls are not
// retried (a retried sign-up would be counted twice), so the client drops
// idle connections before a Node.js emulator does (cognito-local: Node's
// 5 s keep-alive): reusing one as the server closes it fails a POST with a
// connection reset instead of opening a new connection.
func LocalConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.IdleConnTimeout = emulatorIdle
		}),
	}
}

// emulatorIdle is how long an idle connection to an emulator is kept, below
// the 5 s after which Node.js servers close them.
const emulatorIdle = 4 * time.Second
