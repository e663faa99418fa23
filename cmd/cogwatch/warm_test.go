package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/warmers"
)

// TestWarm runs `cogwatch warm` against the local Lambda host, through the
// real SDK client.
func TestWarm(t *testing.T) {
	h, err := lambdahost.New(nil, lambdahost.Function{
		Name: "PreSignUpFunction",
		New: func(context.Context) (lambda.Handler, error) {
			return lambda.NewHandler(func(context.Context, json.RawMessage) (string, error) { return "", nil }), nil
		},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// No credentials and no region in the command's environment: a local
	// endpoint gets the emulators' (see awsConfig).
	ctx := withGetenv(t.Context(), func(string) string { return "" })

	r := cogwatch(ctx, nil, "warm", "--endpoint", srv.URL, "--target", "PreSignUpFunction=4", "--hold", "300ms", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep warmers.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.Len(t, rep.Targets, 1)
	require.Equal(t, 4, rep.Targets[0].Instances)
	require.Equal(t, 4, rep.Targets[0].Cold)

	r = cogwatch(ctx, nil, "warm", "--endpoint", srv.URL, "--target", "PreSignUpFunction", "--target", "Missing", "-n", "2", "--hold", "300ms")
	require.Equal(t, 1, r.code, "a target short of instances fails the command")
	require.Contains(t, r.stdout, "PreSignUpFunction")
	require.Contains(t, r.stdout, "ResourceNotFoundException=2")
	require.Contains(t, r.stderr, "1 of 2 targets answered with fewer instances than asked")
}

func TestWarmUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "nothing to warm", args: []string{"warm"}, wantErr: "name what to warm: --target or --user-pool-id"},
		{name: "bad target", args: []string{"warm", "--target", "f=0"}, wantErr: `--target "f=0": "f=0": instances must be a whole number from 1 to 100`},
		{name: "too many", args: []string{"warm", "--target", "f", "-n", "101"}, wantErr: "--instances 101: want 1 to 100"},
		{name: "hold past the timeout", args: []string{"warm", "--target", "f", "--hold", "1m"}, wantErr: "--hold 1m0s: want a positive duration shorter than --timeout 30s"},
		{name: "bad endpoint", args: []string{"warm", "--target", "f", "--endpoint", "localhost:1"}, wantErr: `--endpoint "localhost:1": want an http or https URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, tc.args...)
			require.Equal(t, 2, r.code)
			require.Contains(t, r.stderr, tc.wantErr)
		})
	}
}

func TestWarmProgressBar(t *testing.T) {
	var buf bytes.Buffer
	done := warmProgress(&buf, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { done("f", nil) })
	}
	wg.Wait()
	require.Contains(t, buf.String(), "warming")
	require.Contains(t, buf.String(), "(8/8")
	require.True(t, strings.HasSuffix(buf.String(), "\n"), "the bar's line ends when it completes")
}
