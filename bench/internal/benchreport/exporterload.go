package benchreport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

// LoadResult is what a bounded load run measured.
type LoadResult struct {
	Name     string
	Sent, OK int
	Elapsed  time.Duration
	P50, P99 time.Duration
	// CPU is this process's CPU time per notification during the run:
	// receiver and load generator together (the generator is the same for
	// every receiver, so differences are the receivers').
	CPU time.Duration
}

// PerSecond is the rate of requests answered 200.
func (l LoadResult) PerSecond() float64 { return float64(l.OK) / l.Elapsed.Seconds() }

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ScrapeResult is the time of GET /metrics with Series user-event series.
type ScrapeResult struct {
	Name    string
	Series  int
	Lines   int // samples in the exposition, every family
	Bytes   int
	Median  time.Duration
	Scrapes int
}

// ExporterConfig bounds the exporter's load run.
type ExporterConfig struct {
	// Pools × Clients × 5 event types is the number of notifications sent,
	// and of cogwatch_user_events_total series they create.
	Pools, Clients int
	Workers        int           // concurrent senders, each with keep-alive
	MaxTime        time.Duration // the load stops at this bound even if not all is sent
	Scrapes        int
	Log            func(format string, args ...any)
}

// ExporterBench runs the exporter (verify, dedupe, count) and, as the
// alternative, a receiver that trusts what it gets (no signature check, no
// dedupe, a plain CounterVec), under the same bounded load on 127.0.0.1,
// then times scrapes of both at the series the load created.
func ExporterBench(ctx context.Context, cfg ExporterConfig) ([]LoadResult, []ScrapeResult, error) {
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	sns, err := snstest.NewServer("us-east-1", nil)
	if err != nil {
		return nil, nil, err
	}
	defer sns.Close()
	topic := sns.TopicARN("user-events")
	bodies, err := signedNotifications(sns, topic, cfg.Pools, cfg.Clients, cfg.Workers)
	if err != nil {
		return nil, nil, err
	}
	logf("exporter: %d notifications signed", len(bodies))

	reg := prometheus.NewRegistry()
	exp, err := exporter.New(exporter.Options{
		Topics: []string{topic}, HTTPClient: sns.Client(), Registerer: reg, Gatherer: reg,
		MaxPools: cfg.Pools, MaxClients: cfg.Pools * cfg.Clients, MaxInFlight: 4 * cfg.Workers,
	})
	if err != nil {
		return nil, nil, err
	}
	naiveReg := prometheus.NewRegistry()
	naive := newNaiveReceiver(naiveReg)

	var loads []LoadResult
	var scrapes []ScrapeResult
	for _, rc := range []struct {
		name    string
		sns     http.Handler
		metrics http.Handler
	}{
		{"cogwatch exporter (verified, deduplicated)", exp.SNSHandler(), exp.MetricsHandler()},
		{"receiver without verification (alternative)", naive, promhttp.HandlerFor(naiveReg, promhttp.HandlerOpts{})},
	} {
		l, err := serveLoopback(rc.sns)
		if err != nil {
			return nil, nil, err
		}
		cpu0 := selfCPU()
		res, err := load(ctx, "http://"+l.Addr().String()+"/sns", bodies, cfg.Workers, cfg.MaxTime)
		if res.Sent > 0 {
			res.CPU = (selfCPU() - cpu0) / time.Duration(res.Sent)
		}
		_ = l.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", rc.name, err)
		}
		res.Name = rc.name
		if res.OK != len(bodies) {
			return nil, nil, fmt.Errorf("%s: %d of %d notifications answered 200", rc.name, res.OK, len(bodies))
		}
		logf("exporter load %s: %.0f/s p99 %v", rc.name, res.PerSecond(), res.P99)
		loads = append(loads, res)

		ml, err := serveLoopback(rc.metrics)
		if err != nil {
			return nil, nil, err
		}
		sc, err := scrape(ctx, "http://"+ml.Addr().String()+"/metrics", cfg.Scrapes)
		_ = ml.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", rc.name, err)
		}
		sc.Name = rc.name
		logf("exporter scrape %s: %d series, %v", rc.name, sc.Series, sc.Median)
		scrapes = append(scrapes, sc)
	}
	return loads, scrapes, nil
}

// eventTypes are the types sent: every type but the rejection, whose
// reason label would add series of its own.
var eventTypes = []event.Type{event.SignUpAccepted, event.UserConfirmed, event.PasswordReset, event.SignInAttempted, event.SignInSucceeded}

