package triggers

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/lambdainvoke"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// PreSignUpFromEnv builds the pre sign-up Lambda handler from getenv
// (os.Getenv in Lambda), logging and writing EMF to stdout (nil discards),
// exactly as cmd/presignup does. The handler is not wrapped in warmup.Wrap.
func PreSignUpFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (awslambda.Handler, error) {
	d, err := fromEnv(ctx, getenv, stdout)
	if err != nil {
		return nil, err
	}
	t := NewPreSignUp(d.cfg, d.publish, d.metrics, d.log)
	t.SetEventLog(d.stdout)
	t.SetChain(d.cfg.Chain, d.invoke)
	return t, nil
}

// AuthenticationFromEnv builds the authentication Lambda handler (pre and
// post authentication); see PreSignUpFromEnv.
func AuthenticationFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (awslambda.Handler, error) {
	d, err := fromEnv(ctx, getenv, stdout)
	if err != nil {
		return nil, err
	}
	t := NewAuthentication(d.cfg, d.publish, d.metrics, d.log)
	t.SetEventLog(d.stdout)
	t.SetChain(d.cfg.Chain, d.invoke)
	return t, nil
}

// PostConfirmationFromEnv builds the post confirmation Lambda handler; see
// PreSignUpFromEnv.
func PostConfirmationFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (awslambda.Handler, error) {
	d, err := fromEnv(ctx, getenv, stdout)
	if err != nil {
		return nil, err
	}
	t := NewPostConfirmation(d.cfg, d.publish, d.metrics, d.log)
	t.SetEventLog(d.stdout)
	t.SetChain(d.cfg.Chain, d.invoke)
	return t, nil
}

type deps struct {
	cfg     Config
	publish PublishFunc
	invoke  InvokeFunc
	metrics *emf.Writer
	log     *slog.Logger
	stdout  io.Writer // event lines go beside the EMF lines
}

// fromEnv reads the configuration and builds the logger, the EMF writer and,
// only with the SNS sink and a topic, the SNS client (the log sink loads no
// AWS configuration and makes no network call of its own); only when a
// function is chained, the Lambda client.
func fromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (deps, error) {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return deps{}, fmt.Errorf("configuration: %w", err)
	}
	if stdout == nil {
		stdout = io.Discard
	}
	log := logging.NewLogger(stdout, logging.Config{Level: cfg.LogLevel, Service: cfg.ServiceName})
	d := deps{cfg: cfg, log: log, metrics: NewMetrics(stdout, cfg), stdout: stdout}
	if err := d.metrics.Err(); err != nil {
		return deps{}, fmt.Errorf("configuration: %w", err)
	}
	publishes := cfg.TopicARN != "" && cfg.EventSink == SinkSNS
	if !publishes && len(cfg.Chain) == 0 {
		return d, nil
	}
	awsCfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return deps{}, err
	}
	if publishes {
		d.publish = sns.NewFromConfig(awsCfg, func(o *sns.Options) {
			if ep := awsconf.Endpoint(getenv, sns.ServiceID); ep != nil {
				o.BaseEndpoint = ep
			}
		}).Publish
	}
	if len(cfg.Chain) > 0 {
		d.invoke = lambdainvoke.New(awsCfg, lambdainvoke.Options{Endpoint: aws.ToString(awsconf.Endpoint(getenv, "Lambda"))}).Invoke
	}
	return d, nil
}

// PreTokenGenerationFromEnv builds the pre token generation Lambda handler;
// see PreSignUpFromEnv.
func PreTokenGenerationFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (awslambda.Handler, error) {
	d, err := fromEnv(ctx, getenv, stdout)
	if err != nil {
		return nil, err
	}
	t := NewPreTokenGeneration(d.cfg, d.publish, d.metrics, d.log)
	t.SetEventLog(d.stdout)
	t.SetChain(d.cfg.Chain, d.invoke)
	return t, nil
}

// CustomMessageFromEnv builds the custom message Lambda handler with
// countryCode (phone.CountryCode in cmd/custommessage); see
// PreSignUpFromEnv.
func CustomMessageFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer, countryCode CountryCodeFunc) (awslambda.Handler, error) {
	d, err := fromEnv(ctx, getenv, stdout)
	if err != nil {
		return nil, err
	}
	t := NewCustomMessage(d.cfg, d.publish, d.metrics, d.log, countryCode)
	t.SetEventLog(d.stdout)
	t.SetChain(d.cfg.Chain, d.invoke)
	return t, nil
}
