package snsstub

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// Fault is how the stand-in answers one Publish.
type Fault int

// The faults a Server can inject.
const (
	// OK answers the Publish with a message id.
	OK Fault = iota
	// Slow answers OK after the server's Delay, or not at all if the
	// client gives up first.
	Slow
	// Throttle answers HTTP 400 with SNS's Throttling error (Sender fault).
	Throttle
	// ServerError answers HTTP 500 with an InternalError (Receiver fault).
	ServerError
)

// String names the fault, for test names and summaries.
func (f Fault) String() string {
	switch f {
	case OK:
		return "ok"
	case Slow:
		return "slow"
	case Throttle:
		return "throttle"
	case ServerError:
		return "5xx"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Server is the stand-in. Its zero value is not usable: call Start.
type Server struct {
	// URL is the endpoint, for AWS_ENDPOINT_URL_SNS or sns.Options.BaseEndpoint.
	URL string

	srv   *httptest.Server
	delay time.Duration
	plan  func(n int) Fault

	mu        sync.Mutex
	requests  int
	published []string
	injected  map[Fault]int
}

// Start serves on 127.0.0.1. plan chooses the answer to the n-th request
// (from 0); nil answers every request OK. delay is how long Slow waits.
func Start(plan func(n int) Fault, delay time.Duration) *Server {
	s := &Server{plan: plan, delay: delay, injected: map[Fault]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Always returns a plan that answers every request with f.
func Always(f Fault) func(int) Fault { return func(int) Fault { return f } }

// Close stops the server, waiting for requests in flight (a Slow answer
// ends at once: its client is gone or the server is closing).
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Requests is the number of requests received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Published returns the Message of every Publish answered OK, in order.
func (s *Server) Published() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.published...)
}

// Injected returns how many requests got each fault other than OK.
func (s *Server) Injected() map[Fault]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Fault]int, len(s.injected))
	for f, n := range s.injected {
		out[f] = n
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "Publish" {
		writeError(w, http.StatusBadRequest, "Sender", "InvalidAction", "only Publish is served")
		return
	}
	s.mu.Lock()
	n := s.requests
	s.requests++
	f := OK
	if s.plan != nil {
		f = s.plan(n)
	}
	if f != OK {
		s.injected[f]++
	}
	s.mu.Unlock()

	switch f {
	case Throttle:
		writeError(w, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded")
		return
	case ServerError:
		writeError(w, http.StatusInternalServerError, "Receiver", "InternalError", "injected failure")
		return
	case Slow:
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	s.published = append(s.published, form.Get("Message"))
	id := len(s.published)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-4000-8000-%012d</MessageId></PublishResult><ResponseMetadata><RequestId>req-%d</RequestId></ResponseMetadata></PublishResponse>`, id, n)
}

// writeError writes the Query protocol's error document, which the SDK
// decodes into a smithy.APIError with this code and fault.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>injected</RequestId></ErrorResponse>`, typ, code, msg)
}

// RefusedURL returns an http URL on 127.0.0.1 where nothing listens: the
// port was just bound and released, so a connection is refused.
func RefusedURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}
