// Package event defines the cogwatch user event: the one document that every
// trigger publishes to the user-event SNS topic and every consumer reads.
//
// An event is a CloudEvents 1.0 structured-mode JSON document whose data
// carries the user pool, app client, trigger source and a privacy-safe view of
// the user (the sub, the email's domain and, when a key is configured, a keyed
// hash of the email). The full email is present only when the operator opts in.
//
// The package has no AWS SDK dependency, so SNS subscribers written in Go can
// import it cheaply. See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
// for the envelope, and Schema (schema/user-event.v1.json) for subscribers in
// other languages.
package event
