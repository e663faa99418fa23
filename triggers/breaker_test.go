package triggers

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/local/goaws"
	"github.com/cogwatch/cogwatch/local/goaws/goawstest"
	"github.com/cogwatch/cogwatch/triggers/phone"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// spilled decodes the event lines written to buf: the events, and the spill
// code of each.
func spilled(t *testing.T, buf *syncBuffer) ([]event.Event, []string) {
	t.Helper()
	var evs []event.Event
	var codes []string
	for _, l := range buf.Lines() {
		e, code, err := event.ParseLogLine([]byte(l))
		require.NoError(t, err, l)
		evs = append(evs, e)
		codes = append(codes, code)
	}
	return evs, codes
}

// TestBreaker runs one post confirmation instance in fake time against an
// SNS that hangs, then recovers: three invocations wait the budget and open
// the breaker; while it is open no call is made and no time is spent, and
// events go to the log; after the cool-down one probe, bounded by the probe
// budget, fails and opens it again; once SNS is back, the next probe closes
// it and publishing resumes. Every event is published or in the log, once.
func TestBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var down atomic.Bool
		down.Store(true)
		var mu sync.Mutex
		var calls int
		var published []string // event ids SNS accepted
		publish := func(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			if down.Load() {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			e, err := event.Decode([]byte(aws.ToString(in.Message)))
			require.NoError(t, err)
			mu.Lock()
			published = append(published, e.ID)
			mu.Unlock()
			return &sns.PublishOutput{MessageId: aws.String("m")}, nil
		}
		callCount := func() int { mu.Lock(); defer mu.Unlock(); return calls }

		cfg := testConfig()
		cfg.Breaker = BreakerConfig{Failures: 3, Cooldown: 30 * time.Second, ProbeBudget: 40 * time.Millisecond}
		var emfOut, logs, events syncBuffer
		h := newTrigger("postconfirmation", cfg, publish, NewMetrics(&emfOut, cfg), testLogger(&logs), &events)
		payload := readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json")
		invocations := 0
		invoke := func() (time.Duration, emfDoc) {
			t.Helper()
			invocations++
			start := time.Now()
			out, err := warmup.Wrap(h).Invoke(t.Context(), payload)
			elapsed := time.Since(start)
			require.NoError(t, err)
			require.Equal(t, string(payload), string(out))
			lines := emfOut.Lines()
			require.Len(t, lines, invocations)
			return elapsed, decodeEMF(t, lines[invocations-1])
		}
		failed := func(doc emfDoc) {
			t.Helper()
			require.Equal(t, 1.0, doc.num(t, "PublishFailures"))
			require.Equal(t, 0.0, doc.num(t, "PublishSkipped"))
		}
		skipped := func(elapsed time.Duration, doc emfDoc) {
			t.Helper()
			require.Zero(t, elapsed, "an open breaker costs no time")
			require.Equal(t, 1.0, doc.num(t, "PublishSkipped"))
			require.False(t, doc.has("PublishFailures"))
			require.False(t, doc.has("PublishLatency"), "no call, no latency")
		}

		// Closed: each failure waits the whole budget; the third opens it.
		for i := range 3 {
			elapsed, doc := invoke()
			require.Equal(t, cfg.Budget, elapsed, "failure %d", i+1)
			failed(doc)
		}
		require.Equal(t, 3, callCount(), "no retry once the budget is spent")
		require.Contains(t, logs.String(), `"msg":"SNS circuit breaker open"`)

		// Open: SNS is not called; events go to the log.
		for range 10 {
			skipped(invoke())
		}
		require.Equal(t, 3, callCount())

		// Half-open after the cool-down: one probe, bounded by its budget,
		// fails and opens the breaker again.
		time.Sleep(cfg.Breaker.Cooldown + time.Millisecond)
		elapsed, doc := invoke()
		require.Equal(t, cfg.Breaker.ProbeBudget, elapsed, "the probe waits its own budget, not the trigger's")
		failed(doc)
		require.Equal(t, 4, callCount(), "one probe, no retry")
		skipped(invoke())

		// SNS is back; the breaker stays open until the cool-down ends.
		down.Store(false)
		time.Sleep(cfg.Breaker.Cooldown - time.Second)
		skipped(invoke())
		require.Equal(t, 4, callCount())
		time.Sleep(time.Second + time.Millisecond)
		_, doc = invoke()
		require.Equal(t, 0.0, doc.num(t, "PublishFailures"), "the probe succeeded")
		require.Equal(t, 0.0, doc.num(t, "PublishSkipped"))
		require.Contains(t, logs.String(), `"msg":"SNS circuit breaker closed"`)
		for range 3 {
			_, doc = invoke()
			require.Equal(t, 0.0, doc.num(t, "PublishFailures"))
		}
		require.Equal(t, 8, callCount(), "publishing resumed within one cool-down of SNS's return")

		// Nothing lost: each invocation's event was published or logged, once.
		evs, codes := spilled(t, &events)
		require.Equal(t, []string{"BudgetExceeded", "BudgetExceeded", "BudgetExceeded",
			"BreakerOpen", "BreakerOpen", "BreakerOpen", "BreakerOpen", "BreakerOpen",
			"BreakerOpen", "BreakerOpen", "BreakerOpen", "BreakerOpen", "BreakerOpen",
			"BudgetExceeded", "BreakerOpen", "BreakerOpen"}, codes)
		ids := slices.Clone(published)
		for _, e := range evs {
			require.Equal(t, event.UserConfirmed, e.Type)
			ids = append(ids, e.ID)
		}
		require.Len(t, ids, invocations)
		slices.Sort(ids)
		require.Len(t, slices.Compact(ids), invocations, "every event once")
	})
}

