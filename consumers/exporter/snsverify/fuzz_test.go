package snsverify_test

import (
	"bytes"
	"encoding/json"
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
	out := [][]byte{
		snstest.Marshal(s.Notification(topic, `{"specversion":"1.0","id":"1"}`, t0, "1")),
		snstest.Marshal(s.Notification(topic, "multi\nline \u00e9 message", t0, "2")),
		snstest.Marshal(s.Confirmation(topic, t0, "2")),
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
	})
}
