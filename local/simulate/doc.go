// Package simulate drives simulated user traffic through a real Cognito API:
// sign-ups with valid, disposable and invalid email addresses, confirmations,
// and sign-ins with right and wrong passwords.
//
// It is what `cogwatch simulate` and `cogwatch local --simulate` run, against
// cognito-local or a real user pool. Run returns exact counts of what was
// done and how Cognito answered, so a caller can compare them with what the
// triggers, SNS and the consumers saw at every stage.
//
// The plan (how many users of each kind, who types a wrong password first)
// follows from the seed alone; the run id only makes the addresses unique, so
// repeated runs against one pool never collide. No email address is ever
// logged or reported: results name domains only.
//
// It is not a load tester: concurrency is bounded and small by default, and
// every call has its own deadline. See
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_SignUp.html
package simulate
