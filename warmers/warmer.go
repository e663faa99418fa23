package warmers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// InvokeFunc is lambda.Client.Invoke.
type InvokeFunc func(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)

// Target is a function to keep warm.
type Target struct {
	// Function is a function name, ARN, or name or ARN with an alias or
	// version qualifier (name:live): exactly what Cognito invokes.
	Function string `json:"function"`
	// Instances to keep warm; 0 takes the round's default.
	Instances int `json:"instances,omitempty"`
}

// Input is the warmer's event, as an EventBridge Scheduler schedule sends it.
// An empty input ({}) warms the configured defaults.
type Input struct {
	Targets []Target `json:"targets,omitempty"`
	// UserPoolID adds the functions of this pool's Lambda configuration.
	UserPoolID string `json:"userPoolId,omitempty"`
	// Instances is the default per target for this round.
	Instances int `json:"instances,omitempty"`
}

// TargetReport is the outcome of one target's round.
type TargetReport struct {
	Function  string `json:"function"`
	Requested int    `json:"requested"`
	// Instances is the number of distinct instances that answered.
	Instances int `json:"instances"`
	// Cold is how many of them were cold (started by this round).
	Cold   int `json:"cold"`
	Errors int `json:"errors"`
	// ErrorCodes counts errors by AWS error code, "Timeout", "FunctionError"
	// or "NotWarmable" (an answer that is not a warm-up answer).
	ErrorCodes map[string]int `json:"errorCodes,omitempty"`
	// LatencyMs is the slowest invocation, answered or not.
	LatencyMs int64 `json:"latencyMs"`
}

// Report is the outcome of a round.
type Report struct {
	Targets    []TargetReport `json:"targets"`
	DurationMs int64          `json:"durationMs"`
}

// Options configure a Warmer. The zero value works.
type Options struct {
	Config Config
	// Metrics receives one EMF document per target; nil writes none.
	Metrics *emf.Writer
	Logger  *slog.Logger // nil discards
	// Progress is called after each invocation ends, from its goroutine.
	Progress func(function string, err error)
	// Reserve is kept before the context deadline to report; default 500ms.
	Reserve time.Duration
	// Timeout bounds a round when the context has no deadline; default 30s.
	Timeout time.Duration
}

// Warmer runs warm-up rounds.
type Warmer struct {
	invoke   InvokeFunc
	describe DescribeUserPoolFunc
	opts     Options
	log      *slog.Logger
}

// New returns a Warmer. describe may be nil when no user pool is used.
func New(invoke InvokeFunc, describe DescribeUserPoolFunc, opts Options) *Warmer {
	if opts.Config.Instances <= 0 {
		opts.Config.Instances = DefaultConfig.Instances
	}
	if opts.Config.Namespace == "" {
		opts.Config.Namespace = DefaultConfig.Namespace
	}
	if opts.Config.Hold <= 0 {
		opts.Config.Hold = DefaultConfig.Hold
	}
	if opts.Reserve <= 0 {
		opts.Reserve = 500 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Warmer{invoke: invoke, describe: describe, opts: opts, log: l}
}

// ErrNoTargets is returned when a round has nothing to warm.
var ErrNoTargets = errors.New("no targets: name them in the input, COGWATCH_WARM_TARGETS or COGWATCH_WARM_USER_POOL_ID")

// Targets resolves the targets of a round: the input's targets and user pool,
// else the configured ones; instances default to the input's, then the
// configuration's; duplicates merge, keeping the larger count.
func (w *Warmer) Targets(ctx context.Context, in Input) ([]Target, error) {
	targets, pool := in.Targets, in.UserPoolID
	if len(targets) == 0 && pool == "" {
		targets, pool = w.opts.Config.Targets, w.opts.Config.UserPoolID
	}
	def := cmp.Or(in.Instances, w.opts.Config.Instances)
	if def < 1 || def > MaxInstances {
		return nil, fmt.Errorf("instances %d: want 1 to %d", def, MaxInstances)
	}
	var all []Target
	for _, t := range targets {
		if strings.TrimSpace(t.Function) == "" {
			return nil, errors.New("a target names no function")
		}
		if t.Instances < 0 || t.Instances > MaxInstances {
			return nil, fmt.Errorf("target %s: instances %d: want 1 to %d", t.Function, t.Instances, MaxInstances)
		}
		all = append(all, t)
	}
	if pool != "" {
		fns, err := Discover(ctx, w.describe, pool)
		if err != nil {
			return nil, err
		}
		for _, f := range fns {
			all = append(all, Target{Function: f})
		}
	}
	merged := map[string]int{}
	var order []string
	for _, t := range all {
		n := cmp.Or(t.Instances, def)
		if _, seen := merged[t.Function]; !seen {
			order = append(order, t.Function)
		}
		merged[t.Function] = max(merged[t.Function], n)
	}
	if len(order) == 0 {
		return nil, ErrNoTargets
	}
	out := make([]Target, len(order))
	for i, f := range order {
		out[i] = Target{Function: f, Instances: merged[f]}
	}
	return out, nil
}

// answer is one invocation's outcome.
type answer struct {
	resp    warmup.Response
	code    string // error code, "" on success
	latency time.Duration
}

// Handle runs one round: resolve the targets, fan out, report. It returns an
// error only when there is nothing to warm (bad input, discovery failed);
// failing targets are in the report, never an error, so that a schedule's
// retries do not pile up rounds.
func (w *Warmer) Handle(ctx context.Context, in Input) (Report, error) {
	start := time.Now()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = start.Add(w.opts.Timeout)
	}
	deadline = deadline.Add(-min(w.opts.Reserve, time.Until(deadline)/4))
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	targets, err := w.Targets(ctx, in)
	if err != nil {
		w.log.ErrorContext(ctx, "warm-up round has no targets", "err", err)
		return Report{}, err
	}
	// The shared moment every invocation holds until, from one common start;
	// never past the round's deadline.
	fanout := time.Now()
	moment := fanout.Add(w.opts.Config.Hold)
	if moment.After(deadline) {
		moment = deadline
	}

	answers := make([][]answer, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		answers[i] = make([]answer, t.Instances)
		for j := range t.Instances {
			wg.Go(func() {
				a := w.warm(ctx, t, moment)
				answers[i][j] = a
				if w.opts.Progress != nil {
					var err error
					if a.code != "" {
						err = errors.New(a.code)
					}
					w.opts.Progress(t.Function, err)
				}
			})
		}
	}
	wg.Wait()

	rep := Report{Targets: make([]TargetReport, len(targets))}
	for i, t := range targets {
		rep.Targets[i] = summarise(t, answers[i])
	}
	rep.DurationMs = time.Since(start).Milliseconds()
	w.emit(ctx, rep)
	return rep, nil
}

