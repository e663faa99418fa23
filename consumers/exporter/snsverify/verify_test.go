package snsverify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
)

// t0 is the fixed clock of every test, so signed fixtures stay fresh.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

func fixedNow() time.Time { return t0 }

// newServer starts an SNS look-alike signing with the committed test key.
func newServer(t testing.TB) *snstest.Server {
	t.Helper()
	key, err := os.ReadFile("testdata/test-signing-key.pem")
	require.NoError(t, err)
	signer, err := snstest.LoadSigner(key)
	require.NoError(t, err)
	s, err := snstest.NewServer("us-east-1", signer)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func newVerifier(t testing.TB, s *snstest.Server, mod func(*snsverify.Options)) *snsverify.Verifier {
	t.Helper()
	o := snsverify.Options{Topics: []string{s.TopicARN("user-events")}, Client: s.Client(), Now: fixedNow}
	if mod != nil {
		mod(&o)
	}
	v, err := snsverify.New(o)
	require.NoError(t, err)
	return v
}

func TestVerifyAccepts(t *testing.T) {
	s := newServer(t)
	topic := s.TopicARN("user-events")
	tests := []struct {
		name string
		msg  func() *snsverify.Message
	}{
		{name: "notification v1", msg: func() *snsverify.Message { return s.Notification(topic, `{"a":1}`, t0, "1") }},
		{name: "notification v2", msg: func() *snsverify.Message { return s.Notification(topic, `{"a":1}`, t0, "2") }},
		{name: "notification with subject", msg: func() *snsverify.Message {
			m := s.Notification(topic, "hello\nworld", t0, "2")
			m.Subject = "a subject"
			s.Sign(m, "2")
			return m
		}},
		{name: "notification with a UTF-8 subject", msg: func() *snsverify.Message {
			m := s.Notification(topic, "x", t0, "2")
			m.Subject = "Grüße, 用户"
			s.Sign(m, "2")
			return m
		}},
		{name: "notification 59 minutes old", msg: func() *snsverify.Message { return s.Notification(topic, "x", t0.Add(-59*time.Minute), "2") }},
		{name: "notification 4 minutes ahead", msg: func() *snsverify.Message { return s.Notification(topic, "x", t0.Add(4*time.Minute), "2") }},
		{name: "subscription confirmation v1", msg: func() *snsverify.Message { return s.Confirmation(topic, t0, "1") }},
		{name: "unsubscribe confirmation v2", msg: func() *snsverify.Message {
			m := s.Confirmation(topic, t0, "2")
			m.Type = snsverify.TypeUnsubscribeConfirmation
			s.Sign(m, "2")
			return m
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.msg()
			got, err := newVerifier(t, s, nil).Verify(t.Context(), snstest.Marshal(want))
			require.NoError(t, err)
			require.Equal(t, want.Message, got.Message)
			require.Equal(t, want.MessageID, got.MessageID)
			require.Equal(t, want.Subject, got.Subject)
			require.Equal(t, "us-east-1", got.Topic.Region)
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	s := newServer(t)
	for _, tc := range s.BadInputs(s.TopicARN("user-events"), t0) {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := newVerifier(t, s, nil).Verify(t.Context(), tc.Body)
			require.ErrorIs(t, err, tc.Want)
			require.Equal(t, tc.Want.Error(), snsverify.Reason(err))
			require.False(t, snsverify.Temporary(err))
		})
	}
}

func TestReasonOther(t *testing.T) {
	require.Equal(t, "other", snsverify.Reason(errors.New("x")))
	require.Len(t, snsverify.Reasons(), 11)
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts snsverify.Options
		want string
	}{
		{name: "topic not an arn", opts: snsverify.Options{Topics: []string{"user-events"}}, want: `allowed topic "user-events" is not an SNS topic ARN`},
		{name: "prefix without slash", opts: snsverify.Options{TrustedURLPrefixes: []string{"http://127.0.0.1:4100"}}, want: "path must end with /"},
		{name: "prefix ftp", opts: snsverify.Options{TrustedURLPrefixes: []string{"ftp://127.0.0.1/"}}, want: "scheme must be http or https"},
		{name: "prefix with query", opts: snsverify.Options{TrustedURLPrefixes: []string{"http://127.0.0.1/?a"}}, want: "nothing else"},
		{name: "prefix with user", opts: snsverify.Options{TrustedURLPrefixes: []string{"http://u@127.0.0.1/"}}, want: "nothing else"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := snsverify.New(tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestZeroOptionsAllowNoTopic(t *testing.T) {
	s := newServer(t)
	v, err := snsverify.New(snsverify.Options{Now: fixedNow, Client: s.Client()})
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), snstest.Marshal(s.Notification(s.TopicARN("user-events"), "x", t0, "2")))
	require.ErrorIs(t, err, snsverify.ErrTopic)
	require.Zero(t, s.CertFetches(), "nothing is fetched for a topic that is not allowed")
}

// emulator serves a certificate over plain HTTP at any path, as goaws does.
func emulator(t *testing.T, signer *snstest.Signer, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write(signer.CertPEM)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// certServer serves the signer's certificate on loopback at /good/..., with
// status at any other path, and counts the fetches of each path.
type certServer struct {
	*httptest.Server
	mu    sync.Mutex
	count map[string]int
}

func newCertServer(t *testing.T, signer *snstest.Signer, status int) *certServer {
	c := &certServer{count: make(map[string]int)}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.count[r.URL.Path]++
		c.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/good/") {
			_, _ = w.Write(signer.CertPEM)
			return
		}
		http.Error(w, http.StatusText(status), status)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *certServer) fetches(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[path]
}

func TestTrustedPrefix(t *testing.T) {
	s := newServer(t)
	topic := s.TopicARN("user-events")
	emu := emulator(t, s.Signer, http.StatusOK)
	prefix := emu.URL + "/"
	v := newVerifier(t, s, func(o *snsverify.Options) { o.TrustedURLPrefixes = []string{prefix}; o.Client = nil })
	tests := []struct {
		name    string
		certURL string
		want    error
	}{
		{name: "emulator path", certURL: prefix + "SimpleNotificationService/3f1c.pem"},
		{name: "longer port", certURL: emu.URL + "0/SimpleNotificationService/3f1c.pem", want: snsverify.ErrCertURL},
		{name: "user info", certURL: strings.Replace(prefix, "://", "://u@", 1) + "a.pem", want: snsverify.ErrCertURL},
		{name: "dot segments", certURL: prefix + "a/../../b.pem", want: snsverify.ErrCertURL},
		{name: "fragment", certURL: prefix + "a.pem#x", want: snsverify.ErrCertURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := s.Notification(topic, "x", t0, "1")
			m.SigningCertURL = tc.certURL
			s.Sign(m, "1")
			_, err := v.Verify(t.Context(), snstest.Marshal(m))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	t.Run("subscribe url under prefix", func(t *testing.T) {
		m := s.Confirmation(topic, t0, "1")
		m.SigningCertURL = prefix + "SimpleNotificationService/1.pem"
		m.SubscribeURL = prefix + "?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=" + m.Token
		s.Sign(m, "1")
		got, err := v.Verify(t.Context(), snstest.Marshal(m))
		require.NoError(t, err)
		u, err := v.ConfirmURL(got)
		require.NoError(t, err)
		require.Equal(t, m.SubscribeURL, u.String())
	})
}

func TestCertFetchFailures(t *testing.T) {
	s := newServer(t)
	topic := s.TopicARN("user-events")
	tests := []struct {
		name      string
		status    int
		want      error
		temporary bool
	}{
		{name: "server error", status: http.StatusInternalServerError, want: snsverify.ErrCertFetch, temporary: true},
		{name: "throttled", status: http.StatusTooManyRequests, want: snsverify.ErrCertFetch, temporary: true},
		{name: "not found", status: http.StatusNotFound, want: snsverify.ErrCert},
		{name: "redirect not followed", status: http.StatusFound, want: snsverify.ErrCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu := emulator(t, s.Signer, tc.status)
			v := newVerifier(t, s, func(o *snsverify.Options) { o.TrustedURLPrefixes = []string{emu.URL + "/"}; o.Client = nil })
			m := s.Notification(topic, "x", t0, "2")
			m.SigningCertURL = emu.URL + "/c.pem"
			s.Sign(m, "2")
			_, err := v.Verify(t.Context(), snstest.Marshal(m))
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, tc.temporary, snsverify.Temporary(err))
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		emu := emulator(t, s.Signer, http.StatusOK)
		emu.Close()
		v := newVerifier(t, s, func(o *snsverify.Options) { o.TrustedURLPrefixes = []string{emu.URL + "/"}; o.Client = nil })
		m := s.Notification(topic, "x", t0, "2")
		m.SigningCertURL = emu.URL + "/c.pem"
		s.Sign(m, "2")
		_, err := v.Verify(t.Context(), snstest.Marshal(m))
		require.ErrorIs(t, err, snsverify.ErrCertFetch)
		require.True(t, snsverify.Temporary(err))
	})
	t.Run("hanging certificate server", func(t *testing.T) {
		release := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer hang.Close()
		defer close(release)
		v := newVerifier(t, s, func(o *snsverify.Options) {
			o.TrustedURLPrefixes = []string{hang.URL + "/"}
			o.Client = nil
			o.FetchTimeout = 50 * time.Millisecond
		})
		m := s.Notification(topic, "x", t0, "2")
		m.SigningCertURL = hang.URL + "/c.pem"
		s.Sign(m, "2")
		start := time.Now()
		_, err := v.Verify(t.Context(), snstest.Marshal(m))
		require.ErrorIs(t, err, snsverify.ErrCertFetch)
		require.Less(t, time.Since(start), 5*time.Second, "the fetch timeout bounds a hanging peer")
	})
	t.Run("waiter gives up with its context", func(t *testing.T) {
		release := make(chan struct{})
		entered := make(chan struct{}, 1)
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
			_, _ = w.Write(s.CertPEM)
		}))
		defer hang.Close()
		v := newVerifier(t, s, func(o *snsverify.Options) { o.TrustedURLPrefixes = []string{hang.URL + "/"}; o.Client = nil })
		m := s.Notification(topic, "x", t0, "2")
		m.SigningCertURL = hang.URL + "/c.pem"
		s.Sign(m, "2")
		body := snstest.Marshal(m)
		first := make(chan error, 1)
		go func() { _, err := v.Verify(context.Background(), body); first <- err }()
		<-entered
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := v.Verify(ctx, body) // joins the fetch in flight, then gives up
		require.ErrorIs(t, err, snsverify.ErrCertFetch)
		require.ErrorIs(t, err, context.Canceled)
		close(release)
		require.NoError(t, <-first, "the fetch itself completes for the caller that started it")
	})
	t.Run("expired certificate", func(t *testing.T) {
		s, err := snstest.NewServer("us-east-1", nil) // certificate valid for a day
		require.NoError(t, err)
		t.Cleanup(s.Close)
		v := newVerifier(t, s, func(o *snsverify.Options) {
			o.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
			o.MaxAge = 72 * time.Hour
		})
		_, err = v.Verify(t.Context(), snstest.Marshal(s.Notification(topic, "x", time.Now(), "2")))
		require.ErrorIs(t, err, snsverify.ErrCert)
	})
}

func TestCertCache(t *testing.T) {
	t.Run("concurrent misses fetch once", func(t *testing.T) {
		s := newServer(t)
		v := newVerifier(t, s, nil)
		body := snstest.Marshal(s.Notification(s.TopicARN("user-events"), "x", t0, "2"))
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for range 32 {
			wg.Go(func() {
				_, err := v.Verify(context.Background(), body)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.EqualValues(t, 1, s.CertFetches())
	})
	t.Run("ttl", func(t *testing.T) {
		s := newServer(t)
		now := t0
		v := newVerifier(t, s, func(o *snsverify.Options) {
			o.Now = func() time.Time { return now }
			o.CertCacheTTL = 10 * time.Minute
		})
		topic := s.TopicARN("user-events")
		for i, want := range []int64{1, 1, 2} {
			now = t0.Add(time.Duration(i) * 6 * time.Minute)
			_, err := v.Verify(t.Context(), snstest.Marshal(s.Notification(topic, "x", now, "2")))
			require.NoError(t, err)
			require.Equal(t, want, s.CertFetches(), "after verification %d", i)
		}
	})
	t.Run("failures remembered for a while", func(t *testing.T) {
		s := newServer(t)
		topic := s.TopicARN("user-events")
		for _, tc := range []struct {
			status int
			want   error
		}{
			{status: http.StatusInternalServerError, want: snsverify.ErrCertFetch},
			{status: http.StatusNotFound, want: snsverify.ErrCert},
		} {
			certs := newCertServer(t, s.Signer, tc.status)
			now := t0
			v := newVerifier(t, s, func(o *snsverify.Options) {
				o.TrustedURLPrefixes = []string{certs.URL + "/"}
				o.Client = nil
				o.Now = func() time.Time { return now }
			})
			m := s.Notification(topic, "x", t0, "2")
			m.SigningCertURL = certs.URL + "/c.pem"
			s.Sign(m, "2")
			body := snstest.Marshal(m)
			verify := func() {
				_, err := v.Verify(t.Context(), body)
				require.ErrorIs(t, err, tc.want)
				require.Equal(t, errors.Is(tc.want, snsverify.ErrCertFetch), snsverify.Temporary(err), "%v", err)
			}
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(verify)
			}
			wg.Wait()
			for range 8 {
				verify()
			}
			require.Equal(t, 1, certs.fetches("/c.pem"), "status %d: one fetch per URL per failure TTL", tc.status)
			now = now.Add(snsverify.DefaultCertFailureTTL - time.Second)
			verify()
			require.Equal(t, 1, certs.fetches("/c.pem"))
			now = now.Add(time.Second)
			verify()
			require.Equal(t, 2, certs.fetches("/c.pem"), "fetched again once the failure TTL is over")
		}
	})
	t.Run("failures never push out good certificates", func(t *testing.T) {
		s := newServer(t)
		topic := s.TopicARN("user-events")
		certs := newCertServer(t, s.Signer, http.StatusOK)
		v := newVerifier(t, s, func(o *snsverify.Options) {
			o.TrustedURLPrefixes = []string{certs.URL + "/"}
			o.Client = nil
			o.CertCacheSize = 2
		})
		verify := func(path string, want error) {
			m := s.Notification(topic, "x", t0, "2")
			m.SigningCertURL = certs.URL + path
			s.Sign(m, "2")
			_, err := v.Verify(t.Context(), snstest.Marshal(m))
			if want == nil {
				require.NoError(t, err, path)
				return
			}
			require.ErrorIs(t, err, want, path)
		}
		verify("/good/a.pem", nil)
		verify("/good/b.pem", nil)
		for i := range 10 {
			verify(fmt.Sprintf("/missing/%d.pem", i), snsverify.ErrCert)
		}
		verify("/good/a.pem", nil)
		verify("/good/b.pem", nil)
		require.Equal(t, 1, certs.fetches("/good/a.pem"), "a good certificate stays cached")
		require.Equal(t, 1, certs.fetches("/good/b.pem"), "a good certificate stays cached")
		// Failures push out older failures: their memory is bounded too.
		verify("/missing/9.pem", snsverify.ErrCert)
		require.Equal(t, 1, certs.fetches("/missing/9.pem"), "a recent failure is remembered")
		verify("/missing/0.pem", snsverify.ErrCert)
		require.Equal(t, 2, certs.fetches("/missing/0.pem"), "the oldest failures went to make room")
	})
	t.Run("size", func(t *testing.T) {
		s := newServer(t)
		topic := s.TopicARN("user-events")
		emu := emulator(t, s.Signer, http.StatusOK)
		var fetches int
		counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fetches++
			emu.Config.Handler.ServeHTTP(w, r)
		}))
		t.Cleanup(counting.Close)
		now := t0
		v := newVerifier(t, s, func(o *snsverify.Options) {
			o.TrustedURLPrefixes = []string{counting.URL + "/"}
			o.Client = nil
			o.CertCacheSize = 2
			o.Now = func() time.Time { now = now.Add(time.Second); return now } // distinct expiries
		})
		verify := func(path string) {
			m := s.Notification(topic, "x", t0, "2")
			m.SigningCertURL = counting.URL + path
			s.Sign(m, "2")
			_, err := v.Verify(t.Context(), snstest.Marshal(m))
			require.NoError(t, err)
		}
		for _, p := range []string{"/a", "/b", "/a", "/b"} {
			verify(p)
		}
		require.Equal(t, 2, fetches, "two URLs fit")
		for _, p := range []string{"/c", "/a", "/b", "/c"} {
			verify(p)
		}
		require.Equal(t, 6, fetches, "the entry closest to expiry goes first")
	})
}
