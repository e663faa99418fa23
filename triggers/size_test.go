package triggers

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// TestWireSizes measures, from the real code, the bytes that docs/cost.md
// prices: per invocation, the EMF line and (log sink) the event line that
// CloudWatch Logs ingests, and (SNS sink) the SNS message with its
// attributes, which SNS bills by 64 KB chunk. Run with -v to read them:
// `go test -run TestWireSizes -v ./triggers`.
func TestWireSizes(t *testing.T) {
	cases := []struct{ name, function, fixture string }{
		{"sign-in attempted", "authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json"},
		{"sign-in succeeded", "authentication", "cognito-local/PostAuthentication_Authentication.json"},
		{"sign-up accepted", "presignup", "cognito-local/PreSignUp_SignUp.json"},
		{"user confirmed", "postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := readFixture(t, tc.fixture)
			// SNS sink.
			r := &recorder{}
			cfg := testConfig()
			cfg.ServiceName = "cogwatch"
			var snsOut syncBuffer
			h := newTrigger(tc.function, cfg, r.publish, NewMetrics(&snsOut, cfg), nil, &snsOut)
			_, err := warmup.Wrap(h).Invoke(context.Background(), payload)
			require.NoError(t, err)
			require.Len(t, r.inputs, 1)
			in := r.inputs[0]
			msg := len(aws.ToString(in.Message))
			attrs := 0
			for k, v := range in.MessageAttributes {
				attrs += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
			}
			form := url.Values{"Action": {"Publish"}, "TopicArn": {testTopic}, "Message": {aws.ToString(in.Message)}}
			emfSNS := snsOut.Lines()
			require.Len(t, emfSNS, 1)

			// Log sink.
			cfg.EventSink = SinkLog
			var logOut syncBuffer
			h = newTrigger(tc.function, cfg, nil, NewMetrics(&logOut, cfg), nil, &logOut)
			_, err = warmup.Wrap(h).Invoke(context.Background(), payload)
			require.NoError(t, err)
			lines := logOut.Lines()
			require.Len(t, lines, 2)
			eventLine, emfLog := lines[0], lines[1]
			require.True(t, strings.HasPrefix(eventLine, `{"cogwatch":"event"`))
			_, _, err = event.ParseLogLine([]byte(eventLine))
			require.NoError(t, err)

			t.Logf("%s: SNS sink: EMF line %d B, SNS message %d B + attributes %d B (Publish request body about %d B); log sink: EMF line %d B, event line %d B",
				tc.name, len(emfSNS[0])+1, msg, attrs, len(form.Encode()), len(emfLog)+1, len(eventLine)+1)
			require.Less(t, msg+attrs, 64*1024, "one SNS billing chunk")
			require.Less(t, len(eventLine), 4096, "one write, atomic on a pipe")
		})
	}
}
