package recording

import (
	"time"

	"github.com/cogwatch/cogwatch/event"
)

// userEvent returns a valid event of type typ from pool eu-west-1_abc, with no
// app client (so the CloudWatch consumer writes the [UserPoolId] set only).
func userEvent(id string, typ event.Type) event.Event {
	e := event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: event.Source("eu-west-1", "eu-west-1_abc"), Type: typ,
		Time: time.Now().UTC(), DataContentType: event.ContentType,
		Data: event.Data{SchemaVersion: event.SchemaVersion, UserPoolID: "eu-west-1_abc",
			TriggerSource: "PreSignUp_SignUp", Region: "eu-west-1", LatencyMs: 12},
	}
	if typ == event.SignUpRejected {
		e.Data.Reason = event.ReasonDisposableDomain
	}
	return e
}
