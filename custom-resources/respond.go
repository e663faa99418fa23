package customresources

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/cogwatch/cogwatch/internal/awsretry"
)

// MaxBodySize is CloudFormation's limit on a custom-resource response body.
const MaxBodySize = 4096

// truncated ends a Reason that had to be cut.
const truncated = " …(truncated)"

// Doer sends an HTTP request; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// NewResponse returns the response to ev with the fields CloudFormation
// requires copied from it.
func NewResponse(ev cfn.Event, status cfn.StatusType, physicalID, reason string) cfn.Response {
	return cfn.Response{
		Status:             status,
		RequestID:          ev.RequestID,
		LogicalResourceID:  ev.LogicalResourceID,
		StackID:            ev.StackID,
		PhysicalResourceID: physicalID,
		Reason:             reason,
	}
}

// Body encodes r as CloudFormation expects it, within MaxBodySize: the Reason
// is trimmed first; if Data alone does not fit, the answer turns into FAILED
// without Data, since CloudFormation would reject it anyway. The returned
// response is the one encoded.
func Body(r cfn.Response) ([]byte, cfn.Response, error) {
	b, err := json.Marshal(r)
	if err != nil {
		// Data a resource returned that JSON cannot encode (NaN, a channel…).
		r.Status, r.Data, r.Reason = cfn.StatusFailed, nil, "response data cannot be encoded: "+err.Error()
		if b, err = json.Marshal(r); err != nil {
			return nil, r, err
		}
	}
	if len(b) <= MaxBodySize {
		return b, r, nil
	}
	if len(r.Data) > 0 {
		short := r
		short.Reason = ""
		if sb, _ := json.Marshal(short); len(sb) > MaxBodySize {
			r.Status, r.Data, r.NoEcho = cfn.StatusFailed, nil, false
			r.Reason = fmt.Sprintf("response Data exceeds CloudFormation's %d-byte limit (%d bytes)", MaxBodySize, len(sb))
		}
	}
	// Encoded, a byte of Reason takes at least a byte, so a Reason longer
	// than the limit can be cut to it first; then find the longest prefix
	// that fits, on a rune boundary.
	full := r.Reason
	if len(full) > MaxBodySize {
		full = full[:MaxBodySize]
	}
	fits := func(n int) ([]byte, bool) {
		c := r
		c.Reason = cutTo(full, n)
		b, err := json.Marshal(c)
		return b, err == nil && len(b) <= MaxBodySize
	}
	lo, hi := 0, len(full) // fits(lo) is checked last; find the largest n that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, ok := fits(mid); ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	b, ok := fits(lo)
	if !ok {
		return nil, r, fmt.Errorf("response of %d bytes cannot be trimmed below %d", len(b), MaxBodySize)
	}
	r.Reason = cutTo(full, lo)
	return b, r, nil
}

// cutTo keeps at most n bytes of s, on a rune boundary, and marks the cut.
func cutTo(s string, n int) string {
	if n <= len(truncated) {
		return ""
	}
	s = s[:n-len(truncated)]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + truncated
}

// SendOptions bound a PUT to the ResponseURL. The zero value works.
type SendOptions struct {
	Client     Doer          // default: an http.Client; each attempt has its own deadline
	Attempts   int           // default 5
	Backoff    time.Duration // first wait between attempts, doubling; default 250ms
	MaxBackoff time.Duration // default 4s
	// Timeout bounds the whole send when ctx has no earlier deadline;
	// default 30s.
	Timeout time.Duration
}

func (o SendOptions) withDefaults() SendOptions {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 4 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	return o
}

// minAttempt is the least an attempt gets when that much time is left: an
// S3 PUT of 4 KB takes tens of milliseconds, a slow one well under this.
const minAttempt = time.Second

// attemptTime is how long one attempt may take out of the time left: all of
// it for the last attempt; otherwise half, so that a connection that hangs
// leaves time to try again, but at least minAttempt.
func attemptTime(left time.Duration, last bool) time.Duration {
	if last || left <= minAttempt {
		return left
	}
	return max(left/2, minAttempt)
}

// StatusError is a response URL answering other than 200.
type StatusError struct {
	Code int
	Body string // the start of what it said (S3 explains a refused PUT in XML)
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("response URL answered %d: %s", e.Code, e.Body)
}

// Send PUTs body to the pre-signed url, retrying transport errors, 429 and
// 5xx under internal/awsretry's backoff (full jitter, from opts.Backoff
// doubling to opts.MaxBackoff), within ctx's deadline (or opts.Timeout when
// that is earlier): each attempt gets part of the time left (see
// attemptTime), and no wait starts that would end after the deadline.
// Other statuses (403: the pre-signed URL expired or was altered) are not
// retried.
func Send(ctx context.Context, url string, body []byte, opts SendOptions) error {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	policy := awsretry.Policy{Base: opts.Backoff, Max: opts.MaxBackoff, Attempts: opts.Attempts}
	retry, calls := false, 0
	attempts, err := policy.Do(ctx, func(error) bool { return retry }, func(ctx context.Context) error {
		calls++
		actx, acancel := context.WithTimeout(ctx, attemptTime(time.Until(deadline), calls >= opts.Attempts))
		defer acancel()
		var err error
		retry, err = put(actx, opts.Client, url, body)
		return err
	})
	if err != nil {
		return fmt.Errorf("answer CloudFormation (attempt %d): %w", attempts, err)
	}
	return nil
}

func put(ctx context.Context, client Doer, url string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	// The URL is pre-signed without a content type: sending one breaks the signature.
	req.Header.Del("Content-Type")
	res, err := client.Do(req)
	if err != nil {
		return true, err // the caller stops when its own context is done
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode == http.StatusOK {
		return false, nil
	}
	retry = res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500
	return retry, &StatusError{Code: res.StatusCode, Body: string(msg)}
}
