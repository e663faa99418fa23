package exporter_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
)

// startGoaws runs goaws v0.4.4 in-process on 127.0.0.1 and returns its URL.
// goaws keeps its state in package variables, so one test at a time uses it.
func startGoaws(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(l.Addr().String())
	require.NoError(t, err)
	logrus.SetOutput(io.Discard)
	app.CurrentEnvironment = app.Environment{Host: "127.0.0.1", Port: port, Region: "us-east-1", AccountID: "123456789012"}
	srv := &http.Server{Handler: router.New(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://127.0.0.1:" + port
}

// recorder keeps a copy of every body posted to the exporter.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	next   http.Handler
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(b))
	r.next.ServeHTTP(w, req)
}

func (r *recorder) all() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// TestGoaws subscribes the exporter to a goaws topic, publishes with the real
// SDK client, and checks that goaws's signed deliveries were verified and
// counted, the subscription confirmed, and a tampered delivery refused.
func TestGoaws(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test")
	}
	goaws := startGoaws(t)
	topic := "arn:aws:sns:us-east-1:123456789012:user-events"
	reg := prometheus.NewPedanticRegistry()
	e, err := exporter.New(exporter.Options{
		Topics: []string{topic}, TrustedURLPrefixes: []string{goaws + "/"}, Registerer: reg, Gatherer: reg,
	})
	require.NoError(t, err)
	rec := &recorder{next: e.SNSHandler()}
	ep := httptest.NewServer(rec)
	defer ep.Close()

	client := sns.New(sns.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(goaws),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	ctx := t.Context()
	created, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("user-events")})
	require.NoError(t, err)
	require.Equal(t, topic, aws.ToString(created.TopicArn))
	_, err = client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: created.TopicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(ep.URL + "/sns")})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return counter(t, reg, "cogwatch_exporter_sns_subscriptions_confirmed_total", "") == 1
	}, 10*time.Second, 20*time.Millisecond, "goaws's SubscriptionConfirmation was verified and its SubscribeURL visited")

	publish := func(id string, typ event.Type, reason string) {
		body := userEvent(t, id, typ, "client1", reason, 120)
		ev, err := event.Decode([]byte(body))
		require.NoError(t, err)
		attrs := map[string]snstypes.MessageAttributeValue{}
		for k, v := range ev.Attributes() {
			attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
		_, err = client.Publish(ctx, &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String(body), MessageAttributes: attrs})
		require.NoError(t, err)
	}
	publish("e1", event.SignInAttempted, "")
	publish("e2", event.SignInSucceeded, "")
	publish("e3", event.SignUpRejected, event.ReasonDisposableDomain)
	publish("e3", event.SignUpRejected, event.ReasonDisposableDomain) // a trigger's publish retry: same event id

	want := `
# HELP cogwatch_user_events_total User events received from the SNS topic, by type, user pool, app client and rejection reason.
# TYPE cogwatch_user_events_total counter
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.signin.attempted",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 1
cogwatch_user_events_total{client_id="client1",reason="disposable_domain",type="cogwatch.signup.rejected",user_pool_id="us-east-1_AbC123"} 1
# HELP cogwatch_exporter_sns_messages_duplicates_total Verified notifications dropped as duplicates (same SNS MessageId or CloudEvents id).
# TYPE cogwatch_exporter_sns_messages_duplicates_total counter
cogwatch_exporter_sns_messages_duplicates_total 1
# HELP cogwatch_exporter_sns_messages_received_total SNS messages received on POST /sns, whatever became of them.
# TYPE cogwatch_exporter_sns_messages_received_total counter
cogwatch_exporter_sns_messages_received_total 5
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "cogwatch_user_events_total",
		"cogwatch_exporter_sns_messages_duplicates_total", "cogwatch_exporter_sns_messages_received_total"))
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)

	// What goaws delivered, and how it differs from SNS (see docs/exporter.md).
	bodies := rec.all()
	require.Len(t, bodies, 5)
	var delivered map[string]any
	require.NoError(t, json.Unmarshal(bodies[1], &delivered))
	require.Equal(t, "Notification", delivered["Type"])
	require.Equal(t, "1", delivered["SignatureVersion"], "goaws signs with SHA1withRSA only")
	require.True(t, strings.HasPrefix(delivered["SigningCertURL"].(string), goaws+"/SimpleNotificationService/"),
		"goaws serves its certificate over plain HTTP from itself, at a path SNS does not use")

	t.Run("tampered goaws delivery", func(t *testing.T) {
		tampered := bytes.Replace(bodies[2], []byte(`signin.succeeded`), []byte(`signin.attempted`), 1)
		require.NotEqual(t, bodies[2], tampered)
		resp, err := http.Post(ep.URL+"/sns", "text/plain", bytes.NewReader(tampered))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Equal(t, 1.0, counter(t, reg, "cogwatch_exporter_sns_messages_rejected_total", "bad_signature"))
	})
	t.Run("redelivery", func(t *testing.T) {
		resp, err := http.Post(ep.URL+"/sns", "text/plain", bytes.NewReader(bodies[2]))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, 2.0, counter(t, reg, "cogwatch_exporter_sns_messages_duplicates_total", ""))
	})
	t.Run("without the trust flag", func(t *testing.T) {
		strict := prometheus.NewPedanticRegistry()
		e, err := exporter.New(exporter.Options{Topics: []string{topic}, Registerer: strict, Gatherer: strict})
		require.NoError(t, err)
		srv := httptest.NewServer(e.SNSHandler())
		defer srv.Close()
		resp, err := http.Post(srv.URL+"/sns", "text/plain", bytes.NewReader(bodies[2]))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Equal(t, 1.0, counter(t, strict, "cogwatch_exporter_sns_messages_rejected_total", "cert_url"))
	})
}
