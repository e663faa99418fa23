package cognitolocal_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/cognitolocal"
)

func TestPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cognito-local")
	_, err := cognitolocal.Path(missing)
	require.ErrorContains(t, err, "cognito-local is not installed at "+missing+": run `make deps`")

	exe := filepath.Join(t.TempDir(), "cognito-local")
	require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755))
	got, err := cognitolocal.Path(exe)
	require.NoError(t, err)
	require.Equal(t, exe, got, "explicit first")

	t.Setenv(cognitolocal.Env, exe)
	got, err = cognitolocal.Path("")
	require.NoError(t, err)
	require.Equal(t, exe, got, "then the variable")
}

// TestTriggersConfig pins the JSON cognito-local reads (its
// src/server/config.ts keys): a renamed field would silently call no trigger.
func TestTriggersConfig(t *testing.T) {
	b, err := json.Marshal(cognitolocal.Triggers("http://127.0.0.1:1", map[string]string{"PreSignUp": "PreSignUpFunction"}))
	require.NoError(t, err)
	require.JSONEq(t, `{
		"LambdaClient": {"endpoint": "http://127.0.0.1:1", "region": "us-east-1",
			"credentials": {"accessKeyId": "local", "secretAccessKey": "local"}, "maxRetries": 0},
		"TriggerFunctions": {"PreSignUp": "PreSignUpFunction"}
	}`, string(b))
	b, err = json.Marshal(cognitolocal.Config{})
	require.NoError(t, err)
	require.JSONEq(t, `{}`, string(b))
}

func TestStartFailsClearly(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts cognitolocal.Options
		want string
	}{
		{name: "no dir", opts: cognitolocal.Options{Bin: "/bin/true"}, want: "cognito-local: no working directory"},
		{name: "exits at once", opts: cognitolocal.Options{Bin: script(t, "echo 'listening? no: alice@example.com'; exit 3")},
			want: "cognito-local: exit status 3"},
		{name: "never ready", opts: cognitolocal.Options{Bin: script(t, "exec sleep 30"), ReadyLimit: 300 * time.Millisecond},
			want: "cognito-local not ready within 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Bin != "/bin/true" {
				tc.opts.Dir = t.TempDir()
			}
			p, err := cognitolocal.Start(t.Context(), tc.opts)
			require.Nil(t, p)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "alice@", "the log's tail in the error is redacted")
		})
	}
}

// script writes an executable shell script that stands in for cognito-local.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-cognito-local")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return p
}

// TestStartConfiguresRedactsAndStops runs the real cognito-local: it reads
// the configuration Start wrote, gives the fixed code, its log holds the
// user's domain but not the address, and Stop leaves nothing of its
// process group.
func TestStartConfiguresRedactsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cognito-local")
	}
	bin, err := cognitolocal.Path("")
	require.NoError(t, err)
	dir := t.TempDir()
	p, err := cognitolocal.Start(t.Context(), cognitolocal.Options{
		Bin: bin, Dir: dir, Code: "424242",
		// A trigger whose function nobody serves: cognito-local logs its
		// failed call, which shows it read the file.
		Config: cognitolocal.Triggers("http://127.0.0.1:1", map[string]string{"PostConfirmation": "Nobody"}),
	})
	require.NoError(t, err)
	t.Cleanup(p.Stop)
	require.FileExists(t, filepath.Join(dir, ".cognito", "config.json"))

	c := cip.New(cip.Options{Region: cognitolocal.Region, BaseEndpoint: aws.String(p.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), RetryMaxAttempts: 1})
	poolID, clientID, err := cognitolocal.CreatePool(t.Context(), c, "cognitolocal-test")
	require.NoError(t, err)
	require.NotEmpty(t, poolID)
	const email = "some.body+tag@example.org"
	_, err = c.SignUp(t.Context(), &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(email),
		Password: aws.String("Corr3ct-Horse-Battery"), UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}})
	require.NoError(t, err)
	_, err = c.ConfirmSignUp(t.Context(), &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String(email), ConfirmationCode: aws.String("424242")})
	require.NoError(t, err, "cognito-local logs a failed PostConfirmation and goes on")
	// cognito-local writes its log asynchronously: wait for the line before
	// stopping it, or a loaded machine stops it before the line is out.
	const called = "ConfirmSignUp Inaccessible host: `127.0.0.1' at port `1'"
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(p.LogPath)
		return err == nil && strings.Contains(string(b), called)
	}, 20*time.Second, 50*time.Millisecond, "it called the configured Lambda endpoint")

	pid := p.PID()
	p.Stop()
	p.Stop() // twice is fine
	require.ErrorContains(t, p.Err(), "cognito-local: ")
	require.Error(t, syscall.Kill(-pid, 0), "process group %d outlived Stop", pid)

	b, err := os.ReadFile(p.LogPath)
	require.NoError(t, err)
	log := string(b)
	require.NotContains(t, log, "some.body")
	require.Contains(t, log, "***@example.org", "cognito-local printed the address, redacted")
}
