// Package faults is cogwatch's fault-injection suite; it holds tests only
// (go test ./local/faults, run by make test and make test-faults).
//
// It breaks what each part depends on and checks the part's promise:
//   - SNS slow, refusing, throttling (the Query protocol's Throttling error)
//     or answering 5xx: every trigger, built from its environment as in
//     Lambda with the real SDK client, answers Cognito inside its budget,
//     lets the user through, and counts the failure in its EMF line;
//   - CloudWatch or EventBridge throttling, or failing some calls or some
//     entries: the consumers report exactly the affected messages as batch
//     item failures, and after those are redelivered the totals are exact;
//   - the exporter's SNS listener down in the middle of a stream, then
//     restarted: with SNS's retries, nothing is lost and nothing counts twice.
//   - SNS hanging in the middle of a simulated run of the whole local stack,
//     then back: with the log forwarder deployed, the events the triggers'
//     breakers skipped reach every consumer from the logs, none lost; with
//     the log sink, the triggers make no call to SNS and nothing is lost.
//
// Each test logs the faults it injected and the events it checked, and the
// suite ends with a summary line.
package faults
