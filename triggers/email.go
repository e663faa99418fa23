package triggers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cogwatch/cogwatch/triggers/disposable"
)

// Email is an email address as a user typed it. It keeps the address out of
// logs: its LogValue is the normalised domain only, or "invalid".
type Email string

// LogValue returns the domain only, so an Email can be logged safely.
func (e Email) LogValue() slog.Value {
	a, err := ParseEmail(string(e))
	if err != nil {
		return slog.StringValue("invalid")
	}
	return slog.StringValue(a.Domain)
}

// String returns the domain only: a stray fmt or %v cannot leak the address.
func (e Email) String() string { return e.LogValue().String() }

// Address is a syntactically valid email address.
type Address struct {
	Local  string // as typed
	Domain string // normalised: lower-case ASCII (IDNA A-labels), no trailing dot
}

// Limits of RFC 5321 (section 4.5.3.1), checked on the normalised address
// (the local part as typed, the domain as an A-label name).
const (
	maxLocal   = 64
	maxAddress = 254
)

// maxInput bounds the work before normalisation. An address that normalises
// within the limits above is no longer, unless padded with code points the
// mapping deletes: each code point of the domain it keeps takes at most 4
// bytes and becomes at least one byte of the A-label name.
const maxInput = maxLocal + 1 + 4*253

// ErrInvalidEmail is the reason code of an address that is not valid email
// syntax; ParseEmail returns it.
var ErrInvalidEmail = errorCode(reasonInvalidEmail)

// ParseEmail checks that s is a plain address (no display name, comments or
// quoted local part): a dot-atom local part of at most 64 bytes, letters of
// any script allowed (RFC 6531), '@', and a domain name with at least two
// labels that IDNA normalises. It returns ErrInvalidEmail otherwise.
//
// The domain is normalised first (disposable.NormalizeRooted) and every
// check on it is made on that form, the one in Address.Domain: IDNA dot
// forms (U+3002, U+FF0E, U+FF61) are dots, and a trailing one is a trailing
// dot, which an address may not have.
func ParseEmail(s string) (Address, error) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || len(s) > maxInput {
		return Address{}, ErrInvalidEmail
	}
	local, domain := s[:at], s[at+1:]
	if !validLocal(local) {
		return Address{}, ErrInvalidEmail
	}
	d, rooted, err := disposable.NormalizeRooted(domain)
	if err != nil || rooted || len(local)+1+len(d) > maxAddress {
		return Address{}, ErrInvalidEmail
	}
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 || allDigits(d[dot+1:]) {
		return Address{}, ErrInvalidEmail // no dot, or an IP-like last label
	}
	return Address{Local: local, Domain: d}, nil
}

// validLocal accepts RFC 5322 dot-atom text plus non-ASCII letters and
// marks (RFC 6531).
func validLocal(s string) bool {
	if s == "" || len(s) > maxLocal || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if !isAtext(byte(r)) && r != '.' {
				return false
			}
		case r == utf8.RuneError:
			return false
		case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
		default:
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// HashEmail returns the hex HMAC-SHA256 of the lower-cased address under key,
// which subscribers can reproduce to correlate users without holding
// addresses.
func HashEmail(key []byte, email string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(email)))
	return hex.EncodeToString(m.Sum(nil))
}
