// Package recording stands in for an AWS call where no emulator serves it: it
// writes each call's input as one JSON line and reads such lines back. The
// local stack records the consumers' PutMetricData and PutEvents calls this
// way.
//
// It is internal to consumers/: the CloudWatch and EventBridge consumers'
// RecordTo and Summarize use it; nothing else should.
package recording
