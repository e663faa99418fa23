package snsverify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The message types SNS posts to HTTP(S) endpoints.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Message is an SNS HTTP(S) message as posted, with raw message delivery off.
// Only the fields SNS signs, and the signature's own, are kept:
// MessageAttributes and UnsubscribeURL are not signed, so they are dropped
// rather than offered to callers who might trust them.
type Message struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	TopicARN         string `json:"TopicArn"`
	Subject          string `json:"Subject"` // Notification only, optional
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL"` // confirmations only
	Token            string `json:"Token"`        // confirmations only

	// Time is Timestamp, parsed.
	Time time.Time `json:"-"`
	// Topic is TopicARN, parsed.
	Topic ARN `json:"-"`
}

// ARN is a parsed SNS topic ARN: arn:<partition>:sns:<region>:<account>:<name>.
type ARN struct {
	Partition, Region, Account, Name string
}

// ParseTopicARN parses an SNS topic ARN.
func ParseTopicARN(s string) (ARN, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return ARN{}, fmt.Errorf("snsverify: TopicArn %q is not an SNS topic ARN: %w", s, ErrMalformed)
	}
	a := ARN{Partition: parts[1], Region: parts[3], Account: parts[4], Name: parts[5]}
	for _, p := range []string{a.Partition, a.Region, a.Account, a.Name} {
		if p == "" || len(p) > 256 || !arnChars(p) {
			return ARN{}, fmt.Errorf("snsverify: TopicArn %q is not an SNS topic ARN: %w", s, ErrMalformed)
		}
	}
	return a, nil
}

// arnChars reports whether s holds only characters topic names, regions,
// partitions and account ids are made of.
func arnChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Parse decodes an SNS HTTP(S) message body and checks that every field its
// type requires is present and well formed. It does not verify anything:
// see [Verifier.Verify].
//
// Decoding is stricter than encoding/json's: field names match exactly (a
// raw-delivered event's "type" is not SNS's "Type"), a known field appears at
// most once, holds a string, and nothing follows the object. Unknown fields
// (MessageAttributes, UnsubscribeURL, future additions) are skipped.
func Parse(body []byte) (*Message, error) {
	m := new(Message)
	if err := decode(body, m); err != nil {
		return nil, err
	}
	switch m.Type {
	case TypeNotification, TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
	case "":
		return nil, missing("Type")
	default:
		return nil, fmt.Errorf("snsverify: Type %.64q: %w", m.Type, ErrType)
	}
	required := []struct{ name, value string }{
		{"MessageId", m.MessageID}, {"TopicArn", m.TopicARN}, {"Message", m.Message},
		{"Timestamp", m.Timestamp}, {"SignatureVersion", m.SignatureVersion},
		{"Signature", m.Signature}, {"SigningCertURL", m.SigningCertURL},
	}
	if m.Type != TypeNotification {
		required = append(required, struct{ name, value string }{"SubscribeURL", m.SubscribeURL},
			struct{ name, value string }{"Token", m.Token})
	}
	for _, f := range required {
		if f.value == "" {
			return nil, missing(f.name)
		}
	}
	t, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("snsverify: Timestamp %.64q: %w", m.Timestamp, ErrMalformed)
	}
	m.Time = t
	if m.Topic, err = ParseTopicARN(m.TopicARN); err != nil {
		return nil, err
	}
	return m, nil
}

// field returns the Message field a JSON key names, or nil.
func (m *Message) field(key string) *string {
	switch key {
	case "Type":
		return &m.Type
	case "MessageId":
		return &m.MessageID
	case "TopicArn":
		return &m.TopicARN
	case "Subject":
		return &m.Subject
	case "Message":
		return &m.Message
	case "Timestamp":
		return &m.Timestamp
	case "SignatureVersion":
		return &m.SignatureVersion
	case "Signature":
		return &m.Signature
	case "SigningCertURL":
		return &m.SigningCertURL
	case "SubscribeURL":
		return &m.SubscribeURL
	case "Token":
		return &m.Token
	}
	return nil
}

func decode(body []byte, m *Message) error {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("snsverify: decode: "+format+": %w", append(args, ErrMalformed)...)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return malformed("not a JSON object")
	}
	var seen [11]bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed("invalid JSON")
		}
		key, _ := tok.(string)
		p := m.field(key)
		if p == nil {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return malformed("invalid JSON")
			}
			continue
		}
		i := fieldIndex(key)
		if seen[i] {
			return malformed("field %s repeated", key)
		}
		seen[i] = true
		tok, err = dec.Token()
		if err != nil {
			return malformed("invalid JSON")
		}
		s, ok := tok.(string)
		if !ok {
			return malformed("field %s is not a string", key)
		}
		*p = s
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return malformed("invalid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("data after the JSON object")
	}
	return nil
}

var fieldNames = []string{"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
	"SignatureVersion", "Signature", "SigningCertURL", "SubscribeURL", "Token"}

func fieldIndex(key string) int { return slices.Index(fieldNames, key) }

func missing(field string) error {
	return fmt.Errorf("snsverify: %s missing or empty: %w", field, ErrMalformed)
}

// StringToSign returns the exact bytes SNS signs for m: "name\nvalue\n" for
// each signed field of its type, in byte order of the names. Subject is
// signed only when present.
func (m *Message) StringToSign() []byte {
	n := len(m.Message) + len(m.MessageID) + len(m.Subject) + len(m.Timestamp) +
		len(m.TopicARN) + len(m.Type) + len(m.SubscribeURL) + len(m.Token) + 128
	b := make([]byte, 0, n)
	add := func(name, value string) {
		b = append(b, name...)
		b = append(b, '\n')
		b = append(b, value...)
		b = append(b, '\n')
	}
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == TypeNotification {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != TypeNotification {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicARN)
	add("Type", m.Type)
	return b
}
