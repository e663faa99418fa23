// Package cognitolocaltest runs cognito-local, the npm Cognito emulator pinned in
// local/package-lock.json, for tests that need a real Cognito API.
//
// It is test support, not part of any binary: Start skips under -short and
// fails (telling to run `make deps`) when the emulator is not installed. Each
// call starts a fresh emulator on a free loopback port in its own data
// directory, with its triggers pointed at a Lambda Invoke API when
// Options.Triggers is set, and stops it when the test ends. Starting,
// configuring and stopping is local/cognitolocal's, as for `cogwatch
// local`. See https://github.com/jagregory/cognito-local for what the
// emulator serves.
package cognitolocaltest
