// Package redact keeps email addresses out of logs that other programs
// write: the emulators' output the local stack saves and shows.
//
// It replaces the local part of every address and keeps the domain
// (alice@example.com becomes ***@example.com), line by line, as the output
// streams. It is a safety net for output we do not control; cogwatch's own
// log lines never carry an address in the first place (see triggers.Email).
// It is not a parser of addresses: anything shaped like local@domain is
// redacted, so a version such as pkg@1.2.3 is too.
package redact
