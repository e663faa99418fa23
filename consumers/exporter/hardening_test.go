package exporter_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

// served is a fixture whose exporter runs Serve on two loopback listeners,
// with the servers, timeouts and connection caps of the binary.
type served struct {
	*fixture
	snsAddr, metricsAddr string
	stop                 func() error
}

func newServed(t *testing.T, mod func(*exporter.Options)) *served {
	t.Helper()
	f := newFixture(t, mod)
	snsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.exp.Serve(ctx, snsL, metricsL) }()
	var once sync.Once
	var stopErr error
	s := &served{fixture: f, snsAddr: snsL.Addr().String(), metricsAddr: metricsL.Addr().String()}
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("Serve did not return")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = s.stop() })
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + s.snsAddr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond)
	return s
}

// postTo posts body to addr's /sns on a new connection.
func postNew(t testing.TB, addr string, body []byte) (int, error) {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post("http://"+addr+"/sns", "text/plain; charset=UTF-8", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// slowRequest opens a connection to addr and sends the headers of POST /sns
// announcing n bytes of body, then the first bytes of it.
func slowRequest(t testing.TB, addr string, n int, first string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = fmt.Fprintf(c, "POST /sns HTTP/1.1\r\nHost: exporter\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s", n, first)
	require.NoError(t, err)
	return c
}

// closedWithin reports whether the server closes c (or answers and closes)
// within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// sum adds up every series of a counter or gauge family.
func sum(t testing.TB, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_GAUGE:
				total += m.GetGauge().GetValue()
			default:
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// labelled returns the value of the series of name whose label has value.
func labelled(t testing.TB, g prometheus.Gatherer, name, label, value string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

// TestSlowBodiesHoldNoSlot: clients that announce a body and send one byte
// of it, twice as many as there are verification slots, do not hold the
// slots: a real delivery beside them is verified and counted.
func TestSlowBodiesHoldNoSlot(t *testing.T) {
	f := newFixture(t, func(o *exporter.Options) { o.MaxInFlight = 4 })
	addr := f.srv.Listener.Addr().String()
	for range 8 {
		slowRequest(t, addr, 1<<20-1, "{")
	}
	require.Eventually(t, func() bool { return sum(t, f.reg, exporter.MetricReceived) == 8 }, 10*time.Second, 5*time.Millisecond,
		"the slow requests reached the handler")
	require.Equal(t, http.StatusOK, f.post(t, f.notification(t, "e1", event.SignInSucceeded, "c", "")))
	require.Equal(t, 1.0, sum(t, f.reg, exporter.MetricUserEvents))
	require.Zero(t, sum(t, f.reg, exporter.MetricFailed))
}

// TestIncompleteBodyIsRejected: a body cut short by the client is the
// client's error (4xx, rejected), never counted as the exporter's failure,
// which on-call alerts on.
func TestIncompleteBodyIsRejected(t *testing.T) {
	f := newFixture(t, nil)
	c := slowRequest(t, f.srv.Listener.Addr().String(), 1000, `{"Type":"Notification"`)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, 1.0, counter(t, f.reg, exporter.MetricRejected, "incomplete_body"))
	require.Zero(t, sum(t, f.reg, exporter.MetricFailed))
}

// TestOversizedBody: too large is refused by its Content-Length before it is
// read, and without one (chunked) as soon as it passes the limit.
func TestOversizedBody(t *testing.T) {
	f := newFixture(t, func(o *exporter.Options) { o.MaxBodyBytes = 64 << 10 })
	body := bytes.Repeat([]byte("x"), 70<<10)
	for name, r := range map[string]io.Reader{
		"Content-Length": bytes.NewReader(body),
		"chunked":        io.MultiReader(bytes.NewReader(body)), // no length known: chunked
	} {
		t.Run(name, func(t *testing.T) {
			before := counter(t, f.reg, exporter.MetricRejected, "too_large")
			resp, err := http.Post(f.srv.URL+"/sns", "text/plain", r)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
			require.Equal(t, before+1, counter(t, f.reg, exporter.MetricRejected, "too_large"))
		})
	}
}

// lineBuffer collects log output, safe for concurrent writers.
type lineBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lineBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.b.String(), "\n"), "\n")
}

