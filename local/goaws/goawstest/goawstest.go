// Package goawstest gives tests the goaws of their test binary (package
// goaws: the local SNS and SQS on loopback), started on first use.
//
// goaws keeps its topics and queues in package variables, so one server runs
// per process: every test of a binary shares it, makes its own topics and
// queues, and the server ends with the process. It is test support, linked
// into no binary.
package goawstest

import (
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/goaws"
)

var (
	mu     sync.Mutex
	server *goaws.Server
)

// Server returns the test binary's goaws, starting it on first use. It skips
// the test under -short, as every emulator-backed test does.
func Server(t testing.TB) *goaws.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts goaws (skipped under -short)")
	}
	mu.Lock()
	defer mu.Unlock()
	if server == nil {
		s, err := goaws.Start(goaws.Options{})
		require.NoError(t, err)
		server = s
	}
	return server
}

// Topic creates the SNS topic name on s and returns its ARN.
func Topic(t testing.TB, s *goaws.Server, name string) string {
	t.Helper()
	out, err := sns.NewFromConfig(s.AWSConfig()).CreateTopic(t.Context(), &sns.CreateTopicInput{Name: aws.String(name)})
	require.NoError(t, err)
	return aws.ToString(out.TopicArn)
}

// Queue creates the SQS queue name on s, subscribes it to the topic, as a
// user-event subscriber's queue is (SNS envelopes; raw: raw message
// delivery), and returns the queue's URL.
func Queue(t testing.TB, s *goaws.Server, topicARN, name string, raw bool) string {
	t.Helper()
	ctx, cfg := t.Context(), s.AWSConfig()
	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	require.NoError(t, err)
	n := sns.NewFromConfig(cfg)
	sub, err := n.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:" + goaws.Region + ":" + goaws.AccountID + ":" + name)})
	require.NoError(t, err)
	if raw {
		_, err = n.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
			SubscriptionArn: sub.SubscriptionArn, AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true"),
		})
		require.NoError(t, err)
	}
	return aws.ToString(q.QueueUrl)
}
