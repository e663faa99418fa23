package exporter

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/event"
)

// Metric names. The user-event counter and its `type` label are a contract
// (issue 3); the others follow exporter conventions.
const (
	MetricUserEvents     = "cogwatch_user_events_total"
	MetricTriggerLatency = "cogwatch_trigger_latency_seconds"
	MetricReceived       = "cogwatch_exporter_sns_messages_received_total"
	MetricRejected       = "cogwatch_exporter_sns_messages_rejected_total"
	MetricFailed         = "cogwatch_exporter_sns_messages_failed_total"
	MetricDuplicates     = "cogwatch_exporter_sns_messages_duplicates_total"
	MetricConfirmed      = "cogwatch_exporter_sns_subscriptions_confirmed_total"
	MetricOverflow       = "cogwatch_exporter_label_overflow_total"
	MetricDedupeKeys     = "cogwatch_exporter_sns_dedupe_keys"
	MetricConnections    = "cogwatch_exporter_connections"
	MetricConnsClosed    = "cogwatch_exporter_connections_closed_at_cap_total"
)

// Other is the label value of pools, clients and reasons beyond their cap.
const Other = "other"

// LatencyBuckets are the trigger latency histogram's buckets, in seconds,
// up to Cognito's 5-second trigger limit.
var LatencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Rejection reasons of the exporter itself, beside snsverify's.
const (
	reasonTooLarge       = "too_large"
	reasonInvalidEvent   = "invalid_event"
	reasonRawDelivery    = "raw_delivery"
	reasonIncompleteBody = "incomplete_body" // the client closed or broke the connection mid-body
	reasonBodyTimeout    = "body_timeout"    // the body did not arrive within --web.read-timeout
)

// Failure reasons (answered 5xx so that SNS retries): the exporter's own
// failures only, as on-call alerts on them.
const (
	failCertFetch = "cert_fetch"
	failConfirm   = "confirm"
	failOverload  = "overload"
)

// selfMetrics are the exporter's own counters.
type selfMetrics struct {
	received   prometheus.Counter
	rejected   *prometheus.CounterVec
	failed     *prometheus.CounterVec
	duplicates prometheus.Counter
	confirmed  prometheus.Counter

	conns       *prometheus.GaugeVec
	connsClosed *prometheus.CounterVec
}

func newSelfMetrics(reg prometheus.Registerer) (*selfMetrics, error) {
	m := &selfMetrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricReceived,
			Help: "SNS messages received on POST /sns, whatever became of them."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricRejected,
			Help: "SNS messages rejected with a 4xx, by reason."}, []string{"reason"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricFailed,
			Help: "SNS messages answered 5xx (so that SNS retries) because of the exporter's own failure, by reason."}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricDuplicates,
			Help: "Verified notifications dropped as duplicates (same SNS MessageId or CloudEvents id)."}),
		confirmed: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricConfirmed,
			Help: "SNS subscriptions confirmed."}),
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricConnections,
			Help: "Open connections, by listener."}, []string{"listener"}),
		connsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricConnsClosed,
			Help: "Connections closed because their listener was at its connection cap: the one waiting longest without a request being handled, or the new one if none was, by listener."},
			[]string{"listener"}),
	}
	for _, r := range append(snsverify.Reasons(), reasonTooLarge, reasonInvalidEvent, reasonRawDelivery,
		reasonIncompleteBody, reasonBodyTimeout) {
		if r != snsverify.ErrCertFetch.Error() {
			m.rejected.WithLabelValues(r)
		}
	}
	for _, r := range []string{failCertFetch, failConfirm, failOverload} {
		m.failed.WithLabelValues(r)
	}
	for _, l := range []string{"sns", "metrics"} {
		m.conns.WithLabelValues(l)
		m.connsClosed.WithLabelValues(l)
	}
	for _, c := range []prometheus.Collector{m.received, m.rejected, m.failed, m.duplicates, m.confirmed,
		m.conns, m.connsClosed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// eventSeries counts user events and trigger latencies by bounded labels and
// forgets the series of pools and clients not seen for ttl. It is a
// Collector around two vectors: expiry runs on every scrape.
type eventSeries struct {
	events   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	overflow *prometheus.CounterVec

	ttl                              time.Duration
	maxPools, maxClients, maxReasons int
	now                              func() time.Time

	mu      sync.Mutex
	pools   map[string]time.Time    // pool label → last seen
	clients map[[2]string]time.Time // (pool, client) labels → last seen
	reasons map[string]bool
	series  map[[4]string]time.Time // event series → last seen
	latSer  map[[2]string]time.Time // latency series → last seen
}

func newEventSeries(o Options) *eventSeries {
	return &eventSeries{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricUserEvents,
			Help: "User events received from the SNS topic, by type, user pool, app client and rejection reason."},
			[]string{"type", "user_pool_id", "client_id", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricTriggerLatency,
			Help:    "Time a Cognito trigger spent before answering, as reported in its events.",
			Buckets: LatencyBuckets}, []string{"type", "user_pool_id"}),
		overflow: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricOverflow,
			Help: "User events whose label value was replaced by \"other\" because its cap was reached, by label."},
			[]string{"label"}),
		ttl: o.SeriesTTL, maxPools: o.MaxPools, maxClients: o.MaxClients, maxReasons: o.MaxReasons, now: o.Now,
		pools: map[string]time.Time{}, clients: map[[2]string]time.Time{}, reasons: map[string]bool{},
		series: map[[4]string]time.Time{}, latSer: map[[2]string]time.Time{},
	}
}

