package customresources

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"
)

// responder is CloudFormation's side of the ResponseURL: it records every PUT
// and answers with the statuses it is told to, then 200.
type responder struct {
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	statuses []int // answered in order, then 200
}

func (s *responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodPut {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	s.bodies = append(s.bodies, b)
	s.headers = append(s.headers, r.Header.Clone())
	code := http.StatusOK
	if n := len(s.bodies); n <= len(s.statuses) {
		code = s.statuses[n-1]
	}
	w.WriteHeader(code)
}

func (s *responder) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

// only returns the single answer, failing if there was not exactly one.
func (s *responder) only(t *testing.T) cfn.Response {
	t.Helper()
	bodies := s.requests()
	require.Len(t, bodies, 1, "CloudFormation must be answered exactly once")
	require.LessOrEqual(t, len(bodies[0]), MaxBodySize)
	var r cfn.Response
	require.NoError(t, json.Unmarshal(bodies[0], &r))
	return r
}

func serve(t *testing.T, statuses ...int) (*responder, string) {
	rec := &responder{statuses: statuses}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL + "/cloudformation-response?X-Amz-Signature=abc"
}

func testEvent(url string, typ cfn.RequestType, physicalID string, props map[string]any) cfn.Event {
	return cfn.Event{
		RequestType:        typ,
		RequestID:          "req-1",
		ResponseURL:        url,
		ResourceType:       "Custom::Test",
		PhysicalResourceID: physicalID,
		LogicalResourceID:  "Thing",
		StackID:            "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
		ResourceProperties: props,
	}
}

func payload(t *testing.T, ev cfn.Event) []byte {
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

func fastSend() SendOptions {
	return SendOptions{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func TestRuntimeAnswersExactlyOnce(t *testing.T) {
	ok := func(id string) Func {
		return func(context.Context, cfn.Event) (Result, error) {
			return Result{PhysicalResourceID: id, Data: map[string]any{"Answer": "42"}}, nil
		}
	}
	fail := func(id string) Func {
		return func(context.Context, cfn.Event) (Result, error) {
			return Result{PhysicalResourceID: id}, errors.New("boom")
		}
	}
	panics := func(context.Context, cfn.Event) (Result, error) { panic("kaput") }
	// hangs ignores its context entirely.
	hangs := func(context.Context, cfn.Event) (Result, error) { select {} }
	// stops honours its context and reports what it created.
	stops := func(ctx context.Context, _ cfn.Event) (Result, error) {
		<-ctx.Done()
		return Result{PhysicalResourceID: "half-made"}, ctx.Err()
	}
	badProps := func(_ context.Context, ev cfn.Event) (Result, error) {
		var p struct {
			RetentionInDays int `json:"RetentionInDays"`
		}
		if err := DecodeProperties(ev.ResourceProperties, &p); err != nil {
			return Result{}, err
		}
		return Result{PhysicalResourceID: "x"}, nil
	}

	tests := []struct {
		name       string
		typ        cfn.RequestType
		physicalID string
		props      map[string]any
		f          Func
		timeout    time.Duration
		wantStatus cfn.StatusType
		wantID     string
		wantReason string
		wantData   bool
		wantCalled bool
	}{
		{name: "create succeeds", typ: cfn.RequestCreate, f: ok("thing-1"), wantStatus: cfn.StatusSuccess, wantID: "thing-1", wantData: true, wantCalled: true},
		{name: "create without id falls back to request id", typ: cfn.RequestCreate, f: ok(""), wantStatus: cfn.StatusSuccess, wantID: "req-1", wantData: true, wantCalled: true},
		{name: "create fails", typ: cfn.RequestCreate, f: fail(""), wantStatus: cfn.StatusFailed, wantID: "cogwatch-failed-create-req-1", wantReason: "boom", wantCalled: true},
		{name: "create fails after creating", typ: cfn.RequestCreate, f: fail("half-made"), wantStatus: cfn.StatusFailed, wantID: "half-made", wantReason: "boom", wantCalled: true},
		{name: "create panics", typ: cfn.RequestCreate, f: panics, wantStatus: cfn.StatusFailed, wantID: "cogwatch-failed-create-req-1", wantReason: "the resource panicked: kaput", wantCalled: true},
		{name: "create hangs past the deadline", typ: cfn.RequestCreate, f: hangs, timeout: 400 * time.Millisecond, wantStatus: cfn.StatusFailed, wantID: "cogwatch-failed-create-req-1", wantReason: ErrDeadline.Error(), wantCalled: true},
		{name: "create stops at its deadline", typ: cfn.RequestCreate, f: stops, timeout: 400 * time.Millisecond, wantStatus: cfn.StatusFailed, wantID: "half-made", wantReason: "context deadline exceeded", wantCalled: true},
		{name: "create with bad properties", typ: cfn.RequestCreate, props: map[string]any{"RetentionInDays": "thirty"}, f: badProps, wantStatus: cfn.StatusFailed, wantID: "cogwatch-failed-create-req-1", wantReason: `property RetentionInDays: "thirty" is not an integer`, wantCalled: true},
		{name: "create with unknown property", typ: cfn.RequestCreate, props: map[string]any{"ServiceToken": "arn", "Retention": "1"}, f: badProps, wantStatus: cfn.StatusFailed, wantID: "cogwatch-failed-create-req-1", wantReason: "property Retention: unknown property", wantCalled: true},
		{name: "update keeps the id", typ: cfn.RequestUpdate, physicalID: "thing-1", f: ok(""), wantStatus: cfn.StatusSuccess, wantID: "thing-1", wantData: true, wantCalled: true},
		{name: "update replaces", typ: cfn.RequestUpdate, physicalID: "thing-1", f: ok("thing-2"), wantStatus: cfn.StatusSuccess, wantID: "thing-2", wantData: true, wantCalled: true},
		{name: "update fails keeps the old id", typ: cfn.RequestUpdate, physicalID: "thing-1", f: fail("thing-2"), wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: "boom", wantCalled: true},
		{name: "update panics", typ: cfn.RequestUpdate, physicalID: "thing-1", f: panics, wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: "panicked", wantCalled: true},
		{name: "update hangs", typ: cfn.RequestUpdate, physicalID: "thing-1", f: hangs, timeout: 400 * time.Millisecond, wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: ErrDeadline.Error(), wantCalled: true},
		{name: "delete succeeds with the event id", typ: cfn.RequestDelete, physicalID: "thing-1", f: ok("other"), wantStatus: cfn.StatusSuccess, wantID: "thing-1", wantData: true, wantCalled: true},
		{name: "delete fails", typ: cfn.RequestDelete, physicalID: "thing-1", f: fail(""), wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: "boom", wantCalled: true},
		{name: "delete panics", typ: cfn.RequestDelete, physicalID: "thing-1", f: panics, wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: "panicked", wantCalled: true},
		{name: "delete hangs", typ: cfn.RequestDelete, physicalID: "thing-1", f: hangs, timeout: 400 * time.Millisecond, wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: ErrDeadline.Error(), wantCalled: true},
		{name: "delete after failed create touches nothing", typ: cfn.RequestDelete, physicalID: "cogwatch-failed-create-req-0", f: panics, wantStatus: cfn.StatusSuccess, wantID: "cogwatch-failed-create-req-0"},
		{name: "unknown request type", typ: "Replace", physicalID: "thing-1", f: panics, wantStatus: cfn.StatusFailed, wantID: "thing-1", wantReason: `RequestType "Replace" is not Create, Update or Delete`},
		{name: "update without physical id", typ: cfn.RequestUpdate, f: panics, wantStatus: cfn.StatusFailed, wantID: "cogwatch-failed-create-req-1", wantReason: "PhysicalResourceId is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, url := serve(t)
			var called atomic.Bool
			f := func(ctx context.Context, ev cfn.Event) (Result, error) {
				called.Store(true)
				return tc.f(ctx, ev)
			}
			rt := New(f, Options{Reserve: 5 * time.Millisecond, Margin: 100 * time.Millisecond, Grace: 100 * time.Millisecond, Send: fastSend()})
			ctx := t.Context()
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()

			out, err := rt.Invoke(ctx, payload(t, testEvent(url, tc.typ, tc.physicalID, tc.props)))
			require.NoError(t, err)
			require.True(t, time.Now().Before(deadline), "answered after the deadline")

			got := rec.only(t)
			require.Equal(t, tc.wantStatus, got.Status)
			require.Equal(t, tc.wantID, got.PhysicalResourceID)
			require.Equal(t, "req-1", got.RequestID)
			require.Equal(t, "Thing", got.LogicalResourceID)
			require.Equal(t, "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1", got.StackID)
			require.Contains(t, got.Reason, tc.wantReason)
			if tc.wantReason == "" {
				require.Empty(t, got.Reason)
			}
			require.Equal(t, tc.wantData, got.Data != nil)
			require.Equal(t, tc.wantCalled, called.Load())
			require.JSONEq(t, string(rec.requests()[0]), string(out), "Invoke returns what it sent")
			require.Empty(t, rec.headers[0].Get("Content-Type"), "pre-signed URLs are signed without a content type")

			// A Func that returns after the watchdog must not answer again.
			time.Sleep(50 * time.Millisecond)
			require.Len(t, rec.requests(), 1)
		})
	}
}

func TestRuntimeUndecodableEvents(t *testing.T) {
	rec, url := serve(t)
	rt := New(func(context.Context, cfn.Event) (Result, error) { panic("not reached") }, Options{Send: fastSend()})

	t.Run("malformed properties still answer", func(t *testing.T) {
		p := `{"RequestType":"Create","RequestId":"r","ResponseURL":"` + url + `","LogicalResourceId":"L","StackId":"S","ResourceProperties":"oops"}`
		_, err := rt.Invoke(t.Context(), []byte(p))
		require.NoError(t, err)
		got := rec.only(t)
		require.Equal(t, cfn.StatusFailed, got.Status)
		require.Equal(t, "cogwatch-failed-create-r", got.PhysicalResourceID)
		require.Contains(t, got.Reason, "invalid custom resource event")
	})
	t.Run("no response URL cannot answer", func(t *testing.T) {
		for _, p := range []string{`{}`, `not json`, `{"RequestType":"Create","ResponseURL":"ftp://x"}`} {
			_, err := rt.Invoke(t.Context(), []byte(p))
			require.ErrorIs(t, err, ErrBadEvent, p)
		}
		require.Len(t, rec.requests(), 1, "nothing more was sent")
	})
}

func TestRuntimeRetriesThePut(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		wantPuts int
	}{
		{name: "first attempt", wantPuts: 1},
		{name: "after server errors", statuses: []int{500, 503}, wantPuts: 3},
		{name: "after throttling", statuses: []int{429}, wantPuts: 2},
		{name: "expired URL is not retried", statuses: []int{403}, wantPuts: 1},
		{name: "gives up after the attempts", statuses: []int{500, 500, 500, 500, 500, 500}, wantPuts: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, url := serve(t, tc.statuses...)
			rt := New(func(context.Context, cfn.Event) (Result, error) { return Result{PhysicalResourceID: "p"}, nil },
				Options{Send: fastSend()})
			_, err := rt.Invoke(t.Context(), payload(t, testEvent(url, cfn.RequestCreate, "", nil)))
			require.NoError(t, err, "after answering, never an error")
			require.Len(t, rec.requests(), tc.wantPuts)
		})
	}
}

func TestBodyKeepsTheLimit(t *testing.T) {
	ev := testEvent("https://example.invalid/x", cfn.RequestCreate, "", nil)
	t.Run("long reason is trimmed", func(t *testing.T) {
		r := NewResponse(ev, cfn.StatusFailed, "id", strings.Repeat("é<\"", 3000))
		b, got, err := Body(r)
		require.NoError(t, err)
		require.LessOrEqual(t, len(b), MaxBodySize)
		require.Greater(t, len(b), MaxBodySize-64, "trims no more than needed")
		require.True(t, strings.HasSuffix(got.Reason, truncated))
		var back cfn.Response
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, got.Reason, back.Reason)
		require.Equal(t, "id", back.PhysicalResourceID)
		require.Equal(t, ev.StackID, back.StackID)
	})
	t.Run("oversized data fails the answer", func(t *testing.T) {
		r := NewResponse(ev, cfn.StatusSuccess, "id", "")
		r.Data = map[string]any{"Big": strings.Repeat("x", 5000)}
		b, got, err := Body(r)
		require.NoError(t, err)
		require.LessOrEqual(t, len(b), MaxBodySize)
		require.Equal(t, cfn.StatusFailed, got.Status)
		require.Nil(t, got.Data)
		require.Contains(t, got.Reason, "exceeds")
	})
	t.Run("unencodable data fails the answer", func(t *testing.T) {
		r := NewResponse(ev, cfn.StatusSuccess, "id", "")
		r.Data = map[string]any{"C": make(chan int)}
		_, got, err := Body(r)
		require.NoError(t, err)
		require.Equal(t, cfn.StatusFailed, got.Status)
	})
}

