package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	smithy "github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

func TestTenThousandOrdinaryEventsCostOneCall(t *testing.T) {
	start := now.Add(-5 * time.Minute).Truncate(time.Minute)
	msgs := ordinary(t, 10_000, start)
	rec := &recorder{}
	resp, err := New(Config{Now: fixed}, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Len(t, rec.calls, 1)
	require.Equal(t, catalog.DeliveredNamespace, *rec.calls[0].Namespace)

	got := totals(rec.calls)
	perType, withClient := map[string]float64{}, map[string]float64{}
	for i := range 10_000 { // as ordinary builds them: every type in turn
		perType[catalog.ForEvent(event.Types()[(i/12)%len(event.Types())])]++
		if i%10 != 9 {
			withClient[catalog.ForEvent(event.Types()[(i/12)%len(event.Types())])]++
		}
	}
	pools := []string{"eu-west-1_pool0", "eu-west-1_pool1", "eu-west-1_pool2"}
	for name, n := range perType {
		var byPool, byClient float64
		for _, p := range pools {
			byPool += got[name+"{UserPoolId="+p+"}"]
			for c := range 4 {
				byClient += got[fmt.Sprintf("%s{UserPoolId=%s,ClientId=client%d}", name, p, c)]
			}
		}
		require.Equal(t, n, byPool, "[UserPoolId] carries every %s event once", name)
		require.Equal(t, withClient[name], byClient, "[UserPoolId, ClientId] carries the events with a client")
	}
	var lat float64
	for _, p := range pools {
		lat += got["TriggerLatency{UserPoolId="+p+"}"]
	}
	require.Equal(t, 10_000.0, lat)
	for _, d := range rec.calls[0].MetricData {
		require.LessOrEqual(t, len(d.Values), MaxValuesPerDatum)
		require.Equal(t, len(d.Values), len(d.Counts))
		require.LessOrEqual(t, len(d.Dimensions), MaxDimensionsPerDatum)
		require.Equal(t, start, *d.Timestamp)
	}
}

func TestDimensionSetsAndValues(t *testing.T) {
	at := now.Add(-time.Minute)
	minute := at.Truncate(time.Minute)
	for _, tc := range []struct {
		name string
		ev   event.Event
		want map[string]float64 // sampleKey → summed counts
		vals map[string][]float64
	}{
		{
			name: "sign-in with a client",
			ev:   ev("a", event.SignInSucceeded, "p", "c", at, 12.4),
			want: map[string]float64{"SignInSucceeded{UserPoolId=p}": 1, "SignInSucceeded{UserPoolId=p,ClientId=c}": 1,
				"TriggerLatency{UserPoolId=p}": 1, "TriggerLatency{UserPoolId=p,ClientId=c}": 1},
			vals: map[string][]float64{"SignInSucceeded{UserPoolId=p}": {1}, "TriggerLatency{UserPoolId=p}": {12}},
		},
		{
			name: "confirmation without a client (Cognito sent null)",
			ev:   ev("b", event.UserConfirmed, "p", "", at, 7.6),
			want: map[string]float64{"UserConfirmed{UserPoolId=p}": 1, "TriggerLatency{UserPoolId=p}": 1},
			vals: map[string][]float64{"TriggerLatency{UserPoolId=p}": {8}},
		},
		{
			name: "rejection adds the reason set",
			ev:   ev("c", event.SignUpRejected, "p", "c", at, 3),
			want: map[string]float64{"SignUpRejected{UserPoolId=p}": 1, "SignUpRejected{UserPoolId=p,ClientId=c}": 1,
				"SignUpRejected{UserPoolId=p,Reason=disposable_domain}": 1,
				"TriggerLatency{UserPoolId=p}":                          1, "TriggerLatency{UserPoolId=p,ClientId=c}": 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			resp, err := New(Config{Now: fixed}, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: []events.SQSMessage{sqstest.Raw("m", tc.ev)}})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Len(t, rec.calls, 1)
			require.Equal(t, tc.want, totals(rec.calls))
			for _, d := range rec.calls[0].MetricData {
				require.Equal(t, minute, *d.Timestamp)
				if want, ok := tc.vals[sampleKey(d)]; ok {
					require.Equal(t, want, d.Values, sampleKey(d))
				}
				m, ok := catalog.ByName(*d.MetricName)
				require.True(t, ok)
				require.Equal(t, string(m.Unit), string(d.Unit))
			}
		})
	}
}

