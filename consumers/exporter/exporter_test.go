package exporter_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

const pool = "us-east-1_AbC123"

// fixture is an exporter on a fresh pedantic registry, its SNS handler on
// loopback, and an SNS look-alike that signs and serves certificates.
type fixture struct {
	sns   *snstest.Server
	topic string
	now   time.Time
	reg   *prometheus.Registry
	exp   *exporter.Exporter
	srv   *httptest.Server
}

func newFixture(t testing.TB, mod func(*exporter.Options)) *fixture {
	t.Helper()
	s, err := snstest.NewServer("us-east-1", nil)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	f := &fixture{sns: s, topic: s.TopicARN("user-events"), now: time.Now().UTC().Truncate(time.Second),
		reg: prometheus.NewPedanticRegistry()}
	o := exporter.Options{
		Topics: []string{f.topic}, HTTPClient: s.Client(), Registerer: f.reg, Gatherer: f.reg,
		Now: func() time.Time { return f.now },
	}
	if mod != nil {
		mod(&o)
	}
	f.exp, err = exporter.New(o)
	require.NoError(t, err)
	f.srv = httptest.NewServer(f.exp.SNSHandler())
	t.Cleanup(f.srv.Close)
	return f
}

// post sends body to POST /sns and returns the status code.
func (f *fixture) post(t testing.TB, body []byte) int {
	t.Helper()
	resp, err := http.Post(f.srv.URL+"/sns", "text/plain; charset=UTF-8", bytes.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// userEvent returns an encoded event.
func userEvent(t testing.TB, id string, typ event.Type, client, reason string, latencyMs float64) string {
	t.Helper()
	b, err := event.Marshal(event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: event.Source("us-east-1", pool), Type: typ,
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: pool, ClientID: client,
			TriggerSource: "PostAuthentication_Authentication", Region: "us-east-1", Reason: reason, LatencyMs: latencyMs},
	})
	require.NoError(t, err)
	return string(b)
}

func (f *fixture) notification(t testing.TB, id string, typ event.Type, client, reason string) []byte {
	return snstest.Marshal(f.sns.Notification(f.topic, userEvent(t, id, typ, client, reason, 42), f.now, "2"))
}

// noEvents is the exposition of the user-event metrics when nothing counted.
const noEvents = `
# HELP cogwatch_exporter_sns_messages_duplicates_total Verified notifications dropped as duplicates (same SNS MessageId or CloudEvents id).
# TYPE cogwatch_exporter_sns_messages_duplicates_total counter
cogwatch_exporter_sns_messages_duplicates_total 0
# HELP cogwatch_exporter_sns_subscriptions_confirmed_total SNS subscriptions confirmed.
# TYPE cogwatch_exporter_sns_subscriptions_confirmed_total counter
cogwatch_exporter_sns_subscriptions_confirmed_total 0
`

var untouched = []string{"cogwatch_user_events_total", "cogwatch_trigger_latency_seconds",
	"cogwatch_exporter_sns_messages_duplicates_total", "cogwatch_exporter_sns_subscriptions_confirmed_total"}

func TestZeroOptions(t *testing.T) {
	e, err := exporter.New(exporter.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(e.MetricsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), "go_goroutines")
	require.Contains(t, string(body), "cogwatch_exporter_sns_messages_received_total 0")
}

