package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/local/cognitolocal"
	"github.com/cogwatch/cogwatch/local/dashboard"
	"github.com/cogwatch/cogwatch/local/eventsource"
	"github.com/cogwatch/cogwatch/local/goaws"
	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/local/redact"
)

// Region is the region of every local endpoint and ARN.
const Region = goaws.Region

// DefaultConfirmationCode is the code cognito-local gives every user, so that
// simulated users confirm with ConfirmSignUp as real users do.
const DefaultConfirmationCode = "123456"

// Names of what the stack creates.
const (
	TopicName    = "cogwatch-user-events"
	UserPoolName = "cogwatch-local"
	ClientName   = UserPoolName + "-client"
	tapQueue     = "cogwatch-tap"
)

// Options configure a Stack. The zero value works where cognito-local is
// installed under local/node_modules.
type Options struct {
	// Dir is the run directory: logs, cognito-local's database and the
	// recorded CloudWatch/EventBridge calls. Empty: a temporary directory,
	// removed by Close unless KeepDir.
	Dir     string
	KeepDir bool
	// CognitoLocal is the cognito-local executable; see CognitoLocalPath.
	CognitoLocal string
	// ConfirmationCode is every user's confirmation code; DefaultConfirmationCode if empty.
	ConfirmationCode string
	// WarmInterval is the warmer's schedule; DefaultWarmInterval if zero,
	// never if negative.
	WarmInterval time.Duration
	// VisibilityTimeout of the consumers' queues; 30s if zero.
	VisibilityTimeout time.Duration
	// Log receives the stack's own log lines; nil discards.
	Log *slog.Logger
	// WrapPutMetricData and WrapPutEvents, when set, wrap the consumers'
	// (recorded) CloudWatch and EventBridge calls: the fault-injection suite
	// fails some of them. A call the wrapper fails is not recorded.
	WrapPutMetricData func(cloudwatch.PutMetricDataFunc) cloudwatch.PutMetricDataFunc
	WrapPutEvents     func(eventbridge.PutEventsFunc) eventbridge.PutEventsFunc
	// EventSink is the triggers' COGWATCH_EVENT_SINK: "sns" (the default)
	// or "log". With "log", or with LogForwarder, the log forwarder runs and
	// the trigger logs are subscribed to it, as in the template.
	EventSink    string
	LogForwarder bool
	// TriggerSNS, when set, returns the SNS endpoint the triggers publish to
	// given goaws's: the fault-injection suite puts a failing proxy there.
	TriggerSNS func(goaws string) string
	// PullReplicas, when positive, runs that many exporters in pull mode
	// on a queue of their own (PullQueue) subscribed to the topic, beside
	// the one subscribed over HTTP. WrapPullSQS, when set, wraps replica
	// i's SQS client: tests inject visibility-timeout expiries there.
	PullReplicas int
	WrapPullSQS  func(i int, c exporter.SQSClient) exporter.SQSClient
}

// DefaultWarmInterval is how often the warmer runs locally.
const DefaultWarmInterval = time.Minute

// Endpoints are what a script or test needs to drive the stack; the JSON
// keys are those of --endpoints-file.
type Endpoints struct {
	Cognito    string `json:"cognito"`
	SNS        string `json:"sns"`
	SQS        string `json:"sqs"`
	Lambda     string `json:"lambda"`
	Exporter   string `json:"exporter"`
	Dashboard  string `json:"dashboard"` // the local dashboard page, on the Lambda host's listener
	UserPoolID string `json:"userPoolId"`
	ClientID   string `json:"clientId"`
	TopicARN   string `json:"topicArn"`
	Region     string `json:"region"`
	Dir        string `json:"dir"`

	// PullExporters are the pull-mode exporter replicas' metrics endpoints.
	PullExporters []string `json:"pullExporters,omitempty"`
}

// queue is one consumer's queue and dead-letter queue.
type queue struct {
	name, url, arn string
	dlqURL, dlqARN string
}

// Stack is a running local pipeline.
type Stack struct {
	opts     Options
	log      *slog.Logger
	dir      string
	ownDir   bool
	ends     Endpoints
	endsMu   sync.RWMutex // guards ends.Lambda and ends.Cognito, set while functions may read them (sdkEnv)
	goaws    *goaws.Server
	host     *lambdahost.Host
	hostSrv  *http.Server
	cognito  *cognitolocal.Process
	sqs      *sqs.Client
	sns      *sns.Client
	idp      *cip.Client
	tap      *tap
	legacy   *LegacyDirectory             // the demo migration function's old user directory
	sub      *subscription                // the trigger logs' subscription to the log forwarder
	metrics  *dashboard.Store             // the page's CloudWatch: EMF lines and PutMetricData calls
	page     atomic.Pointer[http.Handler] // the dashboard page, once the pool exists
	pollers  map[string]*eventsource.Poller
	queues   map[string]queue
	closers  []func() error
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	crashed  chan error
	closed   sync.Once
	closeErr error

	pullQueue queue // the pull-mode exporters' queue, when they run
}