// TestBreakerNotAttempted: an invocation with less than Reserve left makes
// no call, which says nothing of SNS: it neither counts toward opening the
// breaker nor uses up the half-open probe.
func TestBreakerNotAttempted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		publish := func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
			calls.Add(1)
			return &sns.PublishOutput{}, nil
		}
		cfg := testConfig()
		cfg.Breaker = BreakerConfig{Failures: 1, Cooldown: time.Second, ProbeBudget: 40 * time.Millisecond}
		var events syncBuffer
		h := newTrigger("postconfirmation", cfg, publish, nil, nil, &events)
		payload := readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json")
		for range 5 {
			ctx, cancel := context.WithTimeout(t.Context(), Reserve/2)
			_, err := h.Invoke(ctx, payload)
			cancel()
			require.NoError(t, err)
		}
		_, codes := spilled(t, &events)
		require.Equal(t, []string{"BudgetExceeded", "BudgetExceeded", "BudgetExceeded", "BudgetExceeded", "BudgetExceeded"}, codes)
		_, err := h.Invoke(t.Context(), payload)
		require.NoError(t, err)
		require.Equal(t, int32(1), calls.Load(), "the breaker stayed closed")
	})
}

// TestSpillLeavesTheAddressOut: with COGWATCH_INCLUDE_EMAIL, a published
// event carries the address, but the event line of one that could not be
// published does not (logs never carry one); the hash stays for correlation.
func TestSpillLeavesTheAddressOut(t *testing.T) {
	var fail atomic.Bool
	r := &recorder{fail: func(int) error {
		if fail.Load() {
			return errRefused
		}
		return nil
	}}
	cfg := testConfig()
	cfg.IncludeEmail = true
	var events syncBuffer
	h := newTrigger("postconfirmation", cfg, r.publish, nil, nil, &events)
	payload := readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json")
	_, err := h.Invoke(t.Context(), payload)
	require.NoError(t, err)
	require.Contains(t, aws.ToString(r.inputs[0].Message), `"email":"`)
	require.Empty(t, events.Lines())

	fail.Store(true)
	_, err = h.Invoke(t.Context(), payload)
	require.NoError(t, err)
	evs, codes := spilled(t, &events)
	require.Equal(t, []string{"Transport"}, codes)
	require.NotContains(t, events.String(), "@")
	require.Empty(t, evs[0].Data.Email)
	require.NotEmpty(t, evs[0].Data.EmailHash)
}

var errRefused = &url.Error{Op: "Post", URL: "http://127.0.0.1:1", Err: errString("connection refused")}

type errString string

func (e errString) Error() string { return string(e) }

