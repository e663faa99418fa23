package lambdahost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// DefaultTimeout is Lambda's default function timeout.
const DefaultTimeout = 3 * time.Second

// MaxPayload is Lambda's limit on a synchronous invocation's request payload.
const MaxPayload = 6 << 20

// Region and AccountID appear in the function ARNs the host hands out.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// ErrNotFound is returned by Invoke for a function the host does not serve.
var ErrNotFound = errors.New("lambdahost: function not found")

// Function is one function the host serves.
type Function struct {
	// Name is the function's name, the template's logical id in the local stack.
	Name string
	// Timeout is the invocation deadline; DefaultTimeout if zero.
	Timeout time.Duration
	// New builds the handler of one new execution environment (its init
	// phase). The host wraps it with the environment's own warm-up instance.
	New func(ctx context.Context) (lambda.Handler, error)
}

// Stats counts what one function did.
type Stats struct {
	Invocations  int // invocations that reached the handler
	Warmups      int // warm-up invocations, answered before the handler
	Errors       int // function errors, timeouts and panics included
	Timeouts     int
	Environments int // execution environments created
}

// FunctionError is the error Invoke returns for a function error: the body
// Lambda returns with X-Amz-Function-Error: Unhandled.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Host serves functions by name. Its zero value is not usable: call New.
type Host struct {
	log   *slog.Logger
	pools map[string]*pool
}

type environment struct {
	handler lambda.Handler
}

type pool struct {
	fn    Function
	mu    sync.Mutex
	idle  []*environment
	stats Stats
}

// New returns a host serving fns. A nil logger discards.
func New(log *slog.Logger, fns ...Function) (*Host, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Host{log: log, pools: make(map[string]*pool, len(fns))}
	for _, fn := range fns {
		if fn.Name == "" || fn.New == nil {
			return nil, fmt.Errorf("lambdahost: function %q: name and New are required", fn.Name)
		}
		if _, dup := h.pools[fn.Name]; dup {
			return nil, fmt.Errorf("lambdahost: function %q defined twice", fn.Name)
		}
		if fn.Timeout <= 0 {
			fn.Timeout = DefaultTimeout
		}
		h.pools[fn.Name] = &pool{fn: fn}
	}
	return h, nil
}

// Names lists the functions served, sorted.
func (h *Host) Names() []string {
	names := make([]string, 0, len(h.pools))
	for n := range h.pools {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ARN is the ARN the host gives function name.
func ARN(name string) string {
	return "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + name
}

// Stats returns a copy of name's counts.
func (h *Host) Stats(name string) Stats {
	p, ok := h.pools[name]
	if !ok {
		return Stats{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// acquire takes an idle environment or creates one.
func (p *pool) acquire(ctx context.Context) (*environment, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		env := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return env, nil
	}
	p.stats.Environments++
	p.mu.Unlock()
	hd, err := p.fn.New(ctx)
	if err != nil {
		return nil, &FunctionError{Type: "Runtime.InitError", Message: err.Error()}
	}
	return &environment{handler: warmup.WrapInstance(warmup.NewInstance(), hd)}, nil
}

func (p *pool) release(env *environment) {
	p.mu.Lock()
	p.idle = append(p.idle, env)
	p.mu.Unlock()
}

func (p *pool) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// Invoke runs one synchronous invocation of name, as the Invoke API's
// RequestResponse type does. A function error is a *FunctionError.
func (h *Host) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	p, ok := h.pools[functionName(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	requestID := newRequestID()
	deadline := time.Now().Add(p.fn.Timeout)
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: ARN(p.fn.Name),
	})
	env, err := p.acquire(ctx)
	if err != nil {
		p.count(func(s *Stats) { s.Errors++ })
		return nil, err
	}
	if _, ok := warmup.Parse(payload); ok {
		p.count(func(s *Stats) { s.Warmups++ })
	} else {
		p.count(func(s *Stats) { s.Invocations++ })
	}

	type result struct {
		out      []byte
		err      error
		panicked bool
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: &FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("panic: %v", v)}, panicked: true}
			}
		}()
		out, err := env.handler.Invoke(ctx, payload)
		done <- result{out: out, err: err}
	}()

	select {
	case r := <-done:
		if !time.Now().Before(deadline) {
			// Lambda's deadline is a wall: an answer at or after it is a
			// timeout, and the answer is discarded.
			return nil, h.timedOut(ctx, p, requestID)
		}
		if r.err != nil {
			p.count(func(s *Stats) { s.Errors++ })
			if r.panicked {
				h.log.ErrorContext(ctx, "function panicked; environment dropped", "function", p.fn.Name, "requestId", requestID, "err", r.err)
				return nil, r.err
			}
			p.release(env)
			var fe *FunctionError
			if errors.As(r.err, &fe) {
				return nil, fe
			}
			return nil, &FunctionError{Type: errorType(r.err), Message: r.err.Error()}
		}
		p.release(env)
		return r.out, nil
	case <-ctx.Done():
		// The handler's goroutine still runs: its environment is dropped,
		// as Lambda replaces a timed-out one.
		return nil, h.timedOut(ctx, p, requestID)
	}
}

// timedOut counts a timeout and returns Lambda's error for it. The
// environment is not released: Lambda replaces a timed-out one.
func (h *Host) timedOut(ctx context.Context, p *pool, requestID string) *FunctionError {
	p.count(func(s *Stats) { s.Errors++; s.Timeouts++ })
	h.log.WarnContext(ctx, "function timed out; environment dropped", "function", p.fn.Name, "requestId", requestID, "timeout", p.fn.Timeout)
	return &FunctionError{
		Type:    "Sandbox.Timedout",
		Message: fmt.Sprintf("%s %s Task timed out after %.2f seconds", time.Now().UTC().Format(time.RFC3339), requestID, p.fn.Timeout.Seconds()),
	}
}

// errorType names err's type as aws-lambda-go does.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// functionName accepts a name, a partial ARN or a full ARN, with or without
// a qualifier, as the Invoke API does.
func functionName(s string) string {
	if i := strings.Index(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
	} else if i := strings.Index(s, ":"); i >= 0 && !strings.HasPrefix(s, "arn:") {
		s = s[:i] // name:qualifier
	}
	if i := strings.Index(s, ":"); i >= 0 {
		s = s[:i]
	}
	return s
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

const invokePrefix = "/2015-03-31/functions/"

// ServeHTTP serves the Invoke API.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, invokePrefix)
	name, ok2 := strings.CutSuffix(rest, "/invocations")
	if !ok || !ok2 || name == "" {
		apiError(w, http.StatusNotFound, "UnknownOperationException", "unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		apiError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "Invoke takes POST")
		return
	}
	if _, ok := h.pools[functionName(name)]; !ok {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+ARN(functionName(name)))
		return
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayload))
	if err != nil {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		go func() { _, _ = h.Invoke(context.WithoutCancel(r.Context()), name, payload) }()
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "invalid X-Amz-Invocation-Type "+typ)
		return
	}
	out, err := h.Invoke(r.Context(), name, payload)
	w.Header().Set("Content-Type", "application/json")
	var fe *FunctionError
	switch {
	case errors.As(err, &fe):
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_ = json.NewEncoder(w).Encode(fe)
	case err != nil:
		apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
	default:
		_, _ = w.Write(out)
	}
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}
