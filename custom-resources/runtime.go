package customresources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// MaxPhysicalIDSize is CloudFormation's limit on a physical resource id.
const MaxPhysicalIDSize = 1024

// Func does a custom resource's work for one event. Its context ends before
// the runtime's watchdog answers, leaving it a grace period to return.
//
// On Create, a Func that fails after creating something should still return
// the physical id of what it created: CloudFormation then deletes it on
// rollback. Without one, the runtime answers FailedCreateID.
type Func func(ctx context.Context, ev cfn.Event) (Result, error)

// Result is what a Func answers on success.
type Result struct {
	// PhysicalResourceID identifies what the resource manages. On Update, a
	// new id means replacement: CloudFormation then deletes the old one. Empty
	// keeps the event's id (on Create: the request id).
	PhysicalResourceID string
	// Data is returned to the template through Fn::GetAtt.
	Data map[string]any
	// NoEcho masks Data in the console and API output.
	NoEcho bool
}

// ErrDeadline is the reason answered when the Func did not return before
// the watchdog fired.
var ErrDeadline = errors.New("the resource did not finish before the function's deadline")

// Options configure a Runtime. The zero value works.
//
// An invocation's time ends, from its deadline backwards: the Reserve, kept
// after the answer so that the function returns in time; the Margin, in
// which the answer is PUT when the watchdog had to answer for the Func; the
// Grace, in which the Func may still return after its context ended. The
// rest is the Func's. Each is capped to a quarter of what is left, so that
// short invocations (a local host, a test) keep the same shape.
type Options struct {
	Logger *slog.Logger // nil discards
	// Reserve is kept before the invocation deadline: the PUT to the
	// ResponseURL gives up that long before it, however the URL behaves.
	// Default 250ms.
	Reserve time.Duration
	// Margin is left to the answer when the Func has not returned: the
	// watchdog answers FAILED Margin before the PUT's deadline. Default 5s.
	Margin time.Duration
	// Grace is how long the Func has to return after its context ends,
	// before the watchdog answers for it. Default 2s.
	Grace time.Duration
	// Timeout applies when the invocation context has no deadline (a local
	// host, a test). Default 15 minutes, Lambda's maximum.
	Timeout time.Duration
	Send    SendOptions
}

// Runtime answers CloudFormation for one resource Func. It is a lambda.Handler.
type Runtime struct {
	f    Func
	opts Options
	log  *slog.Logger
}

// New returns a Runtime running f.
func New(f Func, opts Options) *Runtime {
	if opts.Margin <= 0 {
		opts.Margin = 5 * time.Second
	}
	if opts.Grace <= 0 {
		opts.Grace = 2 * time.Second
	}
	if opts.Reserve <= 0 {
		opts.Reserve = 250 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Minute
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Runtime{f: f, opts: opts, log: l}
}

// Invoke handles one CloudFormation event: it runs the Func, answers
// CloudFormation exactly once and returns the answer it sent. It returns an
// error only when it could not answer at all because the payload carries no
// usable ResponseURL; after answering it never fails, so that Lambda's
// asynchronous retries never re-run a resource that has answered.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	d := r.deadlines(ctx)
	ev, err := DecodeEvent(payload)
	// The whole event is logged: `cogwatch cfn respond` answers from it by hand
	// if the answer below never arrives.
	r.log.InfoContext(ctx, "custom resource event", "requestType", ev.RequestType,
		"logicalResourceId", ev.LogicalResourceID, "physicalResourceId", ev.PhysicalResourceID,
		"event", json.RawMessage(validJSON(payload)))
	var resp cfn.Response
	if err != nil {
		if validateResponseURL(ev.ResponseURL) != nil {
			r.log.ErrorContext(ctx, "cannot answer CloudFormation: no response URL", "err", err)
			return nil, err
		}
		resp = r.failed(ev, Result{}, err)
	} else {
		resp = r.run(ctx, ev, d)
	}
	body, resp, err := Body(resp)
	if err != nil {
		resp = r.failed(ev, Result{}, err)
		body, resp, _ = Body(resp)
	}
	attrs := []any{"status", resp.Status, "requestType", ev.RequestType,
		"logicalResourceId", ev.LogicalResourceID, "physicalResourceId", resp.PhysicalResourceID}
	if resp.Reason != "" {
		attrs = append(attrs, "reason", resp.Reason)
	}
	// The PUT may take what is left of the invocation but the reserve.
	sctx, cancel := context.WithDeadline(ctx, d.send)
	defer cancel()
	if err := Send(sctx, ev.ResponseURL, body, r.opts.Send); err != nil {
		r.log.ErrorContext(ctx, "answer to CloudFormation not delivered; answer by hand with `cogwatch cfn respond`",
			append(attrs, "err", err)...)
	} else {
		r.log.InfoContext(ctx, "answered CloudFormation", attrs...)
	}
	return body, nil
}

