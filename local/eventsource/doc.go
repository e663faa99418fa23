// Package eventsource polls SQS queues and invokes a function with batches of
// messages, as Lambda's SQS event-source mappings do, for cogwatch's local
// stack (the queues are goaws').
//
// A Poller honours what the consumers rely on: batch size and batching window;
// deletion of the messages of a successful batch only; ReportBatchItemFailures
// (only the listed messages stay, and a malformed response fails the whole
// batch); a failed batch stays in the queue until the queue's visibility
// timeout makes it visible again; and redrive to a dead-letter queue after
// MaxReceiveCount receives.
//
// goaws v0.4.4 moves a message to its RedrivePolicy's dead-letter queue only
// after maxReceiveCount+1 receives and always reports ApproximateReceiveCount
// 1, so the Poller counts receives itself (it is the queue's only consumer)
// and redrives exactly as SQS does: a message received more than
// MaxReceiveCount times goes to the DLQ instead of to the function. Set no
// RedrivePolicy on goaws queues the Poller redrives.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html.
package eventsource
