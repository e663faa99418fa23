package triggers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// PublishFunc is the one SNS call a trigger makes; (*sns.Client).Publish
// fills it. A nil PublishFunc turns publishing off (with the SNS sink).
type PublishFunc func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)

// retryBackoff caps the pause before the one retry of a failed publish.
const retryBackoff = 50 * time.Millisecond

// publishRetry is how a publish is retried: once, after a full-jitter pause
// of up to retryBackoff, if the failure may pass (internal/awsretry decides)
// and the wall allows.
var publishRetry = awsretry.Policy{Base: retryBackoff, Max: retryBackoff, Attempts: 2}

// Reserve is kept before the invocation's deadline for finishing: a
// publish still running then is abandoned, so the EMF line, the log line
// and the runtime's reply to Lambda all happen before the deadline, whatever
// the budget. An answer at the deadline is a timeout to Lambda and a failed
// sign-up or sign-in to Cognito. Finishing (the SDK giving up, the EMF and
// log lines) takes about 1 ms, up to 20–45 ms on 2 busy shared cores
// (TestDeadlineWall); the rest is headroom for small, CPU-throttled
// functions and the runtime's reply. See docs/triggers.md.
const Reserve = 100 * time.Millisecond

// DimensionSets are the dimension sets of every trigger metric.
var DimensionSets = [][]string{{catalog.DimUserPoolID}, {catalog.DimUserPoolID, catalog.DimClientID}}

// reasonSets are SignUpRejected's, with the reason.
var reasonSets = [][]string{{catalog.DimUserPoolID}, {catalog.DimUserPoolID, catalog.DimClientID}, {catalog.DimUserPoolID, catalog.DimReason}}

// NewMetrics returns the EMF writer the triggers use: cfg's namespace,
// DimensionSets, lines to w.
func NewMetrics(w io.Writer, cfg Config) *emf.Writer {
	return emf.NewWriter(w, emf.Options{Namespace: cfg.Namespace, DimensionSets: DimensionSets})
}

// base is what every trigger shares: configuration, the publish call, the
// EMF writer and the logger, and the seams tests replace.
type base struct {
	cfg     Config
	publish PublishFunc
	metrics *emf.Writer
	log     *slog.Logger
	// events receives the event lines (the log sink, events the SNS sink
	// could not publish): the function's log, beside the EMF lines.
	events  io.Writer
	breaker *breaker // nil: off

	now   func() time.Time // what the trigger reports (event time, latencies); deadlines follow the real clock
	cold  func() bool      // whether an invocation is its instance's first: warmup.Process.Cold
	newID func() string

	chain  map[string]string // the pool's own functions, by slot (chain.go)
	invoke InvokeFunc
}

func newBase(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger) base {
	if cfg.TopicARN == "" || cfg.EventSink == SinkLog {
		publish = nil
	}
	if metrics == nil {
		metrics = NewMetrics(nil, cfg)
	}
	if log == nil {
		log = logging.Discard()
	}
	b := base{cfg: cfg, publish: publish, metrics: metrics, log: log, events: os.Stdout,
		now: time.Now, cold: warmup.Process.Cold, newID: newUUID}
	if publish != nil {
		b.breaker = newBreaker(cfg.Breaker, log)
	}
	return b
}

// SetEventLog replaces where a trigger writes its event lines (os.Stdout by
// default, the function's log in Lambda, where the log forwarder's
// subscription filter finds them): the log sink's events, and the events the
// SNS sink skipped or failed to publish. Give it the writer the EMF lines go
// to. Call it before any Handle.
func (b *base) SetEventLog(w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	b.events = w
}

// invocation is the state of one trigger invocation.
type invocation struct {
	b      *base
	ctx    context.Context
	start  time.Time // by the trigger's clock, for what it reports
	m      *emf.Metrics
	header header
	user   user
	email  Email

	// wall is when publishing must end: the budget after the start, or
	// Reserve before the invocation's deadline if that comes first (real
	// clock).
	wall time.Time

	// The email attribute parsed once per invocation (address), shared by
	// pre sign-up's validation and the event data.
	addr    Address
	addrErr error
	parsed  bool
}

// address returns the parsed email attribute, parsing it on first use.
func (inv *invocation) address() (Address, error) {
	if !inv.parsed {
		inv.addr, inv.addrErr = ParseEmail(string(inv.email))
		inv.parsed = true
	}
	return inv.addr, inv.addrErr
}

