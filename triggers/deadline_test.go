package triggers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

// hangingSNS is an HTTP server on loopback that takes every request and
// never answers it (until the client gives up or the test ends): an SNS
// endpoint that hangs. It returns the endpoint and the count of requests.
func hangingSNS(t testing.TB) (string, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for the handlers
	return srv.URL, &requests
}

// deadlineCases are the three trigger functions, the authentication one
// under both of its sources.
var deadlineCases = []struct{ name, function, fixture string }{
	{"presignup", "presignup", "cognito-local/PreSignUp_SignUp.json"},
	{"authentication-pre", "authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json"},
	{"authentication-post", "authentication", "cognito-local/PostAuthentication_Authentication.json"},
	{"postconfirmation", "postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json"},
	{"pretokengeneration", "pretokengeneration", "aws-docs/TokenGeneration_RefreshTokens-v2.json"},
	{"custommessage", "custommessage", "aws-docs/CustomMessage_ForgotPassword.json"},
}

// stallWatch watches this process's scheduling: a goroutine asks to wake
// every millisecond and records how late it wakes. On a loaded machine the
// whole process can go unscheduled for longer than any reserve (seen here:
// 100–300 ms with several test runs sharing 2 cores); a run that stalled
// that long says nothing of the trigger, and deadline tests leave it out.
type stallWatch struct {
	done    chan struct{}
	samples chan []stall
}

type stall struct {
	at   time.Time // when the goroutine woke
	late time.Duration
}

func watchStalls() *stallWatch {
	w := &stallWatch{done: make(chan struct{}), samples: make(chan []stall, 1)}
	go func() {
		var out []stall
		last := time.Now()
		for {
			time.Sleep(time.Millisecond)
			now := time.Now()
			if late := now.Sub(last) - time.Millisecond; late > time.Millisecond {
				out = append(out, stall{at: now, late: late})
			}
			last = now
			select {
			case <-w.done:
				w.samples <- out
				return
			default:
			}
		}
	}()
	return w
}

// stop ends the watch and returns how long the process stalled between
// from and until.
func (w *stallWatch) stop(from, until time.Time) time.Duration {
	close(w.done)
	var total time.Duration
	for _, s := range <-w.samples {
		if s.at.After(from) && s.at.Add(-s.late).Before(until) {
			total += s.late
		}
	}
	return total
}

// starved is the stall beyond which a deadline run is left out: half the
// reserve, the time the process needs to finish being a few milliseconds.
const starved = Reserve / 2

// TestDeadlineWall is the contract of Lambda's deadline: with 200 ms left,
// a 3 s budget and an SNS endpoint that never answers (a real SDK client
// against a hanging loopback server), each trigger answers Cognito with the
// event it received, before the invocation's deadline, every time. Runs in
// which the process itself stalled (stallWatch) are counted apart. The
// margins (deadline minus the moment the handler returned) are logged:
// `go test -run TestDeadlineWall -v ./triggers` (100 runs per trigger; 10
// with -short).
func TestDeadlineWall(t *testing.T) {
	const left = 200 * time.Millisecond
	runs := 100
	if testing.Short() {
		runs = 10
	}
	for _, tc := range deadlineCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint, requests := hangingSNS(t)
			cfg := testConfig()
			cfg.Budget = 3 * time.Second
			cfg.Breaker.Failures = 0 // every run calls the hanging SNS
			cfg.TokenEvents = true
			var emfOut, logs, spilled syncBuffer
			metrics, log := NewMetrics(&emfOut, cfg), testLogger(&logs)
			h := newTrigger(tc.function, cfg, snsClient(endpoint).Publish, metrics, log, &spilled)
			payload := readFixture(t, tc.fixture)

			var all, kept []time.Duration
			for range runs {
				watch := watchStalls()
				deadline := time.Now().Add(left)
				ctx, cancel := context.WithDeadline(t.Context(), deadline)
				out, err := h.Invoke(ctx, payload)
				answered := time.Now()
				cancel()
				stalled := watch.stop(deadline.Add(-Reserve), answered)
				require.NoError(t, err, "a publish that runs out of time never fails the user")
				require.Equal(t, string(payload), string(out))
				margin := deadline.Sub(answered)
				all = append(all, margin)
				if stalled < starved {
					kept = append(kept, margin)
				} else {
					t.Logf("left out: the process stalled %v while finishing (margin %v)", stalled, margin)
				}
			}
			slices.Sort(all)
			slices.Sort(kept)
			t.Logf("%s: %d runs: margin before the deadline: min %v, median %v, max %v (reserve %v)",
				tc.name, runs, all[0], all[len(all)/2], all[len(all)-1], Reserve)
			if len(kept) < runs/2 {
				t.Skipf("the machine is too loaded to test a deadline: %d of %d runs stalled %v or more", runs-len(kept), runs, starved)
			}
			t.Logf("%s: %d runs without a stall of %v: margin min %v, median %v; finishing (the reserve used) at most %v",
				tc.name, len(kept), starved, kept[0], kept[len(kept)/2], Reserve-kept[0])
			require.Positive(t, kept[0], "an answer at or after the deadline is a timeout to Lambda and a failure to Cognito")

			lines := emfOut.Lines()
			require.Len(t, lines, runs, "one EMF line per invocation, written before the answer")
			for _, l := range lines {
				require.Equal(t, 1.0, decodeEMF(t, l).num(t, "PublishFailures"))
			}
			require.Len(t, spilled.Lines(), runs, "every event not published is in the log, for the forwarder")
			require.Positive(t, requests.Load(), "the publish reached the hanging endpoint")
		})
	}
}

