package benchreport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// runtimePrefix is the Lambda Runtime API's path prefix.
const runtimePrefix = "/2018-06-01/runtime/"

// Answer is a runtime's answer to one invocation.
type Answer struct {
	RequestID string
	Body      []byte
	// Error is set when the runtime posted to .../error instead of
	// .../response (a Cognito rejection, or a failed handler).
	Error bool
	At    time.Time
}

// RuntimeAPI is the Lambda Runtime API a custom runtime polls (the address
// in AWS_LAMBDA_RUNTIME_API), on 127.0.0.1: GET invocation/next hands out
// the invocations queued by Invoke, POST invocation/{id}/response and
// .../error answer them, POST init/error reports a runtime that failed to
// start.
type RuntimeAPI struct {
	// Addr is host:port, the value of AWS_LAMBDA_RUNTIME_API.
	Addr string

	srv     *http.Server
	next    chan invocation
	initErr chan string
	closed  chan struct{}

	mu      sync.Mutex
	seq     int
	pending map[string]chan Answer
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
}

// StartRuntimeAPI listens on 127.0.0.1 and serves the Runtime API.
func StartRuntimeAPI() (*RuntimeAPI, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &RuntimeAPI{
		Addr:    l.Addr().String(),
		next:    make(chan invocation),
		initErr: make(chan string, 1),
		closed:  make(chan struct{}),
		pending: map[string]chan Answer{},
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Close stops serving; runtimes blocked on invocation/next see their
// connection closed.
func (r *RuntimeAPI) Close() error {
	close(r.closed)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		return r.srv.Close()
	}
	return nil
}

// ErrInitFailed is returned by Invoke when the runtime reported that it
// could not start.
var ErrInitFailed = errors.New("runtime init failed")

// Invoke queues payload for the runtime and waits for its answer, until
// ctx ends or the runtime reports an init error. The invocation's deadline
// (Lambda-Runtime-Deadline-Ms) is ctx's, or 30 s from now.
func (r *RuntimeAPI) Invoke(ctx context.Context, payload []byte) (Answer, error) {
	r.mu.Lock()
	r.seq++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", r.seq)
	ch := make(chan Answer, 1)
	r.pending[id] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, id)
		r.mu.Unlock()
	}()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	select {
	case r.next <- invocation{id: id, payload: payload, deadline: deadline}:
	case msg := <-r.initErr:
		return Answer{}, fmt.Errorf("%w: %s", ErrInitFailed, msg)
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
	select {
	case a := <-ch:
		return a, nil
	case msg := <-r.initErr:
		return Answer{}, fmt.Errorf("%w: %s", ErrInitFailed, msg)
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
}

func (r *RuntimeAPI) serve(w http.ResponseWriter, req *http.Request) {
	path, ok := strings.CutPrefix(req.URL.Path, runtimePrefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		select {
		case inv := <-r.next:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-req.Context().Done():
		case <-r.closed:
		}
	case req.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		select {
		case r.initErr <- string(body):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		if !ok || (kind != "response" && kind != "error") {
			http.NotFound(w, req)
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, 6<<20))
		at := time.Now()
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		ch, found := r.pending[id]
		r.mu.Unlock()
		if !found {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		ch <- Answer{RequestID: id, Body: body, Error: kind == "error", At: at}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	default:
		http.NotFound(w, req)
	}
}
