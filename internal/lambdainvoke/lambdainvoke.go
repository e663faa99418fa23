package lambdainvoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// MaxResponse bounds the response body read: Lambda's own limit on a
// synchronous response is 6 MB.
const MaxResponse = 6 << 20

// Options are the settings the SDK's Lambda client would take as options.
type Options struct {
	// Endpoint, when set, is the endpoint called (a host's
	// AWS_ENDPOINT_URL_LAMBDA). Else: AWS_ENDPOINT_URL_LAMBDA or a services
	// section of the shared configuration, then the configuration's
	// BaseEndpoint (AWS_ENDPOINT_URL), then Lambda's regional endpoint in
	// the function ARN's partition, honouring AWS_USE_FIPS_ENDPOINT and
	// AWS_USE_DUALSTACK_ENDPOINT, as the SDK resolves them.
	Endpoint string
}

// Client calls Lambda's Invoke API. Its zero value is not usable; use New.
type Client struct {
	cfg     aws.Config
	opts    Options
	signer  *v4.Signer
	retryer aws.Retryer
	http    aws.HTTPClient
	now     func() time.Time
}

// New returns a client for cfg, typically from awsconf.Load.
func New(cfg aws.Config, opts Options) *Client {
	c := &Client{cfg: cfg, opts: opts, signer: v4.NewSigner(), http: cfg.HTTPClient, now: time.Now}
	if c.http == nil {
		c.http = awshttp.NewBuildableClient()
	}
	if cfg.Retryer != nil {
		c.retryer = cfg.Retryer()
	} else {
		c.retryer = retry.NewStandard()
	}
	if cfg.RetryMaxAttempts > 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	return c
}

// Invoke calls function (a name or ARN, qualifier included) synchronously
// with payload. It returns the function's response; when the function
// failed, functionError is Lambda's X-Amz-Function-Error ("Unhandled") and
// response is the function's error document. err is a failure to call: an
// API error (smithy.APIError, with Lambda's code) or a transport error,
// after the retries the retry policy allows before ctx's deadline.
func (c *Client) Invoke(ctx context.Context, function string, payload []byte) (response []byte, functionError string, err error) {
	response, functionError, err = c.invoke(ctx, function, payload)
	if err != nil {
		err = &smithy.OperationError{ServiceID: "Lambda", OperationName: "Invoke", Err: err}
	}
	return response, functionError, err
}

func (c *Client) invoke(ctx context.Context, function string, payload []byte) ([]byte, string, error) {
	if function == "" {
		return nil, "", errors.New("no function name")
	}
	endpoint, err := c.endpoint(ctx, function)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	release := c.retryer.GetInitialToken()
	for attempt := 1; ; attempt++ {
		out, fnErr, err := c.send(ctx, endpoint, function, payload, hash)
		if err == nil {
			_ = release(nil)
			return out, fnErr, nil
		}
		if attempt >= c.retryer.MaxAttempts() || ctx.Err() != nil || !c.retryer.IsErrorRetryable(err) {
			return nil, "", err
		}
		rel, qerr := c.retryer.GetRetryToken(ctx, err)
		if qerr != nil {
			return nil, "", err // the retry quota is spent
		}
		release = rel
		delay, derr := c.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, "", err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, "", err
		case <-t.C:
		}
	}
}

// send makes one attempt.
func (c *Client) send(ctx context.Context, endpoint *url.URL, function string, payload []byte, hash string) ([]byte, string, error) {
	// The name is one path segment, escaped as the SDK escapes it (an ARN's
	// colons too), under the endpoint's own path.
	u := *endpoint
	u.Path = strings.TrimSuffix(endpoint.Path, "/") + "/2015-03-31/functions/" + function + "/invocations"
	u.RawPath = strings.TrimSuffix(endpoint.EscapedPath(), "/") + "/2015-03-31/functions/" + httpbinding.EscapePath(function, true) + "/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	if c.cfg.Credentials != nil {
		creds, err := c.cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("retrieve credentials: %w", err)
		}
		if err := c.signer.SignHTTP(ctx, creds, req, hash, "lambda", c.cfg.Region, c.now().UTC()); err != nil {
			return nil, "", fmt.Errorf("sign: %w", err)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", &smithyhttp.RequestSendError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return nil, "", &smithyhttp.RequestSendError{Err: fmt.Errorf("read response: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: apiError(resp.StatusCode, resp.Header, body)},
			RequestID:     resp.Header.Get("X-Amzn-Requestid"),
		}
	}
	if len(body) > MaxResponse {
		return nil, "", fmt.Errorf("response larger than %d bytes", MaxResponse)
	}
	return body, resp.Header.Get("X-Amz-Function-Error"), nil
}