// Start brings the whole stack up. On error, everything it started is stopped.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	s := &Stack{opts: opts, log: opts.Log, crashed: make(chan error, 4), pollers: map[string]*eventsource.Poller{}, queues: map[string]queue{},
		metrics: dashboard.NewStore(nil, metricsRetention), legacy: &LegacyDirectory{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.ConfirmationCode == "" {
		s.opts.ConfirmationCode = DefaultConfirmationCode
	}
	if s.opts.WarmInterval == 0 {
		s.opts.WarmInterval = DefaultWarmInterval
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	bin, err := CognitoLocalPath(opts.CognitoLocal)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel

	// SNS and SQS.
	goawsLog, err := os.Create(filepath.Join(s.dir, "goaws.log"))
	if err != nil {
		return nil, err
	}
	// goaws is an emulator we do not control: its output, as
	// cognito-local's, is saved with email addresses redacted.
	goawsOut := redact.NewWriter(goawsLog)
	s.closers = append(s.closers, goawsLog.Close, goawsOut.Flush) // Flush first
	if s.goaws, err = goaws.Start(goaws.Options{Log: goawsOut, VisibilityTimeout: opts.VisibilityTimeout}); err != nil {
		return nil, err
	}
	s.ends.SNS, s.ends.SQS = s.goaws.URL(), s.goaws.URL()
	s.ends.Region, s.ends.Dir = Region, s.dir
	cfg := s.goaws.AWSConfig()
	s.sqs, s.sns = sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	if err := s.createTopicAndQueues(ctx); err != nil {
		return nil, err
	}

	if err := s.startPullExporters(runCtx); err != nil {
		return nil, err
	}

	// The Lambda host's address first: the functions' SDK configuration
	// (the warmer's Lambda client) points at it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.endsMu.Lock()
	s.ends.Lambda = "http://" + ln.Addr().String()
	s.endsMu.Unlock()

	// The exporter, subscribed over HTTP.
	if err := s.startExporter(runCtx); err != nil {
		ln.Close()
		return nil, err
	}

	// The Lambda host.
	fns, err := s.functions(ctx)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if s.host, err = lambdahost.New(s.log.With("component", "lambdahost"), fns...); err != nil {
		ln.Close()
		return nil, err
	}
	s.startLogSubscription(runCtx)
	// The same listener serves the dashboard page, mounted once the pool exists.
	s.hostSrv = &http.Server{Handler: http.HandlerFunc(s.serveHostListener), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.hostSrv.Serve(ln) }()

	// Cognito, calling the triggers on the host; its output, email
	// addresses redacted, in the run directory.
	if s.cognito, err = cognitolocal.Start(ctx, cognitolocal.Options{
		Bin: bin, Dir: s.dir, Code: s.opts.ConfirmationCode,
		Config: cognitolocal.Triggers(s.ends.Lambda, triggerFunctions),
	}); err != nil {
		return nil, err
	}
	s.endsMu.Lock()
	s.ends.Cognito = s.cognito.Endpoint
	s.endsMu.Unlock()
	go func() {
		<-s.cognito.Exited()
		s.crashed <- s.cognito.Err()
	}()
	s.idp = cip.NewFromConfig(goaws.LocalConfig(s.ends.Cognito))
	if err := s.createPool(ctx); err != nil {
		return nil, err
	}
	s.mountDashboard()

	// Event-source mappings and the schedule.
	if err := s.startPollers(runCtx); err != nil {
		return nil, err
	}
	s.startWarmer(runCtx)
	s.startQueueSampler(runCtx)
	s.log.InfoContext(ctx, "local stack up", "dir", s.dir)
	return s, nil
}

func (s *Stack) makeDir() error {
	if s.opts.Dir != "" {
		s.dir = s.opts.Dir
		return os.MkdirAll(s.dir, 0o755)
	}
	d, err := os.MkdirTemp("", "cogwatch-local-")
	if err != nil {
		return err
	}
	s.dir, s.ownDir = d, !s.opts.KeepDir
	return nil
}

// Endpoints returns where everything listens and what Start created.
func (s *Stack) Endpoints() Endpoints { return s.ends }

// Dir is the run directory.
func (s *Stack) Dir() string { return s.dir }

// WriteEndpoints writes the endpoints as JSON to path.
func (s *Stack) WriteEndpoints(path string) error {
	b, err := json.MarshalIndent(s.ends, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// PrintEndpoints writes a human-readable list of the endpoints to w.
func (s *Stack) PrintEndpoints(w io.Writer) {
	e := s.ends
	fmt.Fprintf(w, "cogwatch local is up (region %s)\n", e.Region)
	fmt.Fprintf(w, "  Cognito (cognito-local)  %s   user pool %s, app client %s\n", e.Cognito, e.UserPoolID, e.ClientID)
	fmt.Fprintf(w, "  SNS + SQS (goaws)        %s   topic %s\n", e.SNS, e.TopicARN)
	fmt.Fprintf(w, "  Lambda Invoke API        %s   functions:", e.Lambda)
	for _, f := range s.host.Names() {
		fmt.Fprintf(w, " %s", f)
	}
	fmt.Fprintln(w)
	if e.Exporter != "" {
		fmt.Fprintf(w, "  Prometheus exporter      %s/metrics\n", e.Exporter)
	}
	if e.Dashboard != "" {
		fmt.Fprintf(w, "  Dashboard (live charts)  %s\n", e.Dashboard)
	}
	fmt.Fprintf(w, "  run directory (logs, recorded CloudWatch/EventBridge calls)  %s\n", e.Dir)
}

// KeepDir keeps a temporary run directory after Close, e.g. to read the
// logs of a crashed emulator.
func (s *Stack) KeepDir() { s.ownDir = false }

// Crashed delivers an error when an emulator process exits on its own.
func (s *Stack) Crashed() <-chan error { return s.crashed }

func (s *Stack) createTopicAndQueues(ctx context.Context) error {
	topic, err := s.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	s.ends.TopicARN = aws.ToString(topic.TopicArn)
	vis := s.opts.VisibilityTimeout
	if vis <= 0 {
		vis = 30 * time.Second
	}
	mk := func(name string) (string, string, error) {
		out, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName:  aws.String(name),
			Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(int(vis / time.Second))},
		})
		if err != nil {
			return "", "", fmt.Errorf("create queue %s: %w", name, err)
		}
		return aws.ToString(out.QueueUrl), "arn:aws:sqs:" + Region + ":" + goaws.AccountID + ":" + name, nil
	}
	for _, name := range append(consumerQueues(), tapQueue) {
		var q queue
		q.name = name
		if q.url, q.arn, err = mk(name); err != nil {
			return err
		}
		if name != tapQueue {
			if q.dlqURL, q.dlqARN, err = mk(name + "-dlq"); err != nil {
				return err
			}
		}
		if _, err := s.sns.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(q.arn),
		}); err != nil {
			return fmt.Errorf("subscribe %s: %w", name, err)
		}
		s.queues[name] = q
	}
	return nil
}

