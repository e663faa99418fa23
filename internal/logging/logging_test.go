package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"testing/slogtest"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLevel(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want slog.Level
	}{
		{name: "default", env: nil, want: slog.LevelInfo},
		{name: "powertools", env: map[string]string{"POWERTOOLS_LOG_LEVEL": "debug"}, want: slog.LevelDebug},
		{name: "lambda wins", env: map[string]string{"POWERTOOLS_LOG_LEVEL": "DEBUG", "AWS_LAMBDA_LOG_LEVEL": "ERROR"}, want: slog.LevelError},
		{name: "unknown", env: map[string]string{"POWERTOOLS_LOG_LEVEL": "loud"}, want: slog.LevelInfo},
		{name: "Lambda's TRACE logs as DEBUG", env: map[string]string{"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, want: slog.LevelDebug},
		{name: "Lambda's FATAL logs as ERROR", env: map[string]string{"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, want: slog.LevelError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Level(env(tc.env)))
		})
	}
}

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{"AWS_LAMBDA_LOG_LEVEL": "WARN", "POWERTOOLS_LOG_LEVEL": "debug", "POWERTOOLS_SERVICE_NAME": " users "}))
	require.NoError(t, err)
	require.Equal(t, Config{Level: slog.LevelWarn, Service: "users"}, c)

	_, err = LoadConfig(env(map[string]string{"POWERTOOLS_LOG_LEVEL": "verbose"}))
	require.EqualError(t, err, `POWERTOOLS_LOG_LEVEL: "verbose" is not DEBUG, INFO, WARN or ERROR`)
	c, err = LoadConfig(env(map[string]string{"AWS_LAMBDA_LOG_LEVEL": "ERROR", "POWERTOOLS_LOG_LEVEL": "verbose"}))
	require.Error(t, err, "a bad value is an error even when Lambda's wins")
	require.Equal(t, slog.LevelError, c.Level)
}

func TestNewAddsRequestIDAndLambdaKeys(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, env(map[string]string{"POWERTOOLS_SERVICE_NAME": "presignup"}))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	l.InfoContext(ctx, "hello", "n", 1)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "hello", line["message"])
	require.Equal(t, "req-1", line["requestId"])
	require.Equal(t, "presignup", line["service"])
	require.Contains(t, line, "timestamp")
}

func TestHandlerConformsToSlog(t *testing.T) {
	var buf bytes.Buffer
	h := requestIDHandler{slog.NewJSONHandler(&buf, nil)}
	err := slogtest.TestHandler(h, func() []map[string]any {
		var out []map[string]any
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			m := map[string]any{}
			require.NoError(t, json.Unmarshal(line, &m))
			out = append(out, m)
		}
		return out
	})
	require.NoError(t, err)
}
