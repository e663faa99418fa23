package benchreport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/triggers"
)

// WireSize is what one trigger invocation writes, in bytes, with each event
// sink: what CloudWatch Logs ingests and SNS bills. Lines count their
// newline.
type WireSize struct {
	Invocation string // "sign-in attempted"
	// SNS sink: the EMF line, and the published message and its attributes
	// (names, data types and values: what SNS counts as payload).
	SNSEMF, SNSMessage, SNSAttributes int
	// Log sink: the EMF line and the event line the log forwarder reads.
	LogEMF, LogEvent int
}

// wireInvocations are the invocations of one sign-in (pre and post
// authentication) and one sign-up (pre sign-up, post confirmation), from
// the triggers' recorded fixtures.
var wireInvocations = []struct{ name, function, fixture string }{
	{"sign-in attempted", "authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json"},
	{"sign-in succeeded", "authentication", "cognito-local/PostAuthentication_Authentication.json"},
	{"sign-up accepted", "presignup", "cognito-local/PreSignUp_SignUp.json"},
	{"user confirmed", "postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json"},
}

// MeasureWire runs the triggers in process, as their mains build them,
// once with each sink, and measures what they write. The fixtures come
// from root; the code is the cogwatch module this harness is built with.
func MeasureWire(ctx context.Context, root string) ([]WireSize, error) {
	var sizes []WireSize
	for _, inv := range wireInvocations {
		payload, err := os.ReadFile(filepath.Join(root, "triggers", "testdata", inv.fixture))
		if err != nil {
			return nil, err
		}
		w := WireSize{Invocation: inv.name}

		var snsOut bytes.Buffer
		var published []*sns.PublishInput
		record := func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
			published = append(published, in)
			return &sns.PublishOutput{MessageId: aws.String("1")}, nil
		}
		if err := invokeOnce(ctx, inv.function, triggers.SinkSNS, record, &snsOut, payload); err != nil {
			return nil, fmt.Errorf("%s, SNS sink: %w", inv.name, err)
		}
		emfLines := lines(snsOut.String())
		if len(published) != 1 || len(emfLines) != 1 {
			return nil, fmt.Errorf("%s, SNS sink: %d messages and %d lines written, want 1 and 1", inv.name, len(published), len(emfLines))
		}
		w.SNSEMF = len(emfLines[0]) + 1
		w.SNSMessage = len(aws.ToString(published[0].Message))
		for name, v := range published[0].MessageAttributes {
			w.SNSAttributes += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
		}

		var logOut bytes.Buffer
		if err := invokeOnce(ctx, inv.function, triggers.SinkLog, nil, &logOut, payload); err != nil {
			return nil, fmt.Errorf("%s, log sink: %w", inv.name, err)
		}
		for _, line := range lines(logOut.String()) {
			if _, _, err := event.ParseLogLine([]byte(line)); err == nil {
				w.LogEvent += len(line) + 1
			} else {
				w.LogEMF += len(line) + 1
			}
		}
		if w.LogEvent == 0 || w.LogEMF == 0 {
			return nil, fmt.Errorf("%s, log sink: wrote %q, want an event line and an EMF line", inv.name, logOut.String())
		}
		sizes = append(sizes, w)
	}
	return sizes, nil
}

// invokeOnce builds a trigger as its main does, with a hash key and a
// service name set (as a deployment sets them), and invokes it once.
func invokeOnce(ctx context.Context, function string, sink triggers.Sink, publish triggers.PublishFunc, out io.Writer, payload []byte) error {
	env := map[string]string{
		"USER_EVENTS_TOPIC_ARN":   "arn:aws:sns:us-east-1:123456789012:cogwatch-user-events",
		"COGWATCH_HASH_KEY":       strings.Repeat("k", triggers.MinHashKeyLength),
		"POWERTOOLS_SERVICE_NAME": "cogwatch",
		"COGWATCH_EVENT_SINK":     string(sink),
	}
	cfg, err := triggers.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	metrics := triggers.NewMetrics(out, cfg)
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var h interface {
		lambda.Handler
		SetEventLog(io.Writer)
	}
	switch function {
	case "authentication":
		h = triggers.NewAuthentication(cfg, publish, metrics, quiet)
	case "presignup":
		h = triggers.NewPreSignUp(cfg, publish, metrics, quiet)
	case "postconfirmation":
		h = triggers.NewPostConfirmation(cfg, publish, metrics, quiet)
	default:
		return fmt.Errorf("no trigger %q", function)
	}
	h.SetEventLog(out)
	_, err = h.Invoke(ctx, payload)
	return err
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