// TestLogSink: with COGWATCH_EVENT_SINK=log, each trigger built from its
// environment makes no network call (the SNS endpoint is a listener that
// counts connections) and writes one event line beside its EMF line; the
// event is the very document the SNS sink would publish.
func TestLogSink(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	base := map[string]string{
		"USER_EVENTS_TOPIC_ARN": testTopic, "AWS_ENDPOINT_URL_SNS": srv.URL, "AWS_ENDPOINT_URL": srv.URL,
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"COGWATCH_HASH_KEY": string(testKey),
	}
	for _, tc := range deadlineCases {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"COGWATCH_EVENT_SINK": "log", "COGWATCH_TOKEN_EVENTS": "true"}
			for k, v := range base {
				vars[k] = v
			}
			build := map[string]func(context.Context, func(string) string, io.Writer) (lambda.Handler, error){
				"presignup": PreSignUpFromEnv, "authentication": AuthenticationFromEnv, "postconfirmation": PostConfirmationFromEnv,
				"pretokengeneration": PreTokenGenerationFromEnv, "custommessage": func(ctx context.Context, getenv func(string) string, w io.Writer) (lambda.Handler, error) {
					return CustomMessageFromEnv(ctx, getenv, w, phone.CountryCode)
				},
			}[tc.function]
			var stdout syncBuffer
			h, err := build(t.Context(), env(vars), &stdout)
			require.NoError(t, err)
			payload := readFixture(t, tc.fixture)
			_, _ = warmup.Wrap(h).Invoke(t.Context(), payload)
			lines := stdout.Lines()
			require.Len(t, lines, 2, "one event line, one EMF line")
			e, code, err := event.ParseLogLine([]byte(lines[0]))
			require.NoError(t, err)
			require.Empty(t, code, "the log sink's lines are no spill")
			doc := decodeEMF(t, lines[1])
			require.False(t, doc.has("PublishFailures"))
			require.False(t, doc.has("PublishLatency"))

			// The same invocation through the SNS sink, same id and clock.
			r := &recorder{}
			cfg := testConfig()
			cfg.TokenEvents = true
			trig := newTrigger(tc.function, cfg, r.publish, nil, nil, nil)
			setSame(trig, e)
			_, _ = trig.Invoke(t.Context(), payload)
			sent := r.events(t)
			require.Len(t, sent, 1)
			want, err := event.Marshal(sent[0])
			require.NoError(t, err)
			got, err := event.Marshal(e)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
			require.Equal(t, aws.ToString(r.inputs[0].Message), string(got), "byte for byte what the SNS sink publishes")
		})
	}
	require.Zero(t, conns.Load(), "the log sink makes no network call")
}

// setSame makes trig report e's id and time, so that its event can be
// compared with e byte for byte.
func setSame(trig trigger, e event.Event) {
	var b *base
	switch v := trig.(type) {
	case *PreSignUp:
		b = &v.base
	case *Authentication:
		b = &v.base
	case *PostConfirmation:
		b = &v.base
	case *PreTokenGeneration:
		b = &v.base
	case *CustomMessage:
		b = &v.base
	}
	b.newID = func() string { return e.ID }
	start := e.Time
	latency := time.Duration(math.Round(e.Data.LatencyMs * float64(time.Millisecond))) // round: a float of ms does not truncate back to its nanoseconds
	calls := 0
	b.now = func() time.Time {
		calls++
		if calls == 1 {
			return start
		}
		return start.Add(latency)
	}
}

// TestBreakerAgainstGoaws runs the authentication trigger as its Lambda
// builds it (real SDK client) against goaws behind a proxy that hangs, then
// recovers: the breaker opens after three failures, then no request reaches
// SNS and events go to the log; when SNS is back, publishing resumes within
// one cool-down, and a subscriber's queue receives exactly the events that
// were not logged, with their ids.
func TestBreakerAgainstGoaws(t *testing.T) {
	s := goawstest.Server(t)
	ctx := t.Context()
	topic := goawstest.Topic(t, s, "user-events-breaker")
	queue := goawstest.Queue(t, s, topic, "breaker", false)
	q := sqs.NewFromConfig(s.AWSConfig())

	var proxy testutil.HangingProxy
	proxyURL := proxy.Start(t, s.URL())
	const cooldown = time.Second
	getenv := env(map[string]string{
		"USER_EVENTS_TOPIC_ARN": topic, "AWS_ENDPOINT_URL_SNS": proxyURL,
		"AWS_REGION": goaws.Region, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"COGWATCH_TRIGGER_BUDGET":   "300ms",
		"COGWATCH_BREAKER_COOLDOWN": cooldown.String(),
		// generous for a loaded test machine: goaws answers in about a millisecond
		"COGWATCH_BREAKER_PROBE_BUDGET": "250ms",
	})
	var stdout syncBuffer
	h, err := AuthenticationFromEnv(ctx, getenv, &stdout)
	require.NoError(t, err)
	payload := readFixture(t, "cognito-local/PostAuthentication_Authentication.json")
	invoke := func() time.Duration {
		start := time.Now()
		out, err := warmup.Wrap(h).Invoke(ctx, payload)
		require.NoError(t, err)
		require.Equal(t, string(payload), string(out))
		return time.Since(start)
	}

	proxy.Hang.Store(true)
	for range 3 {
		require.GreaterOrEqual(t, invoke(), 300*time.Millisecond, "a hanging SNS costs the budget while closed")
	}
	reached := proxy.Requests.Load()
	require.Equal(t, int64(3), reached)
	for range 20 {
		invoke()
	}
	require.Equal(t, reached, proxy.Requests.Load(), "an open breaker sends nothing to SNS")

	proxy.Hang.Store(false)
	recovered := time.Now()
	var resumed time.Duration
	for {
		before := proxy.Requests.Load()
		invoke()
		if proxy.Requests.Load() > before { // the probe
			resumed = time.Since(recovered)
			break
		}
		require.Less(t, time.Since(recovered), 3*cooldown, "publishing never resumed")
		time.Sleep(20 * time.Millisecond)
	}
	require.Contains(t, stdout.String(), `"message":"SNS circuit breaker closed"`, "the probe succeeded")
	t.Logf("publishing resumed %v after SNS recovered (cool-down %v)", resumed.Round(time.Millisecond), cooldown)
	require.LessOrEqual(t, resumed, cooldown+500*time.Millisecond, "within one cool-down")
	for range 5 {
		invoke()
	}

	// What the subscriber got, and what the log holds, are every event once.
	var logged syncBuffer
	for _, l := range stdout.Lines() {
		if strings.HasPrefix(l, `{"cogwatch":"event"`) {
			_, _ = logged.Write([]byte(l + "\n"))
		}
	}
	evs, codes := spilled(t, &logged)
	require.Equal(t, []string{"BudgetExceeded", "BudgetExceeded", "BudgetExceeded"}, codes[:3])
	for _, c := range codes[3:] {
		require.Equal(t, "BreakerOpen", c, "only skipped events after the breaker opened")
	}
	ids := map[string]bool{}
	for _, e := range evs {
		ids[e.ID] = true
	}
	received := map[string]bool{}
	require.Eventually(t, func() bool {
		m, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		for _, msg := range m.Messages {
			e, _, err := event.FromSNS([]byte(*msg.Body))
			require.NoError(t, err)
			received[e.ID] = true
		}
		return len(received) >= 6
	}, 5*time.Second, 20*time.Millisecond)
	require.Len(t, received, 6, "the probe and the five after it")
	for id := range received {
		require.False(t, ids[id], "an event both published and logged")
	}
}

