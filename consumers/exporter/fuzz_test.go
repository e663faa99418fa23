package exporter_test

import (
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

// sumEvents returns the total of cogwatch_user_events_total.
func sumEvents(t *testing.T, g prometheus.Gatherer) float64 {
	mfs, err := g.Gather()
	require.NoError(t, err)
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == exporter.MetricUserEvents {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// FuzzSNSHandler posts raw bodies to POST /sns: the answer is 200, a 4xx or
// a 5xx, never a panic, and user events are counted only on a 200. Seeds are
// signed with snsverify's committed test key at a fixed time, so they stay
// valid and mutations start from real messages.
func FuzzSNSHandler(f *testing.F) {
	key, err := os.ReadFile("snsverify/testdata/test-signing-key.pem")
	require.NoError(f, err)
	signer, err := snstest.LoadSigner(key)
	require.NoError(f, err)
	s, err := snstest.NewServer("us-east-1", signer)
	require.NoError(f, err)
	f.Cleanup(s.Close)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	topic := s.TopicARN("user-events")
	reg := prometheus.NewPedanticRegistry()
	e, err := exporter.New(exporter.Options{Topics: []string{topic}, HTTPClient: s.Client(), Registerer: reg, Gatherer: reg,
		Now: func() time.Time { return t0 }, MaxBodyBytes: 16 << 10, DedupeSize: 1})
	require.NoError(f, err)
	handler := e.SNSHandler()

	ev := func(id string, typ event.Type, reason string) string {
		b, err := event.Marshal(event.Event{SpecVersion: event.SpecVersion, ID: id, Source: event.Source("us-east-1", pool),
			Type: typ, Time: t0, DataContentType: event.ContentType, Data: event.Data{SchemaVersion: event.SchemaVersion,
				UserPoolID: pool, ClientID: "c", TriggerSource: "PreSignUp_SignUp", Region: "us-east-1", Reason: reason, LatencyMs: 7}})
		require.NoError(f, err)
		return string(b)
	}
	f.Add(snstest.Marshal(s.Notification(topic, ev("a", event.SignUpAccepted, ""), t0, "1")))
	f.Add(snstest.Marshal(s.Notification(topic, ev("b", event.SignUpRejected, event.ReasonDisposableDomain), t0, "2")))
	f.Add(snstest.Marshal(s.Confirmation(topic, t0, "2")))
	for _, in := range s.BadInputs(topic, t0) {
		f.Add(in.Body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := sumEvents(t, reg)
		code := postTo(handler, body)
		require.Contains(t, []int{200, 400, 403, 413, 502, 503}, code)
		if code != 200 {
			require.Equal(t, before, sumEvents(t, reg), "events counted on a %d", code)
		}
	})
}
