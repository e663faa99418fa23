// Package benchreport runs cogwatch's benchmarks side by side with their
// alternatives and writes BENCHMARKS.md (make bench, through ./bench).
//
// It holds what the Go benchmarks of each package cannot do themselves: a
// local Lambda Runtime API ([RuntimeAPI]) that starts a trigger's bootstrap,
// and the same job written in Python (boto3) and Node.js (AWS SDK for
// JavaScript v3) under bench/, as Lambda starts a custom runtime, timing
// process start to first answer ([ColdStarts]); a bounded load generator for
// the exporter; and the parser and renderer of `go test -bench` output.
// Every figure is measured in the same run as the alternative it is compared
// with.
package benchreport
