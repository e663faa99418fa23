// Package jsonlex holds the pieces of strict, one-pass JSON reading that
// event's fast decoding paths and the SNS message parser (snsverify) share:
// whitespace, string literals and their unescaping, hex escapes, numbers,
// objects and skipping any value. It accepts exactly what encoding/json's
// scanner accepts, reads string values as encoding/json decodes them into a
// Go string, and uses the standard library only (event is imported by
// subscribers; snsverify stays standard-library-only).
package jsonlex
