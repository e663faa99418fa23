package triggers

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{name: "nothing set", env: nil, want: DefaultConfig},
		{
			name: "everything set",
			env: map[string]string{
				"USER_EVENTS_TOPIC_ARN":               "arn:aws:sns:eu-west-1:123456789012:user-events",
				"COGWATCH_TRIGGER_BUDGET":             "2500ms",
				"COGWATCH_HASH_KEY":                   "0123456789abcdef",
				"COGWATCH_INCLUDE_EMAIL":              "true",
				"COGWATCH_EXTRA_DISPOSABLE_DOMAINS":   " Corp-Throwaway.example, ,bücher.example",
				"COGWATCH_ALLOWED_DOMAINS":            "mailinator.com,",
				"POWERTOOLS_METRICS_NAMESPACE":        "Acme/Cognito",
				"POWERTOOLS_SERVICE_NAME":             "signup",
				"POWERTOOLS_LOG_LEVEL":                "debug",
				"COGWATCH_EVENT_SINK":                 " SNS ",
				"COGWATCH_BREAKER_FAILURES":           "5",
				"COGWATCH_BREAKER_COOLDOWN":           "1m",
				"COGWATCH_BREAKER_PROBE_BUDGET":       "75ms",
				"COGWATCH_CHAIN_PRE_SIGN_UP":          "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live",
				"COGWATCH_CHAIN_POST_CONFIRMATION":    " arn:aws:lambda:eu-west-1:123456789012:function:welcome-mail:7 ",
				"COGWATCH_CHAIN_PRE_AUTHENTICATION":   "",
				"COGWATCH_CHAIN_PRE_TOKEN_GENERATION": "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3",
				"COGWATCH_CHAIN_CUSTOM_MESSAGE":       "arn:aws:lambda:eu-west-1:123456789012:function:custom-message",
			},
			want: Config{
				TopicARN:               "arn:aws:sns:eu-west-1:123456789012:user-events",
				Budget:                 2500 * time.Millisecond,
				HashKey:                []byte("0123456789abcdef"),
				IncludeEmail:           true,
				ExtraDisposableDomains: []string{"corp-throwaway.example", "xn--bcher-kva.example"},
				AllowedDomains:         []string{"mailinator.com"},
				Namespace:              "Acme/Cognito",
				ServiceName:            "signup",
				LogLevel:               slog.LevelDebug,
				EventSink:              SinkSNS,
				Breaker:                BreakerConfig{Failures: 5, Cooldown: time.Minute, ProbeBudget: 75 * time.Millisecond},
				Chain: map[string]string{"PreSignUp": "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live",
					"PostConfirmation":   "arn:aws:lambda:eu-west-1:123456789012:function:welcome-mail:7",
					"PreTokenGeneration": "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3",
					"CustomMessage":      "arn:aws:lambda:eu-west-1:123456789012:function:custom-message"},
			},
		},
		{
			name: "log sink, breaker off",
			env:  map[string]string{"COGWATCH_EVENT_SINK": "log", "COGWATCH_BREAKER_FAILURES": "0"},
			want: func() Config {
				c := DefaultConfig
				c.EventSink = SinkLog
				c.Breaker.Failures = 0
				return c
			}(),
		},
		{
			name: "goaws topic, false, budget just below the limit",
			env: map[string]string{
				"USER_EVENTS_TOPIC_ARN":   "arn:aws:sns:us-east-1:000000000000:user-events",
				"COGWATCH_TRIGGER_BUDGET": "4.999s",
				"COGWATCH_INCLUDE_EMAIL":  "FALSE",
			},
			want: func() Config {
				c := DefaultConfig
				c.TopicARN = "arn:aws:sns:us-east-1:000000000000:user-events"
				c.Budget = 4999 * time.Millisecond
				return c
			}(),
		},
		{
			// The level the logger gets is the one in Config: Lambda's
			// advanced logging controls win, as documented.
			name: "Lambda's log level wins",
			env:  map[string]string{"AWS_LAMBDA_LOG_LEVEL": "ERROR", "POWERTOOLS_LOG_LEVEL": "debug"},
			want: func() Config {
				c := DefaultConfig
				c.LogLevel = slog.LevelError
				return c
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadConfig(env(tc.env))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestLoadConfigErrors pins the exact messages: operators read them in the
// function's init error.
func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "topic not an ARN", env: map[string]string{"USER_EVENTS_TOPIC_ARN": "user-events"},
			want: `USER_EVENTS_TOPIC_ARN: "user-events" is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>)`},
		{name: "topic of another service", env: map[string]string{"USER_EVENTS_TOPIC_ARN": "arn:aws:sqs:eu-west-1:123456789012:q"},
			want: `USER_EVENTS_TOPIC_ARN: "arn:aws:sqs:eu-west-1:123456789012:q" is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>)`},
		{name: "budget not a duration", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "3"},
			want: `COGWATCH_TRIGGER_BUDGET: "3" is not a Go duration such as 3s or 2500ms`},
		{name: "budget zero", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "0s"},
			want: `COGWATCH_TRIGGER_BUDGET: 0s is not above 0`},
		{name: "budget negative", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "-1s"},
			want: `COGWATCH_TRIGGER_BUDGET: -1s is not above 0`},
		{name: "budget at Cognito's limit", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "5s"},
			want: `COGWATCH_TRIGGER_BUDGET: 5s is not below Cognito's 5s limit`},
		{name: "budget above Cognito's limit", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "1m"},
			want: `COGWATCH_TRIGGER_BUDGET: 1m is not below Cognito's 5s limit`},
		{name: "hash key short, not echoed", env: map[string]string{"COGWATCH_HASH_KEY": "s3cret"},
			want: `COGWATCH_HASH_KEY: 6 bytes is too short, use at least 16`},
		{name: "include email not a boolean", env: map[string]string{"COGWATCH_INCLUDE_EMAIL": "yes"},
			want: `COGWATCH_INCLUDE_EMAIL: "yes" is not true or false`},
		{name: "extra domain invalid", env: map[string]string{"COGWATCH_EXTRA_DISPOSABLE_DOMAINS": "ok.example,bad domain.example"},
			want: `COGWATCH_EXTRA_DISPOSABLE_DOMAINS: "bad domain.example" is not a domain name`},
		{name: "allowed domain without a dot", env: map[string]string{"COGWATCH_ALLOWED_DOMAINS": "localhost"},
			want: `COGWATCH_ALLOWED_DOMAINS: "localhost" is not a domain name`},
		{name: "allowed domain is an address", env: map[string]string{"COGWATCH_ALLOWED_DOMAINS": "user@example.com"},
			want: `COGWATCH_ALLOWED_DOMAINS: "user@example.com" is not a domain name`},
		{name: "namespace reserved", env: map[string]string{"POWERTOOLS_METRICS_NAMESPACE": "AWS/Cognito"},
			want: `POWERTOOLS_METRICS_NAMESPACE: "AWS/Cognito" starts with AWS/, which is reserved for AWS services`},
		{name: "namespace character", env: map[string]string{"POWERTOOLS_METRICS_NAMESPACE": "Cog*watch"},
			want: `POWERTOOLS_METRICS_NAMESPACE: "Cog*watch" may only contain letters, digits, spaces and . - _ / # : characters`},
		{name: "namespace too long", env: map[string]string{"POWERTOOLS_METRICS_NAMESPACE": strings.Repeat("n", 256)},
			want: `POWERTOOLS_METRICS_NAMESPACE: "` + strings.Repeat("n", 256) + `" is longer than 255 bytes`},
		{name: "chained function by name", env: map[string]string{"COGWATCH_CHAIN_PRE_SIGN_UP": "signup-rules"},
			want: `COGWATCH_CHAIN_PRE_SIGN_UP: "signup-rules" is not an ARN`},
		{name: "chained function of another service", env: map[string]string{"COGWATCH_CHAIN_POST_AUTHENTICATION": "arn:aws:sns:eu-west-1:123456789012:t"},
			want: `COGWATCH_CHAIN_POST_AUTHENTICATION: "arn:aws:sns:eu-west-1:123456789012:t" is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]): not a Lambda ARN, not a function`},
		{name: "log level", env: map[string]string{"POWERTOOLS_LOG_LEVEL": "verbose"},
			want: `POWERTOOLS_LOG_LEVEL: "verbose" is not DEBUG, INFO, WARN or ERROR`},
		{name: "sink unknown", env: map[string]string{"COGWATCH_EVENT_SINK": "kinesis"},
			want: `COGWATCH_EVENT_SINK: "kinesis" is not sns or log`},
		{name: "log sink with the address in events", env: map[string]string{"COGWATCH_EVENT_SINK": "log", "COGWATCH_INCLUDE_EMAIL": "true"},
			want: `COGWATCH_EVENT_SINK: log writes events to the log, which never carries an address: unset COGWATCH_INCLUDE_EMAIL or use sns`},
		{name: "breaker failures negative", env: map[string]string{"COGWATCH_BREAKER_FAILURES": "-1"},
			want: `COGWATCH_BREAKER_FAILURES: "-1" is not a whole number from 0 to 1000`},
		{name: "breaker failures not a number", env: map[string]string{"COGWATCH_BREAKER_FAILURES": "three"},
			want: `COGWATCH_BREAKER_FAILURES: "three" is not a whole number from 0 to 1000`},
		{name: "breaker cooldown zero", env: map[string]string{"COGWATCH_BREAKER_COOLDOWN": "0s"},
			want: `COGWATCH_BREAKER_COOLDOWN: 0s is not above 0`},
		{name: "breaker cooldown too long", env: map[string]string{"COGWATCH_BREAKER_COOLDOWN": "2h"},
			want: `COGWATCH_BREAKER_COOLDOWN: 2h0m0s is above 1h0m0s`},
		{name: "probe budget not a duration", env: map[string]string{"COGWATCH_BREAKER_PROBE_BUDGET": "40"},
			want: `COGWATCH_BREAKER_PROBE_BUDGET: "40" is not a Go duration such as 30s or 40ms`},
		{name: "probe budget above the budget", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "1s", "COGWATCH_BREAKER_PROBE_BUDGET": "2s"},
			want: `COGWATCH_BREAKER_PROBE_BUDGET: 2s is above the trigger budget 1s`},
		{name: "every error reported", env: map[string]string{"COGWATCH_TRIGGER_BUDGET": "5s", "COGWATCH_INCLUDE_EMAIL": "1x"},
			want: "COGWATCH_TRIGGER_BUDGET: 5s is not below Cognito's 5s limit\nCOGWATCH_INCLUDE_EMAIL: \"1x\" is not true or false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(env(tc.env))
			require.EqualError(t, err, tc.want)
		})
	}
}

// TestVariables checks that Variables documents exactly what LoadConfig reads.
func TestVariables(t *testing.T) {
	var read []string
	_, err := LoadConfig(func(k string) string { read = append(read, k); return "" })
	require.NoError(t, err)
	var documented []string
	for _, v := range Variables {
		documented = append(documented, v.Name)
	}
	slices.Sort(read)
	slices.Sort(documented)
	require.Equal(t, documented, slices.Compact(read))
}

func TestConfigLogValue(t *testing.T) {
	var buf bytes.Buffer
	c := DefaultConfig
	c.HashKey = []byte("0123456789abcdef-secret")
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	require.NotContains(t, buf.String(), "secret")
	require.Contains(t, buf.String(), `"hashKey":true`)
}