// TestDeadlineThroughTheLambdaHost runs each trigger as its main builds it
// (from the environment; the host adds the warm-up wrapper) in the local
// Lambda host with a 200 ms function timeout, a 3 s budget and SNS hanging, and
// invokes it with the real Lambda SDK client, as Cognito would: the host's
// deadline is a wall, and every invocation still answers with the event.
func TestDeadlineThroughTheLambdaHost(t *testing.T) {
	endpoint, requests := hangingSNS(t)
	getenv := env(map[string]string{
		"USER_EVENTS_TOPIC_ARN": testTopic, "COGWATCH_TRIGGER_BUDGET": "3s",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_SNS": endpoint, "COGWATCH_TOKEN_EVENTS": "true",
	})
	builders := map[string]func(context.Context, func(string) string, io.Writer) (lambda.Handler, error){
		"presignup": PreSignUpFromEnv, "authentication": AuthenticationFromEnv, "postconfirmation": PostConfirmationFromEnv,
		"pretokengeneration": PreTokenGenerationFromEnv, "custommessage": func(ctx context.Context, getenv func(string) string, w io.Writer) (lambda.Handler, error) {
			return CustomMessageFromEnv(ctx, getenv, w, phone.CountryCode)
		},
	}
	var fns []lambdahost.Function
	for name, build := range builders {
		fns = append(fns, lambdahost.Function{Name: name, Timeout: 200 * time.Millisecond,
			New: func(ctx context.Context) (lambda.Handler, error) { return build(ctx, getenv, nil) }})
	}
	host, err := lambdahost.New(nil, fns...)
	require.NoError(t, err)
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)
	client := awslambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})

	const runs = 5
	kept := 0
	for _, tc := range deadlineCases {
		payload := readFixture(t, tc.fixture)
		for range runs {
			watch := watchStalls()
			start := time.Now()
			out, err := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String(tc.function), Payload: payload})
			if stalled := watch.stop(start, time.Now()); stalled >= starved {
				t.Logf("left out: the process stalled %v", stalled)
				continue
			}
			kept++
			require.NoError(t, err)
			require.Nil(t, out.FunctionError, "%s: %s", tc.name, out.Payload)
			require.Equal(t, string(payload), string(out.Payload))
		}
	}
	if kept < len(deadlineCases)*runs/2 {
		t.Skipf("the machine is too loaded to test a deadline: %d of %d runs stalled %v or more", len(deadlineCases)*runs-kept, len(deadlineCases)*runs, starved)
	}
	for name := range builders {
		require.Positive(t, host.Stats(name).Invocations, name)
	}
	require.Positive(t, requests.Load())
}
