// Package logforwarder is the log forwarder: a Lambda handler, subscribed to
// the triggers' log groups by a CloudWatch Logs subscription filter, that
// publishes the user events it finds in their log lines to the user-event
// topic.
//
// The triggers write an event to their log instead of SNS when their event
// sink is the log (COGWATCH_EVENT_SINK=log: no network call on the sign-in
// path), and when the SNS sink could not publish one (the circuit breaker is
// open, or the publish failed or ran out of time). Those lines are
// {"cogwatch":"event",…} (see event.AppendLogLine); the subscription filter
// pattern event.LogFilterPattern selects them.
//
// Each invocation receives what CloudWatch Logs sends a Lambda subscriber:
// gzip-compressed, base64-encoded JSON (events.CloudwatchLogsEvent, decoded
// with its Parse). Events are published with PublishBatch, up to 10 per call,
// with the message body and message attributes the SNS sink would have used
// and the same CloudEvents id, so subscribers cannot tell the two apart and
// drop duplicates by id. Entries that fail with a throttling or server code,
// and throttled calls, are retried with backoff inside the invocation's
// deadline; the SDK's own retries are off. Lines of other kinds (EMF, logs)
// are ignored; a line that says it is a user event but cannot be read is
// refused (its reason is logged, never its content).
//
// Nothing is dropped silently: when an event still could not be published,
// or a line or the whole payload was refused, Handle returns an error after
// publishing everything else. CloudWatch Logs invokes the function
// asynchronously, so Lambda retries the whole payload (up to the function's
// MaximumRetryAttempts, 2 by default) and then sends it to the function's
// on-failure destination or dead-letter queue, where it can be inspected and
// replayed. A retry publishes the payload's other events again, with their
// ids: consumers count them once.
//
// See https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample
// and https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html
package logforwarder