// TestLogLinesBounded sends huge values in every field of every message type,
// signed and unsigned, and a huge raw delivery: no log line grows past 4 KiB,
// in JSON or in text, at debug level.
func TestLogLinesBounded(t *testing.T) {
	// ~900 KB that escapes badly: control bytes, non-ASCII, quotes, and
	// invalid UTF-8 where nothing is signed (JSON encoding replaces it).
	huge := strings.Repeat("\x01é\xff\"\\", 150_000)
	hugeValid := strings.Repeat("\x01é\"\\", 180_000)
	// The verifier refuses control characters in MessageId (they could shift
	// a field inside the string to sign): a signed huge id has none.
	hugeID := strings.Repeat("é\"\\", 225_000)
	for name, handler := range map[string]func(io.Writer) slog.Handler{
		"json": func(w io.Writer) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"text": func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		t.Run(name, func(t *testing.T) {
			var logs lineBuffer
			refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no", http.StatusServiceUnavailable)
			}))
			defer refusing.Close()
			f := newFixture(t, func(o *exporter.Options) {
				o.Logger = slog.New(handler(&logs))
				o.MaxBodyBytes = 8 << 20
				o.TrustedURLPrefixes = []string{refusing.URL + "/"}
			})
			var bodies [][]byte
			notification := func() *snsverify.Message {
				return f.sns.Notification(f.topic, userEvent(t, snstest.NewID(), event.SignInSucceeded, "c", "", 1), f.now, "2")
			}
			fields := func(m *snsverify.Message) []*string {
				return []*string{&m.Type, &m.MessageID, &m.TopicARN, &m.Subject, &m.Message, &m.Timestamp,
					&m.SignatureVersion, &m.Signature, &m.SigningCertURL, &m.SubscribeURL, &m.Token}
			}
			for i := range fields(&snsverify.Message{}) {
				for _, m := range []*snsverify.Message{notification(), f.sns.Confirmation(f.topic, f.now, "2")} {
					*fields(m)[i] = huge // unsigned: the signature no longer matches
					bodies = append(bodies, snstest.Marshal(m))
				}
			}
			// Signed with huge values, so that they pass verification and
			// reach the handler's own log lines.
			signed := notification()
			signed.MessageID = hugeID
			f.sns.Sign(signed, "2")
			bodies = append(bodies, snstest.Marshal(signed), snstest.Marshal(signed)) // the second: a duplicate, logged at debug
			bigEvent := notification()
			bigEvent.Message = userEvent(t, hugeValid, event.SignInSucceeded, "c", "", 1)
			f.sns.Sign(bigEvent, "2")
			bodies = append(bodies, snstest.Marshal(bigEvent), snstest.Marshal(bigEvent))
			confirmation := f.sns.Confirmation(f.topic, f.now, "2")
			confirmation.Token = strings.Repeat("a", 900_000)
			confirmation.SubscribeURL = refusing.URL + "/?Action=ConfirmSubscription&TopicArn=" + f.topic + "&Token=" + confirmation.Token
			f.sns.Sign(confirmation, "2")
			bodies = append(bodies, snstest.Marshal(confirmation))
			bodies = append(bodies, []byte(huge))

			notOK := 0
			for _, body := range bodies {
				if f.post(t, body) != http.StatusOK {
					notOK++
				}
			}
			require.GreaterOrEqual(t, notOK, 20)
			require.Equal(t, 2.0, sum(t, f.reg, exporter.MetricDuplicates))
			lines := logs.lines()
			require.GreaterOrEqual(t, len(lines), notOK+int(sum(t, f.reg, exporter.MetricDuplicates)),
				"every request answered 4xx or 5xx, and every duplicate, logs")
			for _, l := range lines {
				require.Less(t, len(l), 4096, "log line of %d bytes: %.300s…", len(l), l)
			}
		})
	}
}

