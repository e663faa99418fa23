// Package goaws runs goaws (github.com/Admiral-Piett/goaws, pinned in go.mod)
// in this process as the local SNS and SQS, listening on 127.0.0.1 only.
//
// goaws v0.4.4 speaks the query protocol only, while aws-sdk-go-v2's SQS client
// speaks AWS JSON 1.0 (the AmazonSQS.* X-Amz-Target calls). Server puts a small
// translator in front of goaws, so the real SDK clients work unchanged: each
// JSON call becomes the equivalent query call, and goaws' XML answer becomes
// the JSON shape the SDK decodes. SNS stays on the query protocol, as in AWS.
//
// goaws keeps its queues and topics in package variables, so only one Server
// runs per process; Start refuses a second.
//
// Known goaws v0.4.4 limits (see docs/local.md): it signs notifications with
// SignatureVersion 1 and serves its certificate over plain HTTP from itself;
// ReceiveMessage ignores a per-call VisibilityTimeout (the queue's attribute
// applies); ApproximateReceiveCount is always 1; a RedrivePolicy moves a
// message only after maxReceiveCount+1 receives.
package goaws
