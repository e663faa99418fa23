package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/consumers/logforwarder"
	"github.com/cogwatch/cogwatch/local/lambdahost"
)

// LogForwarderFunction is the log forwarder's name on the host, the
// template's logical id.
const LogForwarderFunction = "LogForwarderFunction"

// LogForwarderDeadLetterFile holds, one JSON line each, the payloads the
// forwarder failed three times (Lambda's asynchronous retries), as the
// template's on-failure destination would.
const LogForwarderDeadLetterFile = "log-forwarder-dlq.jsonl"

// Subscription delivery, as CloudWatch Logs does it for a Lambda subscriber:
// event lines are batched per log group for a short window, the forwarder is
// invoked asynchronously, and a failed invocation is retried twice.
const (
	subscriptionWindow = 200 * time.Millisecond
	subscriptionRetry  = time.Second // Lambda waits a minute, then two; shortened here
	subscriptionFilter = "cogwatch-user-events"
)

func init() { builders = append(builders, (*Stack).logForwarderFunctions) }

// forwarderDeployed says whether the stack runs the log forwarder: with the
// log sink always, with the SNS sink when asked (as the template's
// DeployLogForwarder condition).
func (s *Stack) forwarderDeployed() bool { return s.opts.EventSink == "log" || s.opts.LogForwarder }

// eventSink is the triggers' COGWATCH_EVENT_SINK.
func (s *Stack) eventSink() string {
	if s.opts.EventSink == "" {
		return "sns"
	}
	return s.opts.EventSink
}

// triggerSNS is the SNS endpoint the triggers publish to.
func (s *Stack) triggerSNS() string {
	if s.opts.TriggerSNS != nil {
		return s.opts.TriggerSNS(s.ends.SNS)
	}
	return s.ends.SNS
}

// logForwarderFunctions builds the forwarder as cmd/log-forwarder does; it
// publishes to goaws directly (AWS_ENDPOINT_URL_SNS), never through
// TriggerSNS.
func (s *Stack) logForwarderFunctions() ([]lambdahost.Function, error) {
	if !s.forwarderDeployed() {
		return nil, nil
	}
	w, err := s.functionLog(LogForwarderFunction)
	if err != nil {
		return nil, err
	}
	getenv := s.env(map[string]string{
		"USER_EVENTS_TOPIC_ARN":   s.ends.TopicARN,
		"AWS_ENDPOINT_URL_SNS":    s.ends.SNS,
		"POWERTOOLS_SERVICE_NAME": "cogwatch-local",
	})
	return []lambdahost.Function{{Name: LogForwarderFunction, Timeout: time.Minute,
		New: func(ctx context.Context) (lambda.Handler, error) { return logforwarder.FromEnv(ctx, getenv, w) }}}, nil
}

// subscribed returns w with the log group of function subscribed to the
// forwarder: every line still goes to w, and the event lines also to the
// subscription.
func (s *Stack) subscribed(function string, w io.Writer) io.Writer {
	if !s.forwarderDeployed() {
		return w
	}
	if s.sub == nil {
		s.sub = &subscription{pending: map[string][]events.CloudwatchLogsLogEvent{}}
	}
	return io.MultiWriter(w, &lineWriter{w: s.sub.group("/cogwatch/local/" + function)})
}

// subscription is a CloudWatch Logs subscription filter
// ({ $.cogwatch = "event" }) of the trigger log groups, delivering to the
// forwarder on the host.
type subscription struct {
	mu          sync.Mutex
	pending     map[string][]events.CloudwatchLogsLogEvent // by log group
	inflight    int
	seq         int
	deadLetters int
	delivered   int // log events handed to the forwarder successfully
}

// groupWriter receives whole lines of one log group.
type groupWriter struct {
	sub   *subscription
	group string
}

func (sub *subscription) group(name string) io.Writer { return &groupWriter{sub: sub, group: name} }

func (g *groupWriter) Write(p []byte) (int, error) {
	for line := range bytes.Lines(p) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		var probe struct {
			Cogwatch string `json:"cogwatch"`
		}
		if json.Unmarshal(line, &probe) != nil || probe.Cogwatch != "event" {
			continue // the filter pattern does not match
		}
		g.sub.mu.Lock()
		g.sub.seq++
		g.sub.pending[g.group] = append(g.sub.pending[g.group], events.CloudwatchLogsLogEvent{
			ID: fmt.Sprintf("%056d", g.sub.seq), Timestamp: time.Now().UnixMilli(), Message: string(line)})
		g.sub.mu.Unlock()
	}
	return len(p), nil
}

