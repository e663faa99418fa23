package triggers

import (
	"context"
	"io"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/internal/logging"
)

// Event is a Cognito event type whose handler Wrap takes: the trigger
// sources cogwatch's triggers handle, and the user migration and custom
// auth challenge triggers, which only the adopter's handler can answer.
type Event interface {
	events.CognitoEventUserPoolsPreSignup |
		events.CognitoEventUserPoolsPreAuthentication |
		events.CognitoEventUserPoolsPostAuthentication |
		events.CognitoEventUserPoolsPostConfirmation |
		events.CognitoEventUserPoolsMigrateUser |
		events.CognitoEventUserPoolsDefineAuthChallenge |
		events.CognitoEventUserPoolsCreateAuthChallenge |
		events.CognitoEventUserPoolsVerifyAuthChallenge
}

// Middleware runs cogwatch around an adopter's own trigger handlers, in
// their own function: for each invocation, cogwatch's trigger does its work
// (pre sign-up: its checks; a sign-up it rejects never reaches the handler),
// calls the handler with the invocation's context and the event, then
// counts, publishes and writes EMF for what the user got, and returns the
// handler's response and error as they are. Around a user migration or
// custom auth challenge handler it only observes: the handler decides, and
// cogwatch counts users migrated and failures, challenges issued, passed and
// failed (docs/triggers.md). It is safe for concurrent use.
type Middleware struct {
	pre        *PreSignUp
	auth       *Authentication
	post       *PostConfirmation
	migration  *migration
	challenges *challenges
}

// NewMiddleware builds the middleware from getenv as the triggers are built
// (LoadConfig; COGWATCH_CHAIN_* do not apply: the handler is the pool's own
// logic), logging and writing EMF to stdout (nil discards).
func NewMiddleware(ctx context.Context, getenv func(string) string, stdout io.Writer) (*Middleware, error) {
	d, err := fromEnv(ctx, getenv, stdout)
	if err != nil {
		return nil, err
	}
	m := &Middleware{
		pre:        NewPreSignUp(d.cfg, d.publish, d.metrics, d.log),
		auth:       NewAuthentication(d.cfg, d.publish, d.metrics, d.log),
		post:       NewPostConfirmation(d.cfg, d.publish, d.metrics, d.log),
		migration:  &migration{newBase(d.cfg, d.publish, d.metrics, d.log)},
		challenges: &challenges{base: newBase(d.cfg, d.publish, d.metrics, d.log)},
	}
	// Event lines (the log sink's, and what the SNS sink skipped) go where
	// the EMF lines go, as the triggers' FromEnv constructors send them: a
	// host that gives another writer than os.Stdout must find them there.
	for _, b := range []*base{&m.pre.base, &m.auth.base, &m.post.base, &m.migration.base, &m.challenges.base} {
		b.SetEventLog(d.stdout)
	}
	return m, nil
}

// defaultMiddleware is Wrap's, built once from the process's environment.
var defaultMiddleware = sync.OnceValue(func() *Middleware {
	return middlewareOrNil(context.Background(), os.Getenv, os.Stdout)
})

// middlewareOrNil returns the middleware, or nil after logging why it
// could not be built.
func middlewareOrNil(ctx context.Context, getenv func(string) string, stdout io.Writer) *Middleware {
	m, err := NewMiddleware(ctx, getenv, stdout)
	if err != nil {
		logging.New(stdout, getenv).ErrorContext(ctx, "cogwatch is off: the handler runs without it", "err", err)
		return nil
	}
	return m
}

// Wrap returns handler with cogwatch around it (see Middleware), configured
// from the function's environment once, on first use. Adopting cogwatch in
// a Go trigger is then one changed line of its main:
//
//	lambda.Start(triggers.Wrap(handler))
//
// A configuration cogwatch cannot use is logged and leaves handler as it is:
// cogwatch never breaks the adopter's trigger.
func Wrap[E Event](handler func(context.Context, E) (E, error)) func(context.Context, E) (E, error) {
	return WrapWith(defaultMiddleware(), handler)
}

// WrapWith is Wrap with the middleware m; a nil m returns handler as it is.
func WrapWith[E Event](m *Middleware, handler func(context.Context, E) (E, error)) func(context.Context, E) (E, error) {
	if m == nil {
		return handler
	}
	return func(ctx context.Context, ev E) (E, error) {
		out := ev
		n := func(*invocation) error {
			var err error
			out, err = handler(ctx, ev)
			return err
		}
		var err error
		switch e := any(ev).(type) {
		case events.CognitoEventUserPoolsPreSignup:
			h, u := fromEvents(e.CognitoEventUserPoolsHeader, e.Request.UserAttributes)
			err = m.pre.handle(ctx, h, u, n)
		case events.CognitoEventUserPoolsPreAuthentication:
			h, u := fromEvents(e.CognitoEventUserPoolsHeader, e.Request.UserAttributes)
			err = m.auth.handle(ctx, h, u, n)
		case events.CognitoEventUserPoolsPostAuthentication:
			h, u := fromEvents(e.CognitoEventUserPoolsHeader, e.Request.UserAttributes)
			err = m.auth.handle(ctx, h, u, n)
		case events.CognitoEventUserPoolsPostConfirmation:
			h, u := fromEvents(e.CognitoEventUserPoolsHeader, e.Request.UserAttributes)
			err = m.post.handle(ctx, h, u, n)
		case events.CognitoEventUserPoolsMigrateUser:
			err = m.migration.handle(ctx, e, func() (events.CognitoEventUserPoolsMigrateUser, error) {
				err := n(nil)
				return any(out).(events.CognitoEventUserPoolsMigrateUser), err
			})
		case events.CognitoEventUserPoolsDefineAuthChallenge:
			err = m.challenges.define(ctx, e, func() error { return n(nil) })
		case events.CognitoEventUserPoolsCreateAuthChallenge:
			err = m.challenges.create(ctx, e, func() (events.CognitoEventUserPoolsCreateAuthChallenge, error) {
				err := n(nil)
				return any(out).(events.CognitoEventUserPoolsCreateAuthChallenge), err
			})
		case events.CognitoEventUserPoolsVerifyAuthChallenge:
			err = m.challenges.verify(ctx, e, func() error { return n(nil) })
		}
		return out, err
	}
}
