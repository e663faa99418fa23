package event

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkDecode compares Decode with decodeStrict (the encoding/json
// reference, which Decode was before its fast path and still is for input
// the fast path leaves to it) and with a plain json.Unmarshal into Event
// (not strict: no unknown, repeated, null or missing member refused, no
// validation).
func BenchmarkDecode(b *testing.B) {
	inputs := []struct{ name, body string }{
		{"good", ordinary},
		{"good-escaped", strings.ReplaceAll(ordinary, `/`, `\/`)},
		{"bad/missing-member", strings.ReplaceAll(ordinary, `"region":"eu-west-1",`, ``)},
		{"bad/invalid-value", strings.ReplaceAll(ordinary, `2.4`, `-1`)},
		{"bad/unknown-member", strings.ReplaceAll(ordinary, `"id"`, `"ID"`)},
		{"bad/repeated-member", strings.ReplaceAll(ordinary, `"id":`, `"id":"x","id":`)},
		{"bad/null-member", strings.ReplaceAll(ordinary, `"clientId":"4example7clientid"`, `"clientId":null`)},
		{"bad/wrong-kind", strings.ReplaceAll(ordinary, `2.4`, `"2.4"`)},
		{"bad/syntax", ordinary[:len(ordinary)/2]},
	}
	for _, in := range inputs {
		body := []byte(in.body)
		_, wantErr := decodeStrict(body)
		for _, impl := range []struct {
			name   string
			decode func([]byte) (Event, error)
		}{{"Decode", Decode}, {"strict-reference", decodeStrict}} {
			b.Run(in.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.decode(body); (err == nil) != (wantErr == nil) {
						b.Fatal(err)
					}
				}
			})
		}
		if in.name == "good" {
			b.Run(in.name+"/json.Unmarshal", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var e Event
					if err := json.Unmarshal(body, &e); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFromSNS compares FromSNS with fromSNSStrict (the encoding/json
// reference) and, for the envelope, with plain json.Unmarshal of the
// envelope and then of the event (not strict).
func BenchmarkFromSNS(b *testing.B) {
	goaws := readTestdata(b, "goaws-sqs-notification.json")
	inputs := []struct {
		name string
		body []byte
	}{
		{"envelope", goaws},
		{"raw", []byte(ordinary)},
		{"bad/subscription-confirmation", readTestdata(b, "sns-subscription-confirmation.json")},
		{"bad/envelope-bad-event", envelopeOf(b, strings.ReplaceAll(ordinary, `"id"`, `"ID"`), nil)},
		{"bad/envelope-syntax", goaws[:len(goaws)-1]},
	}
	for _, in := range inputs {
		_, _, wantErr := fromSNSStrict(in.body, decodeStrict)
		for _, impl := range []struct {
			name   string
			decode func([]byte) (Event, Envelope, error)
		}{{"FromSNS", FromSNS}, {"strict-reference", func(b []byte) (Event, Envelope, error) { return fromSNSStrict(b, decodeStrict) }}} {
			b.Run(in.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := impl.decode(in.body); (err == nil) != (wantErr == nil) {
						b.Fatal(err)
					}
				}
			})
		}
		if in.name == "envelope" {
			b.Run(in.name+"/json.Unmarshal", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var env Envelope
					var e Event
					if err := json.Unmarshal(in.body, &env); err != nil {
						b.Fatal(err)
					}
					if err := json.Unmarshal([]byte(env.Message), &e); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
