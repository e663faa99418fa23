package triggers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local/goaws"
	"github.com/cogwatch/cogwatch/local/goaws/goawstest"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

func TestFromEnvBadConfig(t *testing.T) {
	for name, build := range map[string]func() error{
		"presignup": func() error {
			_, err := PreSignUpFromEnv(t.Context(), env(map[string]string{"COGWATCH_TRIGGER_BUDGET": "7s"}), nil)
			return err
		},
		"authentication": func() error {
			_, err := AuthenticationFromEnv(t.Context(), env(map[string]string{"COGWATCH_TRIGGER_BUDGET": "7s"}), nil)
			return err
		},
		"postconfirmation": func() error {
			_, err := PostConfirmationFromEnv(t.Context(), env(map[string]string{"COGWATCH_TRIGGER_BUDGET": "7s"}), nil)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			require.EqualError(t, build(), "configuration: COGWATCH_TRIGGER_BUDGET: 7s is not below Cognito's 5s limit")
		})
	}
}

// TestFromEnvNoTopic: without a topic no AWS configuration is loaded (no
// region or credentials needed) and the handler answers, writing EMF and
// logs to stdout.
func TestFromEnvNoTopic(t *testing.T) {
	var stdout syncBuffer
	h, err := PostConfirmationFromEnv(t.Context(), env(map[string]string{"POWERTOOLS_LOG_LEVEL": "debug", "POWERTOOLS_METRICS_NAMESPACE": "Test/Cogwatch"}), &stdout)
	require.NoError(t, err)
	require.Nil(t, h.(*PostConfirmation).publish)
	payload := readFixture(t, "cognito-local/PostConfirmation_ConfirmSignUp.json")
	out, err := warmup.Wrap(h).Invoke(t.Context(), payload)
	require.NoError(t, err)
	require.Equal(t, string(payload), string(out))
	lines := stdout.Lines()
	require.Len(t, lines, 2, "one EMF line and one debug log line")
	doc := decodeEMF(t, lines[0])
	require.Equal(t, "Test/Cogwatch", doc.Namespace)
	require.Contains(t, lines[1], `"message":"trigger answered"`)
}

// TestFromEnvGoaws builds each trigger as its Lambda does, with
// AWS_ENDPOINT_URL pointing at goaws and only the getenv it is given (as the
// local Lambda host does), and reads the published events back from an SQS
// queue subscribed to the topic.
func TestFromEnvGoaws(t *testing.T) {
	s := goawstest.Server(t)
	ctx := t.Context()
	topic := goawstest.Topic(t, s, "user-events-fromenv")
	queue := goawstest.Queue(t, s, topic, "fromenv", false)
	q := sqs.NewFromConfig(s.AWSConfig())

	getenv := env(map[string]string{
		"USER_EVENTS_TOPIC_ARN": topic,
		"AWS_ENDPOINT_URL":      s.URL(),
		"AWS_REGION":            goaws.Region,
		"AWS_ACCESS_KEY_ID":     "local",
		"AWS_SECRET_ACCESS_KEY": "local",
		"COGWATCH_HASH_KEY":     string(testKey),
	})
	cases := []struct {
		fixture  string
		wantType event.Type
		wantErr  string
	}{
		{fixture: "cognito-local/PreSignUp_SignUp.json", wantType: event.SignUpAccepted},
		{fixture: "cognito-local/PreSignUp_SignUp-disposable.json", wantType: event.SignUpRejected, wantErr: "Please use a permanent email address"},
		{fixture: "cognito-local/PostAuthentication_Authentication.json", wantType: event.SignInSucceeded},
		{fixture: "cognito-local/PostConfirmation_ConfirmSignUp-admin.json", wantType: event.UserConfirmed},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			_, attrs := fixtureFields(t, readFixture(t, tc.fixture))
			var stdout syncBuffer
			build := PostConfirmationFromEnv
			switch functionFor(mustSource(t, tc.fixture)) {
			case "presignup":
				build = PreSignUpFromEnv
			case "authentication":
				build = AuthenticationFromEnv
			}
			h, err := build(ctx, getenv, &stdout)
			require.NoError(t, err)
			_, err = warmup.Wrap(h).Invoke(ctx, readFixture(t, tc.fixture))
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.NotContains(t, stdout.String(), "not published")

			var msg *sqs.ReceiveMessageOutput
			require.Eventually(t, func() bool {
				msg, err = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue})
				return err == nil && len(msg.Messages) == 1
			}, 5*time.Second, 20*time.Millisecond)
			ev, envlp, err := event.FromSNS([]byte(*msg.Messages[0].Body))
			require.NoError(t, err)
			require.Equal(t, topic, envlp.TopicArn)
			require.Equal(t, tc.wantType, ev.Type)
			require.Equal(t, HashEmail(testKey, attrs["email"]), ev.Data.EmailHash)
			_, err = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: msg.Messages[0].ReceiptHandle})
			require.NoError(t, err)
		})
	}
}

func mustSource(t *testing.T, fixture string) string {
	t.Helper()
	var h struct {
		TriggerSource string `json:"triggerSource"`
	}
	require.NoError(t, json.Unmarshal(readFixture(t, fixture), &h))
	return h.TriggerSource
}
