package exporter

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
)

// Defaults of Options' zero fields.
const (
	DefaultSNSListenAddress     = ":9878"
	DefaultWebListenAddress     = ":9877"
	DefaultMaxBodyBytes         = 1 << 20
	DefaultMaxInFlight          = 256
	DefaultDedupeSize           = 100_000
	DefaultDedupeSaveEvery      = 30 * time.Second
	DefaultSNSMaxConnections    = 1024
	DefaultWebMaxConnections    = 64
	DefaultSeriesTTL            = 24 * time.Hour
	DefaultMaxPools             = 100
	DefaultMaxClients           = 1000
	DefaultMaxReasons           = 32
	DefaultFetchTimeout         = 5 * time.Second
	DefaultReadHeaderTimeout    = 10 * time.Second
	DefaultReadTimeout          = 20 * time.Second
	DefaultWriteTimeout         = time.Minute
	DefaultIdleTimeout          = time.Minute
	DefaultShutdownTimeout      = 10 * time.Second
	DefaultSQSWaitTime          = 20 * time.Second
	DefaultSQSVisibilityTimeout = 30 * time.Second
	DefaultSQSCallTimeout       = 10 * time.Second
	DefaultSQSReceivers         = 2
)

// Options configures an Exporter. The zero value works: it serves metrics and
// health, and rejects every SNS message until Topics allows a topic.
type Options struct {
	// Topics is the allow-list of SNS topic ARNs (--sns.topic-arn).
	Topics []string
	// TrustedURLPrefixes trusts an emulator's certificate and subscribe URLs
	// (--sns.trust-cert-url-prefix), e.g. http://127.0.0.1:4100/ for goaws.
	TrustedURLPrefixes []string
	// MaxAge and MaxSkew bound how old, and how far in the future, a
	// message's Timestamp may be (snsverify's defaults: 1h and 5m).
	MaxAge, MaxSkew time.Duration
	// CertCacheSize and CertCacheTTL bound the signing-certificate cache
	// (snsverify's defaults: 64 entries, 24h).
	CertCacheSize int
	CertCacheTTL  time.Duration
	// HTTPClient fetches certificates and confirms subscriptions; nil means
	// a default client. Redirects are never followed.
	HTTPClient *http.Client
	// FetchTimeout bounds a certificate fetch and a confirmation
	// (default DefaultFetchTimeout).
	FetchTimeout time.Duration
	// MaxBodyBytes bounds a request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxInFlight bounds the SNS requests verified and handled at once; more
	// get 503 (default DefaultMaxInFlight). A request takes its slot only once
	// its whole body has arrived, so slow senders do not hold slots.
	MaxInFlight int
	// DedupeSize is how many messages to reserve memory for, at start, to
	// drop duplicates (default DefaultDedupeSize). It is not a bound: every
	// message is remembered until its signed Timestamp is MaxAge old, when
	// the verifier refuses it anyway.
	DedupeSize int
	// DedupeFile, if set, keeps the remembered messages across restarts: it
	// is loaded by New and written by Run and Serve every DedupeSaveEvery
	// and on shutdown (--sns.dedupe-file).
	DedupeFile string
	// DedupeSaveEvery is how often DedupeFile is written (default
	// DefaultDedupeSaveEvery).
	DedupeSaveEvery time.Duration
	// SeriesTTL is how long the series of a pool or client that stopped
	// sending stay exposed (default DefaultSeriesTTL).
	SeriesTTL time.Duration
	// MaxPools, MaxClients and MaxReasons cap distinct label values; beyond
	// them events count under "other" (defaults DefaultMaxPools,
	// DefaultMaxClients, DefaultMaxReasons).
	MaxPools, MaxClients, MaxReasons int
	// Registerer receives the metrics and Gatherer serves them. Nil means a
	// new registry (with Go and process collectors when Run or Serve use it);
	// never the global default registry.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// Logger logs; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	// SQSQueueURLs are the queues Run and Serve pull from (--sqs.queue-url),
	// each subscribed to the topic; see Pull.
	SQSQueueURLs []string
	// SQSClient receives and deletes SQS messages; pull mode needs it.
	SQSClient SQSClient
	// SQSReceivers is how many receive loops (Pull) Run and Serve run on
	// each queue: each waits for its receive and delete round trips in
	// turn (default DefaultSQSReceivers).
	SQSReceivers int
	// SQSWaitTime is a receive's long-poll time, at most 20s (default
	// DefaultSQSWaitTime).
	SQSWaitTime time.Duration
	// SQSVisibilityTimeout is asked for on every receive: how long SQS hides
	// a received message from other replicas, in whole seconds (default
	// DefaultSQSVisibilityTimeout).
	SQSVisibilityTimeout time.Duration
	// SQSCallTimeout bounds a delete, and a receive beyond its wait time
	// (default DefaultSQSCallTimeout).
	SQSCallTimeout time.Duration

	// The fields below are used by Run and Serve only.

	// SNSListenAddress is the SNS listener's address (--sns.listen-address,
	// default DefaultSNSListenAddress).
	SNSListenAddress string
	// SNSWebConfigFile is an exporter-toolkit web configuration file for the
	// SNS listener (TLS; basic auth, which SNS supports in endpoint URLs).
	SNSWebConfigFile string
	// Web configures the metrics listener (--web.listen-address,
	// --web.config.file). Nil means DefaultWebListenAddress, no TLS.
	Web *web.FlagConfig
	// ReadHeaderTimeout, ReadTimeout (a whole request, body included),
	// WriteTimeout (from the end of the headers to the end of the response)
	// and IdleTimeout (between keep-alive requests) of both servers
	// (defaults DefaultReadHeaderTimeout, DefaultReadTimeout,
	// DefaultWriteTimeout, DefaultIdleTimeout).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// SNSMaxConnections and WebMaxConnections cap the open connections of
	// the SNS and the metrics listener (defaults DefaultSNSMaxConnections,
	// DefaultWebMaxConnections). At the cap, a new connection closes the one
	// that has waited longest without a request being handled.
	SNSMaxConnections, WebMaxConnections int
	// ShutdownTimeout bounds the graceful shutdown (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
}

