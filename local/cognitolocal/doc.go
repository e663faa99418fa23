// Package cognitolocal runs cognito-local, the npm Cognito emulator pinned in
// local/package-lock.json, as a child process: for `cogwatch local`
// (package local) and for tests (cognitolocaltest), so that both
// find, configure, start, wait for and stop it the same way.
//
// Each Process has its own working directory (cognito-local keeps its
// database and reads its configuration in Dir/.cognito), listens on a free
// loopback port, runs in a process group of its own that dies with this
// process, and writes its output to a log file with every email address
// redacted (local/redact): cognito-local prints each user's address in
// its confirmation-code messages. It is not a Cognito client; see
// https://github.com/jagregory/cognito-local for what the emulator serves.
package cognitolocal
