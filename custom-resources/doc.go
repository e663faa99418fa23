// Package customresources is a runtime for AWS CloudFormation custom resources
// backed by Lambda that always answers CloudFormation, exactly once.
//
// CloudFormation waits for a PUT to the pre-signed ResponseURL of every event
// it sends; a resource that never answers leaves its stack stuck until the
// resource's ServiceTimeout (an hour by default). aws-lambda-go's
// cfn.LambdaWrap answers on success, error and panic, with one attempt, no
// timeout and no size guard. Runtime answers in every case:
//
//   - success and error of the resource's Func;
//   - a panic in it (FAILED, stack trace in the log);
//   - an event or properties it cannot decode (FAILED with the reason);
//   - a Func still running near the Lambda deadline: a watchdog answers FAILED
//     before the deadline, keeping a margin for the PUT itself;
//
// and it PUTs the answer with retries and backoff while time remains, giving
// up a reserve before the Lambda deadline however the ResponseURL behaves,
// keeps the body under CloudFormation's 4,096-byte limit by trimming the
// Reason (never the required fields), and never returns an error once it has
// answered, because CloudFormation invokes asynchronously and an error would
// make Lambda run the handler again.
//
// A Create that fails gets a marker physical id (FailedCreateID), so the
// Delete that CloudFormation sends while rolling back succeeds without calling
// the resource at all.
//
// Resource properties arrive as strings ("30", "true"): DecodeProperties
// decodes them into typed structs with errors that name the property. An
// Update's old properties decode leniently (DecodeOldProperties): on an
// update rollback they are the ones the resource refused.
//
// Package cfntest plays CloudFormation's side in tests: the event sequences
// of a stack's life, rollbacks included.
//
// It reuses aws-lambda-go's cfn.Event and cfn.Response types. See
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
package customresources
