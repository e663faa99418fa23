package exporter_test

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
)

// TestSoakSlowClients holds the SNS listener at its connection cap (the
// default, four times the default verification slots) with clients that
// send the headers and one byte of a 1 MiB body, and reconnect as soon as
// they are closed, while real signed deliveries arrive at a steady rate, each
// on a new connection: every delivery is answered 200 and counted, none 5xx,
// and the open connections never pass the cap. It logs the memory that the
// slow connections hold (both ends: the test is client and server).
func TestSoakSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	const (
		slow       = exporter.DefaultSNSMaxConnections
		deliveries = 200
		every      = 25 * time.Millisecond // 40 deliveries a second, 5 s
	)
	s := newServed(t, nil) // the binary's defaults: caps, timeouts, slots
	bodies := make([][]byte, deliveries)
	for i := range bodies {
		bodies[i] = s.notification(t, fmt.Sprintf("soak-%d", i), event.SignInSucceeded, "c", "")
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	var (
		mu         sync.Mutex
		conns      = map[net.Conn]bool{}
		stopping   atomic.Bool
		reconnects atomic.Int64
		wg         sync.WaitGroup
	)
	for range slow {
		wg.Go(func() {
			for !stopping.Load() {
				c, err := net.Dial("tcp", s.snsAddr)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				mu.Lock()
				conns[c] = true
				mu.Unlock()
				_, _ = fmt.Fprintf(c, "POST /sns HTTP/1.1\r\nHost: exporter\r\nContent-Length: %d\r\n\r\n{", 1<<20-1)
				var b [1]byte
				_, _ = c.Read(b[:]) // until the exporter closes it, or answers
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				reconnects.Add(1)
			}
		})
	}
	open := func() float64 { return labelled(t, s.reg, exporter.MetricConnections, "listener", "sns") }
	t0 := time.Now()
	require.Eventually(t, func() bool { return open() == slow }, 30*time.Second, 10*time.Millisecond, "the slow clients fill the cap")
	filled := time.Since(t0)
	t0 = time.Now()
	var held runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&held)

	codes := map[int]int{}
	maxOpen := 0.0
	tick := time.NewTicker(every)
	for _, body := range bodies {
		<-tick.C
		code, err := postNew(t, s.snsAddr, body)
		require.NoError(t, err)
		codes[code]++
		maxOpen = max(maxOpen, open())
	}
	tick.Stop()
	delivered := time.Since(t0)
	stillSlow := open()
	stopping.Store(true)
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()

	require.Equal(t, map[int]int{http.StatusOK: deliveries}, codes)
	require.Equal(t, float64(deliveries), sum(t, s.reg, exporter.MetricUserEvents))
	require.Zero(t, sum(t, s.reg, exporter.MetricFailed))
	require.LessOrEqual(t, maxOpen, float64(slow))
	perConn := (int64(held.HeapInuse+held.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / slow
	t.Logf("%d slow connections at the cap (filled in %v); %d deliveries, one every %v, in %v: all 200 and counted; %d slow connections closed to make room, %d reconnected; %.0f open at the end",
		slow, filled.Round(time.Millisecond), deliveries, every, delivered.Round(time.Millisecond),
		int(labelled(t, s.reg, exporter.MetricConnsClosed, "listener", "sns")), reconnects.Load(), stillSlow)
	t.Logf("memory held by the slow connections (heap+stacks in use, client and server ends): %.1f MiB, %.1f KiB each; heap in use %.1f MiB",
		float64(perConn*slow)/(1<<20), float64(perConn)/1024, float64(held.HeapInuse)/(1<<20))
}
