package triggers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"
)

// hangingSNS is an HTTP server on loopback that takes every request and
// never answers it (until the client gives up or the test ends): an SNS
// endpoint that hangs. It returns the endpoint and the count of requests.
func hangingSNS(t *testing.T) (string, *atomic.Int64) {
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
}

// TestDeadlineWall is the contract of Lambda's deadline: with 200 ms left,
// a 3 s budget and an SNS endpoint that never answers (a real SDK client
// against a hanging loopback server), each trigger answers Cognito with the
// event it received, before the invocation's deadline, every time. The
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
			var emfOut, logs syncBuffer
			metrics, log := NewMetrics(&emfOut, cfg), testLogger(&logs)
			publish := snsClient(endpoint).Publish
			var h lambda.Handler
			switch tc.function {
			case "presignup":
				h = NewPreSignUp(cfg, publish, metrics, log)
			case "authentication":
				h = NewAuthentication(cfg, publish, metrics, log)
			default:
				h = NewPostConfirmation(cfg, publish, metrics, log)
			}
			payload := readFixture(t, tc.fixture)

			margins := make([]time.Duration, 0, runs)
			for range runs {
				deadline := time.Now().Add(left)
				ctx, cancel := context.WithDeadline(t.Context(), deadline)
				out, err := h.Invoke(ctx, payload)
				answered := time.Now()
				cancel()
				require.NoError(t, err, "a publish that runs out of time never fails the user")
				require.Equal(t, string(payload), string(out))
				margins = append(margins, deadline.Sub(answered))
			}
			slices.Sort(margins)
			t.Logf("%s: %d runs, margin before the deadline: min %v, median %v, max %v (reserve %v)",
				tc.name, runs, margins[0], margins[len(margins)/2], margins[len(margins)-1], Reserve)
			require.Positive(t, margins[0], "an answer at or after the deadline is a timeout to Lambda and a failure to Cognito")

			lines := emfOut.lines()
			require.Len(t, lines, runs, "one EMF line per invocation, written before the answer")
			for _, l := range lines {
				require.Equal(t, 1.0, decodeEMF(t, l).num(t, "PublishFailures"))
			}
			require.Positive(t, requests.Load(), "the publish reached the hanging endpoint")
		})
	}
}
