package triggers

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// User migration trigger sources: why Cognito asks the adopter's function
// for a user it does not have.
const (
	UserMigrationAuthentication = "UserMigration_Authentication"
	UserMigrationForgotPassword = "UserMigration_ForgotPassword"
)

// MigrationSources lists the user migration trigger sources cogwatch counts;
// the TriggerSource dimension of UsersMigrated and MigrationFailures takes
// no other value.
var MigrationSources = []string{UserMigrationAuthentication, UserMigrationForgotPassword}

// CognitoWait is how long Cognito waits for a trigger's answer: a handler
// that answers later has failed the user whatever it returns.
const CognitoWait = 5 * time.Second

// migration observes an adopter's user migration handler through the
// middleware: cogwatch has no migration logic of its own, the handler
// decides. It counts a migrated user when the handler returns no error and
// user attributes (which Cognito requires), and a failure otherwise, by
// reason (event.ReasonMigration*). It never reads the password or the user
// name, and never logs the handler's error, whose text may echo either.
type migration struct{ base }

// handle runs call, the adopter's handler, and counts and publishes what it
// answered. A panic of the handler is counted (ReasonMigrationPanic) and
// goes on as it was, unrecovered: the runtime reports it as it would
// without cogwatch.
func (m *migration) handle(ctx context.Context, ev events.CognitoEventUserPoolsMigrateUser, call func() (events.CognitoEventUserPoolsMigrateUser, error)) error {
	h := header{TriggerSource: ev.TriggerSource, Region: ev.Region, UserPoolID: ev.UserPoolID, ClientID: ev.CallerContext.ClientID}
	inv := m.begin(ctx, h, user{}) // the user is not in the pool yet: no sub, no attributes
	if !slices.Contains(MigrationSources, h.TriggerSource) {
		_, err := call()
		inv.unknown()
		return err
	}
	inv.m.SetDimension(catalog.DimTriggerSource, h.TriggerSource)
	answered := false
	defer func() {
		if !answered { // the handler panicked (or called runtime.Goexit)
			m.failed(inv, event.ReasonMigrationPanic)
		}
	}()
	t0 := time.Now()
	out, err := call()
	answered = true
	switch {
	case err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || time.Since(t0) >= CognitoWait):
		m.failed(inv, event.ReasonMigrationTimeout)
	case err != nil:
		m.failed(inv, event.ReasonMigrationRejected)
	case len(out.CognitoEventUserPoolsMigrateUserResponse.UserAttributes) == 0:
		m.failed(inv, event.ReasonMigrationNoAttributes)
	case time.Since(t0) >= CognitoWait:
		m.failed(inv, event.ReasonMigrationTimeout)
	default:
		email := out.CognitoEventUserPoolsMigrateUserResponse.UserAttributes["email"]
		inv.user.Email, inv.email = email, Email(email)
		_ = inv.m.PutWithDimensions(catalog.UsersMigrated, 1, emf.Count, catalog.MigrationSets...)
		inv.publishEvent(event.UserMigrated, inv.data())
		inv.finish(string(event.UserMigrated), slog.String("finalUserStatus", out.CognitoEventUserPoolsMigrateUserResponse.FinalUserStatus))
	}
	return err
}

// failed counts, publishes and logs a failed migration.
func (m *migration) failed(inv *invocation, reason string) {
	inv.m.SetDimension(catalog.DimReason, reason)
	_ = inv.m.PutWithDimensions(catalog.MigrationFailures, 1, emf.Count, catalog.MigrationFailureSets...)
	d := inv.data()
	d.Reason = reason
	inv.publishEvent(event.MigrationFailed, d)
	inv.finish(string(event.MigrationFailed), slog.String("reason", reason))
}