func validJSON(b []byte) []byte {
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}

type outcome struct {
	res Result
	err error
}

// deadlines are an invocation's, from the first to the last.
type deadlines struct {
	handler  time.Time // the Func's context ends
	watchdog time.Time // the runtime answers for a Func still running
	send     time.Time // the PUT gives up, the reserve before the invocation's
}

func (r *Runtime) deadlines(ctx context.Context) deadlines {
	now := time.Now()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = now.Add(r.opts.Timeout)
	}
	var d deadlines
	left := max(deadline.Sub(now), 0)
	d.send = deadline.Add(-min(r.opts.Reserve, left/4))
	left = d.send.Sub(now)
	d.watchdog = d.send.Add(-min(r.opts.Margin, left/4))
	d.handler = d.watchdog.Add(-min(r.opts.Grace, left/4))
	return d
}

func (r *Runtime) run(ctx context.Context, ev cfn.Event, d deadlines) cfn.Response {
	if ev.RequestType == cfn.RequestDelete && IsFailedCreate(ev.PhysicalResourceID) {
		return NewResponse(ev, cfn.StatusSuccess, ev.PhysicalResourceID, "")
	}
	hctx, cancel := context.WithDeadline(ctx, d.handler)
	defer cancel()
	done := make(chan outcome, 1) // buffered: a Func returning after the watchdog never blocks
	go func() {
		defer func() {
			if p := recover(); p != nil {
				r.log.ErrorContext(ctx, "custom resource panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- outcome{err: fmt.Errorf("the resource panicked: %v", p)}
			}
		}()
		res, err := r.f(hctx, ev)
		done <- outcome{res, err}
	}()
	t := time.NewTimer(time.Until(d.watchdog))
	defer t.Stop()
	select {
	case o := <-done:
		if o.err != nil {
			return r.failed(ev, o.res, o.err)
		}
		return r.succeeded(ev, o.res)
	case <-t.C:
		r.log.ErrorContext(ctx, "custom resource still running at the watchdog; answering FAILED",
			"logicalResourceId", ev.LogicalResourceID)
		return r.failed(ev, Result{}, ErrDeadline)
	}
}

func (r *Runtime) succeeded(ev cfn.Event, res Result) cfn.Response {
	id := res.PhysicalResourceID
	switch {
	case ev.RequestType == cfn.RequestDelete:
		id = ev.PhysicalResourceID // CloudFormation refuses a changed id on Delete
	case id == "" && ev.RequestType == cfn.RequestCreate:
		id = ev.RequestID
	case id == "":
		id = ev.PhysicalResourceID
	}
	if len(id) > MaxPhysicalIDSize {
		return r.failed(ev, Result{}, fmt.Errorf("physical resource id of %d bytes exceeds %d", len(id), MaxPhysicalIDSize))
	}
	resp := NewResponse(ev, cfn.StatusSuccess, id, "")
	resp.Data, resp.NoEcho = res.Data, res.NoEcho
	return resp
}

func (r *Runtime) failed(ev cfn.Event, res Result, err error) cfn.Response {
	id := ev.PhysicalResourceID
	if ev.RequestType == cfn.RequestCreate || id == "" {
		id = FailedCreateID(ev.RequestID)
		if res.PhysicalResourceID != "" && len(res.PhysicalResourceID) <= MaxPhysicalIDSize {
			id = res.PhysicalResourceID // something was created: let the rollback delete it
		}
	}
	return NewResponse(ev, cfn.StatusFailed, id, Reason(err))
}

// Reason turns err into a one-line Reason that points at the log stream.
func Reason(err error) string {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	if lambdacontext.LogStreamName != "" {
		// First, so that trimming a long reason keeps it.
		msg = "[log stream " + lambdacontext.LogStreamName + "] " + msg
	}
	return msg
}
