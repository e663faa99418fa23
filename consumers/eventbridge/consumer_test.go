package eventbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	smithy "github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
)

var at = time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)

func ev(id string, typ event.Type) event.Event {
	e := event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: event.Source("eu-west-1", "eu-west-1_abc"), Type: typ,
		Time: at, DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: "eu-west-1_abc", ClientID: "client",
			TriggerSource: "PreSignUp_SignUp", Region: "eu-west-1", EmailDomain: "example.com", LatencyMs: 12},
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

// batch returns n messages m0…m(n-1) carrying distinct events.
func batch(n int) []events.SQSMessage {
	msgs := make([]events.SQSMessage, n)
	for i := range n {
		msgs[i] = sqstest.Enveloped(fmt.Sprintf("m%d", i), fmt.Sprintf("s%d", i), ev(fmt.Sprintf("e%d", i), event.Types()[i%6]))
	}
	return msgs
}

// fake is a PutEventsFunc double. answer decides each entry's fate for call
// n (0-based): "" accepted, else its ErrorCode; err, when set, fails the call.
type fake struct {
	mu     sync.Mutex
	calls  []*eb.PutEventsInput
	err    func(n int) error
	answer func(n, i int, e types.PutEventsRequestEntry) string
}

func (f *fake) put(ctx context.Context, in *eb.PutEventsInput, _ ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.calls)
	f.calls = append(f.calls, in)
	if f.err != nil {
		if err := f.err(n); err != nil {
			return nil, err
		}
	}
	out := &eb.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		code := ""
		if f.answer != nil {
			code = f.answer(n, i, e)
		}
		if code == "" {
			out.Entries[i].EventId = ptr(fmt.Sprintf("id-%d-%d", n, i))
		} else {
			out.Entries[i].ErrorCode = ptr(code)
			out.Entries[i].ErrorMessage = ptr("failed")
			out.FailedEntryCount++
		}
	}
	return out, nil
}

func (f *fake) entries() []types.PutEventsRequestEntry {
	var all []types.PutEventsRequestEntry
	for _, c := range f.calls {
		all = append(all, c.Entries...)
	}
	return all
}

