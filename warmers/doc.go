// Package warmers keeps Lambda functions warm, and says how warm they really are.
//
// A Warmer invokes each target N times at once with the warm-up payload of
// package warmup, asking every invocation to hold until one shared moment, so
// that all N are in flight together and Lambda must route them to N distinct
// execution environments. It counts the distinct instance ids that answered
// (unlike warmers that assume the fan-out worked), how many were cold, the
// errors and the slowest latency, and reports them per target as EMF metrics
// (catalog.WarmupInstances, WarmupColdInstances, WarmupErrors, WarmupLatency
// with dimension FunctionName) and one summary log line.
//
// Targets are named in the input or the environment, or found in a user
// pool's Lambda configuration, so the warmer warms exactly what Cognito calls.
// A slow or failing target never holds up the others, and the round ends
// before the Warmer's own deadline whatever the targets do.
//
// cmd/warmer runs it on an EventBridge Scheduler schedule; `cogwatch warm`
// runs the same fan-out from an operator's machine. The protocol every
// warmable function honours lives in warmers/warmup.
package warmers
