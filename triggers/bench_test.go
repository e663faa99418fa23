package triggers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// snsLoopback is an SNS endpoint on loopback that answers every Publish, so
// the benchmark includes the SDK's request building, signing and parsing.
func snsLoopback(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkHandle is the warm path of each trigger (decode, validate, build
// and publish the event, write the EMF line, answer), with SNS as: off; an
// in-process stand-in (the PublishFunc seam); the real SDK client against a
// loopback server.
func BenchmarkHandle(b *testing.B) {
	triggers := []struct{ name, function, fixture string }{
		{"presignup", "presignup", "cognito-local/PreSignUp_SignUp.json"},
		{"presignup-rejected", "presignup", "cognito-local/PreSignUp_SignUp-disposable.json"},
		{"authentication-pre", "authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json"},
		{"authentication-post", "authentication", "cognito-local/PostAuthentication_Authentication.json"},
		{"postconfirmation", "postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json"},
		{"pretokengeneration-refresh", "pretokengeneration", "aws-docs/TokenGeneration_RefreshTokens-v2.json"},
		{"pretokengeneration-hostedauth-federated", "pretokengeneration", "aws-docs/TokenGeneration_HostedAuth-v2.json"},
		{"custommessage-sms", "custommessage", "aws-docs/CustomMessage_ForgotPassword.json"},
		{"custommessage-email", "custommessage", "aws-docs/CustomMessage_SignUp.json"},
	}
	loopback := snsClient(snsLoopback(b)).Publish
	standIn := func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
		return &sns.PublishOutput{}, nil
	}
	failing := func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}
	}
	publishers := []struct {
		name    string
		publish PublishFunc
		sink    Sink
	}{
		{"sns-off", nil, SinkSNS},
		{"sns-stand-in", standIn, SinkSNS},
		{"sns-sdk-loopback", loopback, SinkSNS},
		{"sns-breaker-open", failing, SinkSNS}, // the skip path: event line instead of a call
		{"log-sink", nil, SinkLog},
	}
	for _, tr := range triggers {
		payload := readFixture(b, tr.fixture)
		for _, p := range publishers {
			b.Run(tr.name+"/"+p.name, func(b *testing.B) {
				cfg := testConfig()
				cfg.EventSink = p.sink
				cfg.TokenEvents = p.publish != nil // sns-off is pre token generation's default: metrics only
				cfg.SMSCountries = []string{"1", "44"}
				metrics, log := NewMetrics(io.Discard, cfg), logging.New(io.Discard, func(string) string { return "" })
				h := newTrigger(tr.function, cfg, p.publish, metrics, log, io.Discard)
				ctx := context.Background()
				for range cfg.Breaker.Failures { // opens the breaker of sns-breaker-open
					_, _ = h.Invoke(ctx, payload)
				}
				b.ReportAllocs()
				for b.Loop() {
					_, _ = h.Invoke(ctx, payload)
				}
			})
		}
	}
}

// BenchmarkEventLine is what the log sink adds to an invocation: the event
// encoded once (as for SNS) and written as one log line.
func BenchmarkEventLine(b *testing.B) {
	e := event.Event{SpecVersion: event.SpecVersion, ID: newUUID(), Source: event.Source("us-east-1", "us-east-1_abc"),
		Type: event.SignInSucceeded, Time: time.Now().UTC(), Subject: "sub", DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: "us-east-1_abc", ClientID: "client", TriggerSource: "PostAuthentication_Authentication",
			Region: "us-east-1", Sub: "sub", EmailDomain: "example.com", EmailHash: HashEmail(testKey, "a@example.com"), LatencyMs: 0.01}}
	b.ReportAllocs()
	for b.Loop() {
		body, _ := event.Marshal(e)
		_, _ = io.Discard.Write(event.AppendLogLine(make([]byte, 0, len(body)+64), body, ""))
	}
}

// BenchmarkSNSHanging measures what a hanging SNS adds to a post
// authentication invocation (real SDK client, default budget): breaker-off
// waits the budget every time; breaker-on is measured after the failures
// that open the breaker, with a 1 s cool-down so that probes (40 ms at most)
// fall inside the run. It reports the p50 and p99 of the invocation time.
func BenchmarkSNSHanging(b *testing.B) {
	payload := readFixture(b, "cognito-local/PostAuthentication_Authentication.json")
	on := DefaultBreaker
	on.Cooldown = time.Second
	for _, c := range []struct {
		name    string
		breaker BreakerConfig
	}{{"breaker-off", BreakerConfig{}}, {"breaker-on", on}} {
		b.Run(c.name, func(b *testing.B) {
			endpoint, _ := hangingSNS(b)
			cfg := testConfig()
			cfg.Breaker = c.breaker
			h := newTrigger("authentication", cfg, snsClient(endpoint).Publish, nil, nil, io.Discard)
			for range c.breaker.Failures { // open the breaker before the clock runs
				_, _ = h.Invoke(b.Context(), payload)
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				_, _ = h.Invoke(b.Context(), payload)
				took = append(took, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(took)
			at := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(float64(len(took))*p))]) / float64(time.Millisecond)
			}
			b.ReportMetric(at(.5), "p50-ms")
			b.ReportMetric(at(.99), "p99-ms")
		})
	}
}

// BenchmarkWrap is what the middleware adds around an adopter's user
// migration and auth challenge handlers (warm, SNS through the in-process
// stand-in and off), beside the bare handler.
func BenchmarkWrap(b *testing.B) {
	cfg := testConfig()
	standIn := func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
		return &sns.PublishOutput{}, nil
	}
	for _, p := range []struct {
		name    string
		publish PublishFunc
	}{{"sns-off", nil}, {"sns-stand-in", standIn}} {
		metrics, log := NewMetrics(io.Discard, cfg), logging.New(io.Discard, func(string) string { return "" })
		m := &Middleware{migration: &migration{newBase(cfg, p.publish, metrics, log)}, challenges: &challenges{base: newBase(cfg, p.publish, metrics, log)}}
		var migrate events.CognitoEventUserPoolsMigrateUser
		readJSON(b, "aws-docs-wrap/UserMigration_Authentication.json", &migrate)
		var define events.CognitoEventUserPoolsDefineAuthChallenge
		readJSON(b, "aws-docs-wrap/DefineAuthChallenge_Authentication-answered.json", &define)
		cases := []struct {
			name string
			call func(context.Context)
		}{
			{"migration/bare", func(ctx context.Context) { _, _ = legacyUser(ctx, migrate) }},
			{"migration/wrapped", func(ctx context.Context) { _, _ = WrapWith(m, legacyUser)(ctx, migrate) }},
			{"define/bare", func(ctx context.Context) { _, _ = adoptersDefine(ctx, define) }},
			{"define/wrapped", func(ctx context.Context) { _, _ = WrapWith(m, adoptersDefine)(ctx, define) }},
		}
		for _, c := range cases {
			if p.publish == nil && strings.HasSuffix(c.name, "/bare") {
				continue // the bare handler has no sink
			}
			b.Run(c.name+"/"+p.name, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					c.call(ctx)
				}
			})
		}
	}
}

func readJSON(b *testing.B, fixture string, v any) {
	b.Helper()
	if err := json.Unmarshal(readFixture(b, fixture), v); err != nil {
		b.Fatal(err)
	}
}
