package snsverify

import "errors"

// Errors. Every error this package returns wraps exactly one of them; their
// text is the reason label that [Reason] returns.
var (
	// ErrMalformed: not a JSON object, a required field missing, empty or of
	// the wrong type, a value that does not parse.
	ErrMalformed = errors.New("malformed")
	// ErrType: a Type other than the three SNS sends to HTTP endpoints, or
	// the wrong one for the call (ConfirmURL of a Notification).
	ErrType = errors.New("unknown_type")
	// ErrTopic: the TopicArn is not on the allow-list.
	ErrTopic = errors.New("topic_not_allowed")
	// ErrStale: the Timestamp is older than the maximum age.
	ErrStale = errors.New("stale")
	// ErrFuture: the Timestamp is further in the future than the clock skew allows.
	ErrFuture = errors.New("future")
	// ErrCertURL: the SigningCertURL is not an SNS certificate URL of the
	// topic's region, nor under a trusted prefix.
	ErrCertURL = errors.New("cert_url")
	// ErrSubscribeURL: the SubscribeURL is not the SNS confirmation URL of
	// the message's topic and token, nor under a trusted prefix.
	ErrSubscribeURL = errors.New("subscribe_url")
	// ErrSignatureVersion: a SignatureVersion other than 1 or 2.
	ErrSignatureVersion = errors.New("signature_version")
	// ErrSignature: the signature does not verify (forged or tampered).
	ErrSignature = errors.New("bad_signature")
	// ErrCert: the certificate host answered, but not with a usable RSA
	// certificate (not found, not PEM, not RSA, key size out of range).
	ErrCert = errors.New("bad_cert")
	// ErrCertFetch: the certificate could not be fetched (network, timeout,
	// server error). It is the verifier's failure, not the message's.
	ErrCertFetch = errors.New("cert_fetch")
)

var reasons = []error{
	ErrMalformed, ErrType, ErrTopic, ErrStale, ErrFuture, ErrCertURL,
	ErrSubscribeURL, ErrSignatureVersion, ErrSignature, ErrCert, ErrCertFetch,
}

// Reasons returns every reason label [Reason] can return except "other", in
// a stable order, so that metrics can be initialised with all of them.
func Reasons() []string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = r.Error()
	}
	return out
}

// Reason returns the label of the ErrX value err wraps, or "other".
func Reason(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r) {
			return r.Error()
		}
	}
	return "other"
}

// Temporary reports whether err is the verifier's own failure rather than the
// message's: an HTTP endpoint should answer 5xx so that SNS retries.
func Temporary(err error) bool { return errors.Is(err, ErrCertFetch) }
