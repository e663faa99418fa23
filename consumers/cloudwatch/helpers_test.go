package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 11, 25, 12, 30, 20, 0, time.UTC)

// ev returns a valid event; opts adjust it.
func ev(id string, typ event.Type, pool, client string, at time.Time, latency float64) event.Event {
	e := event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: event.Source("eu-west-1", pool), Type: typ,
		Time: at, DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: pool, ClientID: client,
			TriggerSource: "PreSignUp_SignUp", Region: "eu-west-1", LatencyMs: latency},
	}
	if typ == event.SignUpRejected {
		e.Data.Reason = event.ReasonDisposableDomain
	}
	if typ == event.CodeSent {
		e.Data.Medium = event.MediumEmail // required on codes (schema version 2)
	}
	switch typ { // schema version 3
	case event.MigrationFailed:
		e.Data.Reason = event.ReasonMigrationRejected
	case event.ChallengeIssued, event.ChallengePassed, event.ChallengeFailed:
		e.Data.ChallengeName = "CAPTCHA"
	}
	return e
}

// ordinary returns n messages of ordinary cardinality: 3 pools, 4 clients
// each (one event in 10 without a client), every event type in every pool
// and client, latencies of 5 to 404 ms, times spread over one minute.
func ordinary(t testing.TB, n int, start time.Time) []events.SQSMessage {
	types := event.Types()
	msgs := make([]events.SQSMessage, n)
	for i := range n {
		pool := fmt.Sprintf("eu-west-1_pool%d", i%3)
		client := fmt.Sprintf("client%d", (i/3)%4)
		typ := types[(i/12)%len(types)]
		if i%10 == 9 {
			client = ""
		}
		at := start.Add(time.Duration((i/72)%60) * time.Second)
		e := ev(fmt.Sprintf("ev-%d", i), typ, pool, client, at, 5+float64((i*37)%400)+0.25)
		if i%2 == 0 {
			msgs[i] = sqstest.Enveloped(fmt.Sprintf("m-%d", i), fmt.Sprintf("sns-%d", i), e)
		} else {
			msgs[i] = sqstest.Raw(fmt.Sprintf("m-%d", i), e)
		}
	}
	return msgs
}

// recorder is a PutMetricDataFunc double that keeps each input and answers
// with the errors queued in errs (nil when the queue is empty).
type recorder struct {
	mu    sync.Mutex
	calls []*cw.PutMetricDataInput
	errs  []error
	// fail, when set, decides the answer per input instead of errs.
	fail func(*cw.PutMetricDataInput) error
}

func (r *recorder) put(ctx context.Context, in *cw.PutMetricDataInput, _ ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, in)
	if r.fail != nil {
		if err := r.fail(in); err != nil {
			return nil, err
		}
		return &cw.PutMetricDataOutput{}, nil
	}
	if len(r.errs) > 0 {
		err := r.errs[0]
		r.errs = r.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	return &cw.PutMetricDataOutput{}, nil
}

// sampleKey names a metric and dimension set as "Name{Dim=v,Dim=v}".
func sampleKey(d types.MetricDatum) string {
	s := *d.MetricName + "{"
	for i, dim := range d.Dimensions {
		if i > 0 {
			s += ","
		}
		s += *dim.Name + "=" + *dim.Value
	}
	return s + "}"
}

// totals sums the samples (Counts) of every call by sampleKey.
func totals(calls []*cw.PutMetricDataInput) map[string]float64 {
	out := map[string]float64{}
	for _, in := range calls {
		for _, d := range in.MetricData {
			for _, c := range d.Counts {
				out[sampleKey(d)] += c
			}
		}
	}
	return out
}

func failedIDs(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func fixed() time.Time { return now }

type cwInput = cw.PutMetricDataInput

var jsonMarshal = json.Marshal

type eventT = event.Event

var fromSNS = event.FromSNS