func (s *Stack) createPool(ctx context.Context) (err error) {
	s.ends.UserPoolID, s.ends.ClientID, err = cognitolocal.CreatePool(ctx, s.idp, UserPoolName)
	return err
}

// Cognito returns an SDK client for the local Cognito.
func (s *Stack) Cognito() *cip.Client { return s.idp }

func (s *Stack) startPollers(ctx context.Context) error {
	for _, m := range s.mappings() {
		q := s.queues[m.queue]
		mapping := eventsource.Mapping{
			QueueURL: q.url, QueueARN: q.arn, Function: m.function, Region: Region,
			BatchSize: m.batchSize, BatchingWindow: m.window, ReportBatchItemFailures: m.function != "",
			MaxReceiveCount: 3, DeadLetterQueueURL: q.dlqURL,
		}
		invoke := m.invoke
		if invoke == nil {
			name := m.function
			invoke = func(ctx context.Context, payload []byte) ([]byte, error) { return s.host.Invoke(ctx, name, payload) }
		}
		if m.queue == tapQueue {
			mapping.MaxReceiveCount, mapping.DeadLetterQueueURL = 0, ""
		}
		p, err := eventsource.New(s.sqs, mapping, invoke, s.log.With("component", "eventsource"))
		if err != nil {
			return err
		}
		s.pollers[m.queue] = p
		s.wg.Go(func() { _ = p.Run(ctx) })
	}
	return nil
}

// Close stops everything Start started: pollers, the warmer, the Lambda host,
// cognito-local (its whole process group) and goaws. It is safe to call
// more than once.
func (s *Stack) Close() error {
	s.closed.Do(func() {
		var errs []error
		if s.cancel != nil {
			s.cancel()
		}
		if s.cognito != nil {
			s.cognito.Stop()
		}
		s.wg.Wait()
		if s.hostSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := s.hostSrv.Shutdown(ctx); err != nil {
				_ = s.hostSrv.Close()
			}
			cancel()
		}
		if s.goaws != nil {
			if err := s.goaws.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for i := len(s.closers) - 1; i >= 0; i-- {
			if err := s.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
		if s.ownDir {
			if err := os.RemoveAll(s.dir); err != nil {
				errs = append(errs, err)
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// ChildPIDs returns the process ids (and process-group ids) of the
// emulator processes the stack started.
func (s *Stack) ChildPIDs() []int {
	var pids []int
	if s.cognito != nil {
		pids = append(pids, s.cognito.PID())
	}
	return pids
}