// TestWatchdogInFakeTime runs a Lambda-sized deadline (15 minutes) in fake time:
// the answer leaves before the deadline, with the margin kept.
func TestWatchdogInFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &responder{}
		client := doerFunc(func(r *http.Request) (*http.Response, error) {
			w := httptest.NewRecorder()
			rec.ServeHTTP(w, r)
			return w.Result(), nil
		})
		var answeredAt time.Time
		release := make(chan struct{})
		defer close(release) // the hung Func ends with the test, inside the bubble
		rt := New(func(context.Context, cfn.Event) (Result, error) { <-release; return Result{}, nil },
			Options{Send: SendOptions{Client: client}})
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
		defer cancel()
		deadline, _ := ctx.Deadline()
		_, err := rt.Invoke(ctx, payload(t, testEvent("https://cloudformation.invalid/r", cfn.RequestCreate, "", nil)))
		answeredAt = time.Now()
		require.NoError(t, err)
		require.Equal(t, cfn.StatusFailed, rec.only(t).Status)
		require.Equal(t, 5*time.Second+250*time.Millisecond, deadline.Sub(answeredAt), "the watchdog keeps the margin and the reserve")
	})
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// hangingURL is a response URL that never answers: it holds every request
// until the client gives up.
func hangingURL(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets Close return
	return srv.URL + "/r"
}

