package cognitolocaltest

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cogwatch/cogwatch/local/cognitolocal"
)

// BinaryEnv names an environment variable that, when set, overrides where
// the cognito-local executable is (for working on a machine where
// local/node_modules is not installed yet).
const BinaryEnv = cognitolocal.Env

// Region is the region the SDK clients of these tests use. cognito-local
// accepts any region and any credentials.
const Region = cognitolocal.Region

// Options configure the emulator. The zero value runs it without triggers.
type Options struct {
	// Code, when set, is the confirmation code cognito-local gives every
	// user (its CODE variable) instead of a random one.
	Code string
	// Lambda is the base URL of a Lambda Invoke API (e.g. an
	// local/lambdahost on httptest) that cognito-local calls Triggers
	// through.
	Lambda string
	// Triggers maps a Cognito trigger (PreSignUp, PostAuthentication,
	// PostConfirmation, …) to the function name cognito-local invokes for
	// it. Written, with Lambda, to .cognito/config.json before the start.
	Triggers map[string]string
}

// Emulator is a running cognito-local.
type Emulator struct {
	// Endpoint is the base URL of its Cognito API, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Dir is its working directory (its database lives in Dir/.cognito).
	Dir string
	// LogPath is the file its output goes to, email addresses redacted.
	LogPath string
}

// Binary returns the path of the cognito-local executable: $COGWATCH_COGNITO_LOCAL
// when set, else local/node_modules/.bin/cognito-local under the module root.
// It fails, saying to run `make deps`, when there is no such file.
func Binary() (string, error) { return cognitolocal.Path("") }

// Start runs a fresh cognito-local for the rest of the test. It skips the
// test under -short and stops the emulator (its whole process group) when
// the test ends, logging the emulator's output if the test failed.
func Start(t testing.TB, opts Options) *Emulator {
	t.Helper()
	if testing.Short() {
		t.Skip("cognito-local emulator test skipped under -short")
	}
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Triggers) > 0 && opts.Lambda == "" {
		t.Fatal("cognitolocaltest: Options.Triggers without Options.Lambda")
	}
	o := cognitolocal.Options{Bin: bin, Dir: t.TempDir(), Code: opts.Code}
	if opts.Lambda != "" {
		o.Config = cognitolocal.Triggers(opts.Lambda, opts.Triggers)
	}
	p, err := cognitolocal.Start(t.Context(), o) // the context bounds the start-up only
	if err != nil {
		t.Fatalf("cognito-local did not come up: %v", err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(p.LogPath); err == nil {
				t.Logf("cognito-local output:\n%s", tail(b, 4000))
			}
		}
	})
	return &Emulator{Endpoint: p.Endpoint, Dir: o.Dir, LogPath: p.LogPath}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Client returns an SDK client for the emulator, with dummy static
// credentials and no retries (an emulator error is a test failure, not a
// transient fault).
func (e *Emulator) Client() *cip.Client {
	return cip.New(cip.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(e.Endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		RetryMaxAttempts: 1,
	})
}

// Pool is a user pool and app client created in the emulator.
type Pool struct {
	UserPoolID string
	ClientID   string
}

// CreatePool creates a user pool set up as `cogwatch local` sets up its own
// (cognitolocal.CreatePool): email addresses as usernames, verified by a
// code, Cognito's default password policy; and an app client name-client
// without a secret allowing USER_PASSWORD_AUTH and refresh tokens.
func (e *Emulator) CreatePool(ctx context.Context, t testing.TB, name string) Pool {
	t.Helper()
	poolID, clientID, err := cognitolocal.CreatePool(ctx, e.Client(), name)
	if err != nil {
		t.Fatal(err)
	}
	return Pool{UserPoolID: poolID, ClientID: clientID}
}

// DescribePool returns the emulator's whole description of a user pool,
// which adoption tests compare before and after.
func (e *Emulator) DescribePool(ctx context.Context, t testing.TB, id string) *types.UserPoolType {
	t.Helper()
	out, err := e.Client().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		t.Fatalf("describe user pool %s: %v", id, err)
	}
	return out.UserPool
}
