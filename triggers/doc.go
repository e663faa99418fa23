// Package triggers holds cogwatch's Cognito Lambda triggers: pre sign-up
// (PreSignUp), pre and post authentication in one function (Authentication),
// post confirmation (PostConfirmation), pre token generation
// (PreTokenGeneration) and custom message (CustomMessage).
//
// Every trigger does its Cognito job, writes one Embedded Metric Format line
// per invocation (see package emf), and sends one user event (see package
// event) to its sink. With the SNS sink it publishes within its time budget,
// failing open: a publish that fails or runs out of time is logged, counted
// in PublishFailures and written to the log as an event line (see
// event.AppendLogLine) for the log forwarder, and the user gets through; a
// per-instance circuit breaker stops calling a failing SNS for a cool-down
// (PublishSkipped). With the log sink the event line is all it writes: no
// network call. Only pre sign-up may reject a user, and only with a
// Rejection, whose text Cognito shows.
//
// Each trigger answers with the event it received, byte for byte (its
// response fields keep what Cognito sent), so unknown fields survive. It
// stops publishing Reserve before the invocation's deadline, whatever the
// budget, so that it answers before the deadline (an answer at the deadline
// is a timeout). It decodes only
// the fields it uses, so other fields may hold any JSON; an event whose
// fields it uses cannot be read is answered unchanged, logged (field and
// kind, never the value) and counted in EventDecodeFailures.
// Email addresses never reach logs: see Email.
//
// On a user pool cogwatch adopts, a trigger can chain the pool's own function
// of the slot (SetChain, Config.Chain; every slot of ChainSlots): it calls it
// after its own work with the same payload, within the budget and deadline
// rules of publishing, and answers with that function's response (its
// claims, its message) or error. Wrap does the same around an adopter's own
// Go handler, in its own function; around a user migration or custom auth
// challenge handler, which only the adopter can answer, it observes only
// (users migrated and failed, challenges issued, passed and failed), never
// reading the password, the challenge's parameters or the answer.
//
// The *FromEnv functions build a trigger from the environment exactly as its
// Lambda's main does, for the local Lambda host too. See
// https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html
package triggers