func TestMinuteBuckets(t *testing.T) {
	m0 := now.Add(-10 * time.Minute).Truncate(time.Minute)
	msgs := []events.SQSMessage{
		sqstest.Raw("1", ev("1", event.SignInAttempted, "p", "", m0, 1)),
		sqstest.Raw("2", ev("2", event.SignInAttempted, "p", "", m0.Add(59*time.Second), 1)),
		sqstest.Raw("3", ev("3", event.SignInAttempted, "p", "", m0.Add(60*time.Second), 1)),
	}
	rec := &recorder{}
	_, err := New(Config{Now: fixed}, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	got := map[time.Time]float64{}
	for _, d := range rec.calls[0].MetricData {
		if *d.MetricName == catalog.SignInAttempted {
			got[*d.Timestamp] += d.Counts[0]
		}
	}
	require.Equal(t, map[time.Time]float64{m0: 2, m0.Add(time.Minute): 1}, got)
}

func TestLimitSplitting(t *testing.T) {
	at := now.Add(-time.Minute)
	for _, tc := range []struct {
		name      string
		opts      Config
		msgs      func(t *testing.T) []events.SQSMessage
		wantCalls int
		check     func(t *testing.T, rec *recorder)
	}{
		{
			name: "more than 1000 datums",
			// 600 pools without client: 600 count + 600 latency datums.
			msgs: func(t *testing.T) []events.SQSMessage {
				var m []events.SQSMessage
				for i := range 600 {
					m = append(m, sqstest.Raw(fmt.Sprint(i), ev(fmt.Sprint(i), event.SignInAttempted, fmt.Sprintf("pool%03d", i), "", at, 1)))
				}
				return m
			},
			wantCalls: 2,
			check: func(t *testing.T, rec *recorder) {
				require.Len(t, rec.calls[0].MetricData, 1000)
				require.Len(t, rec.calls[1].MetricData, 200)
			},
		},
		{
			name: "more than 150 distinct values",
			msgs: func(t *testing.T) []events.SQSMessage {
				var m []events.SQSMessage
				for i := range 400 {
					m = append(m, sqstest.Raw(fmt.Sprint(i), ev(fmt.Sprint(i), event.SignInAttempted, "p", "", at, float64(i%320))))
				}
				return m
			},
			wantCalls: 1,
			check: func(t *testing.T, rec *recorder) {
				var lat [][]float64
				for _, d := range rec.calls[0].MetricData {
					if *d.MetricName == catalog.TriggerLatency {
						require.LessOrEqual(t, len(d.Values), 150)
						lat = append(lat, d.Values)
					}
				}
				require.Len(t, lat, 3) // 320 distinct: 150 + 150 + 20
				require.Len(t, lat[2], 20)
				require.Equal(t, 400.0, totals(rec.calls)["TriggerLatency{UserPoolId=p}"])
				all := slices.Concat(lat...)
				require.True(t, slices.IsSorted(all))
				require.Len(t, slices.Compact(all), 320, "a value appears in one datum only")
			},
		},
		{
			name: "one pool's minute larger than a call is split by messages, not datums",
			// 600 clients of one pool: 2 + 1200 datums. Two calls of 300
			// clients each, both with their own [UserPoolId] datums.
			msgs: func(t *testing.T) []events.SQSMessage {
				var m []events.SQSMessage
				for i := range 600 {
					m = append(m, sqstest.Raw(fmt.Sprint(i), ev(fmt.Sprint(i), event.SignInAttempted, "p", fmt.Sprintf("c%03d", i), at, 1)))
				}
				return m
			},
			wantCalls: 2,
			check: func(t *testing.T, rec *recorder) {
				clients := map[string]int{}
				for i, in := range rec.calls {
					require.Len(t, in.MetricData, 602)
					var pool float64
					for _, d := range in.MetricData {
						if len(d.Dimensions) == 2 {
							c := *d.Dimensions[1].Value
							if j, seen := clients[c]; seen {
								require.Equal(t, j, i, "client %s in two calls", c)
							}
							clients[c] = i
						} else if *d.MetricName == catalog.SignInAttempted {
							pool += d.Counts[0]
						}
					}
					require.Equal(t, 300.0, pool, "call %d counts its own messages in [UserPoolId]", i)
				}
				require.Len(t, clients, 600)
				require.Equal(t, 600.0, totals(rec.calls)["SignInAttempted{UserPoolId=p}"])
			},
		},
		{
			name: "payload size",
			// Each pool's latency datum holds 150 values (2.8 kB): 100 of
			// them and 100 small count datums need 4 calls of 100 kB.
			opts: Config{MaxRequestBytes: 100_000},
			msgs: func(t *testing.T) []events.SQSMessage {
				var m []events.SQSMessage
				for p := range 100 {
					for v := range 150 {
						id := fmt.Sprintf("%d-%d", p, v)
						m = append(m, sqstest.Raw(id, ev(id, event.SignInAttempted, fmt.Sprintf("pool%02d", p), "", at, float64(v))))
					}
				}
				return m
			},
			wantCalls: 4,
			check: func(t *testing.T, rec *recorder) {
				var datums int
				for i, in := range rec.calls {
					size := inputSize(*in.Namespace)
					for i := range in.MetricData {
						size += datumSize(&in.MetricData[i])
					}
					require.LessOrEqual(t, size, 100_000)
					if i < len(rec.calls)-1 {
						require.Greater(t, size, 100_000-3_000, "a call is only closed when the next datum does not fit")
					}
					datums += len(in.MetricData)
				}
				require.Equal(t, 200, datums)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = fixed
			rec := &recorder{}
			resp, err := New(tc.opts, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: tc.msgs(t)})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Len(t, rec.calls, tc.wantCalls)
			tc.check(t, rec)
		})
	}
}

func TestTimestampWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		at     time.Time
		stored bool
	}{
		{"now", now, true},
		{"13 days old", now.Add(-13 * 24 * time.Hour), true},
		{"just inside two weeks less the margin", now.Add(-MaxAge).Add(time.Minute), true},
		{"two weeks old", now.Add(-14 * 24 * time.Hour), false},
		{"a year old", now.AddDate(-1, 0, 0), false},
		{"an hour ahead", now.Add(time.Hour), true},
		{"two hours ahead", now.Add(2 * time.Hour), false},
		{"a day ahead", now.Add(24 * time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			msgs := []events.SQSMessage{
				sqstest.Raw("ok", ev("ok", event.SignInAttempted, "p", "", now, 1)),
				sqstest.Raw("x", ev("x", event.SignInAttempted, "p", "", tc.at, 1)),
			}
			resp, err := New(Config{Now: fixed}, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
			require.NoError(t, err)
			total := totals(rec.calls)["SignInAttempted{UserPoolId=p}"]
			if tc.stored {
				require.Empty(t, resp.BatchItemFailures)
				require.Equal(t, 2.0, total)
			} else {
				require.Equal(t, []string{"x"}, failedIDs(resp))
				require.Equal(t, 1.0, total)
			}
		})
	}
}

func TestBatchItemFailures(t *testing.T) {
	at := now.Add(-time.Minute)
	good := func(id, pool string) events.SQSMessage {
		return sqstest.Enveloped(id, "sns-"+id, ev(id, event.SignInSucceeded, pool, "c", at, 1))
	}
	invalid := ev("bad", event.SignInSucceeded, "p", "", at, 1)
	invalid.Data.Reason = "not for sign-ins"
	badJSON, _ := event.Marshal(ev("y", event.SignInSucceeded, "p", "", at, 1))
	invalidBody := `{"specversion":"1.0","id":"bad","source":"s","type":"cogwatch.signin.succeeded","time":"2026-11-25T12:00:00Z","datacontenttype":"application/json","data":{"schemaVersion":1,"userPoolId":"p","triggerSource":"t","region":"r","reason":"x","latencyMs":1}}`
	badPool := ev("badpool", event.SignInSucceeded, "   ", "", at, 1)
	badPoolBody := fmt.Sprintf(`{"Type":"Notification","MessageId":"s","Message":%q}`, mustMarshalUnchecked(t, badPool))
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	invalidParam := &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "bad"}

	for _, tc := range []struct {
		name   string
		msgs   []events.SQSMessage
		opts   Config
		fail   func(*recorder)
		failed []string
	}{
		{
			name:   "undecodable messages fail, the rest is stored",
			msgs:   []events.SQSMessage{good("1", "p"), {MessageId: "json", Body: "{not json"}, {MessageId: "trunc", Body: string(badJSON[:len(badJSON)/2])}, {MessageId: "invalid", Body: invalidBody}, {MessageId: "confirm", Body: `{"Type":"SubscriptionConfirmation","MessageId":"x","SubscribeURL":"https://example.invalid/"}`}, good("2", "p")},
			failed: []string{"json", "trunc", "invalid", "confirm"},
		},
		{
			name:   "a dimension value CloudWatch refuses fails that message only",
			msgs:   []events.SQSMessage{good("1", "p"), {MessageId: "badpool", Body: badPoolBody}},
			failed: []string{"badpool"},
		},
		{
			name:   "a call failing with a non-retryable code fails its messages",
			msgs:   []events.SQSMessage{good("1", "p"), good("2", "q")},
			fail:   func(r *recorder) { r.errs = []error{invalidParam} },
			failed: []string{"1", "2"},
		},
		{
			name: "only the messages of the failed call fail",
			// Two calls of at most 4 datums: pool p's 4 datums, then pool q's.
			opts: Config{MaxDatumsPerCall: 4},
			msgs: []events.SQSMessage{good("1", "p"), good("2", "q"), good("3", "p"), good("4", "q")},
			fail: func(r *recorder) {
				r.fail = func(in *cwInput) error {
					if *in.MetricData[0].Dimensions[0].Value == "q" {
						return invalidParam
					}
					return nil
				}
			},
			failed: []string{"2", "4"},
		},
		{
			name: "an event whose datums alone exceed a call fails, the rest is stored",
			// A rejection with a client writes 5 datums; calls may hold 4.
			opts:   Config{MaxDatumsPerCall: 4},
			msgs:   []events.SQSMessage{good("1", "p"), sqstest.Raw("rejected", ev("r", event.SignUpRejected, "p", "c", at, 1)), good("2", "q")},
			failed: []string{"rejected"},
		},
		{
			name: "a throttled call that recovers fails nothing",
			msgs: []events.SQSMessage{good("1", "p"), good("2", "q")},
			fail: func(r *recorder) { r.errs = []error{throttled, throttled} },
		},
		{
			name:   "an empty batch makes no call",
			msgs:   nil,
			failed: []string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = fixed
			rec := &recorder{}
			if tc.fail != nil {
				tc.fail(rec)
			}
			resp, err := New(tc.opts, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: tc.msgs})
			require.NoError(t, err)
			if tc.failed == nil {
				tc.failed = []string{}
			}
			require.Equal(t, tc.failed, failedIDs(resp))
			if len(tc.msgs) == 0 {
				require.Empty(t, rec.calls)
			}
		})
	}
}