// TestReplayWithinMaxAge: a message is remembered for as long as the verifier
// would accept it (its signed Timestamp plus --sns.max-age), however many
// messages came since, and a re-published event's later MessageId extends
// the window of its event id.
func TestReplayWithinMaxAge(t *testing.T) {
	f := newFixture(t, func(o *exporter.Options) { o.DedupeSize = 10 })
	signedAt := f.now
	first := f.notification(t, "e0", event.SignInSucceeded, "c", "")
	require.Equal(t, http.StatusOK, f.post(t, first))
	for i := range 30 { // more than any last-N window of DedupeSize messages
		require.Equal(t, http.StatusOK, f.post(t, f.notification(t, fmt.Sprintf("e%d", i+1), event.SignInSucceeded, "c", "")))
	}
	require.Equal(t, 31.0, sum(t, f.reg, exporter.MetricUserEvents))

	f.now = signedAt.Add(30 * time.Minute) // any subscriber of the topic replays what it received
	require.Equal(t, http.StatusOK, f.post(t, first))
	require.Equal(t, 1.0, sum(t, f.reg, exporter.MetricDuplicates))
	f.now = signedAt.Add(time.Hour) // the last instant the verifier accepts it
	require.Equal(t, http.StatusOK, f.post(t, first))
	require.Equal(t, 2.0, sum(t, f.reg, exporter.MetricDuplicates))
	require.Equal(t, 31.0, sum(t, f.reg, exporter.MetricUserEvents))

	f.now = signedAt.Add(time.Hour + time.Second)
	require.Equal(t, http.StatusForbidden, f.post(t, first), "stale: refused by the verifier")
	require.Equal(t, 1.0, counter(t, f.reg, exporter.MetricRejected, "stale"))
	require.Zero(t, sum(t, f.reg, exporter.MetricDedupeKeys), "nothing is remembered past max-age")

	t.Run("re-published event", func(t *testing.T) {
		f.now = signedAt.Add(2 * time.Hour)
		t0 := f.now
		require.Equal(t, http.StatusOK, f.post(t, f.notification(t, "r1", event.SignInSucceeded, "c", "")))
		f.now = t0.Add(50 * time.Minute) // the trigger publishes the same event again: a new MessageId
		again := f.notification(t, "r1", event.SignInSucceeded, "c", "")
		require.Equal(t, http.StatusOK, f.post(t, again))
		require.Equal(t, 3.0, sum(t, f.reg, exporter.MetricDuplicates))
		f.now = t0.Add(80 * time.Minute) // the first is stale; the second may still be replayed
		require.Equal(t, http.StatusOK, f.post(t, again))
		require.Equal(t, 4.0, sum(t, f.reg, exporter.MetricDuplicates))
		require.Equal(t, 32.0, sum(t, f.reg, exporter.MetricUserEvents))
	})
}

// TestConfirmationReplay: a replayed SubscriptionConfirmation does not
// subscribe again (after an unsubscribe, it would); a new one does.
func TestConfirmationReplay(t *testing.T) {
	f := newFixture(t, nil)
	m := snstest.Marshal(f.sns.Confirmation(f.topic, f.now, "2"))
	require.Equal(t, http.StatusOK, f.post(t, m))
	require.Len(t, f.sns.Confirmations(), 1)
	f.now = f.now.Add(40 * time.Minute)
	require.Equal(t, http.StatusOK, f.post(t, m))
	require.Len(t, f.sns.Confirmations(), 1, "a replay does not confirm again")
	require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(f.sns.Confirmation(f.topic, f.now, "2"))))
	require.Len(t, f.sns.Confirmations(), 2, "a new subscription's confirmation does")
	require.Equal(t, 2.0, sum(t, f.reg, exporter.MetricConfirmed))
}

