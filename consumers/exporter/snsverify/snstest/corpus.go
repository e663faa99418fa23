package snstest

import (
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
)

// BadInput is one message of the bad-input corpus and the error it must fail with.
type BadInput struct {
	Name string
	Body []byte
	Want error
}

// BadInputs returns the corpus of bad input: messages of topic (which the
// verifier must allow) at t0, each failing with the ErrX value in Want.
func (s *Server) BadInputs(topic string, t0 time.Time) []BadInput {
	other, err := NewSigner()
	if err != nil {
		panic(err)
	}
	note := func(mod func(m *snsverify.Message)) []byte {
		m := s.Notification(topic, `{"specversion":"1.0"}`, t0, "2")
		mod(m)
		return Marshal(m)
	}
	resigned := func(mod func(m *snsverify.Message)) []byte {
		return note(func(m *snsverify.Message) { mod(m); s.Sign(m, m.SignatureVersion) })
	}
	confirm := func(mod func(m *snsverify.Message)) []byte {
		m := s.Confirmation(topic, t0, "2")
		mod(m)
		s.Sign(m, "2")
		return Marshal(m)
	}
	certURL := func(u string) []byte { return resigned(func(m *snsverify.Message) { m.SigningCertURL = u }) }
	host := "https://" + s.Host
	return []BadInput{
		{"forged signature", note(func(m *snsverify.Message) { other.Sign(m, "2") }), snsverify.ErrSignature},
		{"tampered message", note(func(m *snsverify.Message) { m.Message = `{"specversion":"1.1"}` }), snsverify.ErrSignature},
		{"tampered message id", note(func(m *snsverify.Message) { m.MessageID = NewID() }), snsverify.ErrSignature},
		{"subject added", note(func(m *snsverify.Message) { m.Subject = "hi" }), snsverify.ErrSignature},
		{"timestamp moved", note(func(m *snsverify.Message) { m.Timestamp = t0.Add(time.Second).Format(TimeFormat) }), snsverify.ErrSignature},
		{"version downgraded", note(func(m *snsverify.Message) { m.SignatureVersion = "1" }), snsverify.ErrSignature},
		{"signature truncated", note(func(m *snsverify.Message) { m.Signature = m.Signature[:100] }), snsverify.ErrSignature},
		{"signature not base64", note(func(m *snsverify.Message) { m.Signature = strings.Repeat("!", 344) }), snsverify.ErrSignature},
		{"signature version 3", resigned(func(m *snsverify.Message) { m.SignatureVersion = "3" }), snsverify.ErrSignatureVersion},
		{"cert url on another host", certURL("https://sns.us-east-1.amazonaws.com.evil.example" + s.CertPath), snsverify.ErrCertURL},
		{"cert url of another region", certURL("https://sns.eu-west-1.amazonaws.com" + s.CertPath), snsverify.ErrCertURL},
		{"cert url on an s3 host", certURL("https://s3.amazonaws.com" + s.CertPath), snsverify.ErrCertURL},
		{"cert url over plain http", certURL("http://" + s.Host + s.CertPath), snsverify.ErrCertURL},
		{"cert url with query", certURL(host + s.CertPath + "?x=1"), snsverify.ErrCertURL},
		{"cert url with empty query", certURL(host + s.CertPath + "?"), snsverify.ErrCertURL},
		{"cert url with fragment", certURL(host + s.CertPath + "#f"), snsverify.ErrCertURL},
		{"cert url with user info", certURL("https://evil.example@" + s.Host + s.CertPath), snsverify.ErrCertURL},
		{"cert url with port", certURL(host + ":443" + s.CertPath), snsverify.ErrCertURL},
		{"cert url upper-case host", certURL("https://SNS.us-east-1.amazonaws.com" + s.CertPath), snsverify.ErrCertURL},
		{"cert url wrong path", certURL(host + "/cert.pem"), snsverify.ErrCertURL},
		{"cert url dot segments", certURL(host + "/x/.." + s.CertPath), snsverify.ErrCertURL},
		{"cert url escaped path", certURL(host + strings.Replace(s.CertPath, "-", "%2D", 1)), snsverify.ErrCertURL},
		{"cert url not hex", certURL(host + "/SimpleNotificationService-xyz.pem"), snsverify.ErrCertURL},
		{"cert url without scheme", certURL(strings.TrimPrefix(host, "https://sns.") + s.CertPath), snsverify.ErrCertURL},
		{"cert url of another scheme", certURL("ftp://sns." + strings.TrimPrefix(host, "https://sns.") + s.CertPath), snsverify.ErrCertURL},
		{"cert url backslash", certURL(`https://sns.us-east-1.amazonaws.com\@evil.example` + s.CertPath), snsverify.ErrCertURL},
		{"cert not found", certURL(host + "/SimpleNotificationService-0123456789abcdef.pem"), snsverify.ErrCert},
		{"unknown topic", resigned(func(m *snsverify.Message) { m.TopicARN = s.TopicARN("other") }), snsverify.ErrTopic},
		{"topic of another account", resigned(func(m *snsverify.Message) { m.TopicARN = strings.Replace(topic, "123456789012", "210987654321", 1) }), snsverify.ErrTopic},
		{"stale timestamp", resigned(func(m *snsverify.Message) { m.Timestamp = t0.Add(-61 * time.Minute).Format(TimeFormat) }), snsverify.ErrStale},
		{"future timestamp", resigned(func(m *snsverify.Message) { m.Timestamp = t0.Add(6 * time.Minute).Format(TimeFormat) }), snsverify.ErrFuture},
		{"malformed timestamp", resigned(func(m *snsverify.Message) { m.Timestamp = "yesterday" }), snsverify.ErrMalformed},
		{"malformed topic arn", resigned(func(m *snsverify.Message) { m.TopicARN = "arn:aws:sqs:us-east-1:1:q" }), snsverify.ErrMalformed},
		{"missing message id", resigned(func(m *snsverify.Message) { m.MessageID = "" }), snsverify.ErrMalformed},
		{"missing signature", note(func(m *snsverify.Message) { m.Signature = "" }), snsverify.ErrMalformed},
		{"missing cert url", note(func(m *snsverify.Message) { m.SigningCertURL = "" }), snsverify.ErrMalformed},
		{"unknown type", resigned(func(m *snsverify.Message) { m.Type = "Bogus" }), snsverify.ErrType},
		{"subject shifted into the message id", shifted(s, topic, t0), snsverify.ErrMalformed},
		{"line feed in message id", resigned(func(m *snsverify.Message) { m.MessageID += "\nx" }), snsverify.ErrMalformed},
		{"carriage return in message id", resigned(func(m *snsverify.Message) { m.MessageID += "\r" }), snsverify.ErrMalformed},
		{"nul in message id", resigned(func(m *snsverify.Message) { m.MessageID += "\x00" }), snsverify.ErrMalformed},
		{"line feed in subject", resigned(func(m *snsverify.Message) { m.Subject = "a\nb" }), snsverify.ErrMalformed},
		{"tab in subject", resigned(func(m *snsverify.Message) { m.Subject = "a\tb" }), snsverify.ErrMalformed},
		{"delete in subject", resigned(func(m *snsverify.Message) { m.Subject = "a\x7f" }), snsverify.ErrMalformed},
		{"next line (C1) in subject", resigned(func(m *snsverify.Message) { m.Subject = "a\u0085b" }), snsverify.ErrMalformed},
		{"line feed in token", confirm(func(m *snsverify.Message) {
			m.Token += "\n"
			m.SubscribeURL += "%0A"
		}), snsverify.ErrMalformed},
		{"confirmation without token", confirm(func(m *snsverify.Message) { m.Token = "" }), snsverify.ErrMalformed},
		{"subscribe url on another host", confirm(func(m *snsverify.Message) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, s.Host, "169.254.169.254", 1)
		}), snsverify.ErrSubscribeURL},
		{"subscribe url over http", confirm(func(m *snsverify.Message) { m.SubscribeURL = strings.Replace(m.SubscribeURL, "https", "http", 1) }), snsverify.ErrSubscribeURL},
		{"subscribe url other token", confirm(func(m *snsverify.Message) { m.SubscribeURL += "0" }), snsverify.ErrSubscribeURL},
		{"subscribe url other topic", confirm(func(m *snsverify.Message) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, "user-events", "other", 1)
		}), snsverify.ErrSubscribeURL},
		{"subscribe url extra parameter", confirm(func(m *snsverify.Message) { m.SubscribeURL += "&Endpoint=x" }), snsverify.ErrSubscribeURL},
		{"subscribe url other path", confirm(func(m *snsverify.Message) { m.SubscribeURL = strings.Replace(m.SubscribeURL, "/?", "/x?", 1) }), snsverify.ErrSubscribeURL},
		{"repeated field", append([]byte(`{"Type":"SubscriptionConfirmation",`), note(func(*snsverify.Message) {})[1:]...), snsverify.ErrMalformed},
		{"data after the object", append(note(func(*snsverify.Message) {}), "{}"...), snsverify.ErrMalformed},
		{"lower-case field names", []byte(strings.ToLower(string(note(func(*snsverify.Message) {})))), snsverify.ErrMalformed},
		{"invalid json", []byte(`{"Type":"Notification",`), snsverify.ErrMalformed},
		{"json array", []byte(`[]`), snsverify.ErrMalformed},
		{"json null", []byte(`null`), snsverify.ErrMalformed},
		{"number for a string", []byte(`{"Type":"Notification","Message":1}`), snsverify.ErrMalformed},
		{"empty body", nil, snsverify.ErrMalformed},
		{"raw delivery (no envelope)", []byte(`{"specversion":"1.0","id":"x"}`), snsverify.ErrMalformed},
	}
}

// shifted returns a notification of topic at t0 that SNS signed with a
// Subject, forged into one without a Subject whose MessageId ends in
// "\nSubject\n<subject>": the string to sign is the same, so SNS's signature
// still matches, and the MessageId is new (a replay past deduplication).
func shifted(s *Server, topic string, t0 time.Time) []byte {
	m := s.Notification(topic, `{"specversion":"1.0"}`, t0, "2")
	m.Subject = "user event"
	s.Sign(m, "2")
	m.MessageID += "\nSubject\n" + m.Subject
	m.Subject = ""
	return Marshal(m)
}
