package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/event"
)

// Exporter receives SNS messages and counts user events.
type Exporter struct {
	o        Options
	verifier *snsverify.Verifier
	client   *http.Client
	log      *slog.Logger
	self     *selfMetrics
	sqs      *sqsMetrics
	series   *eventSeries
	seen     *window
	inflight chan struct{}
	snsConns *connLimit
	webConns *connLimit
	gatherer prometheus.Gatherer
	ready    atomic.Bool
}

// New builds an Exporter and registers its metrics on o.Registerer (a new
// registry if nil). It fails on malformed topic ARNs or trusted prefixes.
func New(o Options) (*Exporter, error) {
	o = o.withDefaults()
	if o.Registerer == nil {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		o.Registerer, o.Gatherer = reg, reg
	}
	if o.Gatherer == nil {
		g, ok := o.Registerer.(prometheus.Gatherer)
		if !ok {
			return nil, errors.New("exporter: Options.Gatherer is required when Registerer is not a registry")
		}
		o.Gatherer = g
	}
	v, err := snsverify.New(snsverify.Options{
		Topics: o.Topics, MaxAge: o.MaxAge, MaxSkew: o.MaxSkew, TrustedURLPrefixes: o.TrustedURLPrefixes,
		Client: o.HTTPClient, FetchTimeout: o.FetchTimeout, CertCacheSize: o.CertCacheSize,
		CertCacheTTL: o.CertCacheTTL, Now: o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	client := http.Client{Timeout: o.FetchTimeout}
	if o.HTTPClient != nil {
		client = *o.HTTPClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e := &Exporter{
		o: o, verifier: v, client: &client, log: o.Logger,
		series:   newEventSeries(o),
		inflight: make(chan struct{}, o.MaxInFlight),
		gatherer: o.Gatherer,
	}
	if e.self, err = newSelfMetrics(o.Registerer); err != nil {
		return nil, fmt.Errorf("exporter: register metrics: %w", err)
	}
	if e.sqs, err = newSQSMetrics(o.Registerer); err != nil {
		return nil, fmt.Errorf("exporter: register metrics: %w", err)
	}
	if err := o.Registerer.Register(e.series); err != nil {
		return nil, fmt.Errorf("exporter: register metrics: %w", err)
	}
	e.seen = newWindow(2 * o.DedupeSize) // two keys a message: MessageId, event id
	if err := o.Registerer.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: MetricDedupeKeys,
		Help: "Keys remembered to drop duplicates (SNS MessageIds, CloudEvents ids, confirmation tokens), each until its message is --sns.max-age old."},
		func() float64 { return float64(e.seen.len(o.Now())) })); err != nil {
		return nil, fmt.Errorf("exporter: register metrics: %w", err)
	}
	e.snsConns = newConnLimit(o.SNSMaxConnections, e.self.conns.WithLabelValues("sns"), e.self.connsClosed.WithLabelValues("sns"))
	e.webConns = newConnLimit(o.WebMaxConnections, e.self.conns.WithLabelValues("metrics"), e.self.connsClosed.WithLabelValues("metrics"))
	if o.DedupeFile != "" {
		if err := e.loadDedupe(); err != nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
	}
	if need := o.ReadTimeout + 2*o.FetchTimeout; o.WriteTimeout < need {
		e.log.Warn("the write timeout is shorter than a slow body plus a certificate fetch and a confirmation: such answers will be cut",
			"write_timeout", o.WriteTimeout, "want_at_least", need)
	}
	if o.SQSWaitTime > 20*time.Second {
		return nil, fmt.Errorf("exporter: SQS wait time %s is more than SQS's 20s", o.SQSWaitTime)
	}
	if o.SQSVisibilityTimeout <= o.SQSWaitTime { // the lease is measured from the receive's start
		return nil, fmt.Errorf("exporter: SQS visibility timeout %s must be longer than the wait time %s", o.SQSVisibilityTimeout, o.SQSWaitTime)
	}
	if len(o.SQSQueueURLs) > 0 && o.SQSClient == nil {
		return nil, errors.New("exporter: SQS queue URLs need Options.SQSClient")
	}
	if len(o.Topics) == 0 && len(o.SQSQueueURLs) == 0 {
		e.log.Warn("no SNS topic is allowed: every message will be rejected (set --sns.topic-arn)")
	}
	if len(o.TrustedURLPrefixes) > 0 {
		e.log.Warn("trusting SNS certificate and subscribe URLs under emulator prefixes: whoever serves them can sign messages",
			"prefixes", o.TrustedURLPrefixes)
	}
	e.ready.Store(true)
	return e, nil
}

