// Package snstest signs SNS messages and serves their certificates over TLS
// on loopback, posing as the SNS host of a region, so that tests exercise
// the verifier's real checks (https, host, path, signature) without AWS.
package snstest
