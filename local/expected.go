package local

import (
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// RejectedByTrigger counts the sign-ups of r that the pre sign-up trigger
// rejected: Cognito answers UserLambdaValidationException for them.
func RejectedByTrigger(r *simulate.Result) int {
	n := 0
	for _, s := range r.SignUp {
		n += s.Failed["UserLambdaValidationException"]
	}
	return n
}

// Migrated counts the legacy users of r the migration function brought in:
// their first sign-in, which called it, succeeded (a wrong password accepted
// would be one too, and unexpected).
func Migrated(r *simulate.Result) int {
	return r.MigrateRight.Succeeded + r.MigrateWrong.Succeeded + r.MigrateUnknown.Succeeded
}

// MigrationsFailed counts the legacy sign-ins of r whose migration failed:
// cognito-local answers NotAuthorizedException when the migration function
// fails (on AWS, UserNotFoundException or, with user existence errors
// prevented, NotAuthorizedException).
func MigrationsFailed(r *simulate.Result) int {
	return r.MigrateWrong.Failed["NotAuthorizedException"] + r.MigrateUnknown.Failed["NotAuthorizedException"] +
		r.MigrateRight.Failed["NotAuthorizedException"]
}

// Expected returns the user events a simulation's calls cause in the local
// stack, by type, from what cognito-local 5.3.0 calls the triggers for: pre
// sign-up for each sign-up that reaches it; post confirmation for each
// confirmation and confirmed password reset; post authentication (never pre
// authentication) for each successful sign-in; pre token generation for
// each sign-in and refresh; custom message for each accepted sign-up (the
// pool verifies email addresses) and forgotten password; user migration
// for each sign-in of a user the pool does not have, migrated or failed.
// A migrated user's first sign-in goes on as any other: post
// authentication and pre token generation (no post confirmation, and no
// message: the demo function suppresses it). Types with no event are left
// out.
func Expected(r *simulate.Result) map[event.Type]int {
	want := map[event.Type]int{
		event.SignUpAccepted:  r.Accepted(),
		event.SignUpRejected:  RejectedByTrigger(r),
		event.UserConfirmed:   r.Confirm.Succeeded,
		event.PasswordReset:   r.ConfirmForgotPassword.Succeeded,
		event.SignInSucceeded: r.SignInRight.Succeeded + r.SignInWrong.Succeeded + Migrated(r),
		event.TokenIssued:     r.SignInRight.Succeeded + r.SignInWrong.Succeeded + Migrated(r) + r.Refresh.Succeeded,
		event.CodeSent:        r.Accepted() + r.ForgotPassword.Succeeded,
		event.UserMigrated:    Migrated(r),
		event.MigrationFailed: MigrationsFailed(r),
	}
	for t, n := range want {
		if n == 0 {
			delete(want, t)
		}
	}
	return want
}
