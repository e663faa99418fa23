package exporter

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// pipeConn is one end of a net.Pipe that remembers being closed.
type pipeConn struct {
	net.Conn
	closed bool
}

func (c *pipeConn) Close() error { c.closed = true; return c.Conn.Close() }

func newPipeConn(t *testing.T) *pipeConn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &pipeConn{Conn: a}
}

func TestConnLimit(t *testing.T) {
	newLimit := func(max int) (*connLimit, prometheus.Gauge, prometheus.Counter) {
		open := prometheus.NewGauge(prometheus.GaugeOpts{Name: "open"})
		closed := prometheus.NewCounter(prometheus.CounterOpts{Name: "closed"})
		return newConnLimit(max, open, closed), open, closed
	}
	t.Run("evicts the one waiting longest", func(t *testing.T) {
		l, open, closed := newLimit(3)
		a, b, c, d := newPipeConn(t), newPipeConn(t), newPipeConn(t), newPipeConn(t)
		l.track(a, http.StateNew)
		l.track(b, http.StateNew)
		l.track(c, http.StateNew)
		l.track(a, http.StateActive) // a's request is being handled: not evictable
		l.track(b, http.StateActive)
		l.track(b, http.StateIdle) // b answered, now idle: waiting since after c connected
		l.track(d, http.StateNew)
		require.True(t, c.closed, "c waited longest (since it connected)")
		require.False(t, a.closed || b.closed || d.closed)
		require.Equal(t, 3.0, testutil.ToFloat64(open))
		require.Equal(t, 1.0, testutil.ToFloat64(closed))
		l.track(c, http.StateClosed) // the evicted connection's own close changes nothing
		require.Equal(t, 3.0, testutil.ToFloat64(open))
	})
	t.Run("a connection sending its body is waiting", func(t *testing.T) {
		l, _, _ := newLimit(2)
		a, b, c := newPipeConn(t), newPipeConn(t), newPipeConn(t)
		l.track(a, http.StateNew)
		l.track(a, http.StateActive)
		done := readingBody(l.context(context.Background(), a))
		l.track(b, http.StateNew)
		l.track(b, http.StateActive)
		l.track(c, http.StateNew)
		require.True(t, a.closed, "a's body was still arriving")
		require.False(t, b.closed)
		done() // a's handler returns after the close: nothing to undo
	})
	t.Run("refuses when every connection is being handled", func(t *testing.T) {
		l, open, closed := newLimit(2)
		a, b, c := newPipeConn(t), newPipeConn(t), newPipeConn(t)
		for _, x := range []*pipeConn{a, b} {
			l.track(x, http.StateNew)
			l.track(x, http.StateActive)
			done := readingBody(l.context(context.Background(), x))
			done() // body read: now being verified
		}
		l.track(c, http.StateNew)
		require.True(t, c.closed)
		require.False(t, a.closed || b.closed)
		require.Equal(t, 2.0, testutil.ToFloat64(open))
		require.Equal(t, 1.0, testutil.ToFloat64(closed))
		l.track(a, http.StateClosed)
		d := newPipeConn(t)
		l.track(d, http.StateNew)
		require.False(t, d.closed, "room again")
	})
	t.Run("outside a server", func(t *testing.T) {
		readingBody(context.Background())() // no connection to mark: nothing happens
	})
}