// TestRuntimeReturnsBeforeTheDeadlineWhenThePutHangs: a response URL that
// never answers does not keep the function to its deadline, whether the
// resource returned at once, failed, or the watchdog answered for it. With
// 300ms left, the runtime gives up on the PUT 75ms (its reserve) before the
// deadline. Wall-clock time on a loaded machine can stall any single run for
// longer than that, so the median of several runs is held to a margin; the
// exact reserve is TestSendKeepsTheReserveInFakeTime's. The margins are
// logged: go test -run ThePutHangs -count=10 -v | grep margin.
func TestRuntimeReturnsBeforeTheDeadlineWhenThePutHangs(t *testing.T) {
	url := hangingURL(t)
	tests := []struct {
		name string
		f    Func
	}{
		{name: "resource returns", f: func(context.Context, cfn.Event) (Result, error) { return Result{PhysicalResourceID: "p"}, nil }},
		{name: "resource fails", f: func(context.Context, cfn.Event) (Result, error) { return Result{}, errors.New("boom") }},
		{name: "resource hangs", f: func(ctx context.Context, _ cfn.Event) (Result, error) { <-ctx.Done(); select {} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var margins []time.Duration
			for range 5 {
				rt := New(tc.f, Options{})
				ev := payload(t, testEvent(url, cfn.RequestCreate, "", nil))
				ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
				deadline, _ := ctx.Deadline()
				_, err := rt.Invoke(ctx, ev)
				margin := time.Until(deadline)
				cancel()
				require.NoError(t, err, "after trying to answer, never an error")
				t.Logf("margin %v", margin)
				margins = append(margins, margin)
			}
			slices.Sort(margins)
			require.Greater(t, margins[len(margins)/2], 20*time.Millisecond, "median margin before the deadline")
		})
	}
}