func (o Options) withDefaults() Options {
	setInt := func(p *int, def int) {
		if *p <= 0 {
			*p = def
		}
	}
	setDur := func(p *time.Duration, def time.Duration) {
		if *p <= 0 {
			*p = def
		}
	}
	setInt(&o.MaxInFlight, DefaultMaxInFlight)
	setInt(&o.DedupeSize, DefaultDedupeSize)
	setInt(&o.MaxPools, DefaultMaxPools)
	setInt(&o.MaxClients, DefaultMaxClients)
	setInt(&o.MaxReasons, DefaultMaxReasons)
	setInt(&o.SNSMaxConnections, DefaultSNSMaxConnections)
	setInt(&o.WebMaxConnections, DefaultWebMaxConnections)
	setDur(&o.MaxAge, snsverify.DefaultMaxAge)
	setDur(&o.MaxSkew, snsverify.DefaultMaxSkew)
	setDur(&o.DedupeSaveEvery, DefaultDedupeSaveEvery)
	setDur(&o.SeriesTTL, DefaultSeriesTTL)
	setDur(&o.FetchTimeout, DefaultFetchTimeout)
	setDur(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDur(&o.ReadTimeout, DefaultReadTimeout)
	setDur(&o.WriteTimeout, DefaultWriteTimeout)
	setDur(&o.IdleTimeout, DefaultIdleTimeout)
	setDur(&o.ShutdownTimeout, DefaultShutdownTimeout)
	setInt(&o.SQSReceivers, DefaultSQSReceivers)
	setDur(&o.SQSWaitTime, DefaultSQSWaitTime)
	setDur(&o.SQSVisibilityTimeout, DefaultSQSVisibilityTimeout)
	setDur(&o.SQSCallTimeout, DefaultSQSCallTimeout)
	o.SQSVisibilityTimeout = max(o.SQSVisibilityTimeout.Truncate(time.Second), time.Second)
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.SNSListenAddress == "" {
		o.SNSListenAddress = DefaultSNSListenAddress
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