func TestCountsNotifications(t *testing.T) {
	f := newFixture(t, nil)
	for i, body := range [][]byte{
		f.notification(t, "e1", event.SignInSucceeded, "client1", ""),
		f.notification(t, "e2", event.SignInSucceeded, "client1", ""),
		f.notification(t, "e3", event.SignUpRejected, "client1", event.ReasonDisposableDomain),
		f.notification(t, "e4", event.UserConfirmed, "", ""),
	} {
		require.Equal(t, http.StatusOK, f.post(t, body), "message %d", i)
	}
	want := `
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 2
cogwatch_user_events_total{client_id="client1",reason="disposable_domain",type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="",reason="",type="cogwatch.user.confirmed",user_pool_id="us-east-1_AbC123"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_user_events_total"))
}

func TestConfirmsSubscription(t *testing.T) {
	f := newFixture(t, nil)
	m := f.sns.Confirmation(f.topic, f.now, "2")
	require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(m)))
	got := f.sns.Confirmations()
	require.Len(t, got, 1)
	require.Equal(t, m.Token, got[0].Get("Token"))
	require.Equal(t, f.topic, got[0].Get("TopicArn"))
	require.Equal(t, 1.0, counter(t, f.reg, "cogwatch_exporter_sns_subscriptions_confirmed_total", ""))

	t.Run("unsubscribe confirmation", func(t *testing.T) {
		m := f.sns.Confirmation(f.topic, f.now, "2")
		m.Type = snsverify.TypeUnsubscribeConfirmation
		f.sns.Sign(m, "2")
		require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(m)))
		require.Len(t, f.sns.Confirmations(), 1, "an unsubscribe confirmation does not resubscribe")
	})
	t.Run("not for a topic that is not allowed", func(t *testing.T) {
		m := f.sns.Confirmation(f.sns.TopicARN("someone-elses"), f.now, "2")
		require.Equal(t, http.StatusForbidden, f.post(t, snstest.Marshal(m)))
		require.Len(t, f.sns.Confirmations(), 1, "no GET for a topic that is not allowed")
	})
}

// counter returns the value of a counter, or of the series whose reason
// label is reason.
func counter(t testing.TB, g prometheus.Gatherer, name, reason string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if reason == "" && len(m.GetLabel()) == 0 {
				return m.GetCounter().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestRejectsBadInput(t *testing.T) {
	f := newFixture(t, func(o *exporter.Options) { o.MaxBodyBytes = 64 << 10 })
	type badInput struct {
		name   string
		body   []byte
		reason string
		header http.Header
	}
	var cases []badInput
	for _, in := range f.sns.BadInputs(f.topic, f.now) {
		cases = append(cases, badInput{name: in.Name, body: in.Body, reason: snsverify.Reason(in.Want)})
	}
	cases = append(cases,
		badInput{name: "oversized body", body: snstest.Marshal(f.sns.Notification(f.topic, strings.Repeat("x", 70<<10), f.now, "2")), reason: "too_large"},
		badInput{name: "signed but not an event", body: snstest.Marshal(f.sns.Notification(f.topic, `{"hello":"world"}`, f.now, "2")), reason: "invalid_event"},
		badInput{name: "signed event of unknown type", body: snstest.Marshal(f.sns.Notification(f.topic,
			strings.Replace(userEvent(t, "x", event.SignInSucceeded, "c", "", 1), "cogwatch.signin.succeeded", "cogwatch.signin.exploded", 1), f.now, "2")), reason: "invalid_event"},
		badInput{name: "raw message delivery", body: []byte(userEvent(t, "x", event.SignInSucceeded, "c", "", 1)), reason: "raw_delivery",
			header: http.Header{"X-Amz-Sns-Rawdelivery": {"true"}}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := counter(t, f.reg, "cogwatch_exporter_sns_messages_rejected_total", tc.reason)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+"/sns", bytes.NewReader(tc.body))
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.GreaterOrEqual(t, resp.StatusCode, 400)
			require.Less(t, resp.StatusCode, 500)
			require.Equal(t, before+1, counter(t, f.reg, "cogwatch_exporter_sns_messages_rejected_total", tc.reason))
			require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(noEvents), untouched...))
		})
	}
	require.Empty(t, f.sns.Confirmations())
}

func TestDuplicates(t *testing.T) {
	f := newFixture(t, nil)
	first := f.notification(t, "e1", event.SignInSucceeded, "c", "")
	republished := f.notification(t, "e1", event.SignInSucceeded, "c", "") // trigger's publish retry: new MessageId
	for _, body := range [][]byte{first, first, republished} {
		require.Equal(t, http.StatusOK, f.post(t, body))
	}
	require.Equal(t, 2.0, counter(t, f.reg, "cogwatch_exporter_sns_messages_duplicates_total", ""))
	require.Equal(t, 3.0, counter(t, f.reg, "cogwatch_exporter_sns_messages_received_total", ""))
	require.Equal(t, 1, testutil.CollectAndCount(prometheusGatherer{f.reg}, "cogwatch_user_events_total"))
	want := `
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="c",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_user_events_total"))

	t.Run("same id from another source is another event", func(t *testing.T) {
		other := strings.ReplaceAll(userEvent(t, "e1", event.SignInSucceeded, "c", "", 42), pool, "us-east-1_Other")
		require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(f.sns.Notification(f.topic, other, f.now, "2"))))
		require.Equal(t, 2.0, counter(t, f.reg, "cogwatch_exporter_sns_messages_duplicates_total", ""))
		require.Equal(t, 2, testutil.CollectAndCount(prometheusGatherer{f.reg}, "cogwatch_user_events_total"))
	})
}

