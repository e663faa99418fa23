package cognitolocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cogwatch/cogwatch/local/redact"
)

// Env names the variable that, when set, is the path of the cognito-local
// executable (instead of local/node_modules/.bin/cognito-local).
const Env = "COGWATCH_COGNITO_LOCAL"

// Region is the region of the Lambda client cognito-local calls triggers
// with; cognito-local itself accepts any region and any credentials.
const Region = "us-east-1"

// DefaultReadyLimit bounds the start-up (node loading its modules).
const DefaultReadyLimit = 60 * time.Second

// stopGrace is how long the process group has between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// startAttempts: the port is picked free just before node binds it, so
// another process may take it first; Start then tries another.
const startAttempts = 3

// Path returns where cognito-local is: explicit if not empty, else $Env,
// else local/node_modules/.bin/cognito-local in the module that holds the
// working directory. It fails, saying to run `make deps`, when there is no
// such file.
func Path(explicit string) (string, error) {
	p := explicit
	if p == "" {
		p = os.Getenv(Env)
	}
	if p == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", fmt.Errorf("find cognito-local: %w (set %s or --cognito-local)", err, Env)
		}
		p = filepath.Join(root, "local", "node_modules", ".bin", "cognito-local")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("cognito-local is not installed at %s: run `make deps` (%w)", p, err)
	}
	return p, nil
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
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Config is cognito-local's .cognito/config.json: which Lambda functions it
// invokes for which triggers, and the Lambda client it invokes them with.
type Config struct {
	LambdaClient     *LambdaClient     `json:"LambdaClient,omitempty"`
	TriggerFunctions map[string]string `json:"TriggerFunctions,omitempty"`
}

// LambdaClient is the Lambda Invoke API cognito-local calls triggers through.
type LambdaClient struct {
	Endpoint    string      `json:"endpoint"`
	Region      string      `json:"region"`
	Credentials Credentials `json:"credentials"`
	MaxRetries  int         `json:"maxRetries"`
}

// Credentials are the static credentials of the Lambda client.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// Triggers returns the configuration that makes cognito-local call
// triggers (Cognito trigger, e.g. "PreSignUp" → function name) through the
// Lambda Invoke API at lambdaURL, with no retries: a trigger's error is the
// answer, as with Cognito's own calls.
func Triggers(lambdaURL string, triggers map[string]string) *Config {
	return &Config{
		LambdaClient: &LambdaClient{
			Endpoint: lambdaURL, Region: Region,
			Credentials: Credentials{AccessKeyID: "local", SecretAccessKey: "local"},
		},
		TriggerFunctions: triggers,
	}
}

// write writes c to dir/.cognito/config.json.
func (c *Config) write(dir string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".cognito"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".cognito", "config.json"), append(b, '\n'), 0o644)
}

// Options configure a Process. Dir is required.
type Options struct {
	// Bin is the executable; Path("") when empty.
	Bin string
	// Dir is the working directory; its database lives in Dir/.cognito.
	Dir string
	// LogPath is the file its output is appended to, addresses redacted;
	// Dir/cognito-local.log when empty.
	LogPath string
	// Config, when set, is written to Dir/.cognito/config.json before start.
	Config *Config
	// Code, when set, is the confirmation code it gives every user (its
	// CODE variable) instead of a random one.
	Code string
	// ReadyLimit bounds each start-up attempt; DefaultReadyLimit when zero.
	ReadyLimit time.Duration
}

// Process is a running cognito-local.
type Process struct {
	// Endpoint is the base URL of its Cognito API, e.g. http://127.0.0.1:41234.
	Endpoint string
	// LogPath is the file its (redacted) output goes to.
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // valid once exited is closed
	stopped sync.Once
}