// TestListenerTimeouts: both listeners close idle keep-alive connections and
// cut responses not written in time; the SNS listener cuts bodies that do
// not arrive in time (a client error, 408).
func TestListenerTimeouts(t *testing.T) {
	slowGather := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		time.Sleep(3 * time.Second)
		return nil, nil
	})
	s := newServed(t, func(o *exporter.Options) {
		o.ReadTimeout, o.IdleTimeout, o.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, time.Second
		o.Gatherer = slowGather
	})
	for name, addr := range map[string]string{"sns": s.snsAddr, "metrics": s.metricsAddr} {
		t.Run("idle/"+name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, "GET /-/healthy HTTP/1.1\r\nHost: exporter\r\n\r\n")
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.True(t, closedWithin(c, 10*time.Second), "an idle keep-alive connection is closed")
		})
	}
	t.Run("slow body/sns", func(t *testing.T) {
		c := slowRequest(t, s.snsAddr, 1000, "{")
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "answered before the connection closes")
		resp.Body.Close()
		require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
		require.Equal(t, 1.0, counter(t, s.reg, exporter.MetricRejected, "body_timeout"))
		require.Zero(t, sum(t, s.reg, exporter.MetricFailed))
	})
	t.Run("slow response/metrics", func(t *testing.T) {
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://" + s.metricsAddr + "/metrics")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		require.Error(t, err, "a response not written within the write timeout is cut")
	})
}

// TestConnectionCap: at a listener's cap, a new connection closes the one
// that has waited longest without a request being handled, so connections
// that stall cannot lock out a delivery or a scrape.
func TestConnectionCap(t *testing.T) {
	s := newServed(t, func(o *exporter.Options) {
		o.SNSMaxConnections, o.WebMaxConnections = 3, 2
		o.ReadHeaderTimeout, o.ReadTimeout = time.Minute, time.Minute // only the cap closes connections here
	})
	t.Run("sns", func(t *testing.T) {
		var stalled []net.Conn
		for range 3 {
			stalled = append(stalled, slowRequest(t, s.snsAddr, 1000, "{"))
			require.Eventually(t, func() bool {
				return labelled(t, s.reg, exporter.MetricConnections, "listener", "sns") == float64(len(stalled))
			},
				10*time.Second, 5*time.Millisecond)
		}
		code, err := postNew(t, s.snsAddr, s.notification(t, "e1", event.SignInSucceeded, "c", ""))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, 1.0, sum(t, s.reg, exporter.MetricUserEvents))
		require.True(t, closedWithin(stalled[0], 10*time.Second), "the oldest stalled connection made room")
		require.LessOrEqual(t, labelled(t, s.reg, exporter.MetricConnections, "listener", "sns"), 3.0)
		require.GreaterOrEqual(t, labelled(t, s.reg, exporter.MetricConnsClosed, "listener", "sns"), 1.0)
	})
	t.Run("metrics", func(t *testing.T) {
		var idle []net.Conn
		for range 2 {
			c, err := net.Dial("tcp", s.metricsAddr)
			require.NoError(t, err)
			defer c.Close()
			idle = append(idle, c)
			require.Eventually(t, func() bool {
				return labelled(t, s.reg, exporter.MetricConnections, "listener", "metrics") == float64(len(idle))
			}, 10*time.Second, 5*time.Millisecond)
		}
		code, _ := get(t, "http://"+s.metricsAddr+"/metrics", "", "")
		require.Equal(t, http.StatusOK, code)
		require.True(t, closedWithin(idle[0], 10*time.Second))
	})
}

