package logforwarder

import (
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
)

// FuzzHandle feeds the forwarder arbitrary subscription data (the base64
// string CloudWatch Logs sends) and arbitrary log lines: it never panics,
// and it either publishes every user event or returns one of its errors.
func FuzzHandle(f *testing.F) {
	good := line(f, fixtureEvent(f, "00000000-0000-4000-8000-000000000001"), "BreakerOpen")
	f.Add(payload(f, good).AWSLogs.Data, good)
	f.Add("", `{"cogwatch":"event"}`)
	f.Add("H4sIAAAAAAAA/w==", `{"cogwatch":"event","event":{}}`)
	f.Add("%%%", `{"_aws":{}}`)
	f.Fuzz(func(t *testing.T, data, l string) {
		for _, in := range []events.CloudwatchLogsEvent{{AWSLogs: events.CloudwatchLogsRawData{Data: data}}, payload(t, l, good)} {
			sns := &fakeSNS{}
			err := New(Config{TopicARN: testTopic, Retry: fastRetry}, sns.publish, nil, nil).Handle(t.Context(), in)
			if err != nil {
				require.True(t, errors.Is(err, ErrPayload) || errors.Is(err, ErrLine) || errors.Is(err, ErrNotPublished), err)
			}
		}
	})
}
