package local

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/local/eventsource"
	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/local/recording"
)

// Function names: the template's logical ids, as Cognito and the
// event-source mappings name them.
const (
	PreSignUpFunction           = "PreSignUpFunction"
	AuthenticationFunction      = "AuthenticationFunction"
	PostConfirmationFunction    = "PostConfirmationFunction"
	PreTokenGenerationFunction  = "PreTokenGenerationFunction"
	CustomMessageFunction       = "CustomMessageFunction"
	CloudWatchConsumerFunction  = "CloudWatchConsumerFunction"
	EventBridgeConsumerFunction = "EventBridgeConsumerFunction"
	WarmerFunction              = "WarmerFunction"
)

// Files in the run directory where the consumers' calls to services no
// emulator serves here are recorded, one JSON line per call.
const (
	PutMetricDataFile = "cloudwatch-putmetricdata.jsonl"
	PutEventsFile     = "eventbridge-putevents.jsonl"
)

// triggerFunctions is cognito-local's TriggerFunctions: Cognito trigger →
// function. cognito-local 5.3.0 never calls PreAuthentication; it is set
// for when it does. It calls PreTokenGeneration for sign-ins
// (TokenGeneration_Authentication) and refreshes (_RefreshTokens), and
// CustomMessage for every code it sends (CustomMessage_SignUp,
// _ForgotPassword, _UpdateUserAttribute, _VerifyUserAttribute,
// _AdminCreateUser, _Authentication), always as email here: its event
// carries an empty smsMessage. It calls UserMigration
// (UserMigration_Authentication only) when a user it does not have signs
// in with a password: the demo migration function, an adopter's handler in
// cogwatch's middleware (migration.go).
var triggerFunctions = map[string]string{
	"PreSignUp":          PreSignUpFunction,
	"PreAuthentication":  AuthenticationFunction,
	"PostAuthentication": AuthenticationFunction,
	"PostConfirmation":   PostConfirmationFunction,
	"PreTokenGeneration": PreTokenGenerationFunction,
	"CustomMessage":      CustomMessageFunction,
	"UserMigration":      UserMigrationFunction,
}

// Queues of the SQS-triggered consumers, named after their functions.
const (
	cloudWatchQueue  = "cogwatch-cloudwatch-consumer"
	eventBridgeQueue = "cogwatch-eventbridge-consumer"
)

func consumerQueues() []string { return []string{cloudWatchQueue, eventBridgeQueue} }

// mapping is one event-source mapping: a queue feeding a function on the
// host, or (the tap) a function of the stack's own.
type mapping struct {
	queue, function string
	batchSize       int
	window          time.Duration
	invoke          eventsource.InvokeFunc
}

func (s *Stack) mappings() []mapping {
	ms := []mapping{{queue: tapQueue, batchSize: 10, invoke: s.published(s.tapInvoke())}}
	for _, m := range []mapping{
		{queue: cloudWatchQueue, function: CloudWatchConsumerFunction, batchSize: 100, window: time.Second},
		{queue: eventBridgeQueue, function: EventBridgeConsumerFunction, batchSize: 10},
	} {
		if s.served(m.function) {
			ms = append(ms, m)
		}
	}
	return ms
}

func (s *Stack) tapInvoke() eventsource.InvokeFunc {
	if s.tap == nil {
		s.tap = newTap()
	}
	return s.tap.invoke
}

func (s *Stack) served(name string) bool {
	for _, n := range s.host.Names() {
		if n == name {
			return true
		}
	}
	return false
}

// env is the environment every local function sees: its configuration
// variables, then the SDK's pointing at the local endpoints (sdkEnv), then
// this process's. Nothing sets the process environment, so stacks (and
// their tests) may run side by side.
func (s *Stack) env(vars map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		if v, ok := s.sdkEnv(k); ok {
			return v
		}
		return os.Getenv(k)
	}
}

// sdkEnv answers the SDK's standard variables the functions' FromEnv
// constructors load their AWS configuration from (internal/awsconf): the
// local endpoints, whatever credentials (the emulators accept any), no
// profile, no instance metadata. It reads the endpoints when asked: a
// function's environment is built at its first invocation, when Cognito's
// endpoint is known.
func (s *Stack) sdkEnv(k string) (string, bool) {
	switch k {
	case "AWS_REGION":
		return Region, true
	case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY":
		return "local", true
	case "AWS_SESSION_TOKEN", "AWS_PROFILE":
		return "", true
	case "AWS_EC2_METADATA_DISABLED":
		return "true", true
	}
	s.endsMu.RLock()
	defer s.endsMu.RUnlock()
	switch k {
	case "AWS_ENDPOINT_URL_SNS":
		return s.ends.SNS, true
	case "AWS_ENDPOINT_URL_SQS":
		return s.ends.SQS, true
	case "AWS_ENDPOINT_URL_LAMBDA":
		return s.ends.Lambda, true
	case "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER":
		return s.ends.Cognito, s.ends.Cognito != ""
	}
	return "", false
}