// prometheusGatherer adapts a Gatherer to a Collector for CollectAndCount.
type prometheusGatherer struct{ g prometheus.Gatherer }

func (p prometheusGatherer) Describe(chan<- *prometheus.Desc) {}
func (p prometheusGatherer) Collect(ch chan<- prometheus.Metric) {
	mfs, _ := p.g.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "cogwatch_user_events_total" {
				labels := prometheus.Labels{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(mf.GetName(), mf.GetHelp(), nil, labels),
					prometheus.CounterValue, m.GetCounter().GetValue())
			}
		}
	}
}

func TestOwnFailuresAnswer5xx(t *testing.T) {
	t.Run("certificate fetch", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		f := newFixture(t, func(o *exporter.Options) { o.TrustedURLPrefixes = []string{down.URL + "/"} })
		m := f.sns.Notification(f.topic, userEvent(t, "e1", event.SignInSucceeded, "c", "", 1), f.now, "1")
		m.SigningCertURL = down.URL + "/cert.pem"
		f.sns.Sign(m, "1")
		require.Equal(t, http.StatusBadGateway, f.post(t, snstest.Marshal(m)))
		require.Equal(t, 1.0, counter(t, f.reg, "cogwatch_exporter_sns_messages_failed_total", "cert_fetch"))
		require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(noEvents), untouched...))
	})
	t.Run("confirmation refused", func(t *testing.T) {
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}))
		defer refusing.Close()
		f := newFixture(t, func(o *exporter.Options) { o.TrustedURLPrefixes = []string{refusing.URL + "/"} })
		m := f.sns.Confirmation(f.topic, f.now, "2")
		m.SubscribeURL = refusing.URL + "/?Action=ConfirmSubscription&TopicArn=" + f.topic + "&Token=" + m.Token
		f.sns.Sign(m, "2")
		require.Equal(t, http.StatusBadGateway, f.post(t, snstest.Marshal(m)))
		require.Equal(t, 1.0, counter(t, f.reg, "cogwatch_exporter_sns_messages_failed_total", "confirm"))
	})
	t.Run("overload", func(t *testing.T) {
		release := make(chan struct{})
		var once sync.Once
		entered := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() { close(entered) })
			<-release
			http.NotFound(w, r)
		}))
		defer slow.Close()
		var releaseOnce sync.Once
		defer releaseOnce.Do(func() { close(release) }) // before slow.Close, even on failure
		f := newFixture(t, func(o *exporter.Options) { o.TrustedURLPrefixes = []string{slow.URL + "/"}; o.MaxInFlight = 1 })
		m := f.sns.Notification(f.topic, userEvent(t, "e1", event.SignInSucceeded, "c", "", 1), f.now, "2")
		m.SigningCertURL = slow.URL + "/cert.pem"
		f.sns.Sign(m, "2")
		done := make(chan int, 1)
		go func() { done <- f.post(t, snstest.Marshal(m)) }()
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the first message never reached the certificate server")
		}
		require.Equal(t, http.StatusServiceUnavailable, f.post(t, f.notification(t, "e2", event.SignInSucceeded, "c", "")))
		releaseOnce.Do(func() { close(release) })
		require.Equal(t, http.StatusForbidden, <-done, "the held message's certificate was not found")
		require.Equal(t, 1.0, counter(t, f.reg, "cogwatch_exporter_sns_messages_failed_total", "overload"))
	})
}

