package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// Why calls to AWS (or an emulator) failed, for people: each distinct cause
// once, in one line, with what to do about it. Causes are told apart by
// type and error code (errors.Is/As, smithy.APIError.ErrorCode), never by
// message: messages vary, and Cognito's may echo what the user typed.

// credentialsError marks a failure to find or load AWS credentials: the
// SDK returns those untyped, so awsConfig wraps the credential provider.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "no AWS credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// markedCredentials is a credentials provider whose errors are credentialsErrors.
type markedCredentials struct{ aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &credentialsError{err}
	}
	return c, nil
}

// Remedies, one per cause.
const (
	remedyCredentials = "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an emulator on a loopback --endpoint needs none)"
	remedyRefused     = "connection refused by %s: nothing listens there; check --endpoint (cogwatch local prints its endpoints)"
	remedyResolve     = "cannot resolve %s: check --endpoint and --region"
	remedyNetwork     = "cannot reach %s (%v): check --endpoint and the network"
	remedyTimeout     = "no answer within the deadline: check --endpoint and the network, or raise --timeout"
	remedyDenied      = "access denied (%s): the credentials' IAM policy must allow %s"
	remedyBadCreds    = "the AWS credentials were refused (%s): check AWS_PROFILE or the access keys, and refresh expired ones"
	remedyNoFunction  = "function not found (ResourceNotFoundException): %s; check --target and --region"
	remedyNoPool      = "user pool or app client not found (ResourceNotFoundException): check --user-pool-id, --client-id and --region"
)

// explain names the cause of err and its remedy; ok is false for causes
// it does not know (an API error code of no general remedy, or none at
// all). subject is what the call was about (a function's name), if known.
func explain(err error, subject string) (line string, ok bool) {
	if err == nil {
		return "", false
	}
	var (
		credErr *credentialsError
		apiErr  smithy.APIError
		dnsErr  *net.DNSError
		opErr   *net.OpError
	)
	switch {
	case errors.As(err, &credErr):
		return remedyCredentials, true
	case errors.As(err, &apiErr):
		switch code := apiErr.ErrorCode(); code {
		case "AccessDeniedException", "AccessDenied", "AuthorizationErrorException":
			return fmt.Sprintf(remedyDenied, code, action(err)), true
		case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
			"SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException":
			return fmt.Sprintf(remedyBadCreds, code), true
		case "ResourceNotFoundException":
			switch service(err) {
			case awslambda.ServiceID:
				if subject == "" {
					subject = "a target"
				}
				return fmt.Sprintf(remedyNoFunction, subject), true
			case cip.ServiceID:
				return remedyNoPool, true
			}
		}
		return "", false
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf(remedyRefused, address(err)), true
	case errors.As(err, &dnsErr):
		return fmt.Sprintf(remedyResolve, dnsErr.Name), true
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return remedyTimeout, true
	case errors.As(err, &opErr):
		inner := opErr.Err
		var sys *os.SyscallError
		if errors.As(inner, &sys) {
			inner = sys.Err // the errno's text alone: "connection reset by peer"
		}
		return fmt.Sprintf(remedyNetwork, address(err), inner), true
	}
	return "", false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// address is the remote address of a failed connection.
func address(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return "the endpoint"
}

func service(err error) string {
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return op.Service()
	}
	return ""
}

// action is the IAM action of the call that failed.
func action(err error) string {
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return "the call"
	}
	switch op.Service() {
	case awslambda.ServiceID:
		if op.Operation() == "Invoke" {
			return "lambda:InvokeFunction"
		}
		return "lambda:" + op.Operation()
	case cip.ServiceID:
		return "cognito-idp:" + op.Operation()
	}
	return op.Service() + " " + op.Operation()
}

// causes collects the distinct causes of failed calls, from any goroutine.
type causes struct {
	mu    sync.Mutex
	lines []string
}

// add explains err and keeps its cause once.
func (c *causes) add(err error, subject string) {
	line, ok := explain(err, subject)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.lines, line) {
		c.lines = append(c.lines, line)
	}
}

// print writes each cause on a line of its own, after prefix.
func (c *causes) print(w io.Writer, prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		fmt.Fprintf(w, "%s: %s\n", prefix, l)
	}
}