func failedIDs(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestEntriesCarryTheEvent(t *testing.T) {
	e := ev("e1", event.SignUpRejected)
	f := &fake{}
	resp, err := New(Config{BusName: "users"}, f.put, nil).Handle(t.Context(), events.SQSEvent{Records: []events.SQSMessage{sqstest.Enveloped("m1", "s1", e)}})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Len(t, f.calls, 1)
	got := f.calls[0].Entries[0]
	require.Equal(t, "cogwatch", *got.Source)
	require.Equal(t, "cogwatch.signup.rejected", *got.DetailType)
	require.Equal(t, "users", *got.EventBusName)
	require.Equal(t, at, *got.Time)
	back, err := event.Decode([]byte(*got.Detail))
	require.NoError(t, err, "the detail is the event, decodable by subscribers")
	require.Equal(t, e, back)
}

func TestSize(t *testing.T) {
	e := types.PutEventsRequestEntry{Source: ptr("cogwatch"), DetailType: ptr("type"), Detail: ptr(`{"a":"é"}`)}
	require.Equal(t, 8+4+10, Size(&e), "UTF-8 bytes, not characters")
	e.Time = ptr(at)
	e.Resources = []string{"arn:1", "arn:22"}
	e.EventBusName = ptr("ignored by the size rule")
	require.Equal(t, 14+8+4+10+5+6, Size(&e))
}

func TestPacking(t *testing.T) {
	oneEntry := Size(&types.PutEventsRequestEntry{Source: ptr(Source), DetailType: ptr(string(event.SignUpAccepted)),
		Detail: ptr(string(must(event.Marshal(ev("e0", event.SignUpAccepted))))), Time: ptr(at)})
	for _, tc := range []struct {
		name  string
		opts  Config
		n     int
		sizes []int
	}{
		{name: "ten per call", n: 25, sizes: []int{10, 10, 5}},
		{name: "exactly ten", n: 10, sizes: []int{10}},
		{name: "size splits first", opts: Config{MaxCallBytes: 3*oneEntry + 20}, n: 7, sizes: []int{3, 3, 1}},
		{name: "strictly less than the size limit", opts: Config{MaxCallBytes: 3 * oneEntry}, n: 5, sizes: []int{2, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{}
			// Same type for every event, so every entry has the same size.
			msgs := make([]events.SQSMessage, tc.n)
			for i := range tc.n {
				msgs[i] = sqstest.Raw(fmt.Sprint(i), ev(fmt.Sprintf("e%d", i%10), event.SignUpAccepted))
				if i >= 10 {
					msgs[i] = sqstest.Raw(fmt.Sprint(i), ev(fmt.Sprintf("f%d", i%10), event.SignUpAccepted))
				}
				if i >= 20 {
					msgs[i] = sqstest.Raw(fmt.Sprint(i), ev(fmt.Sprintf("g%d", i%10), event.SignUpAccepted))
				}
			}
			resp, err := New(tc.opts, f.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			var sizes []int
			for _, c := range f.calls {
				sizes = append(sizes, len(c.Entries))
				total := 0
				for i := range c.Entries {
					total += Size(&c.Entries[i])
				}
				require.Less(t, total, New(tc.opts, nil, nil).opts.MaxCallBytes)
			}
			require.Equal(t, tc.sizes, sizes)
		})
	}
}

func TestBatchItemFailures(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException"}
	for _, tc := range []struct {
		name      string
		msgs      []events.SQSMessage
		opts      Config
		fake      *fake
		failed    []string
		wantCalls int
	}{
		{
			name:   "undecodable messages",
			msgs:   append(batch(3), events.SQSMessage{MessageId: "junk", Body: "{"}, events.SQSMessage{MessageId: "confirm", Body: `{"Type":"SubscriptionConfirmation"}`}),
			fake:   &fake{},
			failed: []string{"junk", "confirm"}, wantCalls: 1,
		},
		{
			name: "entries with a non-retryable error code",
			msgs: batch(12),
			fake: &fake{answer: func(n, i int, e types.PutEventsRequestEntry) string {
				if n == 0 && i == 2 || n == 1 && i == 1 {
					return "MalformedDetail"
				}
				return ""
			}},
			failed: []string{"m2", "m11"}, wantCalls: 2,
		},
		{
			name: "a whole call failing with a non-retryable code",
			msgs: batch(12),
			fake: &fake{err: func(n int) error {
				if n == 0 {
					return denied
				}
				return nil
			}},
			failed: []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}, wantCalls: 2,
		},
		{
			name: "throttled entries are sent again, alone",
			msgs: batch(4),
			fake: &fake{answer: func(n, i int, e types.PutEventsRequestEntry) string {
				if n == 0 && (i == 1 || i == 3) {
					return "ThrottlingException"
				}
				return ""
			}},
			failed: []string{}, wantCalls: 2,
		},
		{
			name: "a throttled call is sent again",
			msgs: batch(4),
			fake: &fake{err: func(n int) error {
				if n < 2 {
					return &smithy.GenericAPIError{Code: "ThrottlingException"}
				}
				return nil
			}},
			failed: []string{}, wantCalls: 3,
		},
		{
			name: "a response that does not match the request fails its entries",
			msgs: batch(3),
			fake: &fake{},
			opts: Config{},
			// Answered below by a wrapper dropping one result.
			failed: []string{"m0", "m1", "m2"}, wantCalls: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			put := tc.fake.put
			if strings.HasPrefix(tc.name, "a response that does not match") {
				put = func(ctx context.Context, in *eb.PutEventsInput, o ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
					out, err := tc.fake.put(ctx, in, o...)
					out.Entries = out.Entries[1:]
					return out, err
				}
			}
			resp, err := New(tc.opts, put, nil).Handle(t.Context(), events.SQSEvent{Records: tc.msgs})
			require.NoError(t, err)
			require.Equal(t, tc.failed, failedIDs(resp))
			require.Len(t, tc.fake.calls, tc.wantCalls)
		})
	}
}

