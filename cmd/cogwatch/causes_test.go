package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/lambdahost"
)

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// noCredentials empties every place the SDK finds credentials in.
func noCredentials(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
}

// awsError is a server answering every call with an AWS JSON-protocol
// error, as Lambda (REST) and Cognito (JSON 1.1) both carry it.
func awsError(t *testing.T, status int, code string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", code)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": "the caller said alice@example.com"})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// causeLines returns the lines of stderr that start with prefix, the
// final error (the last line) left out.
func causeLines(stderr, prefix string) []string {
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	var out []string
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestWarmNamesTheCause: a failed round says why, in one line per cause,
// beside the counts, and exits 1.
func TestWarmNamesTheCause(t *testing.T) {
	host, err := lambdahost.New(nil, lambdahost.Function{
		Name: "PreSignUpFunction",
		New: func(context.Context) (lambda.Handler, error) {
			return lambda.NewHandler(func(context.Context, json.RawMessage) (string, error) { return "", nil }), nil
		},
	})
	require.NoError(t, err)
	lambdaSrv := httptest.NewServer(host)
	t.Cleanup(lambdaSrv.Close)
	refused := closedPort(t)

	noCredentials(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{
			name: "no credentials", args: []string{"--region", "eu-west-1", "--target", "f", "-n", "3"},
			want: "cogwatch warm: no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an emulator on a loopback --endpoint needs none)",
		},
		{
			name: "connection refused", args: []string{"--endpoint", "http://" + refused, "--target", "f", "-n", "3"},
			want: "cogwatch warm: connection refused by " + refused + ": nothing listens there; check --endpoint (cogwatch local prints its endpoints)",
		},
		{
			name: "access denied", args: []string{"--endpoint", awsError(t, http.StatusForbidden, "AccessDeniedException"), "--target", "f", "-n", "3"},
			want: "cogwatch warm: access denied (AccessDeniedException): the credentials' IAM policy must allow lambda:InvokeFunction",
		},
		{
			name: "function not found", args: []string{"--endpoint", lambdaSrv.URL, "--target", "Missing", "-n", "3"},
			want: "cogwatch warm: function not found (ResourceNotFoundException): Missing; check --target and --region",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, append([]string{"warm", "--hold", "200ms", "--timeout", "20s"}, tc.args...)...)
			require.Equal(t, exitFailure, r.code, r.stderr)
			require.Equal(t, []string{tc.want}, causeLines(r.stderr, "cogwatch warm: "), "one line, once:\n%s", r.stderr)
			require.True(t, strings.HasSuffix(r.stderr, "cogwatch warm: 1 of 1 targets answered with fewer instances than asked\n"), r.stderr)
			require.NotContains(t, r.stderr, "alice", "no message of the server's is repeated")
		})
	}
}

// TestSimulateNamesTheCause: the same for simulate, whose table counts
// failures by error code only.
func TestSimulateNamesTheCause(t *testing.T) {
	refused := closedPort(t)
	// Sign-up works; the administrator's confirmation is refused.
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".SignUp") {
			_, _ = w.Write([]byte(`{"UserConfirmed":false,"UserSub":"s"}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"no"}`))
	}))
	t.Cleanup(denied.Close)
	for _, tc := range []struct {
		name, endpoint, want string
	}{
		{
			name: "connection refused", endpoint: "http://" + refused,
			want: "cogwatch simulate: connection refused by " + refused + ": nothing listens there; check --endpoint (cogwatch local prints its endpoints)",
		},
		{
			name: "access denied", endpoint: denied.URL,
			want: "cogwatch simulate: access denied (AccessDeniedException): the credentials' IAM policy must allow cognito-idp:AdminConfirmSignUp",
		},
		{
			name: "pool not found", endpoint: awsError(t, http.StatusBadRequest, "ResourceNotFoundException"),
			want: "cogwatch simulate: user pool or app client not found (ResourceNotFoundException): check --user-pool-id, --client-id and --region",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, "simulate", "--endpoint", tc.endpoint, "--user-pool-id", "p", "--client-id", "c",
				"-n", "4", "--timeout", "5s")
			require.Equal(t, exitFailure, r.code, r.stderr)
			require.Equal(t, []string{tc.want}, causeLines(r.stderr, "cogwatch simulate: "), "one line, once:\n%s", r.stderr)
			require.True(t, strings.HasSuffix(r.stderr, "unexpected outcomes (see the table)\n"), r.stderr)
		})
	}
}
