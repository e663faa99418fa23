package testutil

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// HangingProxy stands in front of a service (SNS, in the tests of the
// breaker and the fault suite) and forwards every request, or, while Hang is
// set, hangs it until the client gives up, as a browned-out service does.
type HangingProxy struct {
	Hang     atomic.Bool
	Requests atomic.Int64 // requests that reached the proxy
	Hung     atomic.Int64 // requests it hung
}

// Start serves p on loopback in front of target until the test ends, and
// returns its URL.
func (p *HangingProxy) Start(t testing.TB, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	fwd := httputil.NewSingleHostReverseProxy(u)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Requests.Add(1)
		if p.Hang.Load() {
			p.Hung.Add(1)
			_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client hanging up
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		fwd.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for the handlers
	return srv.URL
}
