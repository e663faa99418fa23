// Package sqstest builds the SQS messages Lambda hands the SQS-triggered
// consumers: a user event with raw message delivery, or inside the
// Notification envelope SNS puts around it. The consumers' tests, the local
// stack's and the fault suite build their batches with it.
//
// It is test support, linked into no binary. Its functions panic on an event
// that event.Marshal refuses: only an invalid event is, and a test that wants
// a malformed body writes that body itself.
package sqstest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/event"
)

// TopicARN is the topic the envelopes say they come from.
const TopicARN = "arn:aws:sns:eu-west-1:123456789012:user-events"

// Raw returns an SQS message carrying e with raw message delivery.
func Raw(msgID string, e event.Event) events.SQSMessage {
	return events.SQSMessage{MessageId: msgID, Body: string(marshal(e))}
}

// Enveloped returns an SQS message carrying e in an SNS Notification whose
// MessageId is snsID, as SNS delivers to a queue without raw delivery.
func Enveloped(msgID, snsID string, e event.Event) events.SQSMessage {
	env, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": snsID, "TopicArn": TopicARN,
		"Message": string(marshal(e)), "Timestamp": e.Time.Format(time.RFC3339Nano), "SignatureVersion": "1",
	})
	if err != nil {
		panic(err)
	}
	return events.SQSMessage{MessageId: msgID, Body: string(env)}
}

// Batch returns an SQS event carrying evs with raw message delivery, their
// message ids "0", "1", … in order.
func Batch(evs ...event.Event) events.SQSEvent {
	var b events.SQSEvent
	for i, e := range evs {
		b.Records = append(b.Records, Raw(fmt.Sprint(i), e))
	}
	return b
}

func marshal(e event.Event) []byte {
	b, err := event.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("sqstest: event %q does not marshal: %v", e.ID, err))
	}
	return b
}
