// Package snsstub is an SNS endpoint on loopback that answers Publish in the
// Query protocol's XML shapes, or fails as told: slowly, with the Throttling
// error, with a 5xx, or not at all (a refused address). It stands in for SNS
// where goaws cannot fail on demand: make bench's cold starts (the publish
// must answer, nothing else) and the fault-injection suite.
//
// It is not an SNS emulator: it keeps the published messages and answers, no
// topic, no subscription, no delivery. Use local/goaws for those.
package snsstub
