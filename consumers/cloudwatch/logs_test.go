package cloudwatch

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	smithy "github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// TestLogsCarryNoEmail drives every logging path with events that carry the
// full email (the operator's opt-in) and bodies that quote one.
func TestLogsCarryNoEmail(t *testing.T) {
	withEmail := func(id string, at time.Time) event.Event {
		e := ev(id, event.SignUpAccepted, "p", "c", at, 1)
		e.Data.Email, e.Data.EmailDomain = "jane.doe@example.com", "example.com"
		return e
	}
	msgs := []events.SQSMessage{
		sqstest.Raw("ok", withEmail("ok", now)),
		sqstest.Raw("old", withEmail("old", now.AddDate(0, -1, 0))),
		sqstest.Raw("dup", withEmail("ok", now)),
		{MessageId: "junk", Body: `{"email":"jane.doe@example.com"}`},
		{MessageId: "type", Body: strings.Replace(sqstest.Raw("", withEmail("t", now)).Body, "cogwatch.signup.accepted", "jane.doe@example.com", 1)},
	}
	var logs bytes.Buffer
	log := logging.New(&logs, func(k string) string { return map[string]string{"POWERTOOLS_LOG_LEVEL": "DEBUG"}[k] })
	rec := &recorder{errs: []error{&smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "bad"}}}
	resp, err := New(Config{Now: fixed}, rec.put, log).Handle(t.Context(), events.SQSEvent{Records: msgs})
	require.NoError(t, err)
	require.Equal(t, []string{"ok", "old", "junk", "type"}, failedIDs(resp))
	require.Equal(t, 5, strings.Count(logs.String(), "\n"), "undecodable ×2, not storable, call failed, batch summary:\n%s", logs.String())
	require.NotContains(t, logs.String(), "@")
	require.NotContains(t, logs.String(), "jane")
}