func TestMethodsAndHealth(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name, method, path string
		want               int
	}{
		{name: "get sns", method: http.MethodGet, path: "/sns", want: http.StatusMethodNotAllowed},
		{name: "healthy", method: http.MethodGet, path: "/-/healthy", want: http.StatusOK},
		{name: "ready", method: http.MethodGet, path: "/-/ready", want: http.StatusOK},
		{name: "unknown", method: http.MethodGet, path: "/nope", want: http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, f.srv.URL+tc.path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

func TestCardinalityAndExpiry(t *testing.T) {
	f := newFixture(t, func(o *exporter.Options) {
		o.MaxPools, o.MaxClients, o.SeriesTTL = 2, 2, time.Hour
	})
	post := func(pool, client string) {
		ev := strings.ReplaceAll(userEvent(t, snstest.NewID(), event.SignInSucceeded, client, "", 1), "us-east-1_AbC123", pool)
		require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(f.sns.Notification(f.topic, ev, f.now, "2"))))
	}
	post("us-east-1_p1", "c1")
	post("us-east-1_p2", "c2")
	post("us-east-1_p3", "c3") // third pool: "other"; its client is the third: "other" too
	post("us-east-1_p1", "c3") // third client: "other"
	want := `
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="c1",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_p1"} 1
cogwatch_user_events_total{client_id="other",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_p1"} 1
cogwatch_user_events_total{client_id="c2",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_p2"} 1
cogwatch_user_events_total{client_id="other",reason="",type="cogwatch.signin.succeeded",user_pool_id="other"} 1
# HELP cogwatch_exporter_label_overflow_total User events whose label value was replaced by "other" because its cap was reached, by label.
# TYPE cogwatch_exporter_label_overflow_total counter
cogwatch_exporter_label_overflow_total{label="client_id"} 2
cogwatch_exporter_label_overflow_total{label="user_pool_id"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_user_events_total", "cogwatch_exporter_label_overflow_total"))

	// p2 falls silent; an hour later its series are gone and a new pool gets its slot.
	f.now = f.now.Add(40 * time.Minute)
	post("us-east-1_p1", "c1")
	f.now = f.now.Add(30 * time.Minute)
	post("us-east-1_p4", "c4")
	want = `
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="c1",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_p1"} 2
cogwatch_user_events_total{client_id="c4",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_p4"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_user_events_total"))
}

