package localstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// CognitoLocalEnv names the variable that, when set, is the path of the
// cognito-local executable (instead of local/node_modules/.bin/cognito-local).
const CognitoLocalEnv = "COGWATCH_COGNITO_LOCAL"

// cognitoReadyLimit bounds cognito-local's start-up (node loading its modules).
const cognitoReadyLimit = 60 * time.Second

// CognitoLocalPath returns where cognito-local is: explicit if not empty,
// else $COGWATCH_COGNITO_LOCAL, else local/node_modules/.bin/cognito-local in
// the module that holds the working directory.
func CognitoLocalPath(explicit string) (string, error) {
	p := explicit
	if p == "" {
		p = os.Getenv(CognitoLocalEnv)
	}
	if p == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", fmt.Errorf("find cognito-local: %w (set %s or --cognito-local)", err, CognitoLocalEnv)
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

// cognitoConfig is cognito-local's .cognito/config.json.
type cognitoConfig struct {
	LambdaClient struct {
		Endpoint    string `json:"endpoint"`
		Region      string `json:"region"`
		Credentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
		} `json:"credentials"`
		MaxRetries int `json:"maxRetries"`
	} `json:"LambdaClient"`
	TriggerFunctions map[string]string `json:"TriggerFunctions"`
}

// startCognito runs cognito-local in dir on port (on loopback), calling
// triggers (Cognito trigger → function name) through the Lambda Invoke API at
// lambdaURL. code, when set, is every confirmation code.
func startCognito(bin, dir, logPath string, port int, lambdaURL string, triggers map[string]string, code string) (*child, error) {
	var cfg cognitoConfig
	cfg.LambdaClient.Endpoint = lambdaURL
	cfg.LambdaClient.Region = Region
	cfg.LambdaClient.Credentials.AccessKeyID = "local"
	cfg.LambdaClient.Credentials.SecretAccessKey = "local"
	cfg.LambdaClient.MaxRetries = 0 // a trigger error is the answer, as Cognito's own calls
	cfg.TriggerFunctions = triggers
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".cognito"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ".cognito", "config.json"), b, 0o644); err != nil {
		return nil, err
	}
	env := []string{"HOST=127.0.0.1", "PORT=" + strconv.Itoa(port), "NO_COLOR=1", "FORCE_COLOR=0"}
	if code != "" {
		env = append(env, "CODE="+code)
	}
	c, err := startChild("cognito-local", bin, nil, dir, env, logPath)
	if err != nil {
		return nil, err
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	client := &http.Client{Timeout: time.Second}
	err = c.waitReady(cognitoReadyLimit, func() error {
		resp, err := client.Get(endpoint + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%w: /health answered %s", errNotReady, resp.Status)
		}
		return nil
	})
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("%w\n%s", err, tailFile(logPath, 2000))
	}
	return c, nil
}