// Describe implements prometheus.Collector.
func (s *eventSeries) Describe(ch chan<- *prometheus.Desc) {
	s.events.Describe(ch)
	s.latency.Describe(ch)
	s.overflow.Describe(ch)
}

// Collect implements prometheus.Collector: it expires old series first.
func (s *eventSeries) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	s.expireLocked(s.now())
	s.mu.Unlock()
	s.events.Collect(ch)
	s.latency.Collect(ch)
	s.overflow.Collect(ch)
}

func (s *eventSeries) expireLocked(now time.Time) {
	cutoff := now.Add(-s.ttl)
	for k, t := range s.series {
		if t.Before(cutoff) {
			s.events.DeleteLabelValues(k[0], k[1], k[2], k[3])
			delete(s.series, k)
		}
	}
	for k, t := range s.latSer {
		if t.Before(cutoff) {
			s.latency.DeleteLabelValues(k[0], k[1])
			delete(s.latSer, k)
		}
	}
	for k, t := range s.pools {
		if t.Before(cutoff) {
			delete(s.pools, k)
		}
	}
	for k, t := range s.clients {
		if t.Before(cutoff) {
			delete(s.clients, k)
		}
	}
}

// observe counts one event.
func (s *eventSeries) observe(e *event.Event) {
	now := s.now()
	s.mu.Lock()
	pool, client, reason := s.poolLocked(e.Data.UserPoolID, now), "", ""
	client = s.clientLocked(pool, e.Data.ClientID, now)
	if e.Type == event.SignUpRejected {
		reason = s.reasonLocked(e.Data.Reason)
	}
	typ := string(e.Type)
	s.series[[4]string{typ, pool, client, reason}] = now
	s.latSer[[2]string{typ, pool}] = now
	s.mu.Unlock()
	s.events.WithLabelValues(typ, pool, client, reason).Inc()
	s.latency.WithLabelValues(typ, pool).Observe(e.Data.LatencyMs / 1000)
}

func (s *eventSeries) poolLocked(pool string, now time.Time) string {
	if _, ok := s.pools[pool]; !ok && len(s.pools) >= s.maxPools {
		s.expireLocked(now)
		if len(s.pools) >= s.maxPools {
			s.overflow.WithLabelValues("user_pool_id").Inc()
			return Other
		}
	}
	s.pools[pool] = now
	return pool
}

func (s *eventSeries) clientLocked(pool, client string, now time.Time) string {
	if client == "" {
		return ""
	}
	k := [2]string{pool, client}
	if _, ok := s.clients[k]; !ok && len(s.clients) >= s.maxClients {
		s.expireLocked(now)
		if len(s.clients) >= s.maxClients {
			s.overflow.WithLabelValues("client_id").Inc()
			return Other
		}
	}
	s.clients[k] = now
	return client
}

// reasonLocked bounds rejection reasons: codes are few and stable
// (event.Reason*), but they come from the producer, so they are capped too.
func (s *eventSeries) reasonLocked(reason string) string {
	if s.reasons[reason] {
		return reason
	}
	if len(s.reasons) >= s.maxReasons || len(reason) > 64 {
		s.overflow.WithLabelValues("reason").Inc()
		return Other
	}
	s.reasons[reason] = true
	return reason
}