// TestAddedLatencySNSHanging measures what a hanging SNS adds to each
// invocation, with the real SDK client against a loopback endpoint that never
// answers and the default budget (3 s): with the breaker off, every
// invocation waits the budget; with it on (default thresholds, the cool-down
// shortened to 1 s so that probes happen during the run), only the first
// three do, and after them no invocation waits more than the probe budget.
// The figures are logged: `go test -run TestAddedLatencySNSHanging -v ./triggers`.
func TestAddedLatencySNSHanging(t *testing.T) {
	if testing.Short() {
		t.Skip("waits the 3 s budget six times")
	}
	payload := readFixture(t, "cognito-local/PostAuthentication_Authentication.json")
	run := func(t *testing.T, breaker BreakerConfig, n int, gap time.Duration) []time.Duration {
		endpoint, _ := hangingSNS(t)
		cfg := testConfig()
		cfg.Breaker = breaker
		h := newTrigger("authentication", cfg, snsClient(endpoint).Publish, nil, nil, io.Discard)
		out := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			_, err := h.Invoke(t.Context(), payload)
			out = append(out, time.Since(start))
			require.NoError(t, err)
			time.Sleep(gap)
		}
		return out
	}
	pct := func(d []time.Duration, p float64) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[min(len(s)-1, int(float64(len(s))*p))]
	}

	off := run(t, BreakerConfig{}, 3, 0)
	t.Logf("breaker off: %d invocations: p50 %v, p99 %v", len(off), pct(off, .5).Round(time.Millisecond), pct(off, .99).Round(time.Millisecond))
	require.GreaterOrEqual(t, pct(off, .5), DefaultConfig.Budget, "without the breaker every invocation waits the budget")

	on := DefaultBreaker
	on.Cooldown = time.Second
	all := run(t, on, 3+1000, 3*time.Millisecond)
	after := all[3:]
	probes := 0
	for _, d := range after {
		if d >= on.ProbeBudget {
			probes++
		}
	}
	t.Logf("breaker on: first %d invocations %v; the %d after them: p50 %v, p99 %v, max %v; %d probes of at most %v (one per cool-down of %v)",
		3, all[:3], len(after), pct(after, .5), pct(after, .99), pct(after, 1), probes, on.ProbeBudget, on.Cooldown)
	for _, d := range all[:3] {
		require.GreaterOrEqual(t, d, DefaultConfig.Budget, "the failures that open the breaker wait the budget")
	}
	require.Positive(t, probes, "the breaker let probes through")
	require.Less(t, pct(after, .99), 50*time.Millisecond, "p99 added latency once the breaker has opened")
	require.Less(t, pct(after, 1), on.ProbeBudget+time.Second, "no invocation waits much longer than the probe budget (generous on a loaded machine)")
}
