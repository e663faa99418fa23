package local

import (
	"context"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/triggers"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

// triggerTimeout is the triggers' function timeout: Cognito's own limit.
const triggerTimeout = 5 * time.Second

// localHashKey keys the email hash in local events. It is no secret: local
// events carry made-up addresses.
const localHashKey = "cogwatch-local-hash-key-not-a-secret"

// triggerBuilders are the Cognito triggers of the template, in its order,
// each built by the constructor its cmd/ main calls.
var triggerBuilders = []struct {
	name string
	from func(context.Context, func(string) string, io.Writer) (lambda.Handler, error)
}{
	{PreSignUpFunction, triggers.PreSignUpFromEnv},
	{AuthenticationFunction, triggers.AuthenticationFromEnv},
	{PostConfirmationFunction, triggers.PostConfirmationFromEnv},
	{PreTokenGenerationFunction, triggers.PreTokenGenerationFromEnv},
	{CustomMessageFunction, func(ctx context.Context, getenv func(string) string, w io.Writer) (lambda.Handler, error) {
		return triggers.CustomMessageFromEnv(ctx, getenv, w, phone.CountryCode)
	}},
}

// TriggerFunctionNames returns the names of the Cognito trigger functions
// the stack hosts (and the warmer keeps warm, as in the template).
func TriggerFunctionNames() []string {
	names := make([]string, len(triggerBuilders))
	for i, t := range triggerBuilders {
		names[i] = t.name
	}
	return names
}

// triggerFunctionsFor builds the Cognito triggers with the environment the
// template gives them, pointed at the local topic. Unlike the template's
// default, the pre token generation trigger publishes its events
// (COGWATCH_TOKEN_EVENTS=true): locally a publish costs nothing, and so the
// cogwatch.token.issued path (SNS, both consumers, the exporter) runs and
// is counted like every other event; its EMF metrics are written either way.
func (s *Stack) triggerFunctionsFor() ([]lambdahost.Function, error) {
	env := s.triggerEnv()
	var fns []lambdahost.Function
	for _, t := range triggerBuilders {
		w, err := s.functionLog(t.name)
		if err != nil {
			return nil, err
		}
		w = s.subscribed(t.name, w)
		from, getenv := t.from, s.env(env)
		fns = append(fns, lambdahost.Function{
			Name:    t.name,
			Timeout: triggerTimeout,
			New:     func(ctx context.Context) (lambda.Handler, error) { return from(ctx, getenv, w) },
		})
	}
	return fns, nil
}

// triggerEnv is the environment the template gives the triggers, pointed
// at the local topic.
func (s *Stack) triggerEnv() map[string]string {
	return map[string]string{
		"USER_EVENTS_TOPIC_ARN":   s.ends.TopicARN,
		"COGWATCH_HASH_KEY":       localHashKey,
		"COGWATCH_TOKEN_EVENTS":   "true",
		"POWERTOOLS_SERVICE_NAME": "cogwatch-local",
		"AWS_ENDPOINT_URL_SNS":    s.triggerSNS(),
		"COGWATCH_EVENT_SINK":     s.eventSink(),
		"AWS_REGION":              Region,
		"AWS_ACCESS_KEY_ID":       "local",
		"AWS_SECRET_ACCESS_KEY":   "local",
	}
}
