// Package local runs cogwatch on one machine with no AWS account and no
// Docker: `cogwatch local` and the end-to-end tests start a Stack.
//
// A Stack composes the emulators and hosts beneath this folder around the
// production handlers: cognito-local as Cognito (local/cognitolocal, npm
// packages pinned in local/package-lock.json), goaws as SNS and SQS
// (local/goaws), a Lambda Invoke API for every function (local/lambdahost),
// SQS pollers in place of event-source mappings (local/eventsource), the
// exporter subscribed over HTTP, the warmer on a schedule, and the local
// dashboard page (local/dashboard). It runs the same handlers that Lambda
// runs; nothing beneath local/ is linked into a Lambda function or the
// exporter. See docs/local.md.
package local
