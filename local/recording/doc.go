// Package recording stands in for an AWS call where no emulator serves it: it
// writes each call's input as one JSON line and reads such lines back. The
// local stack records the consumers' PutMetricData and PutEvents calls this
// way.
//
// PutMetricData and PutEvents take the place of the consumers' CloudWatch and
// EventBridge clients; SummarizeMetricData and SummarizeEvents read their
// files back. No production binary links it.
package recording
