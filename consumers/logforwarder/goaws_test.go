package logforwarder

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local/goaws/goawstest"
	"github.com/cogwatch/cogwatch/triggers"
)

// TestLogSinkToSubscriber runs the whole log-sink path against goaws: the
// authentication and post confirmation triggers, built from their
// environment with COGWATCH_EVENT_SINK=log, write their event lines; the
// lines that the subscription filter would select reach the forwarder as
// CloudWatch Logs delivers them; the forwarder publishes them with the real
// SDK client's PublishBatch; an SQS subscriber receives every event, with the
// trigger's ids and message attributes.
func TestLogSinkToSubscriber(t *testing.T) {
	s := goawstest.Server(t)
	ctx := t.Context()
	cfg := s.AWSConfig()
	topic := goawstest.Topic(t, s, "user-events")
	queue := goawstest.Queue(t, s, topic, "subscriber", false)
	q := sqs.NewFromConfig(cfg)

	// Triggers with the log sink: their stdout is the log group.
	getenv := func(k string) string {
		return map[string]string{"COGWATCH_EVENT_SINK": "log", "USER_EVENTS_TOPIC_ARN": topic,
			"COGWATCH_HASH_KEY": "0123456789abcdef0123"}[k]
	}
	var stdout syncBuffer
	auth, err := triggers.AuthenticationFromEnv(ctx, getenv, &stdout)
	require.NoError(t, err)
	conf, err := triggers.PostConfirmationFromEnv(ctx, getenv, &stdout)
	require.NoError(t, err)
	fixtures := []string{"PostAuthentication_Authentication.json", "PostConfirmation_ConfirmSignUp.json"}
	for i := range 14 {
		h, fixture := auth, fixtures[0]
		if i%3 == 0 {
			h, fixture = conf, fixtures[1]
		}
		_, err := h.Invoke(ctx, readTriggerFixture(t, fixture))
		require.NoError(t, err)
	}

	// What the subscription filter selects, as CloudWatch Logs delivers it.
	var lines []string
	want := map[string]event.Event{}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		lines = append(lines, l)
		if e, _, err := event.ParseLogLine([]byte(l)); err == nil {
			want[e.ID] = e
		}
	}
	require.Len(t, want, 14)

	f := New(Config{TopicARN: topic}, sns.NewFromConfig(cfg, func(o *sns.Options) { o.RetryMaxAttempts = 1 }).PublishBatch, nil, nil)
	require.NoError(t, f.Handle(ctx, payload(t, lines...)))

	got := map[string]event.Event{}
	require.Eventually(t, func() bool {
		m, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		for _, msg := range m.Messages {
			e, env, err := event.FromSNS([]byte(*msg.Body))
			require.NoError(t, err)
			require.Equal(t, topic, env.TopicArn)
			attrs := map[string]string{}
			for k, v := range env.MessageAttributes {
				attrs[k] = v.Value
			}
			require.Equal(t, e.Attributes(), attrs)
			got[e.ID] = e
		}
		return len(got) >= len(want)
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, len(want), len(got))
	for id, e := range want {
		require.Contains(t, got, id)
		a, _ := event.Marshal(e)
		b, _ := event.Marshal(got[id])
		require.Equal(t, string(a), string(b), "what the trigger logged is what the subscriber reads")
	}
}
