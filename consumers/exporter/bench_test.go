package exporter_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

// BenchmarkVerifiedNotifications measures verified and counted notifications
// per second through the SNS handler (certificate cached, RSA-2048), beside
// the bare rsa.VerifyPKCS1v15 rate of the same key in the same run.
// 256 distinct signed messages cycle through a dedupe set too small to
// remember them, so every one is verified, decoded and counted.
func BenchmarkVerifiedNotifications(b *testing.B) {
	for _, version := range []string{"1", "2"} {
		f := newFixture(b, func(o *exporter.Options) { o.DedupeSize = 1 })
		msgs := make([]*snsverify.Message, 256)
		bodies := make([][]byte, len(msgs))
		for i := range msgs {
			msgs[i] = f.sns.Notification(f.topic, userEvent(b, fmt.Sprintf("e%d", i), event.SignInSucceeded, "client1", "", 42), f.now, version)
			bodies[i] = snstest.Marshal(msgs[i])
		}
		handler := f.exp.SNSHandler()
		post := func(body []byte) int {
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/sns", bytes.NewReader(body)))
			return w.Code
		}
		if code := post(bodies[0]); code != http.StatusOK { // fills the certificate cache
			b.Fatalf("warm-up: status %d", code)
		}
		b.Run("handler/SignatureVersion="+version, func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if code := post(bodies[next.Add(1)%uint64(len(bodies))]); code != http.StatusOK {
						b.Errorf("status %d", code)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
		b.Run("bare-rsa/SignatureVersion="+version, func(b *testing.B) {
			b.ReportAllocs()
			key := &f.sns.Key.PublicKey
			hash, digests, sigs := crypto.SHA256, make([][]byte, len(msgs)), make([][]byte, len(msgs))
			for i, m := range msgs {
				if version == "1" {
					d := sha1.Sum(m.StringToSign())
					digests[i], hash = d[:], crypto.SHA1
				} else {
					d := sha256.Sum256(m.StringToSign())
					digests[i] = d[:]
				}
				var err error
				if sigs[i], err = base64.StdEncoding.DecodeString(m.Signature); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) % uint64(len(msgs))
					if err := rsa.VerifyPKCS1v15(key, hash, digests[i], sigs[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkParse measures SNS JSON decoding alone, against encoding/json's
// case-insensitive Unmarshal into the same struct.
func BenchmarkParse(b *testing.B) {
	f := newFixture(b, nil)
	body := snstest.Marshal(f.sns.Notification(f.topic, userEvent(b, "e1", event.SignInSucceeded, "client1", "", 42), f.now, "2"))
	b.Run("snsverify.Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := snsverify.Parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
