package goaws_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/goaws"
	"github.com/cogwatch/cogwatch/local/goaws/goawstest"
)

// TestPublishBatch: the SDK's PublishBatch reaches a subscribed queue, one
// notification per entry with its attributes, and the answer names each
// entry by Id; what SNS refuses as a whole is refused with SNS's codes.
func TestPublishBatch(t *testing.T) {
	ctx := t.Context()
	cfg := server.AWSConfig()
	q, n := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	topic := goawstest.Topic(t, server, "batch-events")
	queue := goawstest.Queue(t, server, topic, "batch", false)

	entries := func(k int) []snstypes.PublishBatchRequestEntry {
		var es []snstypes.PublishBatchRequestEntry
		for i := range k {
			es = append(es, snstypes.PublishBatchRequestEntry{
				Id: aws.String(fmt.Sprintf("e-%d", i)), Message: aws.String(fmt.Sprintf(`{"n":%d}`, i)),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{
					"type": {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("t%d", i))},
				},
			})
		}
		return es
	}
	out, err := n.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: entries(goaws.MaxBatchEntries)})
	require.NoError(t, err)
	require.Empty(t, out.Failed)
	require.Len(t, out.Successful, goaws.MaxBatchEntries)
	for i, s := range out.Successful {
		require.Equal(t, fmt.Sprintf("e-%d", i), aws.ToString(s.Id))
		require.NotEmpty(t, aws.ToString(s.MessageId))
	}
	got := map[string]string{}
	require.Eventually(t, func() bool {
		m, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		for _, msg := range m.Messages {
			var env struct {
				Message           string
				MessageAttributes map[string]struct{ Type, Value string }
			}
			require.NoError(t, json.Unmarshal([]byte(*msg.Body), &env))
			got[env.Message] = env.MessageAttributes["type"].Value
		}
		return len(got) == goaws.MaxBatchEntries
	}, 5*time.Second, 50*time.Millisecond)
	for i := range goaws.MaxBatchEntries {
		require.Equal(t, fmt.Sprintf("t%d", i), got[fmt.Sprintf(`{"n":%d}`, i)])
	}

	for name, tc := range map[string]struct {
		entries []snstypes.PublishBatchRequestEntry
		code    string
	}{
		"too many":     {entries(goaws.MaxBatchEntries + 1), "TooManyEntriesInBatchRequest"},
		"repeated ids": {append(entries(2), entries(1)...), "BatchEntryIdsNotDistinct"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := n.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: tc.entries})
			var api smithy.APIError
			require.ErrorAs(t, err, &api)
			require.Equal(t, tc.code, api.ErrorCode())
		})
	}

	// An entry goaws refuses (a topic that does not exist) fails by Id.
	out, err = n.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), PublishBatchRequestEntries: entries(2)})
	require.NoError(t, err)
	require.Empty(t, out.Successful)
	require.Len(t, out.Failed, 2)
	require.Equal(t, "e-0", aws.ToString(out.Failed[0].Id))
	require.NotEmpty(t, aws.ToString(out.Failed[0].Code))
}