// busy counts the event lines not yet handed to the forwarder, and the
// deliveries under way.
func (sub *subscription) busy() int {
	if sub == nil {
		return 0
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	n := sub.inflight
	for _, evs := range sub.pending {
		n += len(evs)
	}
	return n
}

// startLogSubscription delivers the subscription's batches every window
// until ctx ends.
func (s *Stack) startLogSubscription(ctx context.Context) {
	if s.sub == nil {
		return
	}
	dlq, err := os.OpenFile(filepath.Join(s.dir, LogForwarderDeadLetterFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.log.ErrorContext(ctx, "log subscription: no dead-letter file", "err", err)
		return
	}
	s.closers = append(s.closers, dlq.Close)
	var dlqMu sync.Mutex
	s.wg.Go(func() {
		t := time.NewTicker(subscriptionWindow)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.sub.mu.Lock()
			batches := s.sub.pending
			s.sub.pending = map[string][]events.CloudwatchLogsLogEvent{}
			s.sub.inflight += len(batches)
			s.sub.mu.Unlock()
			groups := make([]string, 0, len(batches))
			for g := range batches {
				groups = append(groups, g)
			}
			slices.Sort(groups)
			for _, g := range groups {
				payload, err := subscriptionPayload(g, batches[g])
				if err != nil {
					s.log.ErrorContext(ctx, "log subscription: payload", "err", err)
					continue
				}
				n := len(batches[g])
				s.wg.Go(func() {
					ok := s.deliver(ctx, payload)
					s.sub.mu.Lock()
					s.sub.inflight--
					if ok {
						s.sub.delivered += n
					} else {
						s.sub.deadLetters++
					}
					s.sub.mu.Unlock()
					if !ok {
						dlqMu.Lock()
						_, _ = dlq.Write(append(payload, '\n'))
						dlqMu.Unlock()
					}
				})
			}
		}
	})
}

// deliver invokes the forwarder with payload as an asynchronous invocation:
// up to three attempts.
func (s *Stack) deliver(ctx context.Context, payload []byte) bool {
	for attempt := 1; attempt <= 3; attempt++ {
		_, err := s.host.Invoke(context.WithoutCancel(ctx), LogForwarderFunction, payload)
		if err == nil {
			return true
		}
		s.log.WarnContext(ctx, "log forwarder failed", "attempt", attempt, "err", err)
		if attempt < 3 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(subscriptionRetry):
			}
		}
	}
	return false
}

// subscriptionPayload encodes log events as CloudWatch Logs sends them to a
// Lambda subscriber: {"awslogs":{"data":base64(gzip(JSON))}}.
func subscriptionPayload(group string, evs []events.CloudwatchLogsLogEvent) ([]byte, error) {
	raw, err := json.Marshal(events.CloudwatchLogsData{
		Owner: lambdahost.AccountID, LogGroup: group, LogStream: time.Now().UTC().Format("2006/01/02") + "/[$LATEST]local",
		SubscriptionFilters: []string{subscriptionFilter}, MessageType: "DATA_MESSAGE", LogEvents: evs,
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return json.Marshal(events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}})
}

// LogSubscription counts what the trigger logs' subscription did: event
// lines handed to the forwarder, and payloads that went to the dead-letter
// file after three failed invocations.
func (s *Stack) LogSubscription() (delivered, deadLetters int) {
	if s.sub == nil {
		return 0, 0
	}
	s.sub.mu.Lock()
	defer s.sub.mu.Unlock()
	return s.sub.delivered, s.sub.deadLetters
}

// DeliveryDelays returns, for every event the stack's own subscriber (the
// tap) received, the time from the event (the trigger's start) to its
// receipt: the end-to-end delay from trigger to subscriber.
func (s *Stack) DeliveryDelays() []time.Duration {
	if s.tap == nil {
		return nil
	}
	s.tap.mu.Lock()
	defer s.tap.mu.Unlock()
	return slices.Clone(s.tap.delays)
}
