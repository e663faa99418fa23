package triggers

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// wrapFixture decodes a fixture of testdata/aws-docs-wrap (event shapes
// from the AWS Cognito developer guide) into its aws-lambda-go type.
func wrapFixture[E any](t *testing.T, name string) E {
	t.Helper()
	var ev E
	require.NoError(t, json.Unmarshal(readFixture(t, filepath.Join("aws-docs-wrap", name)), &ev))
	return ev
}

type migrateHandler = func(context.Context, events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error)

// legacyUser answers as an adopter's migration handler that finds the user.
func legacyUser(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
	ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = map[string]string{"email": "jane.doe@example.org", "email_verified": "true"}
	ev.FinalUserStatus = "CONFIRMED"
	ev.MessageAction = "SUPPRESS"
	return ev, nil
}

var errBadPassword error = userText("Bad password")

// TestWrapMigration: for each source of the AWS documentation's migrate user
// event, what the adopter's handler answers reaches Cognito as it is, and
// cogwatch counts a migrated user or a failure with its reason.
func TestWrapMigration(t *testing.T) {
	tests := []struct {
		name       string
		handler    migrateHandler
		wantErr    error
		wantType   event.Type
		wantReason string
	}{
		{name: "migrated", handler: legacyUser, wantType: event.UserMigrated},
		{name: "unknown user or wrong password: the handler's error", wantErr: errBadPassword, wantType: event.MigrationFailed, wantReason: "rejected",
			handler: func(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
				return ev, errBadPassword
			}},
		{name: "no error, no attributes", wantType: event.MigrationFailed, wantReason: "no_attributes",
			handler: func(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
				ev.FinalUserStatus = "CONFIRMED"
				return ev, nil
			}},
		{name: "the legacy directory timed out", wantErr: context.DeadlineExceeded, wantType: event.MigrationFailed, wantReason: "timeout",
			handler: func(ctx context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
				ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
				defer cancel()
				<-ctx.Done()
				return ev, ctx.Err()
			}},
		{name: "answered after Cognito stopped waiting", wantType: event.MigrationFailed, wantReason: "timeout",
			handler: func(ctx context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
				time.Sleep(CognitoWait)
				return legacyUser(ctx, ev)
			}},
	}
	for _, source := range []string{"UserMigration_Authentication", "UserMigration_ForgotPassword"} {
		for _, tc := range tests {
			t.Run(source+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { // the late answer in fake time
					m, rec, emfOut, logs := testMiddleware(t)
					var spilled syncBuffer // past the budget, the event goes to the log
					m.migration.SetEventLog(&spilled)
					in := wrapFixture[events.CognitoEventUserPoolsMigrateUser](t, source+".json")
					want, wantErr := tc.handler(t.Context(), in)
					out, err := WrapWith(m, tc.handler)(t.Context(), in)
					require.ErrorIs(t, err, tc.wantErr)
					if tc.wantErr == nil {
						require.NoError(t, err)
					}
					require.Equal(t, wantErr, err, "the handler's error as it is")
					require.Equal(t, want, out, "the handler's answer as it is")

					evs := rec.events(t)
					for _, line := range spilled.Lines() {
						e, _, err := event.ParseLogLine([]byte(line))
						require.NoError(t, err)
						evs = append(evs, e)
					}
					require.Len(t, evs, 1)
					e := evs[0]
					require.Equal(t, tc.wantType, e.Type)
					require.Equal(t, tc.wantReason, e.Data.Reason)
					require.Equal(t, source, e.Data.TriggerSource)
					require.Equal(t, "4example7clientid", e.Data.ClientID)
					require.Empty(t, e.Subject, "not in the pool yet: no sub")
					if tc.wantType == event.UserMigrated {
						require.Equal(t, "example.org", e.Data.EmailDomain, "from the attributes the handler returned")
						require.Equal(t, HashEmail(testKey, "jane.doe@example.org"), e.Data.EmailHash)
					}

					lines := emfOut.Lines()
					require.Len(t, lines, 1, "one EMF line")
					doc := decodeEMF(t, lines[0])
					if tc.wantType == event.UserMigrated {
						require.Equal(t, 1.0, doc.num(t, "UsersMigrated"))
						require.False(t, doc.has("MigrationFailures"))
						require.Equal(t, [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}, {"UserPoolId", "TriggerSource"}}, doc.dims(t, "UsersMigrated"))
					} else {
						require.Equal(t, 1.0, doc.num(t, "MigrationFailures"))
						require.False(t, doc.has("UsersMigrated"))
						require.Equal(t, tc.wantReason, doc.raw["Reason"])
						require.Equal(t, [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}, {"UserPoolId", "TriggerSource"}, {"UserPoolId", "Reason"}},
							doc.dims(t, "MigrationFailures"))
					}
					require.Equal(t, source, doc.raw["TriggerSource"])
					require.NotContains(t, logs.String()+emfOut.String(), "Bad password", "the handler's error text is not logged")
				})
			})
		}
	}
}

