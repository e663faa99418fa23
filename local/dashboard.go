package local

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/local/dashboard"
	"github.com/cogwatch/cogwatch/local/eventsource"
	"github.com/cogwatch/cogwatch/local/lambdahost"
)

// DashboardPath is where the local dashboard page is served on the Lambda
// host's listener; its data is at DashboardPath + "series".
const DashboardPath = "/dashboard/"

// metricsRetention is how long the stack keeps metric samples for the page.
const metricsRetention = time.Hour

// dashboardParams fills the dashboards' placeholders with the names of what
// the stack created: the pool, the functions (by logical id, as the host
// names them), the topic and the queues.
func (s *Stack) dashboardParams() dashboards.Params {
	p := dashboards.Params{
		"UserPool":                           s.ends.UserPoolID,
		"UserEventsTopic.TopicName":          TopicName,
		"AWS::Region":                        Region,
		"CloudWatchConsumerQueue.QueueName":  cloudWatchQueue,
		"EventBridgeConsumerQueue.QueueName": eventBridgeQueue,
		"CloudWatchConsumerDLQ.QueueName":    cloudWatchQueue + "-dlq",
		"EventBridgeConsumerDLQ.QueueName":   eventBridgeQueue + "-dlq",
	}
	for _, f := range dashboards.Functions {
		p[f.LogicalID] = f.LogicalID
	}
	return p
}

// mountDashboard serves the local dashboard page from now on; until then
// DashboardPath answers 503.
func (s *Stack) mountDashboard() {
	h := http.StripPrefix(strings.TrimSuffix(DashboardPath, "/"), dashboard.LocalPage(s.metrics, s.dashboardParams(), nil))
	s.page.Store(&h)
	s.ends.Dashboard = s.ends.Lambda + DashboardPath
}

// serveHostListener routes the Lambda host's listener: the dashboard page under
// DashboardPath, the Invoke API everywhere else.
func (s *Stack) serveHostListener(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == strings.TrimSuffix(DashboardPath, "/"):
		http.Redirect(w, r, DashboardPath, http.StatusMovedPermanently)
	case strings.HasPrefix(r.URL.Path, DashboardPath):
		h := s.page.Load()
		if h == nil {
			http.Error(w, "the local stack is starting", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	default:
		s.host.ServeHTTP(w, r)
	}
}

// storeCalls wraps the recorded PutMetricData calls so that every call
// recorded also reaches the page's store, as CloudWatch would keep it.
func (s *Stack) storeCalls(record func(io.Writer) cloudwatch.PutMetricDataFunc) func(io.Writer) cloudwatch.PutMetricDataFunc {
	return func(w io.Writer) cloudwatch.PutMetricDataFunc {
		put := record(w)
		return func(ctx context.Context, in *cw.PutMetricDataInput, opts ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
			out, err := put(ctx, in, opts...)
			if err == nil {
				s.metrics.AddMetricData(in)
			}
			return out, err
		}
	}
}

// measured wraps fn's handler so that every invocation reaching it adds
// the samples Lambda publishes in AWS/Lambda to the page's store:
// Invocations, Duration (ms), Errors (1 for a returned error or a panic, else
// 0) and Throttles (0: the host never throttles), by FunctionName. Warm-up
// invocations, answered before the handler, are not counted; a timed-out
// invocation is counted when its handler returns.
func (s *Stack) measured(fn lambdahost.Function) lambdahost.Function {
	build := fn.New
	fn.New = func(ctx context.Context) (lambda.Handler, error) {
		h, err := build(ctx)
		if err != nil {
			return nil, err
		}
		return measuredHandler{Handler: h, name: fn.Name, store: s.metrics}, nil
	}
	return fn
}

type measuredHandler struct {
	lambda.Handler
	name  string
	store *dashboard.Store
}

func (m measuredHandler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	begun := time.Now()
	failed := 1.0 // until the handler returns without error: a panic is an error
	defer func() {
		dims := map[string]string{"FunctionName": m.name}
		m.store.Add(dashboards.NSLambda, "Invocations", dims, begun, 1)
		m.store.Add(dashboards.NSLambda, "Duration", dims, begun, float64(time.Since(begun).Microseconds())/1000)
		m.store.Add(dashboards.NSLambda, "Errors", dims, begun, failed)
		m.store.Add(dashboards.NSLambda, "Throttles", dims, begun, 0)
	}()
	out, err = m.Handler.Invoke(ctx, payload)
	if err == nil {
		failed = 0
	}
	return out, err
}

// published wraps the tap's invocation: each message the topic delivered to
// the stack's own queue is one AWS/SNS NumberOfMessagesPublished sample of
// the topic, as SNS would count its publication.
func (s *Stack) published(invoke eventsource.InvokeFunc) eventsource.InvokeFunc {
	dims := map[string]string{"TopicName": TopicName}
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := invoke(ctx, payload)
		if err == nil {
			var ev events.SQSEvent
			if json.Unmarshal(payload, &ev) == nil {
				now := time.Now()
				for range ev.Records {
					s.metrics.Add(dashboards.NSSNS, "NumberOfMessagesPublished", dims, now, 1)
				}
			}
		}
		return out, err
	}
}

// queueSampleInterval is how often the stack samples its queues' depth for
// the page (SQS publishes it every minute; the page's steps are 10 s).
const queueSampleInterval = 10 * time.Second

// startQueueSampler samples every consumer queue's and dead-letter queue's
// ApproximateNumberOfMessagesVisible into the page's store, by QueueName,
// at once and then every queueSampleInterval, until ctx ends.
func (s *Stack) startQueueSampler(ctx context.Context) {
	var names []string
	for _, name := range consumerQueues() {
		names = append(names, name, name+"-dlq")
	}
	urls := map[string]string{}
	for _, name := range consumerQueues() {
		q := s.queues[name]
		urls[name], urls[name+"-dlq"] = q.url, q.dlqURL
	}
	sample := func() {
		for _, name := range names {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			out, err := s.sqs.GetQueueAttributes(cctx, &sqs.GetQueueAttributesInput{
				QueueUrl:       aws.String(urls[name]),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
			})
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "queue depth not sampled", "queue", name, "err", err)
				}
				continue
			}
			n, err := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
			if err != nil {
				s.log.WarnContext(ctx, "queue depth not sampled", "queue", name, "err", err)
				continue
			}
			s.metrics.Add(dashboards.NSSQS, "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": name}, time.Now(), float64(n))
		}
	}
	s.wg.Go(func() {
		t := time.NewTicker(queueSampleInterval)
		defer t.Stop()
		for {
			sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// lineWriter hands w whole lines only, keeping a partial line until its
// end arrives: each function's log reaches the shared store line by line,
// never interleaved with another function's. A line longer than maxLine is
// dropped whole, as CloudWatch Logs would refuse it.
type lineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
	skip    bool // dropping the rest of a line that grew too long
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rest := p
	if l.skip {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.skip, rest = false, rest[i+1:]
	}
	if i := bytes.LastIndexByte(rest, '\n'); i >= 0 {
		if len(l.partial) > 0 {
			_, _ = l.w.Write(append(l.partial, rest[:i+1]...))
			l.partial = nil
		} else {
			_, _ = l.w.Write(rest[:i+1])
		}
		rest = rest[i+1:]
	}
	if l.partial = append(l.partial, rest...); len(l.partial) > maxLine {
		l.partial, l.skip = nil, true
	}
	return len(p), nil
}

// maxLine is CloudWatch Logs' limit on one event.
const maxLine = 1 << 20
