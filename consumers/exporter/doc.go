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
// The SNS listener faces the internet, so every resource a client can take
// is bounded: a request takes a verification slot only once its body is in,
// the body buffer grows with the bytes that arrive, each listener caps its
// connections (closing the one waiting longest without a request being
// handled), both listeners time out reads, writes and idle connections, and
// log lines quote at most a few hundred bytes of any request. Duplicates are
// dropped for as long as the verifier would accept them: every message is
// remembered until its signed Timestamp is the maximum age old, optionally
// across restarts in a file.
//
// In pull mode ([Exporter.Pull]) the exporter long-polls SQS queues
// subscribed to the topic instead, counts the events (raw or enveloped) and
// deletes what it counted; several replicas can share a queue, and the
// duplicates a visibility-timeout expiry can cause are counted.
//
// Label cardinality is bounded: pools and clients beyond a cap are counted
// under "other", and the series of pools and clients that stop sending
// expire after a configurable time.
//
// [Run] listens and serves until its context ends; [New] builds the handlers
// for callers that serve them themselves (the local stack, tests).
package exporter
