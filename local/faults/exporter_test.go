package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

// snsDeliverer posts notifications as SNS's HTTP delivery does, with its
// retries: a refused connection, a timeout or a 5xx is retried after a
// backoff; 2xx–4xx ends the delivery.
type snsDeliverer struct {
	url      string
	client   *http.Client
	refused  atomic.Int64 // failed connections (exporter down)
	status5x atomic.Int64 // 5xx answers
}

func (d *snsDeliverer) deliver(ctx context.Context, body []byte) (int, error) {
	backoff := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
		req.Header.Set("x-amz-sns-message-type", "Notification")
		resp, err := d.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return resp.StatusCode, nil
			}
			d.status5x.Add(1)
		} else {
			d.refused.Add(1)
		}
		if attempt == 100 {
			return 0, fmt.Errorf("not delivered after %d attempts: %v", attempt, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// runExporter serves an exporter on addr until stop is called; stop shuts
// it down gracefully (in-flight requests finish) and returns its registry.
func runExporter(t *testing.T, addr string, sns *snstest.Server, topic string, maxInFlight int) (stop func() *prometheus.Registry, bound string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	exp, err := exporter.New(exporter.Options{Topics: []string{topic}, HTTPClient: sns.Client(), Registerer: reg, Gatherer: reg,
		MaxInFlight: maxInFlight, ShutdownTimeout: 5 * time.Second})
	require.NoError(t, err)
	var snsL net.Listener
	for i := 0; ; i++ { // the port of a stopped exporter may take a moment to be free
		if snsL, err = net.Listen("tcp", addr); err == nil || i == 50 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, err)
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- exp.Serve(ctx, snsL, metricsL) }()
	var once sync.Once
	stop = func() *prometheus.Registry {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
		return reg
	}
	t.Cleanup(func() { stop() })
	return stop, snsL.Addr().String()
}

// counted sums a counter family over its series.
func counted(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			total += m.GetCounter().GetValue()
		}
	}
	return int(total)
}

// TestExporterRestartMidStream stops the exporter's SNS listener half way
// through a stream and starts a new exporter on the same address a moment
// later, then runs the second half with four concurrent senders against a
// small in-flight limit (503s, retried). With SNS's delivery retries nothing is lost
// and, duplicates (the same notification sent twice, as SNS's at-least-once
// delivery may) dropped by MessageId, nothing counts twice.
//
// goaws v0.4.4, the local SNS, does not retry: its publishHTTP calls the
// endpoint once and only logs a failure (app/gosns/gosns.go), so a
// notification it delivers while the exporter is down is lost. What
// cogwatch controls is tested here: the exporter down refuses connections,
// and an overloaded exporter answers 5xx, both of which SNS retries.
func TestExporterRestartMidStream(t *testing.T) {
	sns, err := snstest.NewServer("us-east-1", nil)
	require.NoError(t, err)
	defer sns.Close()
	topic := sns.TopicARN("user-events")
	const n = 400
	now := time.Now().UTC().Truncate(time.Second)
	bodies := make([][]byte, n)
	for i := range bodies {
		msg, err := event.Marshal(event.Event{SpecVersion: event.SpecVersion, ID: snstest.NewID(), Source: event.Source("us-east-1", "us-east-1_faults"),
			Type: testTypes[i%len(testTypes)], Time: now, DataContentType: event.ContentType,
			Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: "us-east-1_faults", TriggerSource: "PostAuthentication_Authentication", Region: "us-east-1", LatencyMs: 3}})
		require.NoError(t, err)
		bodies[i] = snstest.Marshal(sns.Notification(topic, string(msg), now, "2"))
	}

	stopA, addr := runExporter(t, "127.0.0.1:0", sns, topic, 256)
	d := &snsDeliverer{url: "http://" + addr + "/sns", client: &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true}}}
	duplicates := 0

	// First half, one sender, every tenth notification sent twice.
	var regA *prometheus.Registry
	var restarted chan func() *prometheus.Registry
	for i := range n / 2 {
		if i == n/4 { // the exporter goes down under the stream, back 300 ms later
			regA = stopA()
			restarted = make(chan func() *prometheus.Registry, 1)
			go func() {
				time.Sleep(300 * time.Millisecond)
				stopB, _ := runExporter(t, addr, sns, topic, 1)
				restarted <- stopB
			}()
		}
		code, err := d.deliver(t.Context(), bodies[i])
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		if i%10 == 1 {
			code, err = d.deliver(t.Context(), bodies[i])
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, code)
			duplicates++
		}
	}
	stopB := <-restarted
	require.Positive(t, d.refused.Load(), "the stream never met the stopped exporter")

	// Second half, four senders against MaxInFlight 1: some get 503.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 4 {
		wg.Go(func() {
			for i := n/2 + w; i < n; i += 4 {
				if code, err := d.deliver(t.Context(), bodies[i]); err != nil || code != http.StatusOK {
					errs <- fmt.Errorf("notification %d: %d %v", i, code, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	regB := stopB()

	a, b := counted(t, regA, exporter.MetricUserEvents), counted(t, regB, exporter.MetricUserEvents)
	require.Equal(t, n, a+b, "events counted before (%d) and after (%d) the restart", a, b)
	require.Equal(t, n/4, a)
	require.Equal(t, duplicates, counted(t, regA, exporter.MetricDuplicates)+counted(t, regB, exporter.MetricDuplicates))
	t.Logf("restart: %d connection failures retried, %d 5xx retried, %d duplicates dropped", d.refused.Load(), d.status5x.Load(), duplicates)
	tally(t, int(d.refused.Load()+d.status5x.Load())+duplicates+1, n)
}
