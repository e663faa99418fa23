package event_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/cogwatch/cogwatch/event"
)

// A subscriber (here reading what SNS delivered to its SQS queue or HTTPS
// endpoint) decodes the body with FromSNS, whether raw message delivery is
// on or off, and skips what is not an event.
func ExampleFromSNS() {
	body, err := os.ReadFile("testdata/sns-notification.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	e, env, err := event.FromSNS(body)
	switch {
	case errors.Is(err, event.ErrNotNotification):
		return // a subscription confirmation: nothing to count
	case err != nil:
		fmt.Println("bad message:", err)
		return
	}
	fmt.Println("SNS message", env.MessageID)
	fmt.Println(e.Type, e.Time.Format("2006-01-02T15:04:05.000Z07:00"))
	fmt.Println("pool", e.Data.UserPoolID, "client", e.Data.ClientID)
	if e.Type == event.SignUpRejected {
		fmt.Println("rejected:", e.Data.Reason, "from", e.Data.EmailDomain)
	}
	// Output:
	// SNS message 22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
	// cogwatch.signup.rejected 2026-03-01T10:16:02.500Z
	// pool eu-west-1_AbCdEf123 client 4example7clientid
	// rejected: disposable_domain from mailinator.com
}

// Decode refuses anything but a well-formed event, naming the field.
func ExampleDecode() {
	_, err := event.Decode([]byte(`{"specversion":"1.0","id":"x","source":"s","type":"cogwatch.signin.failed"}`))
	fmt.Println(err)
	// Output:
	// event: time: missing required field
}
