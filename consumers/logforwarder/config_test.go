package logforwarder

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadTopicARN(t *testing.T) {
	env := func(topic string) func(string) string {
		return func(k string) string {
			if k == "USER_EVENTS_TOPIC_ARN" {
				return topic
			}
			return ""
		}
	}
	o, err := LoadConfig(env(" arn:aws:sns:eu-west-1:123456789012:user-events "))
	require.NoError(t, err)
	require.Equal(t, "arn:aws:sns:eu-west-1:123456789012:user-events", o.TopicARN)
	for _, bad := range []string{"", "user-events", "arn::sns:eu-west-1:123456789012:user-events", "arn:aws:sqs:eu-west-1:123456789012:q"} {
		_, err := LoadConfig(env(bad))
		require.ErrorContains(t, err, "USER_EVENTS_TOPIC_ARN: ", bad)
	}
}