// TestDedupeFile: with --sns.dedupe-file the window survives a restart
// (written periodically and on shutdown, loaded at start without expired
// entries); a corrupt file is moved aside with a warning and the exporter
// starts with an empty window; a path that cannot be read or written fails
// the start.
func TestDedupeFile(t *testing.T) {
	restart := func(t *testing.T, path string, now time.Time, sns *snstest.Server, logs io.Writer) (*prometheus.Registry, *exporter.Exporter) {
		t.Helper()
		reg := prometheus.NewPedanticRegistry()
		logger := slog.New(slog.DiscardHandler)
		if logs != nil {
			logger = slog.New(slog.NewJSONHandler(logs, nil))
		}
		e, err := exporter.New(exporter.Options{Topics: []string{sns.TopicARN("user-events")}, HTTPClient: sns.Client(),
			Registerer: reg, Gatherer: reg, Now: func() time.Time { return now }, DedupeFile: path, Logger: logger})
		require.NoError(t, err)
		return reg, e
	}

	t.Run("restart", func(t *testing.T) {
		path := t.TempDir() + "/dedupe"
		s := newServed(t, func(o *exporter.Options) { o.DedupeFile, o.DedupeSaveEvery = path, time.Hour })
		before := s.notification(t, "e1", event.SignInSucceeded, "c", "")
		code, err := postNew(t, s.snsAddr, before)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		require.NoError(t, s.stop(), "shutdown writes the file")

		reg, e := restart(t, path, s.now.Add(30*time.Minute), s.sns, nil)
		require.Equal(t, http.StatusOK, postTo(e.SNSHandler(), before))
		require.Equal(t, 1.0, sum(t, reg, exporter.MetricDuplicates), "replayed after the restart, still a duplicate")
		require.Zero(t, sum(t, reg, exporter.MetricUserEvents))

		reg, _ = restart(t, path, s.now.Add(time.Hour+time.Second), s.sns, nil)
		require.Zero(t, sum(t, reg, exporter.MetricDedupeKeys), "expired entries are not loaded")
	})
	t.Run("written periodically", func(t *testing.T) {
		path := t.TempDir() + "/dedupe"
		s := newServed(t, func(o *exporter.Options) { o.DedupeFile, o.DedupeSaveEvery = path, 20*time.Millisecond })
		body := s.notification(t, "e1", event.SignInSucceeded, "c", "")
		code, err := postNew(t, s.snsAddr, body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		require.Eventually(t, func() bool { // a crash now loses nothing older than the interval
			reg, _ := restart(t, path, s.now, s.sns, nil)
			return sum(t, reg, exporter.MetricDedupeKeys) == 2
		}, 10*time.Second, 20*time.Millisecond)
	})
	t.Run("corrupt", func(t *testing.T) {
		sns, err := snstest.NewServer("us-east-1", nil)
		require.NoError(t, err)
		defer sns.Close()
		path := t.TempDir() + "/dedupe"
		garbage := []byte("cogwatch dedupe 1\nnot what was written")
		require.NoError(t, os.WriteFile(path, garbage, 0o600))
		var logs lineBuffer
		reg, _ := restart(t, path, time.Now(), sns, &logs)
		require.Zero(t, sum(t, reg, exporter.MetricDedupeKeys))
		aside, err := os.ReadFile(path + ".corrupt")
		require.NoError(t, err, "the corrupt file is kept aside")
		require.Equal(t, garbage, aside)
		require.NoFileExists(t, path)
		require.Contains(t, strings.Join(logs.lines(), "\n"), `"level":"WARN","msg":"dedupe file is corrupt`)
	})
	t.Run("unreadable", func(t *testing.T) {
		_, err := exporter.New(exporter.Options{DedupeFile: t.TempDir(), Registerer: prometheus.NewRegistry()})
		require.ErrorContains(t, err, "dedupe file")
	})
	t.Run("unwritable", func(t *testing.T) {
		e, err := exporter.New(exporter.Options{DedupeFile: t.TempDir() + "/no/such/dir/dedupe", Registerer: prometheus.NewRegistry()})
		require.NoError(t, err, "no file yet: a first start")
		snsL, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer snsL.Close()
		metricsL, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer metricsL.Close()
		require.ErrorContains(t, e.Serve(t.Context(), snsL, metricsL), "dedupe file", "fails at once, not at the first save")
	})
}
