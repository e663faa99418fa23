package snsverify_test

import (
	"context"
	"testing"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
)

// BenchmarkVerify measures one verification with the certificate cached:
// each message type and signature version, and bad messages refused before
// (stale) and after (forged) the RSA check; each with the hand-written
// decoder and with encoding/json.
func BenchmarkVerify(b *testing.B) {
	s := newServer(b)
	v := newVerifier(b, s, nil)
	topic := s.TopicARN("user-events")
	withSubject := s.Notification(topic, `{"specversion":"1.0","id":"1"}`, t0, "2")
	withSubject.Subject = "user event"
	s.Sign(withSubject, "2")
	stale := s.Notification(topic, "x", t0.Add(-2*snsverify.DefaultMaxAge), "2")
	forged := s.Notification(topic, `{"specversion":"1.0","id":"1"}`, t0, "2")
	forged.Message += " "
	tests := []struct {
		name string
		msg  *snsverify.Message
		fail bool
	}{
		{name: "notification/SignatureVersion=1", msg: s.Notification(topic, `{"specversion":"1.0","id":"1"}`, t0, "1")},
		{name: "notification/SignatureVersion=2", msg: s.Notification(topic, `{"specversion":"1.0","id":"1"}`, t0, "2")},
		{name: "notification with subject", msg: withSubject},
		{name: "subscription confirmation", msg: s.Confirmation(topic, t0, "2")},
		{name: "stale", msg: stale, fail: true},
		{name: "forged", msg: forged, fail: true},
	}
	for _, tc := range tests {
		body := snstest.Marshal(tc.msg)
		if _, err := v.Verify(b.Context(), body); (err != nil) != tc.fail { // also fills the certificate cache
			b.Fatalf("%s: %v", tc.name, err)
		}
		for _, d := range decoders(v) {
			b.Run(tc.name+"/"+d.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := d.verify(b.Context(), body); (err != nil) != tc.fail {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// decoder is a way to read an SNS message: the hand-written decoder
// (internal/jsonlex) that Parse and Verify use, or encoding/json with the
// same member checks.
type decoder struct {
	name   string
	parse  func([]byte) (*snsverify.Message, error)
	verify func(context.Context, []byte) (*snsverify.Message, error)
}

func decoders(v *snsverify.Verifier) []decoder {
	d := []decoder{
		{name: "jsonlex", parse: snsverify.Parse},
		{name: "encoding-json", parse: snsverify.ParseEncodingJSON},
	}
	if v != nil {
		d[0].verify, d[1].verify = v.Verify, v.VerifyEncodingJSON
	}
	return d
}

// BenchmarkParse measures decoding and field checks alone, with the
// hand-written decoder and with encoding/json.
func BenchmarkParse(b *testing.B) {
	s := newServer(b)
	topic := s.TopicARN("user-events")
	for name, m := range map[string]*snsverify.Message{
		"notification":              s.Notification(topic, `{"specversion":"1.0","id":"1","data":{"a":"\u00e9\n"}}`, t0, "2"),
		"subscription confirmation": s.Confirmation(topic, t0, "2"),
	} {
		body := snstest.Marshal(m)
		for _, d := range decoders(nil) {
			b.Run(name+"/"+d.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := d.parse(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