func TestThrottledEntriesRetriedAlone(t *testing.T) {
	f := &fake{answer: func(n, i int, e types.PutEventsRequestEntry) string {
		if n == 0 && i == 1 {
			return "ThrottlingException"
		}
		return ""
	}}
	_, err := New(Config{}, f.put, nil).Handle(t.Context(), events.SQSEvent{Records: batch(3)})
	require.NoError(t, err)
	require.Len(t, f.calls, 2)
	require.Len(t, f.calls[1].Entries, 1)
	require.Equal(t, *f.calls[0].Entries[1].Detail, *f.calls[1].Entries[0].Detail)
}

func TestThrottledUntilTheDeadline(t *testing.T) {
	for _, tc := range []struct {
		name string
		fake *fake
	}{
		{"whole calls", &fake{err: func(int) error { return &smithy.GenericAPIError{Code: "ThrottlingException"} }}},
		{"entries", &fake{answer: func(n, i int, _ types.PutEventsRequestEntry) string {
			if i == 0 {
				return "InternalFailure"
			}
			return ""
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				deadline, _ := ctx.Deadline()
				resp, err := New(Config{}, tc.fake.put, nil).Handle(ctx, events.SQSEvent{Records: batch(2)})
				require.NoError(t, err)
				require.True(t, time.Now().Before(deadline))
				require.Greater(t, len(tc.fake.calls), 3)
				if tc.name == "entries" {
					require.Equal(t, []string{"m0"}, failedIDs(resp))
				} else {
					require.Equal(t, []string{"m0", "m1"}, failedIDs(resp))
				}
			})
		})
	}
}

func TestDuplicatesForwardedOnce(t *testing.T) {
	e := ev("same", event.SignInSucceeded)
	msgs := []events.SQSMessage{sqstest.Enveloped("a", "s1", e), sqstest.Enveloped("b", "s1", e), sqstest.Enveloped("c", "s2", e), sqstest.Raw("d", e)}
	f := &fake{}
	resp, err := New(Config{}, f.put, nil).Handle(t.Context(), events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Len(t, f.entries(), 1)
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name, value, want, wantErr string
	}{
		{name: "default", want: "default"},
		{name: "name", value: "cogwatch-users", want: "cogwatch-users"},
		{name: "ARN", value: "arn:aws:events:eu-west-1:123456789012:event-bus/cogwatch", want: "arn:aws:events:eu-west-1:123456789012:event-bus/cogwatch"},
		{name: "space", value: "my bus", wantErr: `COGWATCH_EVENT_BUS_NAME: "my bus" is neither an event bus name nor an event bus ARN`},
		{name: "bad ARN", value: "arn:aws:sns:eu-west-1:123456789012:topic", wantErr: `COGWATCH_EVENT_BUS_NAME: "arn:aws:sns:eu-west-1:123456789012:topic" is neither an event bus name nor an event bus ARN`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := LoadConfig(func(k string) string {
				if k == EnvBusName {
					return tc.value
				}
				return ""
			})
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, o.BusName)
		})
	}
}

// TestFromEnvWithTheRealClient runs the handler FromEnv builds, with the
// real SDK client, against an httptest server that speaks EventBridge's JSON
// protocol and refuses one entry.
func TestFromEnvWithTheRealClient(t *testing.T) {
	t.Parallel() // the AWS configuration comes from getenv, not the process environment
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
			http.Error(w, "unexpected", 400)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct{ Entries []map[string]any }
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = append(got, in.Entries...)
		mu.Unlock()
		results := []map[string]string{}
		failed := 0
		for _, e := range in.Entries {
			if strings.Contains(e["Detail"].(string), `"id":"e1"`) {
				results = append(results, map[string]string{"ErrorCode": "MalformedDetail", "ErrorMessage": "no"})
				failed++
			} else {
				results = append(results, map[string]string{"EventId": "x"})
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": failed, "Entries": results})
	}))
	defer srv.Close()
	env := map[string]string{
		EnvBusName:   "users",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL": srv.URL, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
	}
	h, err := FromEnv(t.Context(), func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	payload, err := json.Marshal(events.SQSEvent{Records: batch(3)})
	require.NoError(t, err)
	out, err := h.Invoke(t.Context(), payload)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"m1"}]}`, string(out))
	require.Len(t, got, 3)
	require.Equal(t, "users", got[0]["EventBusName"])
	require.Equal(t, "cogwatch", got[0]["Source"])
	require.Equal(t, "cogwatch.signup.accepted", got[0]["DetailType"])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
