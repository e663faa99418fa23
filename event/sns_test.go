package event_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

func TestFromSNS(t *testing.T) {
	raw := readFile(t, "signup-rejected.json")
	envelope := readFile(t, "sns-notification.json")
	wrap := func(fields map[string]any) []byte {
		b, err := json.Marshal(fields)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name    string
		body    []byte
		wantEnv bool   // an envelope is returned
		want    string // error, "" for none
		is      error
	}{
		{name: "envelope", body: envelope, wantEnv: true},
		{name: "raw delivery", body: raw},
		{name: "subscription confirmation", body: readFile(t, "sns-subscription-confirmation.json"), wantEnv: true,
			want: `event: SNS message is not a Notification: "SubscriptionConfirmation"`, is: event.ErrNotNotification},
		{name: "unsubscribe confirmation", body: wrap(map[string]any{"Type": "UnsubscribeConfirmation", "Message": "bye"}), wantEnv: true,
			want: `event: SNS message is not a Notification: "UnsubscribeConfirmation"`, is: event.ErrNotNotification},
		{name: "notification with a bad event", body: wrap(map[string]any{"Type": "Notification", "Message": `{"specversion":"1.0"}`}), wantEnv: true,
			want: "event: id: missing required field", is: event.ErrMissing},
		{name: "notification with no message", body: wrap(map[string]any{"Type": "Notification"}), wantEnv: true,
			want: "event: decode: unexpected end of JSON input"},
		{name: "envelope member of the wrong type", body: []byte(`{"Type":"Notification","Message":1}`),
			want: "event: decode SNS envelope: json: cannot unmarshal number into Go struct field Envelope.Message of type string"},
		{name: "not JSON", body: []byte(`{"Type":"Notification",`),
			want: "event: decode: unexpected end of JSON input"},
		{name: "not an object", body: []byte(`"Notification"`),
			want: "event: decode: json: cannot unmarshal string into Go value of type map[string]json.RawMessage"},
		{name: "lower-case type is an event member, not an envelope", body: []byte(`{"type":"Notification"}`),
			want: "event: specversion: missing required field", is: event.ErrMissing},
		{name: "raw event with an envelope-like member", body: []byte(`{"specversion":"1.0","Type":"Notification"}`),
			want: `event: decode: json: unknown field "Type"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, env, err := event.FromSNS(tc.body)
			if tc.want != "" {
				require.EqualError(t, err, tc.want)
				if tc.is != nil {
					require.ErrorIs(t, err, tc.is)
				}
				require.Equal(t, event.Event{}, e)
			} else {
				require.NoError(t, err)
				want, derr := event.Decode(raw)
				require.NoError(t, derr)
				require.Equal(t, want, e)
			}
			require.Equal(t, tc.wantEnv, env.Type != "", "envelope %+v", env)
		})
	}
}

func TestFromSNSEnvelope(t *testing.T) {
	e, env, err := event.FromSNS(readFile(t, "sns-notification.json"))
	require.NoError(t, err)
	require.Equal(t, "Notification", env.Type)
	require.Equal(t, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", env.MessageID)
	require.Equal(t, "arn:aws:sns:eu-west-1:123456789012:user-events", env.TopicArn)
	require.Equal(t, "2026-03-01T10:16:02.612Z", env.Timestamp)
	require.Equal(t, "1", env.SignatureVersion)
	require.NotEmpty(t, env.Signature)
	require.NotEmpty(t, env.SigningCertURL)
	require.NotEmpty(t, env.UnsubscribeURL)
	// The message attributes repeat what Attributes returns.
	got := map[string]string{}
	for k, a := range env.MessageAttributes {
		require.Equal(t, "String", a.Type)
		got[k] = a.Value
	}
	require.Equal(t, e.Attributes(), got)
}
