package event

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Envelope is what SNS wraps around a message it delivers to SQS or HTTP
// subscribers when raw message delivery is off. Members SNS adds that are
// not listed here are ignored.
type Envelope struct {
	Type              string                      `json:"Type"`
	MessageID         string                      `json:"MessageId"`
	TopicArn          string                      `json:"TopicArn"`
	Subject           string                      `json:"Subject,omitempty"`
	Message           string                      `json:"Message"`
	Timestamp         string                      `json:"Timestamp"`
	SignatureVersion  string                      `json:"SignatureVersion,omitempty"`
	Signature         string                      `json:"Signature,omitempty"`
	SigningCertURL    string                      `json:"SigningCertURL,omitempty"`
	UnsubscribeURL    string                      `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]MessageAttribute `json:"MessageAttributes,omitempty"`
}

// MessageAttribute is an SNS message attribute as an envelope carries it:
// the attributes of Event.Attributes arrive with Type "String".
type MessageAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// ErrNotNotification is returned for SNS envelopes that carry no event, such
// as subscription confirmations.
var ErrNotNotification = errors.New("event: SNS message is not a Notification")

// FromSNS decodes an event delivered by SNS, either inside an SNS envelope or
// raw (raw message delivery). A body with a "specversion" member, or without
// an envelope's "Type" member (names matched exactly), is a raw event. The
// returned Envelope is zero for raw delivery. The envelope's signature is not
// checked here: an HTTP subscriber must verify it first; SQS subscribers rely
// on the queue policy.
func FromSNS(body []byte) (Event, Envelope, error) {
	if !fastPaths {
		return fromSNSStrict(body, decodeStrict)
	}
	if e, env, sure, err := fromSNSFast(body); sure {
		return e, env, err
	}
	return fromSNSStrict(body, Decode)
}

// fromSNSStrict is FromSNS with encoding/json: the reference for
// fromSNSFast, and the path of every body fromSNSFast is not sure of. It
// decodes the event with decode: Decode, or decodeStrict for a reference
// without any fast path.
func fromSNSStrict(body []byte, decode func([]byte) (Event, error)) (Event, Envelope, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return Event{}, Envelope{}, fmt.Errorf("event: decode: %w", err)
	}
	_, raw := probe["specversion"]
	_, wrapped := probe["Type"]
	if raw || !wrapped {
		e, err := decode(body)
		return e, Envelope{}, err
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Event{}, Envelope{}, fmt.Errorf("event: decode SNS envelope: %w", err)
	}
	if env.Type != "Notification" {
		return Event{}, env, fmt.Errorf("%w: %q", ErrNotNotification, env.Type)
	}
	e, err := decode([]byte(env.Message))
	return e, env, err
}
