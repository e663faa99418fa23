// Command cogwatch-exporter receives cogwatch user events as SNS HTTP(S)
// notifications and serves them as Prometheus metrics. See docs/exporter.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/alecthomas/units"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/internal/awsconf"
)

func main() { os.Exit(run(os.Args[1:])) }

// run parses args, then serves until SIGINT or SIGTERM. Exit codes: 0 after a
// graceful shutdown, 2 for bad flags, 1 when a server fails.
func run(args []string) int {
	app := kingpin.New("cogwatch-exporter", "Receives cogwatch user events from SNS over HTTP(S) and exposes them to Prometheus.")
	o := flags(app)
	logCfg := &promslog.Config{}
	promslogflag.AddFlags(app, logCfg)
	app.Version(version.Print("cogwatch-exporter"))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	o.Logger = promslog.New(logCfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(o.SQSQueueURLs) > 0 {
		cfg, err := awsconf.Load(ctx, os.Getenv)
		if err != nil {
			o.Logger.Error("pull mode needs an AWS configuration", "err", err)
			return 1
		}
		o.SQSClient = sqs.NewFromConfig(cfg)
	}
	o.Logger.Info("starting cogwatch-exporter", "version", version.Info(), "topics", o.Topics, "queues", o.SQSQueueURLs)
	if err := exporter.Run(ctx, *o); err != nil {
		o.Logger.Error("exporter failed", "err", err)
		return 1
	}
	o.Logger.Info("cogwatch-exporter stopped")
	return 0
}

// flags declares every flag on app and returns the Options they fill.
func flags(app *kingpin.Application) *exporter.Options {
	o := &exporter.Options{}
	o.Web = kingpinflag.AddFlags(app, exporter.DefaultWebListenAddress)
	app.Flag("sns.listen-address", "Address of the SNS receiver (POST /sns), apart from /metrics.").
		Default(exporter.DefaultSNSListenAddress).StringVar(&o.SNSListenAddress)
	app.Flag("sns.web.config.file", "exporter-toolkit web configuration file for the SNS listener (TLS, basic auth).").
		Default("").StringVar(&o.SNSWebConfigFile)
	app.Flag("sns.topic-arn", "SNS topic ARN to accept messages from. Messages of other topics are rejected and their subscriptions never confirmed.").
		StringsVar(&o.Topics)
	app.Flag("sns.trust-cert-url-prefix", "Trust certificate and subscribe URLs under this prefix, e.g. http://127.0.0.1:4100/ for goaws. For local emulators only: whoever serves the prefix can sign messages.").
		StringsVar(&o.TrustedURLPrefixes)
	app.Flag("sns.max-age", "Oldest message Timestamp accepted (SNS keeps it across retries).").
		Default("1h").DurationVar(&o.MaxAge)
	app.Flag("sns.max-clock-skew", "How far in the future a message Timestamp may be.").
		Default("5m").DurationVar(&o.MaxSkew)
	app.Flag("sns.max-body-size", "Largest request body accepted on /sns.").
		Default("1MiB").BytesVar((*units.Base2Bytes)(&o.MaxBodyBytes))
	app.Flag("sns.max-in-flight", "SNS requests verified at once, each once its whole body is in; more are answered 503 so that SNS retries.").
		Default(fmt.Sprint(exporter.DefaultMaxInFlight)).IntVar(&o.MaxInFlight)
	app.Flag("sns.max-connections", "Open connections to the SNS listener. At the cap, a new connection closes the one waiting longest without a request being handled.").
		Default(fmt.Sprint(exporter.DefaultSNSMaxConnections)).IntVar(&o.SNSMaxConnections)
	app.Flag("sns.dedupe-size", "Messages to reserve memory for at start, to drop duplicates. Not a bound: every message is remembered until it is --sns.max-age old.").
		Default(fmt.Sprint(exporter.DefaultDedupeSize)).IntVar(&o.DedupeSize)
	app.Flag("sns.dedupe-file", "File that keeps the remembered messages across restarts, written atomically every --sns.dedupe-save-interval and on shutdown. Unset: a restart forgets them.").
		Default("").StringVar(&o.DedupeFile)
	app.Flag("sns.dedupe-save-interval", "How often --sns.dedupe-file is written.").
		Default(exporter.DefaultDedupeSaveEvery.String()).DurationVar(&o.DedupeSaveEvery)
	app.Flag("sns.cert-cache-size", "Signing certificates cached.").
		Default("64").IntVar(&o.CertCacheSize)
	app.Flag("sns.cert-cache-ttl", "How long a signing certificate stays cached.").
		Default("24h").DurationVar(&o.CertCacheTTL)
	app.Flag("sns.fetch-timeout", "Timeout of a certificate fetch or a subscription confirmation.").
		Default(exporter.DefaultFetchTimeout.String()).DurationVar(&o.FetchTimeout)
	app.Flag("sqs.queue-url", "Pull mode: SQS queue, subscribed to the topic (raw or enveloped delivery), to long-poll, count and delete from. Credentials and region come from the AWS SDK's default chain.").
		StringsVar(&o.SQSQueueURLs)
	app.Flag("sqs.receivers", "Receive loops per queue, each waiting for its receive and delete round trips in turn.").
		Default(fmt.Sprint(exporter.DefaultSQSReceivers)).IntVar(&o.SQSReceivers)
	app.Flag("sqs.wait-time", "Long-poll time of each SQS receive, at most 20s.").
		Default(exporter.DefaultSQSWaitTime.String()).DurationVar(&o.SQSWaitTime)
	app.Flag("sqs.visibility-timeout", "Visibility timeout asked for on each SQS receive, in whole seconds, longer than --sqs.wait-time: a message is counted once its delete is confirmed within it, else left for its next receiver.").
		Default(exporter.DefaultSQSVisibilityTimeout.String()).DurationVar(&o.SQSVisibilityTimeout)
	app.Flag("sqs.call-timeout", "Timeout of an SQS delete, and of a receive beyond its wait time.").
		Default(exporter.DefaultSQSCallTimeout.String()).DurationVar(&o.SQSCallTimeout)
	app.Flag("metrics.series-ttl", "Series of user pools and app clients not seen for this long are dropped.").
		Default("24h").DurationVar(&o.SeriesTTL)
	app.Flag("metrics.max-pools", "Distinct user_pool_id label values; more count as \"other\".").
		Default(fmt.Sprint(exporter.DefaultMaxPools)).IntVar(&o.MaxPools)
	app.Flag("metrics.max-clients", "Distinct (user_pool_id, client_id) pairs; more count as client_id=\"other\".").
		Default(fmt.Sprint(exporter.DefaultMaxClients)).IntVar(&o.MaxClients)
	app.Flag("metrics.max-reasons", "Distinct rejection reason label values; more count as \"other\".").
		Default(fmt.Sprint(exporter.DefaultMaxReasons)).IntVar(&o.MaxReasons)
	app.Flag("web.read-header-timeout", "Time allowed to read request headers, on both listeners.").
		Default(exporter.DefaultReadHeaderTimeout.String()).DurationVar(&o.ReadHeaderTimeout)
	app.Flag("web.read-timeout", "Time allowed to read a whole request, body included, on both listeners.").
		Default(exporter.DefaultReadTimeout.String()).DurationVar(&o.ReadTimeout)
	app.Flag("web.write-timeout", "Time allowed from the end of a request's headers to the end of its response, on both listeners; at least --web.read-timeout plus twice --sns.fetch-timeout.").
		Default("1m").DurationVar(&o.WriteTimeout)
	app.Flag("web.idle-timeout", "Time a keep-alive connection may wait for its next request, on both listeners.").
		Default("1m").DurationVar(&o.IdleTimeout)
	app.Flag("web.max-connections", "Open connections to the metrics listener. At the cap, a new connection closes the one waiting longest without a request being handled.").
		Default(fmt.Sprint(exporter.DefaultWebMaxConnections)).IntVar(&o.WebMaxConnections)
	app.Flag("web.shutdown-timeout", "Time allowed for in-flight requests on SIGINT or SIGTERM.").
		Default(exporter.DefaultShutdownTimeout.String()).DurationVar(&o.ShutdownTimeout)
	return o
}