func (b *base) begin(ctx context.Context, h header, u user) *invocation {
	inv := &invocation{b: b, ctx: ctx, start: b.now(), m: b.metrics.New(), header: h, user: u, email: Email(u.Email)}
	inv.wall = time.Now().Add(b.cfg.Budget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-Reserve).Before(inv.wall) {
		inv.wall = dl.Add(-Reserve)
	}
	inv.m.SetDimension(catalog.DimUserPoolID, h.UserPoolID)
	inv.m.SetDimension(catalog.DimClientID, h.ClientID) // empty (null in the event): the set is dropped
	inv.m.SetProperty("triggerSource", h.TriggerSource)
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		inv.m.SetProperty("requestId", lc.AwsRequestID)
	}
	if b.cfg.ServiceName != "" {
		inv.m.SetProperty("service", b.cfg.ServiceName)
	}
	cold := 0.0
	if b.cold() {
		cold = 1
	}
	_ = inv.m.Put(catalog.ColdStarts, cold, emf.Count)
	return inv
}

// data returns the event data common to every trigger.
func (inv *invocation) data() event.Data {
	h := inv.header
	d := event.Data{
		SchemaVersion: event.SchemaVersion,
		UserPoolID:    h.UserPoolID,
		ClientID:      h.ClientID,
		TriggerSource: h.TriggerSource,
		Region:        h.Region,
		Sub:           inv.user.Sub,
	}
	if email := inv.user.Email; email != "" {
		if a, err := inv.address(); err == nil {
			d.EmailDomain = a.Domain
		}
		if len(inv.b.cfg.HashKey) > 0 {
			d.EmailHash = HashEmail(inv.b.cfg.HashKey, email)
		}
		if inv.b.cfg.IncludeEmail {
			d.Email = email
		}
	}
	return d
}

// count puts the metric of an event type.
func (inv *invocation) count(t event.Type, reason string) {
	name := catalog.ForEvent(t)
	if reason == "" {
		_ = inv.m.Put(name, 1, emf.Count)
		return
	}
	inv.m.SetDimension(catalog.DimReason, reason)
	_ = inv.m.PutWithDimensions(name, 1, emf.Count, reasonSets...)
}

// publishEvent sends one event to the sink, failing open. With the log sink
// it writes the event line. With the SNS sink it publishes before the
// invocation's wall (budget or deadline less Reserve) unless the breaker is
// open; an event it skips or fails to publish goes to the log instead.
func (inv *invocation) publishEvent(t event.Type, d event.Data) {
	b := inv.b
	d.LatencyMs = ms(b.now().Sub(inv.start))
	sinkLog := b.cfg.EventSink == SinkLog
	if b.publish == nil && !sinkLog {
		return
	}
	e := event.Event{
		SpecVersion:     event.SpecVersion,
		ID:              b.newID(),
		Source:          event.Source(d.Region, d.UserPoolID),
		Type:            t,
		Time:            inv.start.UTC(),
		Subject:         d.Sub,
		DataContentType: event.ContentType,
		Data:            d,
	}
	body, err := event.Marshal(e)
	if err != nil { // a Cognito event without the fields every event needs
		_ = inv.m.Put(catalog.PublishFailures, 1, emf.Count)
		b.log.WarnContext(inv.ctx, "user event not published", "type", t, "triggerSource", d.TriggerSource, "err", err)
		return
	}
	if sinkLog {
		inv.logEvent(&e, body, "")
		return
	}

	var done func(error)
	probe := false
	if b.breaker != nil {
		var ok bool
		if done, probe, ok = b.breaker.allow(); !ok {
			_ = inv.m.Put(catalog.PublishSkipped, 1, emf.Count)
			inv.logEvent(&e, body, codeBreakerOpen)
			return
		}
		_ = inv.m.Put(catalog.PublishSkipped, 0, emf.Count)
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(b.cfg.TopicARN),
		Message:           aws.String(string(body)),
		MessageAttributes: attributes(&e),
	}
	t0 := b.now()
	attempts, err := inv.publish(in, probe)
	if done != nil {
		if attempts == 0 {
			done(errNotAttempted) // no time left: says nothing of SNS
		} else {
			done(err)
		}
	}
	_ = inv.m.Put(catalog.PublishLatency, ms(b.now().Sub(t0)), emf.Milliseconds)
	if err != nil {
		code := failureCode(err)
		_ = inv.m.Put(catalog.PublishFailures, 1, emf.Count)
		b.log.WarnContext(inv.ctx, "user event not published, user let through; event written to the log",
			"type", t, "triggerSource", d.TriggerSource, "attempts", attempts, "probe", probe, "code", code, "err", safeError(err))
		inv.logEvent(&e, body, code)
		return
	}
	_ = inv.m.Put(catalog.PublishFailures, 0, emf.Count)
}