// TestWrapMigrationPanic: a handler that panics is a crash, not an unknown
// user: it is counted as such, and the panic goes on unrecovered, so the
// runtime reports it as it would without cogwatch.
func TestWrapMigrationPanic(t *testing.T) {
	m, rec, emfOut, _ := testMiddleware(t)
	h := WrapWith(m, func(context.Context, events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
		panic("legacy directory driver: nil pointer")
	})
	in := wrapFixture[events.CognitoEventUserPoolsMigrateUser](t, "UserMigration_Authentication.json")
	require.PanicsWithValue(t, "legacy directory driver: nil pointer", func() { _, _ = h(t.Context(), in) })
	evs := rec.events(t)
	require.Len(t, evs, 1)
	require.Equal(t, event.MigrationFailed, evs[0].Type)
	require.Equal(t, "panic", evs[0].Data.Reason)
	lines := emfOut.Lines()
	require.Len(t, lines, 1)
	doc := decodeEMF(t, lines[0])
	require.Equal(t, 1.0, doc.num(t, "MigrationFailures"))
	require.Equal(t, "panic", doc.raw["Reason"])
}

// TestWrapMigrationOtherSource: a trigger source that is not a migration's
// gets the handler's answer, and nothing is counted or published.
func TestWrapMigrationOtherSource(t *testing.T) {
	m, rec, emfOut, _ := testMiddleware(t)
	in := wrapFixture[events.CognitoEventUserPoolsMigrateUser](t, "UserMigration_Authentication.json")
	in.TriggerSource = "UserMigration_SomethingNew"
	out, err := WrapWith(m, legacyUser)(t.Context(), in)
	require.NoError(t, err)
	require.Equal(t, "CONFIRMED", out.FinalUserStatus)
	require.Empty(t, rec.events(t))
	lines := emfOut.Lines()
	require.Len(t, lines, 1)
	doc := decodeEMF(t, lines[0])
	require.False(t, doc.has("UsersMigrated"))
	require.False(t, doc.has("MigrationFailures"))
}

// TestMiddlewareEventLog: with the log sink, the middleware writes its event
// lines where it writes EMF and logs (NewMiddleware's stdout), as the
// triggers' FromEnv constructors do, for the log forwarder's subscription
// to find them; none on the process's own stdout.
func TestMiddlewareEventLog(t *testing.T) {
	env := map[string]string{"COGWATCH_EVENT_SINK": "log", "USER_EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:user-events"}
	var out syncBuffer
	m, err := NewMiddleware(t.Context(), func(k string) string { return env[k] }, &out)
	require.NoError(t, err)

	migrate := WrapWith(m, legacyUser)
	ev := wrapFixture[events.CognitoEventUserPoolsMigrateUser](t, "UserMigration_Authentication.json")
	_, err = migrate(t.Context(), ev)
	require.NoError(t, err)
	signUp := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
		return ev, nil
	})
	var pre events.CognitoEventUserPoolsPreSignup
	pre.TriggerSource, pre.Region, pre.UserPoolID = "PreSignUp_SignUp", "eu-west-1", "eu-west-1_AbC"
	pre.Request.UserAttributes = map[string]string{"email": "alice@example.com"}
	_, err = signUp(t.Context(), pre)
	require.NoError(t, err)

	var types []event.Type
	for line := range strings.Lines(out.String()) {
		var doc struct {
			Cogwatch string      `json:"cogwatch"`
			Event    event.Event `json:"event"`
		}
		if json.Unmarshal([]byte(line), &doc) == nil && doc.Cogwatch == "event" {
			types = append(types, doc.Event.Type)
		}
	}
	require.Equal(t, []event.Type{event.UserMigrated, event.SignUpAccepted}, types)
}
