package exporter

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// connLimit caps the open connections of one http.Server (its ConnState and
// ConnContext hooks). At the cap, a new connection closes the one that has
// waited longest without a request being handled: one still to send its
// first request, idle between requests, or sending a request body. Clients
// that connect and stall therefore push each other out instead of locking
// out a delivery; only when every connection is being handled is the new
// one closed instead.
type connLimit struct {
	max    int
	open   prometheus.Gauge
	closed prometheus.Counter // closed at the cap, evicted or refused

	mu    sync.Mutex
	seq   uint64 // orders state changes: lower is longer ago
	conns map[net.Conn]*connState
}

type connState struct {
	state   http.ConnState
	seq     uint64
	reading int // handlers reading a request body
}

func newConnLimit(max int, open prometheus.Gauge, closed prometheus.Counter) *connLimit {
	return &connLimit{max: max, open: open, closed: closed, conns: make(map[net.Conn]*connState)}
}

// track is an http.Server's ConnState hook.
func (l *connLimit) track(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateNew:
		if len(l.conns) >= l.max && !l.evictLocked() {
			l.closed.Inc()
			c.Close()
			return
		}
		l.seq++
		l.conns[c] = &connState{state: s, seq: l.seq}
	case http.StateActive, http.StateIdle:
		if cs, ok := l.conns[c]; ok {
			l.seq++
			cs.state, cs.seq = s, l.seq
		}
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
	l.open.Set(float64(len(l.conns)))
}

// evictLocked closes the connection that has waited longest without a
// request being handled, if any.
func (l *connLimit) evictLocked() bool {
	var victim net.Conn
	var oldest uint64
	for c, cs := range l.conns {
		waiting := cs.state == http.StateNew || cs.state == http.StateIdle || cs.reading > 0
		if waiting && (victim == nil || cs.seq < oldest) {
			victim, oldest = c, cs.seq
		}
	}
	if victim == nil {
		return false
	}
	delete(l.conns, victim) // untracked now: its own StateClosed is a no-op
	victim.Close()
	l.closed.Inc()
	return true
}

// reading marks c as sending a request body until done is called.
func (l *connLimit) reading(c net.Conn) (done func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cs, ok := l.conns[c]; ok {
		cs.reading++
	}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if cs, ok := l.conns[c]; ok {
			cs.reading--
		}
	}
}

type connKey struct{}

// connRef is what a request's context knows of its connection.
type connRef struct {
	l *connLimit
	c net.Conn
}

// context is an http.Server's ConnContext hook.
func (l *connLimit) context(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, connRef{l, c})
}

// readingBody marks the request's connection, if a connLimit tracks it, as
// sending its body until done is called.
func readingBody(ctx context.Context) (done func()) {
	if ref, ok := ctx.Value(connKey{}).(connRef); ok {
		return ref.l.reading(ref.c)
	}
	return func() {}
}