// SNSHandler serves POST /sns, GET /-/healthy and GET /-/ready.
func (e *Exporter) SNSHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /sns", e.receive(e.dispatch))
	e.health(mux)
	return mux
}

// MetricsHandler serves GET /metrics, GET /-/healthy and GET /-/ready.
func (e *Exporter) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(e.log.Handler(), slog.LevelError), MaxRequestsInFlight: 4,
	}))
	e.health(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<html><head><title>cogwatch exporter</title></head><body><h1>cogwatch exporter</h1><p><a href="metrics">Metrics</a></p></body></html>`)
	})
	return mux
}

func (e *Exporter) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "Healthy\n")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !e.ready.Load() {
			http.Error(w, "Not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "Ready\n")
	})
}

// messageHandler handles a verified SNS message.
type messageHandler func(http.ResponseWriter, *http.Request, *snsverify.Message)

// receive counts every request, reads its body (bounded in size; in time by
// the server's ReadTimeout), then takes one of MaxInFlight slots, answering
// 503 beyond them, and verifies the message: only verified messages reach
// next. The slot is taken once the body is in, so that clients that send
// slowly, or never finish, hold no slot.
func (e *Exporter) receive(next messageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.self.received.Inc()
		if r.ContentLength > e.o.MaxBodyBytes { // refused before a byte of it is read
			e.reject(w, r, reasonTooLarge, http.StatusRequestEntityTooLarge,
				fmt.Errorf("Content-Length %d is more than %d", r.ContentLength, e.o.MaxBodyBytes))
			return
		}
		done := readingBody(r.Context())
		buf := bodyBuffers.Get().(*[firstBodyBuffer]byte)
		defer bodyBuffers.Put(buf)
		body, err := readBody(buf[:0], http.MaxBytesReader(w, r.Body, e.o.MaxBodyBytes), r.ContentLength)
		done()
		if err != nil {
			reason, status := bodyError(err)
			e.reject(w, r, reason, status, err, "bytes_read", len(body))
			return
		}
		select {
		case e.inflight <- struct{}{}:
			defer func() { <-e.inflight }()
		default:
			e.fail(w, r, failOverload, http.StatusServiceUnavailable, errors.New("too many SNS requests in flight"))
			return
		}
		m, err := e.verifier.Verify(r.Context(), body)
		switch {
		case err == nil:
			next(w, r, m)
		case snsverify.Temporary(err):
			e.fail(w, r, failCertFetch, http.StatusBadGateway, err)
		case errors.Is(err, snsverify.ErrMalformed) && r.Header.Get("x-amz-sns-rawdelivery") == "true":
			e.reject(w, r, reasonRawDelivery, http.StatusBadRequest, errors.New("raw message delivery carries no signature: turn it off"))
		case errors.Is(err, snsverify.ErrMalformed), errors.Is(err, snsverify.ErrType):
			e.reject(w, r, snsverify.Reason(err), http.StatusBadRequest, err)
		default:
			e.reject(w, r, snsverify.Reason(err), http.StatusForbidden, err)
		}
	})
}

// dispatch handles a verified message by type.
func (e *Exporter) dispatch(w http.ResponseWriter, r *http.Request, m *snsverify.Message) {
	switch m.Type {
	case snsverify.TypeSubscriptionConfirmation:
		e.confirm(w, r, m)
	case snsverify.TypeUnsubscribeConfirmation:
		e.log.InfoContext(r.Context(), "SNS subscription ended", "topic_arn", clip(m.TopicARN), "message_id", clip(m.MessageID))
		w.WriteHeader(http.StatusOK)
	default:
		e.count(w, r, m)
	}
}

// count decodes, deduplicates and counts one user event.
func (e *Exporter) count(w http.ResponseWriter, r *http.Request, m *snsverify.Message) {
	ev, err := event.Decode([]byte(m.Message))
	if err != nil {
		e.reject(w, r, reasonInvalidEvent, http.StatusBadRequest, err, "message_id", m.MessageID)
		return
	}
	// CloudEvents: source and id together identify an event. Both keys are
	// remembered until the message could no longer be accepted.
	if !e.seen.add(e.o.Now(), m.Time.Add(e.o.MaxAge), keyOf(keyMessageID, m.MessageID), keyOf(keyEventID, ev.Source, ev.ID)) {
		e.self.duplicates.Inc()
		e.log.DebugContext(r.Context(), "duplicate SNS message dropped", "message_id", clip(m.MessageID), "event_id", clip(ev.ID))
		w.WriteHeader(http.StatusOK)
		return
	}
	e.series.observe(&ev)
	w.WriteHeader(http.StatusOK)
}

// confirm visits a checked SubscribeURL of an allowed topic, once: a
// replayed confirmation (any subscriber of the topic could have kept one)
// does not subscribe again after an unsubscribe.
func (e *Exporter) confirm(w http.ResponseWriter, r *http.Request, m *snsverify.Message) {
	u, err := e.verifier.ConfirmURL(m)
	if err != nil { // Verify checked it already; keep the check next to the fetch.
		e.reject(w, r, snsverify.Reason(err), http.StatusForbidden, err)
		return
	}
	k := keyOf(keyConfirmation, m.TopicARN, m.Token)
	if e.seen.known(e.o.Now(), k) {
		e.log.InfoContext(r.Context(), "SNS subscription confirmation seen before: not confirmed again",
			"topic_arn", clip(m.TopicARN), "message_id", clip(m.MessageID))
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.o.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		e.fail(w, r, failConfirm, http.StatusBadGateway, err)
		return
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.fail(w, r, failConfirm, http.StatusBadGateway, err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.fail(w, r, failConfirm, http.StatusBadGateway, fmt.Errorf("confirm subscription: %s", resp.Status))
		return
	}
	e.seen.add(e.o.Now(), m.Time.Add(e.o.MaxAge), k)
	e.self.confirmed.Inc()
	e.log.InfoContext(r.Context(), "SNS subscription confirmed", "topic_arn", clip(m.TopicARN), "message_id", clip(m.MessageID))
	w.WriteHeader(http.StatusOK)
}

// reject answers a 4xx: SNS will not retry. String attrs are clipped.
func (e *Exporter) reject(w http.ResponseWriter, r *http.Request, reason string, status int, err error, attrs ...any) {
	e.self.rejected.WithLabelValues(reason).Inc()
	for i, a := range attrs {
		if s, ok := a.(string); ok && i%2 == 1 {
			attrs[i] = clip(s)
		}
	}
	e.log.WarnContext(r.Context(), "SNS message rejected", append([]any{"reason", reason, "status", status, "err", clipErr(err),
		"remote", r.RemoteAddr}, attrs...)...)
	http.Error(w, reason, status)
}

// fail answers a 5xx: the failure is the exporter's, and SNS retries.
func (e *Exporter) fail(w http.ResponseWriter, r *http.Request, reason string, status int, err error) {
	e.self.failed.WithLabelValues(reason).Inc()
	e.log.ErrorContext(r.Context(), "SNS message not processed", "reason", reason, "status", status, "err", clipErr(err),
		"remote", r.RemoteAddr)
	http.Error(w, reason, status)
}

// maxLogValue bounds each value a log line quotes from a request (at most
// three a line): escaped as JSON, a line stays under a few KiB.
const maxLogValue = 128

// clip returns s cut to maxLogValue bytes at a UTF-8 boundary, saying how
// much was cut. Every value a log line takes from a request goes through it.
func clip(s string) string {
	if len(s) <= maxLogValue {
		return s
	}
	i := maxLogValue
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…(" + strconv.Itoa(len(s)-i) + " more bytes)"
}

// clipErr is clip of an error's text, which may quote the request.
func clipErr(err error) string {
	if err == nil {
		return ""
	}
	return clip(err.Error())
}