// TestSendKeepsTheReserveInFakeTime runs Lambda-sized deadlines in fake time
// against a response URL that never answers: the runtime retries while time
// remains and returns at least the reserve before the deadline.
func TestSendKeepsTheReserveInFakeTime(t *testing.T) {
	tests := []struct {
		name        string
		timeout     time.Duration
		hangs       bool
		wantReserve time.Duration
		wantTries   int32 // at least
	}{
		{name: "resource returns at once, 3s left", timeout: 3 * time.Second, wantReserve: 250 * time.Millisecond, wantTries: 2},
		{name: "watchdog answers, 15 minutes", timeout: 15 * time.Minute, hangs: true, wantReserve: 250 * time.Millisecond, wantTries: 3},
		{name: "resource returns at once, 400ms left", timeout: 400 * time.Millisecond, wantReserve: 100 * time.Millisecond, wantTries: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var attempts atomic.Int32
				client := doerFunc(func(r *http.Request) (*http.Response, error) {
					attempts.Add(1)
					<-r.Context().Done()
					return nil, r.Context().Err()
				})
				release := make(chan struct{})
				defer close(release)
				rt := New(func(context.Context, cfn.Event) (Result, error) {
					if tc.hangs {
						<-release
					}
					return Result{PhysicalResourceID: "p"}, nil
				}, Options{Send: SendOptions{Client: client}})
				ctx, cancel := context.WithTimeout(t.Context(), tc.timeout)
				defer cancel()
				deadline, _ := ctx.Deadline()
				_, err := rt.Invoke(ctx, payload(t, testEvent("https://cloudformation.invalid/r", cfn.RequestCreate, "", nil)))
				require.NoError(t, err)
				require.GreaterOrEqual(t, time.Until(deadline), tc.wantReserve, "returned inside the reserve")
				require.Less(t, time.Until(deadline), tc.wantReserve+time.Second, "gave up early")
				require.GreaterOrEqual(t, attempts.Load(), tc.wantTries, "a hung attempt leaves time for another")
			})
		})
	}
}
