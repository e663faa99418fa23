package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Envelope is what SNS wraps around a message it delivers to SQS or HTTP
// subscribers when raw message delivery is off.
type Envelope struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// ErrNotNotification is returned for SNS envelopes that carry no event, such
// as subscription confirmations.
var ErrNotNotification = errors.New("event: SNS message is not a Notification")

// FromSNS decodes an event delivered by SNS, either inside an SNS envelope or
// raw (raw message delivery). The returned Envelope is zero for raw delivery.
// The envelope's signature is not checked here: an HTTP subscriber must verify
// it first; SQS subscribers rely on the queue policy.
func FromSNS(body []byte) (Event, Envelope, error) {
	var probe struct {
		Type        string `json:"Type"`
		SpecVersion string `json:"specversion"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return Event{}, Envelope{}, fmt.Errorf("event: decode: %w", err)
	}
	if probe.SpecVersion != "" || probe.Type == "" {
		e, err := Decode(body)
		return e, Envelope{}, err
	}
	var env Envelope
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&env); err != nil {
		return Event{}, Envelope{}, fmt.Errorf("event: decode SNS envelope: %w", err)
	}
	if env.Type != "Notification" {
		return Event{}, env, fmt.Errorf("%w: %q", ErrNotNotification, env.Type)
	}
	e, err := Decode([]byte(env.Message))
	return e, env, err
}