// Start starts cognito-local and waits until it answers /health. It tries
// up to three free ports; on error, nothing it started is left running and
// the error ends with the tail of the log.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.Dir == "" {
		return nil, errors.New("cognito-local: no working directory")
	}
	if opts.Bin == "" {
		bin, err := Path("")
		if err != nil {
			return nil, err
		}
		opts.Bin = bin
	}
	if opts.LogPath == "" {
		opts.LogPath = filepath.Join(opts.Dir, "cognito-local.log")
	}
	if opts.ReadyLimit <= 0 {
		opts.ReadyLimit = DefaultReadyLimit
	}
	if opts.Config != nil {
		if err := opts.Config.write(opts.Dir); err != nil {
			return nil, fmt.Errorf("cognito-local: config: %w", err)
		}
	}
	for attempt := 1; ; attempt++ {
		p, err := start(ctx, opts)
		if err == nil || attempt == startAttempts || ctx.Err() != nil {
			return p, err
		}
	}
}

func start(ctx context.Context, opts Options) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(opts.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cognito-local: log: %w", err)
	}
	out := redact.NewWriter(logFile)
	cmd := exec.Command(opts.Bin)
	cmd.Dir = opts.Dir
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "NO_COLOR=1", "FORCE_COLOR=0")
	if opts.Code != "" {
		cmd.Env = append(cmd.Env, "CODE="+opts.Code)
	}
	// One writer for both: os/exec then copies through a single pipe, so
	// lines of the two streams never mix inside the redactor.
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that stopping it stops whatever node
	// started too; and it dies with this process even on kill -9.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start cognito-local: %w", err)
	}
	p := &Process{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), LogPath: opts.LogPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = out.Flush()
		logFile.Close()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, opts.ReadyLimit); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, tailFile(opts.LogPath, 2000))
	}
	return p, nil
}

// waitReady polls /health until it answers 200, the process exits, ctx
// ends or limit passes.
func (p *Process) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		last = health(ctx, client, p.Endpoint)
		if last == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%w before it was ready", p.Err())
		case <-ctx.Done():
			return fmt.Errorf("cognito-local not ready within %s: %w (log: %s)", limit, last, p.LogPath)
		case <-tick.C:
		}
	}
}

func health(ctx context.Context, client *http.Client, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/health answered %s", resp.Status)
	}
	return nil
}

// PID is the process id of cognito-local, also the id of its process group.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed when cognito-local has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err describes how cognito-local exited; nil before it did.
func (p *Process) Err() error {
	select {
	case <-p.exited:
		if p.err == nil {
			return fmt.Errorf("cognito-local exited (log: %s)", p.LogPath)
		}
		return fmt.Errorf("cognito-local: %w (log: %s)", p.err, p.LogPath)
	default:
		return nil
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after 3s, and waits
// for cognito-local to exit. It is safe to call more than once and after
// the process exited (the group's other members still get the signals).
func (p *Process) Stop() {
	p.stopped.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(stopGrace):
		}
		// Whatever is left in the group, the leader included.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	})
}

// GroupAlive reports whether any process of the process group pgid lives.
func GroupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}

// freePort returns a loopback port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailFile returns the last n bytes of the file at path, for error messages.
func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// PoolAPI is the part of the Cognito API CreatePool calls.
type PoolAPI interface {
	CreateUserPool(context.Context, *cip.CreateUserPoolInput, ...func(*cip.Options)) (*cip.CreateUserPoolOutput, error)
	CreateUserPoolClient(context.Context, *cip.CreateUserPoolClientInput, ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error)
}

// CreatePool creates the user pool `cogwatch local` runs with: email
// addresses as usernames, verified by a code, Cognito's default password
// policy (8 characters, upper and lower case, digit, symbol); and its app
// client name-client, without a secret, allowing USER_PASSWORD_AUTH and
// refresh tokens. It returns their ids.
func CreatePool(ctx context.Context, api PoolAPI, name string) (userPoolID, clientID string, err error) {
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String(name),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
		}},
	})
	if err != nil {
		return "", "", fmt.Errorf("create user pool: %w", err)
	}
	client, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id,
		ClientName: aws.String(name + "-client"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("create app client: %w", err)
	}
	return aws.ToString(pool.UserPool.Id), aws.ToString(client.UserPoolClient.ClientId), nil
}
