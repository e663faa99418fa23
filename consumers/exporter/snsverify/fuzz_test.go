package snsverify_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
)

// seeds returns valid messages signed with the committed test key at t0,
// and the corpus of bad input.
func seeds(t testing.TB, s *snstest.Server) [][]byte {
	topic := s.TopicARN("user-events")
	confirmation := s.Confirmation(topic, t0, "2")
	withSubject := s.Notification(topic, "x", t0, "1")
	withSubject.Subject = "Grüße"
	s.Sign(withSubject, "1")
	out := [][]byte{
		snstest.Marshal(s.Notification(topic, `{"specversion":"1.0","id":"1"}`, t0, "1")),
		snstest.Marshal(s.Notification(topic, "multi\nline \u00e9 message", t0, "2")),
		snstest.Marshal(confirmation),
		snstest.Marshal(withSubject),
		// Fields SNS does not sign for the type.
		withFields(t, snstest.Marshal(s.Notification(topic, "x", t0, "2")),
			map[string]string{"SubscribeURL": confirmation.SubscribeURL, "Token": confirmation.Token}),
		withFields(t, snstest.Marshal(confirmation), map[string]string{"Subject": "s"}),
	}
	for _, tc := range s.BadInputs(topic, t0) {
		out = append(out, tc.Body)
	}
	return out
}

// FuzzParse: Parse returns an error or a message whose required fields are
// set; it never panics.
func FuzzParse(f *testing.F) {
	for _, b := range seeds(f, newServer(f)) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := snsverify.Parse(body)
		if err != nil {
			require.NotEqual(t, "other", snsverify.Reason(err), "%v", err)
			return
		}
		// Differential: what Parse accepts is JSON, and encoding/json reads
		// the same values under the exact member names.
		require.True(t, json.Valid(body), "Parse accepted invalid JSON")
		var generic map[string]any
		require.NoError(t, json.Unmarshal(body, &generic))
		for name, got := range map[string]string{"Type": m.Type, "MessageId": m.MessageID, "TopicArn": m.TopicARN,
			"Message": m.Message, "Timestamp": m.Timestamp, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL} {
			require.Equal(t, generic[name], got, name)
		}
		// Only the fields SNS signs for the type are kept.
		notification := m.Type == snsverify.TypeNotification
		for name, f := range map[string]struct {
			got    string
			signed bool
		}{"Subject": {m.Subject, notification}, "SubscribeURL": {m.SubscribeURL, !notification}, "Token": {m.Token, !notification}} {
			want, _ := generic[name].(string)
			if !f.signed {
				want = ""
			}
			require.Equal(t, want, f.got, name)
		}
		// No field boundary can move: read from its end, the string to
		// sign gives back each signed field whole.
		require.Equal(t, signedFields(m), readBack(string(m.StringToSign())))
		require.NotEmpty(t, m.MessageID)
		require.NotEmpty(t, m.Signature)
		require.False(t, m.Time.IsZero())
		sts := m.StringToSign()
		require.True(t, bytes.HasSuffix(sts, []byte("Type\n"+m.Type+"\n")))
	})
}

// FuzzVerify: Verify returns a classified error or a message that
// re-verifies; it never panics. Seeds signed with the committed key verify
// under the fixed clock, so mutations start from valid messages.
func FuzzVerify(f *testing.F) {
	s := newServer(f)
	for _, b := range seeds(f, s) {
		f.Add(b)
	}
	v := newVerifier(f, s, func(o *snsverify.Options) { o.FetchTimeout = time.Second })
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := v.Verify(t.Context(), body)
		if err != nil {
			require.NotEqual(t, "other", snsverify.Reason(err), "%v", err)
			return
		}
		require.True(t, v.Allowed(m.TopicARN))
		require.NoError(t, v.VerifyMessage(t.Context(), m))
		if m.Type == snsverify.TypeNotification {
			require.Empty(t, m.SubscribeURL)
			require.Empty(t, m.Token)
			_, err := v.ConfirmURL(m)
			require.ErrorIs(t, err, snsverify.ErrType, "a Notification yields no URL to visit")
		} else {
			require.Empty(t, m.Subject)
		}
	})
}

// signedFields returns the fields SNS signs for m's type, by name.
func signedFields(m *snsverify.Message) map[string]string {
	f := map[string]string{"Message": m.Message, "MessageId": m.MessageID, "Timestamp": m.Timestamp,
		"TopicArn": m.TopicARN, "Type": m.Type}
	switch {
	case m.Type != snsverify.TypeNotification:
		f["SubscribeURL"], f["Token"] = m.SubscribeURL, m.Token
	case m.Subject != "":
		f["Subject"] = m.Subject
	}
	return f
}

// readBack splits a string to sign into fields, reading pairs of lines from
// its end up to MessageId; what is left is Message, the one field that may
// hold line breaks. It returns nil for what is not a string to sign.
func readBack(sts string) map[string]string {
	lines := strings.Split(sts, "\n")
	if lines[len(lines)-1] != "" {
		return nil
	}
	lines = lines[:len(lines)-1]
	f := make(map[string]string)
	for name := ""; name != "MessageId"; {
		n := len(lines)
		if n < 2 {
			return nil
		}
		name = lines[n-2]
		f[name] = lines[n-1]
		lines = lines[:n-2]
	}
	if len(lines) < 1 || lines[0] != "Message" {
		return nil
	}
	f["Message"] = strings.Join(lines[1:], "\n")
	return f
}
