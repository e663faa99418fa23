package event_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/local/goaws/goawstest"
)

// TestDeliveredByGoaws publishes an event through goaws (the local SNS and
// SQS) with its message attributes, as a trigger does, and decodes what an
// SQS subscriber receives, enveloped and raw. With -update it records the
// envelope as testdata/goaws-sqs-notification.json.
func TestDeliveredByGoaws(t *testing.T) {
	server := goawstest.Server(t)
	ctx := t.Context()
	cfg := server.AWSConfig()
	q, n := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)

	topic := goawstest.Topic(t, server, "user-events")
	queues := map[bool]*string{
		false: aws.String(goawstest.Queue(t, server, topic, "enveloped", false)),
		true:  aws.String(goawstest.Queue(t, server, topic, "raw", true)),
	}

	e := valid(event.SignUpRejected)
	e.Data.EmailDomain = "mailinator.com"
	body, err := event.Marshal(e)
	require.NoError(t, err)
	attrs := map[string]snstypes.MessageAttributeValue{}
	for k, v := range e.Attributes() {
		attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err = n.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String(string(body)), MessageAttributes: attrs})
	require.NoError(t, err)

	for _, raw := range []bool{false, true} {
		var got *sqs.ReceiveMessageOutput
		require.Eventually(t, func() bool {
			got, err = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queues[raw]})
			return err == nil && len(got.Messages) == 1
		}, 5*time.Second, 20*time.Millisecond)
		msg := []byte(aws.ToString(got.Messages[0].Body))
		back, env, err := event.FromSNS(msg)
		require.NoError(t, err, "%s", msg)
		require.Equal(t, e, back)
		if raw {
			require.Equal(t, event.Envelope{}, env)
			continue
		}
		require.Equal(t, "Notification", env.Type)
		require.Equal(t, topic, env.TopicArn)
		fromEnv := map[string]string{}
		for k, a := range env.MessageAttributes {
			fromEnv[k] = a.Value
		}
		require.Equal(t, e.Attributes(), fromEnv)
		if testutil.Update() {
			require.True(t, json.Valid(msg))
			require.NoError(t, os.WriteFile(filepath.Join("testdata", "goaws-sqs-notification.json"), msg, 0o644))
		}
	}
}

// TestRecordedGoawsNotification decodes the envelope goaws delivered to SQS
// (recorded by TestDeliveredByGoaws -update), without starting goaws.
func TestRecordedGoawsNotification(t *testing.T) {
	e, env, err := event.FromSNS(readFile(t, "goaws-sqs-notification.json"))
	require.NoError(t, err)
	require.Equal(t, "Notification", env.Type)
	require.Equal(t, event.SignUpRejected, e.Type)
	require.Equal(t, event.ReasonDisposableDomain, e.Data.Reason)
	require.NotEmpty(t, env.Signature)
}
