// Package eventbridge is the EventBridge consumer of the user-event topic: an
// SQS-triggered Lambda handler that forwards each user event to an event bus,
// where rules route it (to Step Functions, API destinations, other accounts…).
//
// Each event becomes one PutEvents entry: source "cogwatch", detail-type the
// event type (for example "cogwatch.signup.rejected"), detail the event's
// CloudEvents JSON, time the event's own time, on the bus named by
// COGWATCH_EVENT_BUS_NAME (a name or an ARN; "default" when unset). A rule
// matches, say, {"source":["cogwatch"],"detail-type":["cogwatch.signup.rejected"],
// "detail":{"data":{"reason":["disposable_domain"]}}}.
//
// Entries are sent in PutEvents calls of at most 10 entries and less than
// 256 KiB, the entry size computed as EventBridge documents it (14 bytes for
// Time, plus the UTF-8 bytes of Source, DetailType and Detail).
//
// The handler answers with batch item failures (ReportBatchItemFailures must
// be on) for exactly the messages that could not be decoded and those whose
// entry EventBridge did not accept: a whole call that failed, or an entry the
// response marks with an ErrorCode. Throttled whole calls, and entries
// failed with a throttling or internal-failure code, are retried (only those
// entries) with full-jitter exponential backoff inside the invocation's
// deadline, less a reserve to answer Lambda in time; the SDK client's own
// retries are off. Errors are classified by code, never by message text.
//
// A user event that appears twice in a batch (the same CloudEvents id: SNS
// redelivery, a trigger's publish retry, or raw delivery) is forwarded once.
//
// See https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
// and https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
package eventbridge
