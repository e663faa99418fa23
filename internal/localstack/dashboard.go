package localstack

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/dashboards"
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
	h := http.StripPrefix(strings.TrimSuffix(DashboardPath, "/"), dashboards.LocalPage(s.metrics, s.dashboardParams(), nil))
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
