package sqstest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

func sample(id string) event.Event {
	return event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: event.Source("eu-west-1", "eu-west-1_abc"), Type: event.SignInSucceeded,
		Time: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: "eu-west-1_abc", TriggerSource: "PostAuthentication_Authentication", Region: "eu-west-1"},
	}
}

// TestMessagesDecodeAsSubscribersRead: what the builders make is what a
// subscriber decodes, raw or enveloped.
func TestMessagesDecodeAsSubscribersRead(t *testing.T) {
	e := sample("e1")
	got, err := event.Decode([]byte(Raw("m1", e).Body))
	require.NoError(t, err)
	require.Equal(t, "e1", got.ID)

	m := Enveloped("m2", "sns-1", e)
	require.Equal(t, "m2", m.MessageId)
	got, env, err := event.FromSNS([]byte(m.Body))
	require.NoError(t, err)
	require.Equal(t, "e1", got.ID)
	require.Equal(t, "sns-1", env.MessageID)

	b := Batch(sample("a"), sample("b"))
	require.Len(t, b.Records, 2)
	require.Equal(t, []string{"0", "1"}, []string{b.Records[0].MessageId, b.Records[1].MessageId})
}

func TestInvalidEventPanics(t *testing.T) {
	require.Panics(t, func() { Raw("m", event.Event{ID: "bad"}) })
}
