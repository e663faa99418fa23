package cognitotest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// BinaryEnv names an environment variable that, when set, overrides where
// the cognito-local executable is (for working on a machine where
// local/node_modules is not installed yet).
const BinaryEnv = "COGWATCH_COGNITO_LOCAL"

// Region is the region the SDK clients of these tests use. cognito-local
// accepts any region and any credentials.
const Region = "us-east-1"

// Options configure the emulator.
type Options struct {
	// Code, when set, is the confirmation code cognito-local gives every
	// user (its CODE variable) instead of a random one.
	Code string
}

// Emulator is a running cognito-local.
type Emulator struct {
	// Endpoint is the base URL of its Cognito API, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Dir is its working directory (its database lives in Dir/.cognito).
	Dir string
	// LogPath is the file its output goes to.
	LogPath string
}

// Binary returns the path of the cognito-local executable: $COGWATCH_COGNITO_LOCAL
// when set, else local/node_modules/.bin/cognito-local under the module root.
func Binary() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "local", "node_modules", ".bin", "cognito-local"), nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cognitotest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Start runs a fresh cognito-local for the rest of the test. It skips the
// test under -short and stops the emulator (its whole process group) when
// the test ends.
func Start(t testing.TB, opts Options) *Emulator {
	t.Helper()
	if testing.Short() {
		t.Skip("cognito-local emulator test skipped under -short")
	}
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("cognito-local is not installed (%v): run `make deps`", err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "cognito-local.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "NO_COLOR=1", "FORCE_COLOR=0")
	if opts.Code != "" {
		cmd.Env = append(cmd.Env, "CODE="+opts.Code)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start cognito-local: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		stop(cmd, exited)
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("cognito-local output:\n%s", tail(b, 4000))
			}
		}
	})
	e := &Emulator{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), Dir: dir, LogPath: logPath}
	if err := waitHealthy(e.Endpoint, exited, 30*time.Second); err != nil {
		t.Fatalf("cognito-local did not come up: %v", err)
	}
	return e
}

func stop(cmd *exec.Cmd, exited <-chan error) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(endpoint string, exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited early: %v", err)
		default:
		}
		if resp, err := client.Get(endpoint + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s/health within %s", endpoint, limit)
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

// CreatePool creates a user pool set up as `cogwatch local` sets up its own:
// email addresses as usernames, verified by a code, Cognito's default
// password policy; and an app client without a secret allowing
// USER_PASSWORD_AUTH and refresh tokens.
func (e *Emulator) CreatePool(ctx context.Context, t testing.TB, name string) Pool {
	t.Helper()
	c := e.Client()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String(name),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
		}},
	})
	if err != nil {
		t.Fatalf("create user pool: %v", err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id,
		ClientName: aws.String(name + "-client"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatalf("create user pool client: %v", err)
	}
	return Pool{UserPoolID: aws.ToString(pool.UserPool.Id), ClientID: aws.ToString(client.UserPoolClient.ClientId)}
}