// functionLog opens the function's log file in the run directory: what
// Lambda would send to CloudWatch Logs (JSON logs and EMF lines). Its lines
// also reach the dashboard page's store, which reads the EMF ones as
// CloudWatch would.
func (s *Stack) functionLog(name string) (io.Writer, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, f.Close)
	return &lockedWriter{w: io.MultiWriter(f, &lineWriter{w: s.metrics})}, nil
}

func (s *Stack) recordFile(name string) (io.Writer, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, f.Close)
	return f, nil
}

// builders add the functions of each area, whose wiring lives in a file of
// its own (triggers.go, warmer.go).
var builders = []func(*Stack) ([]lambdahost.Function, error){(*Stack).triggerFunctionsFor, (*Stack).warmerFunctions}

// functions builds the host's function table from each area's constructors.
func (s *Stack) functions(ctx context.Context) ([]lambdahost.Function, error) {
	var fns []lambdahost.Function
	for _, build := range builders {
		more, err := build(s)
		if err != nil {
			return nil, err
		}
		fns = append(fns, more...)
	}

	// The SQS-triggered consumers, recording their calls.
	cw, err := recordingConsumer[cloudwatch.Config, cloudwatch.PutMetricDataFunc]{
		name: CloudWatchConsumerFunction, file: PutMetricDataFile,
		record: s.storeCalls(recording.PutMetricData), wrap: s.opts.WrapPutMetricData, load: cloudwatch.LoadConfig,
		handler: func(o cloudwatch.Config, put cloudwatch.PutMetricDataFunc, log *slog.Logger) lambda.Handler {
			return lambda.NewHandler(cloudwatch.New(o, put, log).Handle)
		},
	}.function(s)
	if err != nil {
		return nil, err
	}
	eb, err := recordingConsumer[eventbridge.Config, eventbridge.PutEventsFunc]{
		name: EventBridgeConsumerFunction, file: PutEventsFile,
		record: recording.PutEvents, wrap: s.opts.WrapPutEvents, load: eventbridge.LoadConfig,
		handler: func(o eventbridge.Config, put eventbridge.PutEventsFunc, log *slog.Logger) lambda.Handler {
			return lambda.NewHandler(eventbridge.New(o, put, log).Handle)
		},
	}.function(s)
	if err != nil {
		return nil, err
	}
	fns = append(fns, cw, eb)
	for i := range fns {
		fns[i] = s.measured(fns[i]) // AWS/Lambda samples for the dashboard page
	}
	_ = ctx
	return fns, nil
}

// recordingConsumer is an SQS-triggered consumer whose one call to a
// service no emulator serves here (Call: CloudWatch's PutMetricData,
// EventBridge's PutEvents) is recorded, one JSON line per call, to file in
// the run directory.
type recordingConsumer[Opts, Call any] struct {
	name, file string
	record     func(io.Writer) Call
	wrap       func(Call) Call // nil: the recorded call as is
	load       func(getenv func(string) string) (Opts, error)
	handler    func(Opts, Call, *slog.Logger) lambda.Handler
}

// function opens the consumer's log and record files and returns its
// entry in the host's function table.
func (c recordingConsumer[Opts, Call]) function(s *Stack) (lambdahost.Function, error) {
	log, err := s.functionLog(c.name)
	if err != nil {
		return lambdahost.Function{}, err
	}
	rec, err := s.recordFile(c.file)
	if err != nil {
		return lambdahost.Function{}, err
	}
	call := c.record(rec)
	if c.wrap != nil {
		call = c.wrap(call)
	}
	return lambdahost.Function{
		Name:    c.name,
		Timeout: 30 * time.Second,
		New: func(context.Context) (lambda.Handler, error) {
			getenv := s.env(nil)
			opts, err := c.load(getenv)
			if err != nil {
				return nil, err
			}
			return c.handler(opts, call, logging.New(log, getenv)), nil
		},
	}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
