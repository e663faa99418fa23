package eventbridge

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
)

// FuzzHandle feeds an arbitrary SQS body, beside a known good message,
// through decoding and packing. Whatever the body, the handler must not
// panic, the good message must be forwarded, only the fuzzed message may
// fail, a decodable body's event is forwarded once with its type as
// detail-type and itself as detail, and every call respects the limits.
func FuzzHandle(f *testing.F) {
	for _, typ := range event.Types() {
		f.Add(sqstest.Raw("", ev("seed-"+string(typ), typ)).Body)
		f.Add(sqstest.Enveloped("", "sns", ev("seed-"+string(typ), typ)).Body)
	}
	f.Add(`{"Type":"SubscriptionConfirmation","MessageId":"x"}`)
	f.Add(`{"Type":"Notification","Message":"{}"}`)
	f.Add("")

	good := sqstest.Raw("good", ev("the-good-one", event.SignInAttempted))
	f.Fuzz(func(t *testing.T, body string) {
		fk := &fake{}
		resp, err := New(Config{MaxEntriesPerCall: 1}, fk.put, nil).Handle(t.Context(), events.SQSEvent{Records: []events.SQSMessage{good, {MessageId: "fuzz", Body: body}}})
		require.NoError(t, err)
		failed := failedIDs(resp)
		require.NotContains(t, failed, "good")
		want := 1
		e, _, err := event.FromSNS([]byte(body))
		if err == nil && e.ID != "the-good-one" {
			want = 2
			require.Empty(t, failed)
		}
		if err != nil {
			require.Equal(t, []string{"fuzz"}, failed)
		}
		require.Len(t, fk.entries(), want)
		for _, c := range fk.calls {
			require.Len(t, c.Entries, 1)
			en := c.Entries[0]
			require.Less(t, Size(&en), MaxCallBytes)
			back, err := event.Decode([]byte(*en.Detail))
			require.NoError(t, err)
			require.Equal(t, string(back.Type), *en.DetailType)
		}
	})
}
