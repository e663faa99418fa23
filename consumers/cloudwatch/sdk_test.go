package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
)

// fakeCloudWatch is an httptest server that answers PutMetricData like
// CloudWatch's RPC v2 CBOR endpoint and keeps each request's body
// (uncompressed) and its size on the wire.
type fakeCloudWatch struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	wire   []int
	// answer, when set, writes the response for request n (0-based).
	answer func(n int, w http.ResponseWriter) bool
}

func newFakeCloudWatch(t testing.TB) *fakeCloudWatch {
	f := &fakeCloudWatch{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		body := wire
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(wire))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
		}
		if r.URL.Path != "/service/GraniteServiceVersion20100801/operation/PutMetricData" || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
			http.Error(w, "unexpected request "+r.URL.Path, 400)
			return
		}
		f.mu.Lock()
		n := len(f.bodies)
		f.bodies = append(f.bodies, body)
		f.wire = append(f.wire, len(wire))
		f.mu.Unlock()
		if f.answer != nil && f.answer(n, w) {
			return
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.WriteHeader(200)
	}))
	t.Cleanup(f.Close)
	return f
}

// client returns the real SDK client pointed at the fake, without retries.
func (f *fakeCloudWatch) client() *cw.Client {
	return cw.NewFromConfig(aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(f.URL),
		RetryMaxAttempts: 1,
	})
}

// TestRequestSizeMatchesTheSDK pins size.go to the body the real client
// sends: the computed size of every call equals the uncompressed CBOR body.
func TestRequestSizeMatchesTheSDK(t *testing.T) {
	long := strings.Repeat("x", 1024)
	at := now.Add(-time.Minute)
	for _, tc := range []struct {
		name string
		opts Config
		msgs func(t *testing.T) []events.SQSMessage
	}{
		{"one event", Config{}, func(t *testing.T) []events.SQSMessage {
			return []events.SQSMessage{sqstest.Raw("1", ev("1", event.SignUpRejected, "eu-west-1_abc", "client", at, 12))}
		}},
		{"10,000 ordinary events", Config{}, func(t *testing.T) []events.SQSMessage { return ordinary(t, 10_000, at.Truncate(time.Minute)) }},
		{"1024-character dimension values, 255-character namespace", Config{Namespace: strings.Repeat("N", 255)}, func(t *testing.T) []events.SQSMessage {
			return []events.SQSMessage{sqstest.Raw("1", ev("1", event.SignInSucceeded, long, long, at, 1e9))}
		}},
		{"full Values arrays split by size", Config{MaxRequestBytes: 20_000}, func(t *testing.T) []events.SQSMessage {
			var m []events.SQSMessage
			for i := range 2000 {
				id := string(rune('a'+i%26)) + strings.Repeat("z", i%7) + "-" + time.Duration(i).String()
				m = append(m, sqstest.Raw(id, ev(id, event.SignInAttempted, "p"+string(rune('a'+i%20)), "", at, float64(i)+0.4)))
			}
			return m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCloudWatch(t)
			rec := &recorder{}
			tc.opts.Now = fixed
			client := f.client()
			put := func(ctx context.Context, in *cw.PutMetricDataInput, o ...func(*cw.Options)) (*cw.PutMetricDataOutput, error) {
				_, _ = rec.put(ctx, in)
				return client.PutMetricData(ctx, in, o...)
			}
			resp, err := New(tc.opts, put, nil).Handle(t.Context(), events.SQSEvent{Records: tc.msgs(t)})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Len(t, f.bodies, len(rec.calls))
			for i, in := range rec.calls {
				want := inputSize(*in.Namespace)
				for j := range in.MetricData {
					want += datumSize(&in.MetricData[j])
				}
				require.Equal(t, want, len(f.bodies[i]), "computed size of call %d", i)
				if tc.opts.MaxRequestBytes > 0 {
					require.LessOrEqual(t, len(f.bodies[i]), tc.opts.MaxRequestBytes)
				}

				// And the body is what we meant: decode it as CloudWatch would.
				v, err := cbor.Decode(f.bodies[i])
				require.NoError(t, err)
				m := v.(cbor.Map)
				require.Equal(t, cbor.String(*in.Namespace), m["Namespace"])
				require.Len(t, m["MetricData"].(cbor.List), len(in.MetricData))
				t.Logf("call %d: %d datums, %d bytes CBOR, %d bytes on the wire", i, len(in.MetricData), len(f.bodies[i]), f.wire[i])
			}
		})
	}
}

// TestFromEnvRetriesAThrottledCallOnce runs the handler FromEnv builds, with
// the real SDK client, against a fake that throttles the first request the
// way CloudWatch does (query-compatible error code in a header).
func TestFromEnvRetriesAThrottledCallOnce(t *testing.T) {
	t.Parallel() // the AWS configuration comes from getenv, not the process environment
	f := newFakeCloudWatch(t)
	f.answer = func(n int, w http.ResponseWriter) bool {
		if n > 0 {
			return false
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("X-Amzn-Query-Error", "Throttling;Sender")
		w.WriteHeader(400)
		_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("Throttling"), "message": cbor.String("Rate exceeded")}))
		return true
	}
	env := map[string]string{
		EnvNamespace: "Test/Delivered",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL": f.URL, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
	}
	var logs bytes.Buffer
	h, err := FromEnv(t.Context(), func(k string) string { return env[k] }, &logs)
	require.NoError(t, err)

	e := ev("1", event.SignInSucceeded, "eu-west-1_abc", "client", time.Now().Add(-time.Minute), 12)
	payload, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{sqstest.Enveloped("m1", "s1", e)}})
	require.NoError(t, err)
	out, err := h.Invoke(t.Context(), payload)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[]}`, string(out))
	require.Len(t, f.bodies, 2, "one throttled request, one retry, no SDK retries on top")
	v, err := cbor.Decode(f.bodies[1])
	require.NoError(t, err)
	require.Equal(t, cbor.String("Test/Delivered"), v.(cbor.Map)["Namespace"])
	require.Contains(t, logs.String(), `"callsStored":1`)
}
