package main

import (
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o *exporter.Options)
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o *exporter.Options) {
			require.Equal(t, []string{":9877"}, *o.Web.WebListenAddresses)
			require.Empty(t, *o.Web.WebConfigFile)
			require.Equal(t, ":9878", o.SNSListenAddress)
			require.Empty(t, o.Topics)
			require.Empty(t, o.TrustedURLPrefixes)
			require.Equal(t, time.Hour, o.MaxAge)
			require.Equal(t, 5*time.Minute, o.MaxSkew)
			require.EqualValues(t, 1<<20, o.MaxBodyBytes)
			require.Equal(t, 24*time.Hour, o.SeriesTTL)
			require.Equal(t, exporter.DefaultMaxPools, o.MaxPools)
			require.Equal(t, exporter.DefaultSNSMaxConnections, o.SNSMaxConnections)
			require.Equal(t, exporter.DefaultWebMaxConnections, o.WebMaxConnections)
			require.Equal(t, 20*time.Second, o.ReadTimeout)
			require.Equal(t, time.Minute, o.WriteTimeout)
			require.Equal(t, time.Minute, o.IdleTimeout)
			require.Empty(t, o.DedupeFile)
			require.Equal(t, 30*time.Second, o.DedupeSaveEvery)
			require.Empty(t, o.SQSQueueURLs)
			require.Equal(t, 2, o.SQSReceivers)
			require.Equal(t, 20*time.Second, o.SQSWaitTime)
			require.Equal(t, 30*time.Second, o.SQSVisibilityTimeout)
			require.Equal(t, 10*time.Second, o.SQSCallTimeout)
		}},
		{name: "pull mode", args: []string{
			"--sqs.queue-url=https://sqs.us-east-1.amazonaws.com/123456789012/a",
			"--sqs.queue-url=https://sqs.us-east-1.amazonaws.com/123456789012/b",
			"--sqs.receivers=4", "--sqs.wait-time=5s", "--sqs.visibility-timeout=1m", "--sqs.call-timeout=3s",
		}, check: func(t *testing.T, o *exporter.Options) {
			require.Equal(t, []string{"https://sqs.us-east-1.amazonaws.com/123456789012/a",
				"https://sqs.us-east-1.amazonaws.com/123456789012/b"}, o.SQSQueueURLs)
			require.Equal(t, 4, o.SQSReceivers)
			require.Equal(t, 5*time.Second, o.SQSWaitTime)
			require.Equal(t, time.Minute, o.SQSVisibilityTimeout)
			require.Equal(t, 3*time.Second, o.SQSCallTimeout)
		}},
		{name: "contract flags", args: []string{
			"--web.listen-address=127.0.0.1:1", "--web.config.file=web.yml", "--sns.listen-address=127.0.0.1:2",
			"--sns.topic-arn=arn:aws:sns:us-east-1:123456789012:a", "--sns.topic-arn=arn:aws:sns:us-east-1:123456789012:b",
			"--sns.trust-cert-url-prefix=http://127.0.0.1:4100/", "--sns.max-age=2h", "--sns.max-body-size=256KiB",
			"--metrics.series-ttl=30m", "--metrics.max-pools=3",
			"--sns.max-connections=10", "--web.max-connections=5", "--web.read-timeout=7s", "--web.write-timeout=9s",
			"--web.idle-timeout=11s", "--sns.dedupe-file=/var/lib/cogwatch/dedupe", "--sns.dedupe-save-interval=5s",
		}, check: func(t *testing.T, o *exporter.Options) {
			require.Equal(t, []string{"127.0.0.1:1"}, *o.Web.WebListenAddresses)
			require.Equal(t, "web.yml", *o.Web.WebConfigFile)
			require.Equal(t, "127.0.0.1:2", o.SNSListenAddress)
			require.Equal(t, []string{"arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:123456789012:b"}, o.Topics)
			require.Equal(t, []string{"http://127.0.0.1:4100/"}, o.TrustedURLPrefixes)
			require.Equal(t, 2*time.Hour, o.MaxAge)
			require.EqualValues(t, 256<<10, o.MaxBodyBytes)
			require.Equal(t, 30*time.Minute, o.SeriesTTL)
			require.Equal(t, 3, o.MaxPools)
			require.Equal(t, 10, o.SNSMaxConnections)
			require.Equal(t, 5, o.WebMaxConnections)
			require.Equal(t, 7*time.Second, o.ReadTimeout)
			require.Equal(t, 9*time.Second, o.WriteTimeout)
			require.Equal(t, 11*time.Second, o.IdleTimeout)
			require.Equal(t, "/var/lib/cogwatch/dedupe", o.DedupeFile)
			require.Equal(t, 5*time.Second, o.DedupeSaveEvery)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := kingpin.New("test", "")
			o := flags(app)
			_, err := app.Parse(tc.args)
			require.NoError(t, err)
			tc.check(t, o)
		})
	}
}

func TestBadFlagsExit2(t *testing.T) {
	require.Equal(t, 2, run([]string{"--sns.max-age=soon"}))
	require.Equal(t, 2, run([]string{"--no-such-flag"}))
}

func TestBadPullModeExit1(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	require.Equal(t, 1, run([]string{"--sqs.queue-url=http://127.0.0.1:1/q", "--sqs.wait-time=30s", "--log.level=error"}))
	require.Equal(t, 1, run([]string{"--sqs.queue-url=http://127.0.0.1:1/q", "--sqs.visibility-timeout=20s", "--log.level=error"}))
}

func TestBadTopicExit1(t *testing.T) {
	require.Equal(t, 1, run([]string{"--sns.topic-arn=user-events", "--log.level=error"}))
}
