package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/local/goaws"
)

// PullQueue is the queue the pull-mode exporter replicas share, as
// template.yaml's ExporterQueue.
const PullQueue = "cogwatch-exporter"

// pullMaxReceives is the pull queue's maxReceiveCount, as in template.yaml.
const pullMaxReceives = 5

// startPullExporters creates the pull queue (and its dead-letter queue),
// subscribes it to the topic with raw message delivery, and runs
// Options.PullReplicas exporters in pull mode on it, each serving its
// metrics on a loopback listener of its own. Their visibility timeout is
// the queue's, which goaws applies whatever a receive asks for.
func (s *Stack) startPullExporters(ctx context.Context) error {
	n := s.opts.PullReplicas
	if n <= 0 {
		return nil
	}
	vis := s.visibilityTimeout()
	wait := (vis / 2).Truncate(time.Second)
	if wait < time.Second {
		return fmt.Errorf("pull-mode exporters need a visibility timeout of at least 2s, not %s", vis)
	}
	dlq, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(PullQueue + "-dlq")})
	if err != nil {
		return fmt.Errorf("create queue %s-dlq: %w", PullQueue, err)
	}
	q := queue{name: PullQueue, arn: s.arn(PullQueue), dlqURL: aws.ToString(dlq.QueueUrl), dlqARN: s.arn(PullQueue + "-dlq")}
	out, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(PullQueue), Attributes: map[string]string{
		"VisibilityTimeout": fmt.Sprint(int(vis / time.Second)),
		"RedrivePolicy":     fmt.Sprintf(`{"maxReceiveCount":"%d","deadLetterTargetArn":%q}`, pullMaxReceives, q.dlqARN),
	}})
	if err != nil {
		return fmt.Errorf("create queue %s: %w", PullQueue, err)
	}
	q.url = aws.ToString(out.QueueUrl)
	if _, err := s.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(s.ends.TopicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(q.arn),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		return fmt.Errorf("subscribe %s: %w", PullQueue, err)
	}
	s.pullQueue = q
	for i := range n {
		if err := s.startPullExporter(ctx, i, q.url, vis, wait); err != nil {
			return fmt.Errorf("pull-mode exporter %d: %w", i, err)
		}
	}
	return nil
}

func (s *Stack) startPullExporter(ctx context.Context, i int, queueURL string, vis, wait time.Duration) error {
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(s.dir, fmt.Sprintf("exporter-pull-%d.log", i)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		metricsL.Close()
		return err
	}
	s.closers = append(s.closers, logFile.Close)
	var client exporter.SQSClient = s.sqs
	if s.opts.WrapPullSQS != nil {
		client = s.opts.WrapPullSQS(i, client)
	}
	reg := prometheus.NewRegistry()
	e, err := exporter.New(exporter.Options{
		SQSQueueURLs: []string{queueURL}, SQSClient: client,
		SQSWaitTime: wait, SQSVisibilityTimeout: vis,
		Registerer: reg, Gatherer: reg,
		Logger: logging.New(&lockedWriter{w: logFile}, func(string) string { return "" }),
	})
	if err != nil {
		metricsL.Close()
		return err
	}
	// Serve wants an SNS listener too; with no topic allowed it rejects
	// everything, and nothing is subscribed to it.
	snsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		metricsL.Close()
		return err
	}
	s.ends.PullExporters = append(s.ends.PullExporters, "http://"+metricsL.Addr().String())
	s.wg.Go(func() {
		if err := e.Serve(ctx, snsL, metricsL); err != nil && ctx.Err() == nil {
			s.crashed <- fmt.Errorf("pull-mode exporter %d: %w", i, err)
		}
	})
	return nil
}

// visibilityTimeout is the consumers' queues' visibility timeout.
func (s *Stack) visibilityTimeout() time.Duration {
	if s.opts.VisibilityTimeout <= 0 {
		return 30 * time.Second
	}
	return s.opts.VisibilityTimeout
}

func (s *Stack) arn(queue string) string {
	return "arn:aws:sqs:" + Region + ":" + goaws.AccountID + ":" + queue
}

// scrapePullExporters scrapes every pull-mode replica's /metrics as
// Prometheus would, one map per replica.
func (s *Stack) scrapePullExporters(ctx context.Context) ([]map[string]float64, error) {
	var out []map[string]float64
	for _, u := range s.ends.PullExporters {
		m, err := scrapeMetrics(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
