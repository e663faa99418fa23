// Package cloudwatch is the CloudWatch consumer of the user-event topic: an
// SQS-triggered Lambda handler that turns a batch of user events into the
// fewest PutMetricData calls.
//
// # What it writes
//
// For each event, the count metric of its type (catalog.ForEvent) and
// TriggerLatency (from data.latencyMs, rounded to whole milliseconds), each
// with the dimension sets [UserPoolId] and, when the event names an app
// client, [UserPoolId, ClientId]; SignUpRejected also gets
// [UserPoolId, Reason]. These are the names and dimensions the triggers' EMF
// lines use (internal/catalog), so one dashboard reads both.
//
// They go to catalog.DeliveredNamespace ("Cogwatch/Delivered") by default, or
// COGWATCH_DELIVERED_NAMESPACE, never to catalog.Namespace: the triggers'
// EMF already writes the same names there, so writing them again would count
// every event twice. Kept apart, the two namespaces compare: the trigger's
// count minus the delivered count is the events lost between a trigger and
// this subscriber.
//
// # Aggregation
//
// Samples are grouped by metric, dimension set and one-minute bucket of the
// event's own time (not the time of delivery), and sent as Values/Counts
// arrays: a count metric is one datum per group whatever the number of
// events, a latency group needs one datum per 150 distinct values. The SDK's
// client speaks Smithy RPC v2 CBOR; size.go computes a body's size exactly as
// that serializer writes it, and a test checks the figure against the body
// the real client sends. A batch of 10,000 events from a few pools and
// clients costs one call.
//
// # Packing: no message in two calls
//
// Every datum an event contributes to has the same one-minute bucket and
// user pool, so the datums of a (minute, pool) group are exactly those of
// its messages. Groups are packed whole into calls of at most 1000 datums
// and MaxRequestBytes of body (first fit, largest first). A group larger
// than one call alone (many app clients in one pool's minute) is split by
// its messages, never by its datums: each part is aggregated again into
// datums of its own, [UserPoolId] ones included. So every message's samples
// travel in exactly one call, and a call that fails fails exactly the
// messages whose samples it carried: on redelivery each event counts once.
//
// # Failures, and nothing else
//
// The handler answers with batch item failures (ReportBatchItemFailures must
// be on in the event source mapping) for exactly these messages:
//   - undecodable: not an SNS envelope of a valid event nor a valid raw event;
//   - not storable: an event time CloudWatch would refuse (older than two
//     weeks or more than two hours ahead, less a ten-minute margin each), a
//     dimension value CloudWatch would refuse, or a latency out of range.
//     Such an event is not dropped silently nor re-stamped to "now" (which
//     would put it in the wrong minute): it is logged with its reason and left
//     to SQS, so a future-dated event is stored once its time comes within
//     range and a stale one reaches the queue's dead-letter queue;
//   - stored in a call that failed: a call that fails with an error code that
//     is not throttling, or is still throttled when the invocation's deadline
//     (less a reserve to answer Lambda) comes. Every message whose samples
//     that call carried fails, so SQS redelivers it; none of its samples was
//     stored by another call (see Packing), so it counts once;
//   - too large: an event whose own datums exceed one call, which only
//     limits lowered below the service's (Config, in tests) can cause.
//
// Throttling (and transient service failures) are recognised by the AWS error
// code, never by message text, and retried with full-jitter exponential
// backoff inside the invocation's deadline. The SDK client's own retries are
// off, so the handler alone decides how long to try.
//
// # Duplicates
//
// A user event that appears twice in a batch counts once. Duplicates are
// recognised by the CloudEvents id (event.Event.ID), not by the SNS
// MessageId: SNS delivers at least once (the same SNS MessageId under two SQS
// messages), a trigger that retries its Publish after a lost response makes
// two SNS messages with different MessageIds for one event, and raw message
// delivery carries no MessageId at all. The event id is the same in all
// three cases. Duplicates across batches are not detected: that would need
// state shared between invocations.
//
// See https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
package cloudwatch