// signedNotifications returns one signed notification per (pool, client,
// type), every MessageId and event id distinct, signed concurrently.
func signedNotifications(sns *snstest.Server, topic string, pools, clients, workers int) ([][]byte, error) {
	n := pools * clients * len(eventTypes)
	bodies := make([][]byte, n)
	errs := make([]error, max(workers, 1))
	now := time.Now().UTC().Truncate(time.Second)
	var wg sync.WaitGroup
	for w := range max(workers, 1) {
		wg.Go(func() {
			for i := w; i < n; i += max(workers, 1) {
				typ := eventTypes[i%len(eventTypes)]
				pool := fmt.Sprintf("us-east-1_bench%04d", i/len(eventTypes)/clients)
				client := fmt.Sprintf("client%05d", i/len(eventTypes)%clients)
				msg, err := event.Marshal(event.Event{
					SpecVersion: event.SpecVersion, ID: snstest.NewID(), Source: event.Source("us-east-1", pool), Type: typ,
					Time: now, DataContentType: event.ContentType,
					Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: pool, ClientID: client,
						TriggerSource: "PostAuthentication_Authentication", Region: "us-east-1", LatencyMs: 12},
				})
				if err != nil {
					errs[w] = err
					return
				}
				bodies[i] = snstest.Marshal(sns.Notification(topic, string(msg), now, "2"))
			}
		})
	}
	wg.Wait()
	return bodies, errors.Join(errs...)
}

func serveLoopback(h http.Handler) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return l, nil
}

// load posts every body once, from workers senders with keep-alive,
// stopping early at maxTime.
func load(ctx context.Context, url string, bodies [][]byte, workers int, maxTime time.Duration) (LoadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	lat := make([][]float64, workers)
	ok := make([]int, workers)
	sent := make([]int, workers)
	errs := make([]error, workers)
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(bodies) && ctx.Err() == nil; i += workers {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[i]))
				if err != nil {
					errs[w] = err
					return
				}
				req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
				req.Header.Set("x-amz-sns-message-type", "Notification")
				s := time.Now()
				resp, err := client.Do(req)
				sent[w]++
				if err != nil {
					if ctx.Err() == nil {
						errs[w] = err
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[w] = append(lat[w], float64(time.Since(s)))
				if resp.StatusCode == http.StatusOK {
					ok[w]++
				}
			}
		})
	}
	wg.Wait()
	r := LoadResult{Elapsed: time.Since(t0)}
	var all []float64
	for w := range workers {
		r.Sent += sent[w]
		r.OK += ok[w]
		all = append(all, lat[w]...)
	}
	r.P50, r.P99 = time.Duration(Percentile(all, 50)), time.Duration(Percentile(all, 99))
	return r, errors.Join(errs...)
}

// scrape GETs url n times and counts the user-event series in the last
// answer.
func scrape(ctx context.Context, url string, n int) (ScrapeResult, error) {
	var times []float64
	var body []byte
	for range max(n, 1) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return ScrapeResult{}, err
		}
		s := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return ScrapeResult{}, err
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return ScrapeResult{}, err
		}
		times = append(times, float64(time.Since(s)))
	}
	series := bytes.Count(body, []byte("\n"+exporter.MetricUserEvents+"{"))
	lines := 0
	for _, line := range bytes.Split(body, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			lines++
		}
	}
	return ScrapeResult{Series: series, Lines: lines, Bytes: len(body), Median: time.Duration(Median(times)), Scrapes: len(times)}, nil
}

// naiveReceiver is the alternative: it decodes the SNS envelope and the
// event and counts, trusting both (no signature, no dedupe, no caps).
type naiveReceiver struct {
	events *prometheus.CounterVec
}

func newNaiveReceiver(reg prometheus.Registerer) *naiveReceiver {
	n := &naiveReceiver{events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: exporter.MetricUserEvents,
		Help: "User events, trusted as received."}, []string{"type", "user_pool_id", "client_id", "reason"})}
	reg.MustRegister(n.events)
	return n
}

func (n *naiveReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var env struct{ Message string }
	if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
		http.Error(w, "bad envelope", http.StatusBadRequest)
		return
	}
	var e event.Event
	if err := json.Unmarshal([]byte(env.Message), &e); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	n.events.WithLabelValues(string(e.Type), e.Data.UserPoolID, e.Data.ClientID, e.Data.Reason).Inc()
}
