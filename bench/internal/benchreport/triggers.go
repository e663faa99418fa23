package benchreport

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local/snsstub"
)

// Trigger is one trigger whose cold start is measured.
type Trigger struct {
	Name    string     // the cmd/ directory: presignup, authentication, postconfirmation, …
	Fixture string     // under triggers/testdata
	Type    event.Type // the event it publishes for Fixture; "" for none
}

// Triggers are the triggers measured, each with an event that lets the
// user through: recorded from cognito-local, or (the journeys' triggers)
// shaped as AWS documents it, the fixtures of the triggers' BenchmarkHandle.
// Pre token generation runs with its default configuration, token events
// off: it publishes nothing, its EMF line is its whole job. The custom
// message event is an email's, so no phone number is parsed (the Go
// binary still loads its phone-number metadata at start).
var Triggers = []Trigger{
	{"presignup", "cognito-local/PreSignUp_SignUp.json", event.SignUpAccepted},
	{"authentication", "cognito-local/PostAuthentication_Authentication.json", event.SignInSucceeded},
	{"postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json", event.UserConfirmed},
	{"pretokengeneration", "aws-docs/TokenGeneration_RefreshTokens-v2.json", ""},
	{"custommessage", "aws-docs/CustomMessage_SignUp.json", event.CodeSent},
}

// ColdConfig says where things are and how much to measure.
type ColdConfig struct {
	Root   string // the repository root
	Work   string // a scratch directory (bootstraps, HOME)
	Runs   int    // starts per trigger and runtime
	Warm   int    // warm invocations after each first answer
	Python string // the interpreter, /usr/bin/python3 (Debian's python3-boto3)
	Node   string // node
	// Runtimes limits the runtimes measured ("go", "python", "node");
	// empty: all.
	Runtimes []string
	Log      func(format string, args ...any)
}

// ColdResult is every sample of one trigger in one runtime.
type ColdResult struct {
	Trigger, Runtime string
	Samples          []Sample
	// Size is the deployed artifact's size in bytes: the bootstrap, or the
	// script plus its dependencies (node_modules); 0 when unknown (Debian's
	// boto3 is installed system-wide).
	Size int64
}

// BuildBootstrap builds cmd/<name> as Lambda runs it (the Makefile's
// flags), for this host's architecture, and returns its path.
func BuildBootstrap(ctx context.Context, root, work, name string) (string, error) {
	out := filepath.Join(work, "bootstrap", name, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", name, err, b)
	}
	return out, nil
}

// ColdStarts measures every trigger in every runtime, interleaving the
// runtimes so that drift in the machine's load spreads over all of them.
// One unrecorded start of each comes first (file cache warm).
func ColdStarts(ctx context.Context, cfg ColdConfig) ([]ColdResult, error) {
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	stub := snsstub.Start(nil, 0)
	defer stub.Close()
	home := filepath.Join(cfg.Work, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	var results []ColdResult
	for _, tr := range Triggers {
		payload, err := os.ReadFile(filepath.Join(cfg.Root, "triggers", "testdata", tr.Fixture))
		if err != nil {
			return nil, err
		}
		bootstrap, err := BuildBootstrap(ctx, cfg.Root, cfg.Work, tr.Name)
		if err != nil {
			return nil, err
		}
		env := coldEnv(cfg, home, stub.URL, tr.Name)
		rts := []struct {
			rt   Runtime
			size int64
		}{
			{Runtime{Name: "go", Argv: []string{bootstrap}, Env: env}, fileSize(bootstrap)},
			{Runtime{Name: "python", Argv: []string{cfg.Python, filepath.Join(cfg.Root, "bench", "python", "bootstrap.py")}, Env: env}, 0},
			{Runtime{Name: "node", Argv: []string{cfg.Node, filepath.Join(cfg.Root, "bench", "node", "index.mjs")}, Env: env}, dirSize(filepath.Join(cfg.Root, "bench", "node"))},
		}
		var chosen []ColdResult
		var runtimes []Runtime
		for _, r := range rts {
			if len(cfg.Runtimes) > 0 && !contains(cfg.Runtimes, r.rt.Name) {
				continue
			}
			runtimes = append(runtimes, r.rt)
			chosen = append(chosen, ColdResult{Trigger: tr.Name, Runtime: r.rt.Name, Size: r.size})
		}
		check := publishedCheck(stub, tr.Type)
		for run := -1; run < cfg.Runs; run++ {
			for i, rt := range runtimes {
				s, err := Measure(ctx, rt, payload, cfg.Warm, check)
				if err != nil {
					return nil, fmt.Errorf("cold start %s/%s: %w", tr.Name, rt.Name, err)
				}
				if run >= 0 {
					chosen[i].Samples = append(chosen[i].Samples, s)
				}
			}
		}
		for _, r := range chosen {
			logf("cold start %s/%s: median %v over %d starts", r.Trigger, r.Runtime, time.Duration(Median(firstAnswers(r.Samples))), len(r.Samples))
		}
		results = append(results, chosen...)
	}
	return results, nil
}

// publishedCheck is SameJSON plus: exactly one message was published for
// the invocation, and it is a valid cogwatch event of type t; or, when t is
// "", none was.
func publishedCheck(stub *snsstub.Server, t event.Type) Check {
	seen := len(stub.Published())
	return func(payload []byte, a Answer) error {
		if err := SameJSON(payload, a); err != nil {
			return err
		}
		pub := stub.Published()
		if t == "" {
			if len(pub) != seen {
				return fmt.Errorf("%d messages published for one invocation, want none", len(pub)-seen)
			}
			return nil
		}
		if len(pub) != seen+1 {
			return fmt.Errorf("%d messages published for one invocation", len(pub)-seen)
		}
		seen = len(pub)
		e, err := event.Decode([]byte(pub[len(pub)-1]))
		if err != nil {
			return fmt.Errorf("published message: %w", err)
		}
		if e.Type != t {
			return fmt.Errorf("published %s, want %s", e.Type, t)
		}
		return nil
	}
}

// coldEnv is the environment Lambda gives a function, less what a local
// run cannot have: static credentials, SNS on loopback, no shared config.
func coldEnv(cfg ColdConfig, home, snsURL, function string) []string {
	u, _ := url.Parse(snsURL)
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LANG=C.UTF-8",
		"TZ=UTC",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDBENCHMARK",
		"AWS_SECRET_ACCESS_KEY=benchmark",
		"AWS_SESSION_TOKEN=benchmark",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ENDPOINT_URL_SNS=" + u.String(),
		"AWS_LAMBDA_FUNCTION_NAME=" + function,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + function,
		"AWS_LAMBDA_LOG_STREAM_NAME=bench",
		"USER_EVENTS_TOPIC_ARN=arn:aws:sns:us-east-1:000000000000:user-events",
		"COGWATCH_HASH_KEY=0123456789abcdef0123456789abcdef",
		"COGWATCH_DOMAINS_FILE=" + filepath.Join(cfg.Root, "triggers", "disposable", "domains.txt"),
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func firstAnswers(s []Sample) []float64 {
	out := make([]float64, len(s))
	for i := range s {
		out[i] = float64(s[i].FirstAnswer)
	}
	return out
}
