package cloudwatch

import (
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// FuzzHandle feeds an arbitrary SQS body, beside a known good message,
// through decoding, aggregation and packing. Whatever the body, the handler
// must not panic, the good message must be stored, only the fuzzed message
// may fail, each stored event counts exactly once in its [UserPoolId]
// count, and every call must respect PutMetricData's limits with its size
// computed exactly.
func FuzzHandle(f *testing.F) {
	at := now.Add(-time.Minute)
	for _, e := range []event.Event{
		ev("seed-1", event.SignInSucceeded, "eu-west-1_abc", "client", at, 12.5),
		ev("seed-2", event.SignUpRejected, "eu-west-1_abc", "", at, 3),
		ev("seed-3", event.UserConfirmed, "eu-west-1_x", "c", now.Add(-20*24*time.Hour), 1),
	} {
		f.Add(sqstest.Raw("", e).Body)
		f.Add(sqstest.Enveloped("", "sns", e).Body)
	}
	f.Add(`{"Type":"SubscriptionConfirmation","MessageId":"x"}`)
	f.Add(`{"Type":"Notification","Message":"{\"specversion\":\"1.0\"}"}`)
	f.Add(`{"specversion":"1.0","id":"x","source":"s","type":"cogwatch.signin.attempted","time":"2026-11-25T12:29:00Z","datacontenttype":"application/json","data":{"schemaVersion":1,"userPoolId":"p","triggerSource":"t","region":"r","latencyMs":1e300}}`)
	f.Add("")
	f.Add("null")

	good := sqstest.Raw("good", ev("the-good-one", event.SignInAttempted, "eu-west-1_good", "", at, 1))
	f.Fuzz(func(t *testing.T, body string) {
		rec := &recorder{}
		c := New(Config{Now: fixed, MaxRequestBytes: 20_000, MaxDatumsPerCall: 7}, rec.put, nil)
		resp, err := c.Handle(t.Context(), events.SQSEvent{Records: []events.SQSMessage{good, {MessageId: "fuzz", Body: body}}})
		require.NoError(t, err)
		failed := failedIDs(resp)
		require.NotContains(t, failed, "good")

		stored := 1
		if e, _, err := event.FromSNS([]byte(body)); err == nil && e.ID != "the-good-one" && len(failed) == 0 {
			stored++
			require.Equal(t, 1.0, totals(rec.calls)[catalog.ForEvent(e.Type)+"{UserPoolId="+e.Data.UserPoolID+"}"]-
				map[bool]float64{true: 1}[e.Type == event.SignInAttempted && e.Data.UserPoolID == "eu-west-1_good"])
		}
		var count float64
		for _, in := range rec.calls {
			require.LessOrEqual(t, len(in.MetricData), 7)
			size := inputSize(*in.Namespace)
			for i, d := range in.MetricData {
				size += datumSize(&in.MetricData[i])
				require.LessOrEqual(t, len(d.Values), MaxValuesPerDatum)
				require.Len(t, d.Counts, len(d.Values))
				require.LessOrEqual(t, len(d.Dimensions), MaxDimensionsPerDatum)
				if len(d.Dimensions) == 1 && *d.MetricName != catalog.TriggerLatency {
					for _, c := range d.Counts {
						count += c
					}
				}
			}
			require.LessOrEqual(t, size, 20_000)
		}
		require.Equal(t, float64(stored), count)
	})
}
