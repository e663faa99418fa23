package local

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/triggers"
)

// UserMigrationFunction is the demo user migration function: not one of
// cogwatch's (a migration is the adopter's logic, and the template has
// none), but an adopter's handler wrapped in cogwatch's middleware, as an
// adopter's main would wrap it, so that the local stack runs the migration
// journey.
const UserMigrationFunction = "UserMigrationFunction"

func init() { builders = append(builders, (*Stack).migrationFunctions) }

// LegacyDirectory is a stand-in for an adopter's old user directory, which
// the demo migration function looks users up in: user names with their
// password and email address, in memory only. The simulation fills it
// (simulate.Options.Directory). Nothing here logs what it holds. It is safe
// for concurrent use.
type LegacyDirectory struct {
	mu    sync.RWMutex
	users map[string]legacyUser
}

type legacyUser struct{ password, email string }

// Add records a user of the old directory.
func (d *LegacyDirectory) Add(username, password, email string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.users == nil {
		d.users = map[string]legacyUser{}
	}
	d.users[username] = legacyUser{password: password, email: email}
}

// Len returns how many users the directory holds.
func (d *LegacyDirectory) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.users)
}

func (d *LegacyDirectory) lookup(username string) (legacyUser, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, ok := d.users[username]
	return u, ok
}

// errNoMigration is the demo handler's answer to a user it cannot bring
// in: as in the AWS documentation's example, an error, the only way a
// migration function says no. Its text names neither the user nor why
// (unknown or wrong password), as a sign-in error should not.
//
//lint:ignore ST1005 Cognito shows the text to the user as the function's error.
var errNoMigration = errors.New("Bad password")

// migrate is the adopter-style handler: it brings a user of the old
// directory into the pool, confirmed, with a verified email address and no
// welcome message. On UserMigration_Authentication the password must match;
// on UserMigration_ForgotPassword (which carries none) the user need only
// exist.
func (d *LegacyDirectory) migrate(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
	u, ok := d.lookup(ev.UserName)
	if !ok {
		return ev, errNoMigration
	}
	if ev.TriggerSource != triggers.UserMigrationForgotPassword &&
		subtle.ConstantTimeCompare([]byte(u.password), []byte(ev.CognitoEventUserPoolsMigrateUserRequest.Password)) != 1 {
		return ev, errNoMigration
	}
	r := &ev.CognitoEventUserPoolsMigrateUserResponse
	r.UserAttributes = map[string]string{"email": u.email, "email_verified": "true"}
	r.FinalUserStatus = "CONFIRMED"
	r.MessageAction = "SUPPRESS"
	return ev, nil
}

// Legacy returns the old user directory the stack's demo migration
// function looks users up in.
func (s *Stack) Legacy() *LegacyDirectory { return s.legacy }

// migrationFunctions builds the demo migration function: the directory's
// handler wrapped by triggers.WrapWith, with the middleware configured as
// the triggers are (NewMiddleware from their environment), logging and
// writing EMF to its own log, subscribed to the log forwarder as theirs are.
func (s *Stack) migrationFunctions() ([]lambdahost.Function, error) {
	w, err := s.functionLog(UserMigrationFunction)
	if err != nil {
		return nil, err
	}
	w = s.subscribed(UserMigrationFunction, w)
	getenv, dir := s.env(s.triggerEnv()), s.legacy
	return []lambdahost.Function{{
		Name:    UserMigrationFunction,
		Timeout: triggerTimeout,
		New: func(ctx context.Context) (lambda.Handler, error) {
			m, err := triggers.NewMiddleware(ctx, getenv, w)
			if err != nil {
				return nil, err
			}
			return lambda.NewHandler(triggers.WrapWith(m, dir.migrate)), nil
		},
	}}, nil
}
