package snsverify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cogwatch/cogwatch/internal/jsonlex"
)

// The message types SNS posts to HTTP(S) endpoints.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Message is an SNS HTTP(S) message as posted, with raw message delivery off.
// Only the fields SNS signs for its type, and the signature's own, are kept:
// MessageAttributes and UnsubscribeURL are never signed, Subject is signed in
// a Notification only, SubscribeURL and Token in confirmations only; a field
// that is not signed is dropped rather than offered to callers who might
// trust it.
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
	SubscribeURL     string `json:"SubscribeURL"` // SubscriptionConfirmation and UnsubscribeConfirmation only
	Token            string `json:"Token"`        // SubscriptionConfirmation and UnsubscribeConfirmation only

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
// (MessageAttributes, UnsubscribeURL, future additions) are skipped, and so
// are the known fields the message's type does not sign. A signed field
// other than Message holding a control character is malformed: see
// [Message.StringToSign].
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
	if m.Type == TypeNotification {
		m.SubscribeURL, m.Token = "", ""
	} else {
		m.Subject = ""
	}
	if err := m.checkFields(); err != nil {
		return nil, err
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

// fields returns the Message fields decode fills, in the order of
// fieldNames.
func (m *Message) fields() [len(fieldNames)]*string {
	return [...]*string{&m.Type, &m.MessageID, &m.TopicARN, &m.Subject, &m.Message, &m.Timestamp,
		&m.SignatureVersion, &m.Signature, &m.SigningCertURL, &m.SubscribeURL, &m.Token}
}

func decode(body []byte, m *Message) error {
	d := scanner{b: body, s: string(body)}
	fields := m.fields()
	var seen [len(fieldNames)]bool
	d.space()
	if !d.byte('{') {
		return malformed("not a JSON object")
	}
	d.space()
	if !d.byte('}') {
		for {
			d.space()
			key, ok := d.str()
			if !ok {
				return malformed("invalid JSON: want a member name at offset %d", d.i)
			}
			d.space()
			if !d.byte(':') {
				return malformed("invalid JSON: want ':' at offset %d", d.i)
			}
			d.space()
			if i := slices.Index(fieldNames[:], key); i >= 0 {
				if seen[i] {
					return malformed("field %s repeated", key)
				}
				seen[i] = true
				if *fields[i], ok = d.str(); !ok {
					return malformed("field %s is not a string", key)
				}
			} else if !d.skip() {
				return malformed("invalid JSON: bad value at offset %d", d.i)
			}
			d.space()
			if d.byte('}') {
				break
			}
			if !d.byte(',') {
				return malformed("invalid JSON: want ',' or '}' at offset %d", d.i)
			}
		}
	}
	d.space()
	if d.i != len(d.b) {
		return malformed("data after the JSON object")
	}
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("snsverify: decode: "+format+": %w", append(args, ErrMalformed)...)
}

// scanner reads the one JSON object an SNS message is: member names and the
// signed fields are strings, taken exactly; other values are skipped after
// encoding/json has checked their syntax.
type scanner struct {
	b []byte
	s string // b as one string: unescaped values are substrings of it, not copies
	i int
}

func (d *scanner) space() { d.i = jsonlex.Space(d.b, d.i) }

// byte consumes c if it is next.
func (d *scanner) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// stringEnd returns the offset just past the string starting at d.i, and
// whether it holds escapes.
func (d *scanner) stringEnd() (end int, escaped, ok bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return 0, false, false
	}
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			return j + 1, escaped, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return 0, false, false
		}
	}
	return 0, false, false
}

// str reads a JSON string. Without escapes it is the bytes between the
// quotes (which must be valid UTF-8), a substring of the body; with escapes it
// is decoded as encoding/json would.
func (d *scanner) str() (string, bool) {
	end, escaped, ok := d.stringEnd()
	if !ok {
		return "", false
	}
	start, raw := d.i, d.b[d.i:end]
	d.i = end
	if !utf8.Valid(raw) {
		return "", false
	}
	if !escaped {
		return d.s[start+1 : end-1], true
	}
	s, ok := jsonlex.AppendUnquote(make([]byte, 0, len(raw)), raw[1:len(raw)-1])
	return string(s), ok
}

// skipString passes over the string starting at d.i, its escapes left to
// skip's check.
func (d *scanner) skipString() bool {
	end, _, ok := d.stringEnd()
	if ok {
		d.i = end
	}
	return ok
}

// skip passes over one value of any type, checking its syntax.
func (d *scanner) skip() bool {
	start := d.i
	if d.i >= len(d.b) {
		return false
	}
	switch d.b[d.i] {
	case '"':
		if !d.skipString() {
			return false
		}
	case '{', '[':
		depth := 0
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '"':
				if !d.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			d.i++
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			return false
		}
	default:
		for d.i < len(d.b) && !strings.ContainsRune(",}] \t\r\n", rune(d.b[d.i])) {
			d.i++
		}
	}
	return json.Valid(d.b[start:d.i])
}

// fieldNames are the JSON names of the Message fields decode fills.
var fieldNames = [...]string{"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
	"SignatureVersion", "Signature", "SigningCertURL", "SubscribeURL", "Token"}

func missing(field string) error {
	return fmt.Errorf("snsverify: %s missing or empty: %w", field, ErrMalformed)
}

// checkFields reports a field that m's type does not sign, and a control
// character in a signed field other than Message. The string to sign
// separates fields with line breaks: were one allowed in, say, MessageId,
// text could move from one field into another (a Subject into the
// MessageId) and the signature would still verify. SNS allows none there:
// MessageId is a UUID, Subject is text "with no line breaks or control
// characters", Token is hex, and the others have fixed forms.
func (m *Message) checkFields() error {
	if m.Type == TypeNotification {
		if m.SubscribeURL != "" || m.Token != "" {
			return fmt.Errorf("snsverify: a Notification carries no SubscribeURL or Token: %w", ErrMalformed)
		}
	} else if m.Subject != "" {
		return fmt.Errorf("snsverify: a %.32q message carries no Subject: %w", m.Type, ErrMalformed)
	}
	for _, f := range [...]struct{ name, value string }{
		{"MessageId", m.MessageID}, {"Subject", m.Subject}, {"SubscribeURL", m.SubscribeURL},
		{"Timestamp", m.Timestamp}, {"Token", m.Token}, {"TopicArn", m.TopicARN}, {"Type", m.Type},
	} {
		if i := indexControl(f.value); i >= 0 {
			return fmt.Errorf("snsverify: %s holds a control character at byte %d: %w", f.name, i, ErrMalformed)
		}
	}
	return nil
}

// indexControl returns the byte offset of the first control character
// (C0, DEL or C1) in s, or -1.
func indexControl(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsControl(r) {
			return i
		}
		i += n - 1
	}
	return -1
}

// StringToSign returns the exact bytes SNS signs for m: "name\nvalue\n" for
// each signed field of its type, in byte order of the names. Subject is
// signed only when present.
//
// Only Message may hold a line break (Parse refuses one anywhere else), so
// that, read from its end, the string to sign gives back each field whole.
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
