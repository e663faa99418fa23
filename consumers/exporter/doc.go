// Package exporter is cogwatch's Prometheus exporter: a long-running server
// that subscribes to the user-event SNS topic over HTTP(S) and serves what it
// counted on /metrics.
//
// Two listeners, two jobs. The SNS listener serves POST /sns: the body is
// limited in size, verified by [snsverify] (signature, certificate URL, topic
// allow-list, age), then either a subscription is confirmed or a user event is
// decoded with [event.Decode], deduplicated by its CloudEvents id and by SNS
// MessageId, and counted. Messages that fail verification or validation get a
// 4xx (SNS never retries those); the exporter's own failures (certificate
// fetch, confirmation, overload) get a 5xx so that SNS retries. The metrics
// listener serves /metrics behind exporter-toolkit's TLS and basic auth. Both
// serve /-/healthy and /-/ready.
//
// Label cardinality is bounded: pools and clients beyond a cap are counted
// under "other", and the series of pools and clients that stop sending
// expire after a configurable time.
//
// [Run] listens and serves until its context ends; [New] builds the handlers
// for callers that serve them themselves (the local stack, tests).
package exporter