// warm invokes t once, holding until moment, and returns within ctx whatever
// the invoke call does.
func (w *Warmer) warm(ctx context.Context, t Target, moment time.Time) answer {
	hold := time.Until(moment)
	req := warmup.Request{Cogwatch: warmup.Marker, Concurrency: t.Instances, HoldMs: max(0, int((hold+time.Millisecond-1)/time.Millisecond))}
	payload, _ := json.Marshal(req)
	in := &lambda.InvokeInput{FunctionName: &t.Function, InvocationType: types.InvocationTypeRequestResponse, Payload: payload}

	start := time.Now()
	type result struct {
		out *lambda.InvokeOutput
		err error
	}
	done := make(chan result, 1) // buffered: an invoke that outlives ctx never blocks
	go func() {
		out, err := w.invoke(ctx, in)
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return answer{code: "Timeout", latency: time.Since(start)}
	}
	a := answer{latency: time.Since(start)}
	switch {
	case r.err != nil:
		a.code = errorCode(ctx, r.err)
	case r.out == nil:
		a.code = "NoOutput"
	case r.out.FunctionError != nil:
		a.code = "FunctionError"
	default:
		if err := json.Unmarshal(r.out.Payload, &a.resp); err != nil || a.resp.Cogwatch != warmup.Marker || a.resp.Instance == "" {
			a.code = "NotWarmable"
		}
	}
	if a.code != "" {
		w.log.WarnContext(ctx, "warm-up invocation failed", "function", t.Function, "code", a.code, "err", r.err)
	}
	return a
}

// errorCode classifies an invoke error by code, never by text.
func errorCode(ctx context.Context, err error) string {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		return "Timeout"
	}
	return "Error"
}

func summarise(t Target, answers []answer) TargetReport {
	r := TargetReport{Function: t.Function, Requested: t.Instances}
	seen := map[string]bool{}
	var slowest time.Duration
	for _, a := range answers {
		slowest = max(slowest, a.latency)
		if a.code != "" {
			r.Errors++
			if r.ErrorCodes == nil {
				r.ErrorCodes = map[string]int{}
			}
			r.ErrorCodes[a.code]++
			continue
		}
		if seen[a.resp.Instance] {
			continue
		}
		seen[a.resp.Instance] = true
		r.Instances++
		if a.resp.Cold {
			r.Cold++
		}
	}
	r.LatencyMs = slowest.Milliseconds()
	return r
}

// FunctionName is the dimension value of a target: its name and qualifier
// without the ARN prefix, so that ARNs and names of one function agree.
func FunctionName(function string) string {
	if i := strings.Index(function, ":function:"); i >= 0 && strings.HasPrefix(function, "arn:") {
		return function[i+len(":function:"):]
	}
	return function
}

func (w *Warmer) emit(ctx context.Context, rep Report) {
	var total TargetReport
	for _, t := range rep.Targets {
		total.Requested += t.Requested
		total.Instances += t.Instances
		total.Cold += t.Cold
		total.Errors += t.Errors
		if w.opts.Metrics == nil {
			continue
		}
		m := w.opts.Metrics.New()
		m.SetDimension(catalog.DimFunction, FunctionName(t.Function))
		m.SetProperty("requested", t.Requested)
		err := errors.Join(
			m.Put(catalog.WarmupInstances, float64(t.Instances), emf.Count),
			m.Put(catalog.WarmupColdInstances, float64(t.Cold), emf.Count),
			m.Put(catalog.WarmupErrors, float64(t.Errors), emf.Count),
			m.Put(catalog.WarmupLatency, float64(t.LatencyMs), emf.Milliseconds),
			m.Flush(),
		)
		if err != nil {
			w.log.ErrorContext(ctx, "warm-up metrics not written", "function", t.Function, "err", err)
		}
	}
	level := slog.LevelInfo
	if total.Errors > 0 || total.Instances < total.Requested {
		level = slog.LevelWarn
	}
	sorted := slices.Clone(rep.Targets)
	w.log.Log(ctx, level, "warm-up round", "requested", total.Requested, "instances", total.Instances,
		"cold", total.Cold, "errors", total.Errors, "durationMs", rep.DurationMs, "targets", sorted)
}
