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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Level(env(tc.env)))
		})
	}
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
