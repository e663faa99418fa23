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
	"time"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

// BenchmarkVerifiedNotifications measures verified and counted notifications
// per second through the SNS handler (certificate cached, RSA-2048), beside
// the bare rsa.VerifyPKCS1v15 rate of the same key in the same run.
// 256 distinct signed messages cycle, and the dedupe window is cleared at
// the start of each cycle, so every one is verified, decoded and counted.
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
		post := func(body []byte) int { return postTo(handler, body) }
		postNth := func(i uint64) int {
			if i%uint64(len(bodies)) == 0 {
				f.exp.ForgetSeen()
			}
			return post(bodies[i%uint64(len(bodies))])
		}
		if code := post(bodies[0]); code != http.StatusOK { // fills the certificate cache
			b.Fatalf("warm-up: status %d", code)
		}
		b.Run("handler/SignatureVersion="+version, func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if code := postNth(next.Add(1)); code != http.StatusOK {
						b.Errorf("status %d", code)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
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
		b.Run("bare-rsa/SignatureVersion="+version, func(b *testing.B) {
			b.ReportAllocs()
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
		// The two alternate within each iteration of one goroutine, so that
		// load from other processes weighs on both alike:
		// handler/bare-rate = handler rate / bare rate, per core. The clock
		// runs for the handler's ServeHTTP only: httptest builds each request
		// by parsing it from text with a new 4 KiB reader, about a quarter
		// of the handler's own time, where a server reuses a connection's.
		// with-request/bare-rate counts it too, as handler/bare-rate once did.
		b.Run("paired/SignatureVersion="+version, func(b *testing.B) {
			var req, h, r time.Duration
			i := 0
			for b.Loop() {
				i = (i + 1) % len(msgs)
				if i == 0 {
					f.exp.ForgetSeen()
				}
				t00 := time.Now()
				w, rq := httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/sns", bytes.NewReader(bodies[i]))
				t0 := time.Now()
				handler.ServeHTTP(w, rq)
				t1 := time.Now()
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
				if err := rsa.VerifyPKCS1v15(key, hash, digests[i], sigs[i]); err != nil {
					b.Fatal(err)
				}
				req, h, r = req+t0.Sub(t00), h+t1.Sub(t0), r+time.Since(t1)
			}
			b.ReportMetric(float64(h.Nanoseconds())/float64(b.N), "handler-ns/msg")
			b.ReportMetric(float64(r.Nanoseconds())/float64(b.N), "bare-rsa-ns/msg")
			b.ReportMetric(float64(r)/float64(h), "handler/bare-rate")
			b.ReportMetric(float64(r)/float64(req+h), "with-request/bare-rate")
		})
	}
}

// BenchmarkParse measures the decoding steps of the handler alone: the SNS
// envelope (snsverify.Parse) and the user event inside (event.Decode).
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
	m, err := snsverify.Parse(body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("event.Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := event.Decode([]byte(m.Message)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// postTo serves one POST /sns in-process and returns the status code.
func postTo(h http.Handler, body []byte) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/sns", bytes.NewReader(body)))
	return w.Code
}
