package disposable

import (
	_ "embed" // the list
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

//go:generate go run ./internal/gen

// DataFile is the name of the embedded list.
const DataFile = "domains.txt"

// data is the list: sorted bytewise, every line ends in '\n'.
//
//go:embed domains.txt
var data string

// Relays are privacy relay (email alias) services. Their addresses reach a
// person's real inbox, so they are not disposable; the generator leaves them
// out of the list and a Checker allows them (and their subdomains) unless they
// are listed as extra disposable domains.
var Relays = []string{
	"duck.com",                 // DuckDuckGo Email Protection
	"mozmail.com",              // Firefox Relay
	"relay.firefox.com",        // Firefox Relay (older addresses)
	"privaterelay.appleid.com", // Sign in with Apple, Hide My Email
	"icloud.com",               // Hide My Email (iCloud+)
	"simplelogin.com",          // SimpleLogin (Proton)
	"simplelogin.co",
	"simplelogin.fr",
	"simplelogin.io",
	"slmail.me",
	"aleeas.com",
	"8alias.com",
	"8shield.net",
	"silomails.com",
	"passmail.net", // Proton Pass aliases
	"passmail.com",
	"passinbox.com",
	"addy.io", // addy.io, formerly AnonAddy
	"anonaddy.com",
	"anonaddy.me",
	"33mail.com", // 33mail aliases
}

// Listed reports whether domain is in the embedded list, exactly (no
// subdomain matching). domain must be normalised (see Normalize). A listed
// public suffix is listed, yet matches nothing (see Checker.Match).
func Listed(domain string) bool { return search(data, domain) }

// search finds domain in list, a list in the format of data.
func search(data, domain string) bool {
	if domain == "" {
		return false
	}
	lo, hi := 0, len(data) // [lo, hi) holds whole lines
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := lo + strings.LastIndexByte(data[lo:mid], '\n') + 1
		end := start + strings.IndexByte(data[start:hi], '\n')
		switch c := strings.Compare(domain, data[start:end]); {
		case c == 0:
			return true
		case c < 0:
			hi = start
		default:
			lo = end + 1
		}
	}
	return false
}

// Len returns the number of domains in the embedded list.
func Len() int { return strings.Count(data, "\n") }

// profile is IDNA 2008 with the UTS #46 lookup mapping: upper case,
// full-width forms and the like fold; invalid labels, empty labels and
// names longer than DNS allows are errors.
var profile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false), idna.VerifyDNSLength(true))

// Errors of Normalize, besides those of golang.org/x/net/idna.
var (
	ErrEmptyDomain = errors.New("empty domain name")
	ErrNotHostname = errors.New("not a host name")
)

// Normalize returns the lower-case ASCII (A-label) form of a domain name,
// without a trailing dot, as the list stores it. The IDNA mapping (UTS #46)
// decides what a dot is: U+3002 ideographic full stop, U+FF0E fullwidth full
// stop and U+FF61 halfwidth ideographic full stop separate labels like '.',
// and one of them at the end is a trailing dot.
func Normalize(domain string) (string, error) {
	n, _, err := NormalizeRooted(domain)
	return n, err
}

// NormalizeRooted is Normalize that also reports whether domain ended in a
// dot, in any of the forms IDNA maps to one. A list entry may end in a dot;
// the domain of an email address may not (RFC 5321).
func NormalizeRooted(domain string) (name string, rooted bool, err error) {
	if isLowerASCIIHost(domain) { // the common case: nothing to map
		d := strings.TrimSuffix(domain, ".")
		if err := checkName(d); err != nil {
			return "", false, err
		}
		if _, err := profile.ToASCII(d); err != nil {
			return "", false, err
		}
		return d, len(d) < len(domain), nil
	}
	if !utf8.ValidString(domain) {
		return "", false, fmt.Errorf("%w: invalid UTF-8", ErrNotHostname)
	}
	a, err := profile.ToASCII(domain) // maps every dot form to '.'
	if err != nil {
		return "", false, err
	}
	a = strings.ToLower(a)
	d := strings.TrimSuffix(a, ".")
	if err := checkName(d); err != nil {
		return "", false, err
	}
	if !isLowerASCIIHost(d) { // e.g. code points the profile lets through unmapped
		return "", false, fmt.Errorf("%w: %q", ErrNotHostname, domain)
	}
	return d, len(d) < len(a), nil
}

// checkName rejects what is left of a name after its trailing dot is
// removed when it is empty or still ends in a dot.
func checkName(d string) error {
	if d == "" {
		return ErrEmptyDomain
	}
	if strings.HasSuffix(d, ".") {
		return fmt.Errorf("%w: empty label", ErrNotHostname)
	}
	return nil
}

func isLowerASCIIHost(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Checker matches domains against the embedded list, extended and
// overridden by the operator's own lists. The zero value uses the embedded
// list and Relays only. It is safe for concurrent use.
type Checker struct {
	extra   map[string]struct{}
	allowed map[string]struct{}
	list    string // in the format of data; "" is the embedded list (tests swap it)
}

// NewChecker returns a Checker that also treats extra (and their subdomains)
// as disposable, and never treats allowed (and their subdomains) or Relays as
// disposable. Entries must be normalised (see Normalize). When a domain
// matches several entries, the most specific one decides; at equal
// specificity, allowed wins.
func NewChecker(extra, allowed []string) *Checker {
	c := &Checker{extra: set(extra), allowed: set(allowed)}
	for _, r := range Relays {
		if _, ok := c.extra[r]; !ok {
			c.allowed[r] = struct{}{}
		}
	}
	return c
}

func set(list []string) map[string]struct{} {
	m := make(map[string]struct{}, len(list))
	for _, d := range list {
		m[d] = struct{}{}
	}
	return m
}

// Match reports whether domain (normalised, see Normalize) or one of its
// parent domains is disposable, and returns the entry that matched. Parents
// are tried from the most specific up; a bare top-level domain never matches.
//
// Entries of the embedded list match only at or below the registrable domain
// (eTLD+1) of domain, by the Public Suffix List compiled into
// golang.org/x/net/publicsuffix, ICANN and private sections alike: an entry
// that is a public suffix (edu.pl, a dynamic-DNS zone) matches nothing, and
// no entry matches across a public suffix below it. The Public Suffix List is
// consulted only when an entry matched, so accepted domains never pay for it.
// The operator's extra and allowed domains match as written, with all their
// subdomains.
func (c *Checker) Match(domain string) (string, bool) {
	suffix := -1 // length of domain's public suffix, found on the first list hit
	for d := domain; strings.IndexByte(d, '.') > 0; d = d[strings.IndexByte(d, '.')+1:] {
		if c.allows(d) {
			return d, false
		}
		if c != nil {
			if _, ok := c.extra[d]; ok {
				return d, true
			}
		}
		if len(d) > suffix && c.listed(d) {
			if suffix < 0 {
				ps, _ := publicsuffix.PublicSuffix(domain)
				suffix = len(ps)
			}
			if len(d) > suffix {
				return d, true
			}
		}
	}
	return "", false
}

func (c *Checker) listed(d string) bool {
	if c != nil && c.list != "" {
		return search(c.list, d)
	}
	return search(data, d)
}

func (c *Checker) allows(d string) bool {
	if c == nil || c.allowed == nil {
		return isRelay(d)
	}
	_, ok := c.allowed[d]
	return ok
}

func isRelay(d string) bool {
	for _, r := range Relays {
		if r == d {
			return true
		}
	}
	return false
}
