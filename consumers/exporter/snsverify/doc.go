// Package snsverify parses and verifies the messages Amazon SNS posts to
// HTTP(S) subscribers: Notification, SubscriptionConfirmation and
// UnsubscribeConfirmation.
//
// It is built on the standard library only and is stricter than the validators
// the AWS SDKs of other languages ship:
//
//   - SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA), over the exact
//     string to sign of each message type. A [Message] holds only the fields
//     SNS signs for its type: MessageAttributes, UnsubscribeURL and the
//     x-amz-sns-* headers are never signed, a Subject only in a Notification,
//     a SubscribeURL and Token only in confirmations; the rest is dropped.
//   - No signed field but Message may hold a control character (SNS allows
//     none there), so no line break can move text from one field into
//     another inside the newline-separated string to sign.
//   - The signing certificate is fetched only over HTTPS, without redirects,
//     from the SNS host of the topic's own region and partition
//     (sns.<region>.amazonaws.com, sns.<region>.amazonaws.com.cn), at a
//     /SimpleNotificationService-<hex>.pem path, with no port, query, user
//     info or fragment. Certificates are cached with a size and a time bound,
//     and concurrent fetches of one URL are merged into one. A failed fetch
//     is remembered for a short while (one fetch per URL meanwhile), apart
//     from the certificates: failures never push a good one out.
//   - The topic must be on an allow-list (an empty list allows none), the
//     message must be younger than a maximum age and not from the future.
//   - A SubscribeURL is checked like the certificate URL (and must name the
//     message's own topic and token) before anyone fetches it; only a
//     confirmation yields one.
//
// Every failure wraps one of the ErrX values; [Reason] turns it into a short
// label fit for a Prometheus metric and [Temporary] tells the caller's own
// failures (answer 5xx, so SNS retries) from bad messages (answer 4xx).
//
// Local emulators such as goaws serve a self-signed certificate over plain
// HTTP from themselves; [Options.TrustedURLPrefixes] trusts such a URL prefix,
// explicitly, for certificate and subscribe URLs.
//
// See https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
package snsverify