// publish calls SNS before the invocation's wall, retrying once if the
// failure may pass and time allows; a breaker's probe is one attempt within
// the probe budget. attempts counts the calls made.
func (inv *invocation) publish(in *sns.PublishInput, probe bool) (attempts int, err error) {
	b := inv.b
	wall := inv.wall
	if probe {
		if w := time.Now().Add(b.cfg.Breaker.ProbeBudget); w.Before(wall) {
			wall = w
		}
	}
	ctx, cancel := context.WithDeadline(inv.ctx, wall)
	defer cancel()
	policy := publishRetry
	if probe {
		policy.Attempts = 1
	}
	return policy.Do(ctx, awsretry.Retryable, func(ctx context.Context) error {
		_, err := b.publish(ctx, in, noSDKRetries)
		return err
	})
}

// logEvent writes the event line of e (body, its SNS message) to the event
// log, in one Write so that it never interleaves with other lines. With
// COGWATCH_INCLUDE_EMAIL the address is left out: logs never carry one.
func (inv *invocation) logEvent(e *event.Event, body []byte, spill string) {
	if e.Data.Email != "" {
		c := *e
		c.Data.Email = ""
		b, err := event.Marshal(c)
		if err != nil { // cannot happen (e was marshalled): never log the address
			inv.b.log.ErrorContext(inv.ctx, "user event lost: event line not written", "type", e.Type, "code", spill, "err", err)
			return
		}
		body = b
	}
	line := event.AppendLogLine(make([]byte, 0, len(body)+64), body, spill)
	if _, err := inv.b.events.Write(line); err != nil {
		inv.b.log.ErrorContext(inv.ctx, "user event lost: event line not written", "type", e.Type, "code", spill, "err", err)
	}
}

// noSDKRetries leaves retrying to publish, which retries once and only
// inside the budget.
func noSDKRetries(o *sns.Options) { o.RetryMaxAttempts = 1 }

// failureCode classifies a publish failure by code, never by text.
func failureCode(err error) string {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return "BudgetExceeded"
	default:
		return "Transport"
	}
}

// safeError is what a log line may say of a publish error: an API error's
// message may echo the request (which can hold an address), so only its code
// is kept; transport errors name the endpoint, not the message.
func safeError(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return "api error " + apiErr.ErrorCode()
	}
	return err.Error()
}

func attributes(e *event.Event) map[string]types.MessageAttributeValue {
	attrs := e.Attributes()
	out := make(map[string]types.MessageAttributeValue, len(attrs))
	for k, v := range attrs {
		out[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return out
}

// finish writes the invocation's EMF line and its log line.
func (inv *invocation) finish(outcome string, attrs ...slog.Attr) {
	b := inv.b
	latency := b.now().Sub(inv.start)
	_ = inv.m.Put(catalog.TriggerLatency, ms(latency), emf.Milliseconds)
	if err := inv.m.Flush(); err != nil {
		b.log.WarnContext(inv.ctx, "EMF line not written", "err", err)
	}
	if !b.log.Enabled(inv.ctx, slog.LevelDebug) {
		return
	}
	b.log.LogAttrs(inv.ctx, slog.LevelDebug, "trigger answered", append([]slog.Attr{
		slog.String("outcome", outcome),
		slog.String("triggerSource", inv.header.TriggerSource),
		slog.String("userPoolId", inv.header.UserPoolID),
		slog.String("clientId", inv.header.ClientID),
		slog.Any("email", inv.email),
		slog.Float64("latencyMs", ms(latency)),
	}, attrs...)...)
}

// unknown answers an invocation whose trigger source the trigger does not
// handle: the event goes back unchanged (Cognito goes on), nothing is
// published, and a warning says so.
func (inv *invocation) unknown() {
	inv.b.log.WarnContext(inv.ctx, "trigger source not handled, event returned unchanged",
		"triggerSource", inv.header.TriggerSource, "userPoolId", inv.header.UserPoolID)
	inv.finish("ignored")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newUUID returns a random (version 4) UUID, the event id.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails on supported platforms
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// record is the whole work of a trigger whose event type follows from the
// trigger source alone (types): it runs n (the pool's own logic), then
// counts and publishes the event, its provider read from the user's
// identities when provider is not nil; a source missing from types only
// runs n and warns. It returns n's error: the event is the same either way.
func (b *base) record(ctx context.Context, h header, u user, n next, types map[string]event.Type, provider func(identities string) string) error {
	inv := b.begin(ctx, h, u)
	t, ok := types[h.TriggerSource]
	err := inv.run(n) // for an unknown source, the pool's own logic handles what cogwatch does not
	if !ok {
		inv.unknown()
		return err
	}
	inv.count(t, "")
	d := inv.data()
	if provider != nil {
		d.Provider = provider(u.Identities)
	}
	inv.publishEvent(t, d)
	inv.finish(string(t))
	return err
}
