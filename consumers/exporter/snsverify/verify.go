package snsverify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Defaults of Options' zero fields.
const (
	DefaultMaxAge        = time.Hour
	DefaultMaxSkew       = 5 * time.Minute
	DefaultFetchTimeout  = 5 * time.Second
	DefaultCertCacheSize = 64
	DefaultCertCacheTTL  = 24 * time.Hour
	// DefaultCertFailureTTL is shorter than the 20 s between the retries of
	// SNS's default HTTP delivery policy, so that a retry after a passing
	// failure fetches again.
	DefaultCertFailureTTL = 15 * time.Second
)

// Key sizes accepted for signing certificates: SNS signs with RSA-2048; the
// upper bound caps the cost of one verification.
const (
	minKeyBits = 2048
	maxKeyBits = 4096
	// maxCertBytes bounds a certificate download (SNS's are under 2 KiB).
	maxCertBytes = 64 << 10
)

// Options configures a Verifier. The zero value verifies real SNS messages of
// no topic at all: set Topics.
type Options struct {
	// Topics is the allow-list of topic ARNs. Messages of other topics fail
	// with ErrTopic before anything is fetched.
	Topics []string
	// MaxAge is how old a message's Timestamp may be (default DefaultMaxAge).
	// SNS keeps the original Timestamp on retries, so it must cover the
	// subscription's retry policy.
	MaxAge time.Duration
	// MaxSkew is how far in the future a Timestamp may be (default DefaultMaxSkew).
	MaxSkew time.Duration
	// TrustedURLPrefixes are URL prefixes (scheme://host[:port]/[path/]) whose
	// certificate and subscribe URLs are trusted whatever their scheme and path,
	// for a local emulator such as goaws (http://127.0.0.1:4100/). Never set
	// one in production: whoever serves it can sign messages.
	TrustedURLPrefixes []string
	// Client fetches certificates. Nil means a client with FetchTimeout.
	// Redirects are never followed, whatever the client's policy.
	Client *http.Client
	// FetchTimeout bounds one certificate fetch (default DefaultFetchTimeout).
	FetchTimeout time.Duration
	// CertCacheSize bounds the number of cached certificates
	// (default DefaultCertCacheSize).
	CertCacheSize int
	// CertCacheTTL bounds how long a certificate stays cached
	// (default DefaultCertCacheTTL).
	CertCacheTTL time.Duration
	// CertFailureTTL is how long a failed certificate fetch is remembered:
	// messages naming that URL fail at once, without a fetch, until it ends
	// (default DefaultCertFailureTTL). Failures never push a cached
	// certificate out.
	CertFailureTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier verifies SNS messages. It is safe for concurrent use.
type Verifier struct {
	topics       map[string]bool
	maxAge       time.Duration
	maxSkew      time.Duration
	prefixes     []prefix
	client       *http.Client
	fetchTimeout time.Duration
	now          func() time.Time
	certs        *certCache
}

// New returns a Verifier. It fails on a malformed trusted prefix or topic ARN.
func New(o Options) (*Verifier, error) {
	v := &Verifier{
		topics:       make(map[string]bool, len(o.Topics)),
		maxAge:       orDefault(o.MaxAge, DefaultMaxAge),
		maxSkew:      orDefault(o.MaxSkew, DefaultMaxSkew),
		fetchTimeout: orDefault(o.FetchTimeout, DefaultFetchTimeout),
		now:          o.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	for _, t := range o.Topics {
		if _, err := ParseTopicARN(t); err != nil {
			return nil, fmt.Errorf("snsverify: allowed topic %q is not an SNS topic ARN", t)
		}
		v.topics[t] = true
	}
	for _, s := range o.TrustedURLPrefixes {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, err
		}
		v.prefixes = append(v.prefixes, p)
	}
	c := http.Client{Timeout: v.fetchTimeout}
	if o.Client != nil {
		c = *o.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v.client = &c
	size := o.CertCacheSize
	if size <= 0 {
		size = DefaultCertCacheSize
	}
	v.certs = newCertCache(size, orDefault(o.CertCacheTTL, DefaultCertCacheTTL),
		orDefault(o.CertFailureTTL, DefaultCertFailureTTL), v.now)
	return v, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Allowed reports whether topicARN is on the allow-list.
func (v *Verifier) Allowed(topicARN string) bool { return v.topics[topicARN] }

// Verify parses body and verifies the message: see the package doc for every
// check. The message is returned only when every check passed; it shares no
// memory with body.
func (v *Verifier) Verify(ctx context.Context, body []byte) (*Message, error) {
	return v.verifyBody(ctx, body, decode)
}

// verifyBody is Verify with the JSON decoder given.
func (v *Verifier) verifyBody(ctx context.Context, body []byte, decode func([]byte, *Message) error) (*Message, error) {
	m, err := parse(body, decode)
	if err != nil {
		return nil, err
	}
	if err := v.verify(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// VerifyMessage verifies a message returned by Parse. Cheap checks run first:
// fields, topic, age, signature version, URLs; the certificate is fetched
// last. A message holding a field its type does not sign, or a control
// character where Parse refuses one, fails with ErrMalformed.
func (v *Verifier) VerifyMessage(ctx context.Context, m *Message) error {
	if err := m.checkFields(); err != nil {
		return err
	}
	return v.verify(ctx, m)
}

// verify verifies a message whose fields Parse or VerifyMessage checked.
func (v *Verifier) verify(ctx context.Context, m *Message) error {
	if !v.topics[m.TopicARN] {
		return fmt.Errorf("snsverify: topic %.200q: %w", m.TopicARN, ErrTopic)
	}
	now := v.now()
	if age := now.Sub(m.Time); age > v.maxAge {
		return fmt.Errorf("snsverify: message is %s old, more than %s: %w", age.Round(time.Second), v.maxAge, ErrStale)
	}
	if ahead := m.Time.Sub(now); ahead > v.maxSkew {
		return fmt.Errorf("snsverify: message is %s in the future, more than %s: %w", ahead.Round(time.Second), v.maxSkew, ErrFuture)
	}
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("snsverify: SignatureVersion %.16q: %w", m.SignatureVersion, ErrSignatureVersion)
	}
	trusted, err := v.checkCertURL(m)
	if err != nil {
		return err
	}
	if m.Type != TypeNotification {
		if _, err := v.ConfirmURL(m); err != nil {
			return err
		}
	}
	var sigBuf [maxKeyBits/8 + 3]byte // + 3: DecodedLen counts the padding
	sig, ok := decodeSignature(sigBuf[:], m.Signature)
	if !ok {
		return fmt.Errorf("snsverify: Signature is not base64 of a %d to %d-bit RSA signature: %w", minKeyBits, maxKeyBits, ErrSignature)
	}
	key, err := v.certs.get(ctx, m.SigningCertURL, func(ctx context.Context) (*rsa.PublicKey, time.Time, error) {
		return v.fetch(ctx, m.SigningCertURL, !trusted)
	})
	if err != nil {
		return err
	}
	var digest []byte
	var buf [4 << 10]byte // most strings to sign fit: no allocation
	s := m.appendStringToSign(buf[:0])
	if hash == crypto.SHA1 {
		d := sha1.Sum(s)
		digest = d[:]
	} else {
		d := sha256.Sum256(s)
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return fmt.Errorf("snsverify: SignatureVersion %s: %w", m.SignatureVersion, ErrSignature)
	}
	return nil
}

// fetch downloads and parses a signing certificate. checkValidity is false
// for trusted emulator URLs (goaws's certificate expires seconds after start).
func (v *Verifier) fetch(ctx context.Context, url string, checkValidity bool) (*rsa.PublicKey, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate %.200q: %w", url, ErrCertURL)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snsverify: fetch certificate: %w: %w", ErrCertFetch, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return nil, time.Time{}, fmt.Errorf("snsverify: fetch certificate: %s: %w", resp.Status, ErrCertFetch)
	case resp.StatusCode != http.StatusOK:
		return nil, time.Time{}, fmt.Errorf("snsverify: fetch certificate: %s: %w", resp.Status, ErrCert)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes+1))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snsverify: fetch certificate: %w: %w", ErrCertFetch, err)
	}
	if len(body) > maxCertBytes {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate larger than %d bytes: %w", maxCertBytes, ErrCert)
	}
	return parseCert(body, v.now(), checkValidity)
}

func parseCert(body []byte, now time.Time, checkValidity bool) (*rsa.PublicKey, time.Time, error) {
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate is not PEM: %w", ErrCert)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate: %w: %w", ErrCert, err)
	}
	if checkValidity && (now.Before(cert.NotBefore) || now.After(cert.NotAfter)) {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate valid from %s to %s only: %w", cert.NotBefore, cert.NotAfter, ErrCert)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate key is %T, not RSA: %w", cert.PublicKey, ErrCert)
	}
	if bits := key.N.BitLen(); bits < minKeyBits || bits > maxKeyBits {
		return nil, time.Time{}, fmt.Errorf("snsverify: certificate key has %d bits: %w", bits, ErrCert)
	}
	notAfter := time.Time{}
	if checkValidity {
		notAfter = cert.NotAfter
	}
	return key, notAfter, nil
}

// decodeSignature decodes the base64 of an RSA signature of minKeyBits to
// maxKeyBits into buf, without allocating.
func decodeSignature(buf []byte, s string) ([]byte, bool) {
	if base64.StdEncoding.DecodedLen(len(s)) > len(buf) {
		return nil, false
	}
	n, err := base64.StdEncoding.Decode(buf, []byte(s))
	return buf[:n], err == nil && n*8 >= minKeyBits && n*8 <= maxKeyBits
}

var errCanceled = errors.New("snsverify: canceled while waiting for a certificate fetch")
