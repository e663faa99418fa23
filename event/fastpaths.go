//go:build !cogwatch_stdlibjson

package event

// fastPaths is false only in builds tagged cogwatch_stdlibjson, which decode
// with encoding/json alone (decodeStrict, fromSNSStrict): the other side of
// the whole-path benchmarks that keep the one-pass readers (docs/event.md).
const fastPaths = true
