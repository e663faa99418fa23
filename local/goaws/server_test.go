package goaws_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/goaws"
)

var server *goaws.Server

func TestMain(m *testing.M) {
	s, err := goaws.Start(goaws.Options{})
	if err != nil {
		panic(err)
	}
	server = s
	code := m.Run()
	_ = s.Close()
	os.Exit(code)
}

func TestSecondStartIsRefused(t *testing.T) {
	_, err := goaws.Start(goaws.Options{})
	require.ErrorIs(t, err, goaws.ErrRunning)
}

func TestSDKSQSRoundTrip(t *testing.T) {
	ctx := t.Context()
	q := sqs.NewFromConfig(server.AWSConfig())
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String("roundtrip"),
		Attributes: map[string]string{"VisibilityTimeout": "1"},
	})
	require.NoError(t, err)
	require.Equal(t, server.URL()+"/"+goaws.AccountID+"/roundtrip", *created.QueueUrl)

	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"},
	})
	require.NoError(t, err)
	require.Equal(t, "1", attrs.Attributes["VisibilityTimeout"])
	require.Equal(t, "arn:aws:sqs:"+goaws.Region+":"+goaws.AccountID+":roundtrip", attrs.Attributes["QueueArn"])

	for _, body := range []string{"one", "two", "three"} {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: created.QueueUrl, MessageBody: aws.String(body),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"type": {DataType: aws.String("String"), StringValue: aws.String("t-" + body)},
			},
		})
		require.NoError(t, err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: created.QueueUrl, MaxNumberOfMessages: 2, MessageAttributeNames: []string{"All"},
	})
	require.NoError(t, err)
	require.Len(t, got.Messages, 2)
	require.Equal(t, "one", *got.Messages[0].Body)
	require.Equal(t, "t-one", *got.Messages[0].MessageAttributes["type"].StringValue)

	del, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
		QueueUrl: created.QueueUrl,
		Entries: []sqstypes.DeleteMessageBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: got.Messages[0].ReceiptHandle},
			{Id: aws.String("b"), ReceiptHandle: got.Messages[1].ReceiptHandle},
		},
	})
	require.NoError(t, err)
	require.Len(t, del.Successful, 2)

	rest, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, rest.Messages, 1)
	require.Equal(t, "three", *rest.Messages[0].Body)
}

func TestSDKErrorCode(t *testing.T) {
	q := sqs.NewFromConfig(server.AWSConfig())
	_, err := q.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(server.URL() + "/" + goaws.AccountID + "/missing")})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", apiErr.ErrorCode())
}

func TestSNSToSQS(t *testing.T) {
	ctx := t.Context()
	cfg := server.AWSConfig()
	q := sqs.NewFromConfig(cfg)
	n := sns.NewFromConfig(cfg)
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fanout")})
	require.NoError(t, err)
	topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:sns:"+goaws.Region+":"+goaws.AccountID+":events", *topic.TopicArn)
	_, err = n.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:" + goaws.Region + ":" + goaws.AccountID + ":fanout"),
	})
	require.NoError(t, err)
	_, err = n.Publish(ctx, &sns.PublishInput{
		TopicArn: topic.TopicArn, Message: aws.String(`{"hello":"world"}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"type": {DataType: aws.String("String"), StringValue: aws.String("cogwatch.signup.accepted")},
		},
	})
	require.NoError(t, err)
	var got *sqs.ReceiveMessageOutput
	require.Eventually(t, func() bool {
		got, err = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl})
		return err == nil && len(got.Messages) == 1
	}, 5*time.Second, 50*time.Millisecond)
	var env struct {
		Type              string
		Message           string
		MessageAttributes map[string]struct{ Type, Value string }
	}
	require.NoError(t, json.Unmarshal([]byte(*got.Messages[0].Body), &env))
	require.Equal(t, "Notification", env.Type)
	require.Equal(t, `{"hello":"world"}`, env.Message)
	require.Equal(t, "cogwatch.signup.accepted", env.MessageAttributes["type"].Value)
}
