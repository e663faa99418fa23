package snsverify_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
)

// withFields returns body with string members added, as anyone on the path
// can add them: SNS signs only some fields of each type.
func withFields(t testing.TB, body []byte, fields map[string]string) []byte {
	t.Helper()
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &members))
	for k, v := range fields {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		members[k] = b
	}
	out, err := json.Marshal(members)
	require.NoError(t, err)
	return out
}

func TestVerifyReturnsSignedFieldsOnly(t *testing.T) {
	s := newServer(t)
	v := newVerifier(t, s, nil)
	topic := s.TopicARN("user-events")
	t.Run("notification carrying SubscribeURL and Token", func(t *testing.T) {
		// A genuine confirmation lends a SubscribeURL and Token that pass
		// every URL check; SNS does not sign them in a Notification.
		c := s.Confirmation(topic, t0, "2")
		for _, version := range []string{"1", "2"} {
			n := s.Notification(topic, `{"specversion":"1.0"}`, t0, version)
			body := withFields(t, snstest.Marshal(n), map[string]string{"SubscribeURL": c.SubscribeURL, "Token": c.Token})
			got, err := v.Verify(t.Context(), body)
			require.NoError(t, err, "unsigned fields are ignored, as MessageAttributes are")
			require.Empty(t, got.SubscribeURL)
			require.Empty(t, got.Token)
			_, err = v.ConfirmURL(got)
			require.ErrorIs(t, err, snsverify.ErrType)
		}
	})
	t.Run("confirmation carrying a Subject", func(t *testing.T) {
		body := withFields(t, snstest.Marshal(s.Confirmation(topic, t0, "2")), map[string]string{"Subject": "unsigned"})
		got, err := v.Verify(t.Context(), body)
		require.NoError(t, err)
		require.Empty(t, got.Subject)
	})
	t.Run("VerifyMessage refuses unsigned fields", func(t *testing.T) {
		c := s.Confirmation(topic, t0, "2")
		n := s.Notification(topic, `{"specversion":"1.0"}`, t0, "2")
		m, err := snsverify.Parse(snstest.Marshal(n))
		require.NoError(t, err)
		m.SubscribeURL, m.Token = c.SubscribeURL, c.Token
		require.ErrorIs(t, v.VerifyMessage(t.Context(), m), snsverify.ErrMalformed)
		m, err = snsverify.Parse(snstest.Marshal(c))
		require.NoError(t, err)
		m.Subject = "unsigned"
		require.ErrorIs(t, v.VerifyMessage(t.Context(), m), snsverify.ErrMalformed)
	})
}

func TestConfirmURLRefusesNotification(t *testing.T) {
	s := newServer(t)
	v := newVerifier(t, s, nil)
	topic := s.TopicARN("user-events")
	c, err := snsverify.Parse(snstest.Marshal(s.Confirmation(topic, t0, "2")))
	require.NoError(t, err)
	n, err := snsverify.Parse(snstest.Marshal(s.Notification(topic, "x", t0, "2")))
	require.NoError(t, err)
	n.SubscribeURL, n.Token = c.SubscribeURL, c.Token // a URL that passes for c
	_, err = v.ConfirmURL(n)
	require.ErrorIs(t, err, snsverify.ErrType)
	for _, typ := range []string{snsverify.TypeSubscriptionConfirmation, snsverify.TypeUnsubscribeConfirmation} {
		c.Type = typ
		u, err := v.ConfirmURL(c)
		require.NoError(t, err, typ)
		require.Equal(t, c.SubscribeURL, u.String())
	}
}

// TestFieldShift moves a field boundary of a message SNS signed by putting a
// line break into a field: the string to sign stays the same, so SNS's
// signature still matches; the forgery must be refused all the same.
func TestFieldShift(t *testing.T) {
	s := newServer(t)
	v := newVerifier(t, s, nil)
	topic := s.TopicARN("user-events")
	tests := []struct {
		name  string
		shift func(version string) (signed, forged *snsverify.Message)
	}{
		{name: "subject into message id", shift: func(version string) (*snsverify.Message, *snsverify.Message) {
			// A new MessageId for a message SNS already delivered: a replay
			// past deduplication by MessageId.
			signed := s.Notification(topic, `{"specversion":"1.0"}`, t0, version)
			signed.Subject = "user event"
			s.Sign(signed, version)
			forged := *signed
			forged.MessageID, forged.Subject = signed.MessageID+"\nSubject\n"+signed.Subject, ""
			return signed, &forged
		}},
		{name: "end of message into message id", shift: func(version string) (*snsverify.Message, *snsverify.Message) {
			// A publisher's message that ends in a line SNS's format names.
			signed := s.Notification(topic, "{\"specversion\":\"1.0\"}\nMessageId\nx", t0, version)
			forged := *signed
			forged.Message, forged.MessageID = `{"specversion":"1.0"}`, "x\nMessageId\n"+signed.MessageID
			return signed, &forged
		}},
	}
	for _, tc := range tests {
		for _, version := range []string{"1", "2"} {
			t.Run(tc.name+"/SignatureVersion="+version, func(t *testing.T) {
				signed, forged := tc.shift(version)
				require.Equal(t, string(signed.StringToSign()), string(forged.StringToSign()), "the forgery carries SNS's signature")
				_, err := v.Verify(t.Context(), snstest.Marshal(signed))
				require.NoError(t, err)
				_, err = v.Verify(t.Context(), snstest.Marshal(forged))
				require.ErrorIs(t, err, snsverify.ErrMalformed)
			})
		}
	}
}