// TestExposition checks the whole exposition against Prometheus' own linter,
// a golden text, and the text parser reading the HTTP /metrics body.
func TestExposition(t *testing.T) {
	f := newFixture(t, nil)
	require.Equal(t, http.StatusOK, f.post(t, f.notification(t, "e1", event.SignInSucceeded, "client1", "")))
	require.Equal(t, http.StatusOK, f.post(t, f.notification(t, "e2", event.SignUpRejected, "client1", event.ReasonInvalidEmail)))
	require.Equal(t, http.StatusOK, f.post(t, f.notification(t, "e2", event.SignUpRejected, "client1", event.ReasonInvalidEmail)))
	require.Equal(t, http.StatusForbidden, f.post(t, snstest.Marshal(f.sns.Notification(f.sns.TopicARN("x"), "{}", f.now, "2"))))

	problems, err := testutil.GatherAndLint(f.reg)
	require.NoError(t, err)
	require.Empty(t, problems)

	var rejected strings.Builder
	for _, r := range []string{"bad_cert", "bad_signature", "body_timeout", "cert_url", "future", "incomplete_body", "invalid_event", "malformed",
		"raw_delivery", "signature_version", "stale", "subscribe_url", "too_large", "topic_not_allowed", "unknown_type"} {
		v := 0
		if r == "topic_not_allowed" {
			v = 1
		}
		fmt.Fprintf(&rejected, "cogwatch_exporter_sns_messages_rejected_total{reason=%q} %d\n", r, v)
	}
	want := `
# HELP cogwatch_exporter_connections Open connections, by listener.
# TYPE cogwatch_exporter_connections gauge
cogwatch_exporter_connections{listener="metrics"} 0
cogwatch_exporter_connections{listener="sns"} 0
# HELP cogwatch_exporter_connections_closed_at_cap_total Connections closed because their listener was at its connection cap: the one waiting longest without a request being handled, or the new one if none was, by listener.
# TYPE cogwatch_exporter_connections_closed_at_cap_total counter
cogwatch_exporter_connections_closed_at_cap_total{listener="metrics"} 0
cogwatch_exporter_connections_closed_at_cap_total{listener="sns"} 0
# HELP cogwatch_exporter_label_overflow_total User events whose label value was replaced by "other" because its cap was reached, by label.
# TYPE cogwatch_exporter_label_overflow_total counter
# HELP cogwatch_exporter_sns_dedupe_keys Keys remembered to drop duplicates (SNS MessageIds, CloudEvents ids, confirmation tokens), each until its message is --sns.max-age old.
# TYPE cogwatch_exporter_sns_dedupe_keys gauge
cogwatch_exporter_sns_dedupe_keys 5
# HELP cogwatch_exporter_sns_messages_duplicates_total Verified notifications dropped as duplicates (same SNS MessageId or CloudEvents id).
# TYPE cogwatch_exporter_sns_messages_duplicates_total counter
cogwatch_exporter_sns_messages_duplicates_total 1
# HELP cogwatch_exporter_sns_messages_failed_total SNS messages answered 5xx (so that SNS retries) because of the exporter's own failure, by reason.
# TYPE cogwatch_exporter_sns_messages_failed_total counter
cogwatch_exporter_sns_messages_failed_total{reason="cert_fetch"} 0
cogwatch_exporter_sns_messages_failed_total{reason="confirm"} 0
cogwatch_exporter_sns_messages_failed_total{reason="overload"} 0
# HELP cogwatch_exporter_sns_messages_received_total SNS messages received on POST /sns, whatever became of them.
# TYPE cogwatch_exporter_sns_messages_received_total counter
cogwatch_exporter_sns_messages_received_total 4
# HELP cogwatch_exporter_sns_messages_rejected_total SNS messages rejected with a 4xx, by reason.
# TYPE cogwatch_exporter_sns_messages_rejected_total counter
` + rejected.String() + `# HELP cogwatch_exporter_sns_subscriptions_confirmed_total SNS subscriptions confirmed.
# TYPE cogwatch_exporter_sns_subscriptions_confirmed_total counter
cogwatch_exporter_sns_subscriptions_confirmed_total 0
# HELP cogwatch_exporter_sqs_errors_total Failed SQS calls (whole calls, and entries of a batch delete), by operation.
# TYPE cogwatch_exporter_sqs_errors_total counter
cogwatch_exporter_sqs_errors_total{operation="delete"} 0
cogwatch_exporter_sqs_errors_total{operation="receive"} 0
# HELP cogwatch_exporter_sqs_messages_abandoned_total SQS messages left uncounted because their delete was not confirmed within their visibility timeout, by reason: expired and delete_failed come back, to be counted by their next receiver; delete_unconfirmed may have been deleted, and then nobody counts them.
# TYPE cogwatch_exporter_sqs_messages_abandoned_total counter
cogwatch_exporter_sqs_messages_abandoned_total{reason="delete_failed"} 0
cogwatch_exporter_sqs_messages_abandoned_total{reason="delete_unconfirmed"} 0
cogwatch_exporter_sqs_messages_abandoned_total{reason="expired"} 0
# HELP cogwatch_exporter_sqs_messages_deleted_total SQS messages whose delete SQS confirmed within their visibility timeout: each counted once, or dropped as a duplicate.
# TYPE cogwatch_exporter_sqs_messages_deleted_total counter
cogwatch_exporter_sqs_messages_deleted_total 0
# HELP cogwatch_exporter_sqs_messages_duplicates_total SQS messages dropped as duplicates (same CloudEvents id or SNS MessageId) by this replica, once deleted.
# TYPE cogwatch_exporter_sqs_messages_duplicates_total counter
cogwatch_exporter_sqs_messages_duplicates_total 0
# HELP cogwatch_exporter_sqs_messages_invalid_total SQS messages that hold no user event: left in the queue, so that its redrive policy moves them to the dead-letter queue.
# TYPE cogwatch_exporter_sqs_messages_invalid_total counter
cogwatch_exporter_sqs_messages_invalid_total 0
# HELP cogwatch_exporter_sqs_messages_received_total SQS messages received in pull mode, whatever became of them.
# TYPE cogwatch_exporter_sqs_messages_received_total counter
cogwatch_exporter_sqs_messages_received_total 0
# HELP cogwatch_trigger_latency_seconds Time a Cognito trigger spent before answering, as reported in its events.
# TYPE cogwatch_trigger_latency_seconds histogram
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.005"} 0
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.01"} 0
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.025"} 0
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.05"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.1"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.25"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="0.5"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="1"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="2.5"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="5"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123",le="+Inf"} 1
cogwatch_trigger_latency_seconds_sum{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 0.042
cogwatch_trigger_latency_seconds_count{type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.005"} 0
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.01"} 0
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.025"} 0
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.05"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.1"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.25"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="0.5"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="1"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="2.5"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="5"} 1
cogwatch_trigger_latency_seconds_bucket{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123",le="+Inf"} 1
cogwatch_trigger_latency_seconds_sum{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123"} 0.042
cogwatch_trigger_latency_seconds_count{type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123"} 1
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="invalid_email",type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want)))

	metrics := httptest.NewServer(f.exp.MetricsHandler())
	defer metrics.Close()
	resp, err := http.Get(metrics.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 1.0, families["cogwatch_exporter_sns_messages_duplicates_total"].GetMetric()[0].GetCounter().GetValue())
	require.Len(t, families["cogwatch_user_events_total"].GetMetric(), 2)
	require.EqualValues(t, 1, families["cogwatch_trigger_latency_seconds"].GetMetric()[0].GetHistogram().GetSampleCount())
}

// journeyEvent returns an encoded migration or challenge event.
func journeyEvent(t testing.TB, id string, typ event.Type, reason, challenge string) string {
	t.Helper()
	b, err := event.Marshal(event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: event.Source("us-east-1", pool), Type: typ,
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: pool, ClientID: "client1",
			TriggerSource: "DefineAuthChallenge_Authentication", Region: "us-east-1", Reason: reason, ChallengeName: challenge, LatencyMs: 3},
	})
	require.NoError(t, err)
	return string(b)
}

// TestCountsMigrationsAndChallenges: a failed migration keeps its reason,
// and challenge events are counted by result and challenge name too, the
// name capped at MaxChallengeNames.
func TestCountsMigrationsAndChallenges(t *testing.T) {
	f := newFixture(t, nil)
	bodies := []string{
		journeyEvent(t, "m1", event.UserMigrated, "", ""),
		journeyEvent(t, "m2", event.MigrationFailed, event.ReasonMigrationRejected, ""),
		journeyEvent(t, "m3", event.MigrationFailed, event.ReasonMigrationPanic, ""),
		journeyEvent(t, "c1", event.ChallengeIssued, "", "CAPTCHA"),
		journeyEvent(t, "c2", event.ChallengeFailed, "", "CAPTCHA"),
		journeyEvent(t, "c3", event.ChallengeIssued, "", "CAPTCHA"),
		journeyEvent(t, "c4", event.ChallengePassed, "", "CAPTCHA"),
	}
	for i := range exporter.MaxChallengeNames { // CAPTCHA and 15 more fill the cap; the 16th is other
		bodies = append(bodies, journeyEvent(t, fmt.Sprintf("n%d", i), event.ChallengeIssued, "", fmt.Sprintf("Q%d", i)))
	}
	for i, body := range bodies {
		require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(f.sns.Notification(f.topic, body, f.now, "2"))), "message %d", i)
	}
	want := `
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.challenge.failed",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.challenge.issued",user_pool_id="us-east-1_AbC123"} 18
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.challenge.passed",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.user.migrated",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="panic",type="cogwatch.migration.failed",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="rejected",type="cogwatch.migration.failed",user_pool_id="us-east-1_AbC123"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_user_events_total"))
	var names strings.Builder
	for i := range exporter.MaxChallengeNames - 1 {
		fmt.Fprintf(&names, "cogwatch_auth_challenges_total{challenge_name=\"Q%d\",result=\"issued\",user_pool_id=\"us-east-1_AbC123\"} 1\n", i)
	}
	got, err := testutil.GatherAndCount(f.reg, "cogwatch_auth_challenges_total")
	require.NoError(t, err)
	require.Equal(t, 3+exporter.MaxChallengeNames, got, "CAPTCHA issued, passed, failed; 15 Q names; other")
	want = `
# HELP cogwatch_auth_challenges_total Custom auth challenges (cogwatch.challenge.* events), by result (issued, passed, failed), challenge name and user pool.
# TYPE cogwatch_auth_challenges_total counter
cogwatch_auth_challenges_total{challenge_name="CAPTCHA",result="failed",user_pool_id="us-east-1_AbC123"} 1
cogwatch_auth_challenges_total{challenge_name="CAPTCHA",result="issued",user_pool_id="us-east-1_AbC123"} 2
cogwatch_auth_challenges_total{challenge_name="CAPTCHA",result="passed",user_pool_id="us-east-1_AbC123"} 1
` + names.String() + `cogwatch_auth_challenges_total{challenge_name="other",result="issued",user_pool_id="us-east-1_AbC123"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_auth_challenges_total"))
	want = `
# HELP cogwatch_exporter_label_overflow_total User events whose label value was replaced by "other" because its cap was reached, by label.
# TYPE cogwatch_exporter_label_overflow_total counter
cogwatch_exporter_label_overflow_total{label="challenge_name"} 1
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want), "cogwatch_exporter_label_overflow_total"))
}