func TestDuplicatesCountOnce(t *testing.T) {
	at := now.Add(-time.Minute)
	e := ev("same-event", event.SignInSucceeded, "p", "c", at, 1)
	other := ev("other", event.SignInSucceeded, "p", "c", at, 1)
	msgs := []events.SQSMessage{
		sqstest.Enveloped("sqs-1", "sns-1", e), // first delivery
		sqstest.Enveloped("sqs-2", "sns-1", e), // SNS delivered the same message twice
		sqstest.Enveloped("sqs-3", "sns-9", e), // the trigger's publish retry: new SNS MessageId
		sqstest.Raw("sqs-4", e),                // raw delivery: no SNS MessageId at all
		sqstest.Enveloped("sqs-5", "sns-5", other),
	}
	rec := &recorder{}
	resp, err := New(Config{Now: fixed}, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures, "duplicates are never failures")
	require.Equal(t, 2.0, totals(rec.calls)["SignInSucceeded{UserPoolId=p}"])
	require.Equal(t, 2.0, totals(rec.calls)["SignInSucceeded{UserPoolId=p,ClientId=c}"])

	// When the first occurrence's call fails, only it is reported: it comes
	// back and counts once, while its duplicates are deleted.
	rec = &recorder{errs: []error{&smithy.GenericAPIError{Code: "InvalidParameterValue"}}}
	resp, err = New(Config{Now: fixed}, rec.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	require.Equal(t, []string{"sqs-1", "sqs-5"}, failedIDs(resp))
}

func TestRetryInsideTheDeadline(t *testing.T) {
	throttle := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "Rate exceeded"} }
	for _, tc := range []struct {
		name         string
		errs         []error
		always       error
		wantAttempts int // 0: more than one, bounded by the deadline
		wantFailed   bool
	}{
		{name: "throttled twice then stored", errs: []error{throttle("Throttling"), throttle("ThrottlingException")}, wantAttempts: 3},
		{name: "limit exceeded then stored", errs: []error{throttle("LimitExceededException")}, wantAttempts: 2},
		{name: "not retried: a quota (LimitExceeded) is not a rate", errs: []error{throttle("LimitExceeded")}, wantAttempts: 1, wantFailed: true},
		{name: "server fault then stored", errs: []error{throttle("InternalServiceError")}, wantAttempts: 2},
		{name: "throttled until the deadline", always: throttle("Throttling"), wantFailed: true},
		{name: "not retried: invalid parameter", errs: []error{throttle("InvalidParameterValue")}, wantAttempts: 1, wantFailed: true},
		{name: "not retried: the text says throttled but the code does not", errs: []error{throttle("AccessDenied")}, wantAttempts: 1, wantFailed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{errs: tc.errs}
				if tc.always != nil {
					rec.fail = func(*cwInput) error { return tc.always }
				}
				msgs := []events.SQSMessage{sqstest.Raw("m1", ev("1", event.SignInAttempted, "p", "", time.Now(), 1))}
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				deadline, _ := ctx.Deadline()
				start := time.Now()
				resp, err := New(Config{}, rec.put, nil).Handle(ctx, events.SQSEvent{Records: msgs})
				require.NoError(t, err)
				require.True(t, time.Now().Before(deadline), "answered before the invocation's deadline")
				if tc.wantAttempts > 0 {
					require.Len(t, rec.calls, tc.wantAttempts)
				} else {
					require.Greater(t, len(rec.calls), 5)
					require.Greater(t, time.Since(start), 5*time.Second, "kept trying until close to the deadline")
					require.LessOrEqual(t, time.Since(start), 10*time.Second-DefaultConfig.Retry.Reserve)
				}
				if tc.wantFailed {
					require.Equal(t, []string{"m1"}, failedIDs(resp))
				} else {
					require.Empty(t, resp.BatchItemFailures)
				}
			})
		})
	}
}

func TestACancelledInvocationFailsItsMessages(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := &recorder{fail: func(*cwInput) error { return ctx.Err() }}
	msgs := []events.SQSMessage{sqstest.Raw("m1", ev("1", event.SignInAttempted, "p", "", now, 1))}
	resp, err := New(Config{Now: fixed}, rec.put, nil).Handle(ctx, events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	require.Equal(t, []string{"m1"}, failedIDs(resp))
	require.Empty(t, rec.calls, "no call once the invocation is over")
	require.True(t, errors.Is(ctx.Err(), context.Canceled))
}

func mustMarshalUnchecked(t *testing.T, e event.Event) string {
	// json without Validate, for events Marshal would refuse.
	b, err := jsonMarshal(e)
	require.NoError(t, err)
	return string(b)
}