// apiError reads the error Lambda answers (REST-JSON: the code in
// X-Amzn-ErrorType or the body, the message in the body), as the SDK does.
func apiError(status int, h http.Header, body []byte) *smithy.GenericAPIError {
	code, msg, _ := restjson.GetErrorInfo(json.NewDecoder(bytes.NewReader(body)))
	if hc := h.Get("X-Amzn-ErrorType"); hc != "" {
		code = hc
	}
	code = restjson.SanitizeErrorCode(code)
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:] // what the sanitizer leaves of a malformed "a##b"
	}
	if code == "" {
		code = "UnknownError"
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	}
	fault := smithy.FaultClient
	if status >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}

// serviceEndpoint is what the shared configuration and the environment
// hold for one service (config.EnvConfig and config.SharedConfig).
type serviceEndpoint interface {
	GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
}

type fipsSetting interface {
	GetUseFIPSEndpoint(ctx context.Context) (aws.FIPSEndpointState, bool, error)
}

type dualStackSetting interface {
	GetUseDualStackEndpoint(ctx context.Context) (aws.DualStackEndpointState, bool, error)
}

// endpoint resolves the endpoint for function, in the SDK's order.
func (c *Client) endpoint(ctx context.Context, function string) (*url.URL, error) {
	if c.opts.Endpoint != "" {
		return parseEndpoint(c.opts.Endpoint)
	}
	_, general := os.LookupEnv("AWS_ENDPOINT_URL")
	_, specific := os.LookupEnv("AWS_ENDPOINT_URL_LAMBDA")
	if !general || specific {
		for _, s := range c.cfg.ConfigSources {
			if p, ok := s.(serviceEndpoint); ok {
				if v, found, err := p.GetServiceBaseEndpoint(ctx, "Lambda"); err == nil && found && v != "" {
					return parseEndpoint(v)
				}
			}
		}
	}
	if c.cfg.BaseEndpoint != nil && *c.cfg.BaseEndpoint != "" {
		return parseEndpoint(*c.cfg.BaseEndpoint)
	}
	return c.regional(ctx, function)
}

// regional is Lambda's endpoint in c's region and the partition of the
// function's ARN (the region's, for a bare name).
func (c *Client) regional(ctx context.Context, function string) (*url.URL, error) {
	region := c.cfg.Region
	if region == "" {
		return nil, errors.New("no region: set AWS_REGION")
	}
	partition := partitionOfRegion(region)
	if a, err := arn.Parse(function); err == nil {
		partition = a.Partition
	}
	p, ok := partitions[partition]
	if !ok {
		return nil, fmt.Errorf("unknown partition %q", partition)
	}
	var fips, dual bool
	for _, s := range c.cfg.ConfigSources {
		if f, ok := s.(fipsSetting); ok && !fips {
			v, found, err := f.GetUseFIPSEndpoint(ctx)
			fips = err == nil && found && v == aws.FIPSEndpointStateEnabled
		}
		if d, ok := s.(dualStackSetting); ok && !dual {
			v, found, err := d.GetUseDualStackEndpoint(ctx)
			dual = err == nil && found && v == aws.DualStackEndpointStateEnabled
		}
	}
	host, suffix := "lambda.", p.dnsSuffix
	if fips {
		host = "lambda-fips."
	}
	if dual {
		suffix = p.dualStackSuffix
	}
	return &url.URL{Scheme: "https", Host: host + region + "." + suffix}, nil
}

func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not a URL", s)
	}
	return u, nil
}

// partitions are the DNS suffixes of each AWS partition, as the SDK's
// partition table lists them.
var partitions = map[string]struct{ dnsSuffix, dualStackSuffix string }{
	"aws":        {"amazonaws.com", "api.aws"},
	"aws-cn":     {"amazonaws.com.cn", "api.amazonwebservices.com.cn"},
	"aws-us-gov": {"amazonaws.com", "api.aws"},
	"aws-eusc":   {"amazonaws.eu", "api.amazonwebservices.eu"},
	"aws-iso":    {"c2s.ic.gov", "api.aws.ic.gov"},
	"aws-iso-b":  {"sc2s.sgov.gov", "api.aws.scloud"},
	"aws-iso-e":  {"cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"},
	"aws-iso-f":  {"csp.hci.ic.gov", "api.aws.hci.ic.gov"},
}

// partitionOfRegion is the partition of a region by its prefix, for a
// function given by name.
func partitionOfRegion(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"eusc-", "aws-eusc"},
		{"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"}, {"eu-isoe-", "aws-iso-e"}, {"us-iso-", "aws-iso"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}
