// Package awsretry is cogwatch's one policy for calls to AWS: which
// failures are worth another attempt, and how long to wait before it,
// without ever sleeping into the time a handler keeps back to answer.
//
// The failures come from the SDK's own checks (aws/retry.DefaultRetryables:
// its throttling and timeout codes, 5xx statuses, an unmodelled 429,
// connection errors) plus the transient codes it leaves to each service
// (InternalFailure, ServiceUnavailable, SNS's Throttled and KMSThrottling,
// …) and any error that says it is the server's fault. A code is the only
// thing looked at, never a message.
//
// The wait is full-jitter exponential backoff (a random wait up to
// Base·2ⁿ, at most Max), the formula of the SDK's standard retryer with
// a base of our choosing: a trigger has 50 milliseconds to spare, not the
// SDK's one second. What is ours is the deadline: Do never starts a wait
// that would end after its context's deadline, and WithReserve ends that
// context a Reserve before the invocation's, so the handler still answers
// Lambda or CloudFormation with what it could not do.
//
// It is not the SDK's retryer: that one runs inside a call and knows
// nothing of the invocation's deadline; callers keep its attempts low (or
// at one) and let Do retry.
package awsretry
