package disposable

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/publicsuffix"
)

func TestListed(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	first, last := lines[0], lines[len(lines)-1]
	tests := []struct {
		name   string
		domain string
		want   bool
	}{
		{name: "listed", domain: "mailinator.com", want: true},
		{name: "first entry", domain: first, want: true},
		{name: "last entry", domain: last, want: true},
		{name: "before the first entry", domain: "0", want: false},
		{name: "after the last entry", domain: last + "z", want: false},
		{name: "not listed", domain: "gmail.com", want: false},
		{name: "prefix of an entry", domain: "mailinator.co", want: false},
		{name: "entry with a suffix", domain: "mailinator.com.au.example", want: false},
		{name: "subdomain is not an exact match", domain: "x.mailinator.com", want: false},
		{name: "upper case is not normalised here", domain: "MAILINATOR.COM", want: false},
		{name: "empty", domain: "", want: false},
		{name: "newline", domain: "\n", want: false},
		{name: "two entries joined", domain: first + "\n" + lines[1], want: false},
		{name: "relay left out", domain: "33mail.com", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Listed(tc.domain))
		})
	}
}

// TestListedEveryEntry finds every line of the list, and misses each line
// with a character appended (which sorts it between entries).
func TestListedEveryEntry(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	require.Len(t, lines, Count)
	require.Equal(t, Count, Len())
	for i, d := range lines {
		if !Listed(d) {
			t.Fatalf("line %d %q not found", i+1, d)
		}
		if i%97 == 0 && !slices.Contains(lines[i+1:min(i+50, len(lines))], d+"!") && Listed(d+"!") {
			t.Fatalf("%q found", d+"!")
		}
	}
}

func TestDataFile(t *testing.T) {
	require.True(t, strings.HasSuffix(data, "\n"), "last line must end in a newline")
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	require.True(t, slices.IsSorted(lines), "list must be sorted bytewise")
	require.Equal(t, len(lines), len(slices.Compact(slices.Clone(lines))), "list has duplicates")
	for _, d := range lines {
		n, err := Normalize(d)
		require.NoError(t, err, d)
		require.Equal(t, d, n, "entry is not normalised")
		require.Contains(t, d, ".")
	}
	for _, r := range Relays {
		require.False(t, Listed(r), "relay %s is listed", r)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "ascii", in: "example.com", want: "example.com"},
		{name: "upper case", in: "MailInator.COM", want: "mailinator.com"},
		{name: "trailing dot", in: "example.com.", want: "example.com"},
		{name: "unicode", in: "Bücher.example", want: "xn--bcher-kva.example"},
		{name: "full-width dot and letters", in: "ｍａｉｌｉｎａｔｏｒ。com", want: "mailinator.com"},
		{name: "already punycode", in: "xn--bcher-kva.example", want: "xn--bcher-kva.example"},
		{name: "ideographic full stop", in: "mailinator\u3002com", want: "mailinator.com"},
		{name: "fullwidth full stop", in: "mailinator\uff0ecom", want: "mailinator.com"},
		{name: "halfwidth ideographic full stop", in: "mailinator\uff61com", want: "mailinator.com"},
		{name: "every dot form", in: "a\u3002b\uff0ec\uff61example.com", want: "a.b.c.example.com"},
		{name: "trailing ideographic full stop", in: "example.com\u3002", want: "example.com"},
		{name: "trailing fullwidth full stop, unicode", in: "Bücher.example\uff0e", want: "xn--bcher-kva.example"},
		{name: "two trailing dots", in: "example.com..", err: "empty label"},
		{name: "two trailing dots, mixed forms", in: "example.com\u3002.", err: "empty label"},
		{name: "two trailing ideographic full stops", in: "example.com\u3002\u3002", err: "empty label"},
		{name: "leading ideographic full stop", in: "\u3002example.com", err: "invalid label"},
		{name: "empty label between dot forms", in: "example\u3002\uff0ecom", err: "invalid label"},
		{name: "only an ideographic full stop", in: "\u3002", err: "invalid label"},
		{name: "empty", in: "", err: "empty domain name"},
		{name: "only a dot", in: ".", err: "empty domain name"},
		{name: "space", in: "exa mple.com", err: "disallowed rune"},
		{name: "underscore", in: "a_b.com", err: "disallowed rune"},
		{name: "leading hyphen", in: "-a.com", err: "invalid label"},
		{name: "empty label", in: "a..com", err: "invalid label"},
		{name: "label too long", in: strings.Repeat("a", 64) + ".com", err: "invalid label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestNormalizeRooted(t *testing.T) {
	tests := []struct {
		in         string
		want       string
		wantRooted bool
	}{
		{in: "example.com", want: "example.com"},
		{in: "example.com.", want: "example.com", wantRooted: true},
		{in: "example.com\u3002", want: "example.com", wantRooted: true},
		{in: "example.com\uff0e", want: "example.com", wantRooted: true},
		{in: "example.com\uff61", want: "example.com", wantRooted: true},
		{in: "example\u3002com", want: "example.com"},
		{in: "Bücher.example.", want: "xn--bcher-kva.example", wantRooted: true},
		{in: "Bücher\u3002example", want: "xn--bcher-kva.example"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, rooted, err := NormalizeRooted(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantRooted, rooted)
			n, err := Normalize(tc.in)
			require.NoError(t, err)
			require.Equal(t, got, n)
		})
	}
}

func TestCheckerMatch(t *testing.T) {
	c := NewChecker(
		[]string{"corp-throwaway.example", "mozmail.com", "ddns.net"},
		[]string{"mailinator.com", "ok.yopmail.com"},
	)
	tests := []struct {
		name      string
		checker   *Checker
		domain    string
		wantMatch string
		want      bool
	}{
		{name: "listed", checker: nil, domain: "yopmail.com", wantMatch: "yopmail.com", want: true},
		{name: "subdomain of listed", checker: nil, domain: "a.b.yopmail.com", wantMatch: "yopmail.com", want: true},
		{name: "not listed", checker: nil, domain: "gmail.com", want: false},
		{name: "bare top-level domain", checker: nil, domain: "com", want: false},
		{name: "relay", checker: nil, domain: "duck.com", wantMatch: "duck.com", want: false},
		{name: "relay subdomain", checker: nil, domain: "x.mozmail.com", wantMatch: "mozmail.com", want: false},
		{name: "zero checker allows relays", checker: &Checker{}, domain: "privaterelay.appleid.com", wantMatch: "privaterelay.appleid.com", want: false},
		{name: "zero checker uses the list", checker: &Checker{}, domain: "yopmail.com", wantMatch: "yopmail.com", want: true},
		{name: "extra", checker: c, domain: "corp-throwaway.example", wantMatch: "corp-throwaway.example", want: true},
		{name: "extra subdomain", checker: c, domain: "x.corp-throwaway.example", wantMatch: "corp-throwaway.example", want: true},
		{name: "extra relay overrides the relay exemption", checker: c, domain: "mozmail.com", wantMatch: "mozmail.com", want: true},
		{name: "other relays stay allowed", checker: c, domain: "duck.com", wantMatch: "duck.com", want: false},
		{name: "allowed overrides the list", checker: c, domain: "mailinator.com", wantMatch: "mailinator.com", want: false},
		{name: "allowed covers subdomains", checker: c, domain: "x.mailinator.com", wantMatch: "mailinator.com", want: false},
		{name: "allowed subdomain, parent still listed", checker: c, domain: "yopmail.com", wantMatch: "yopmail.com", want: true},
		{name: "allowed subdomain", checker: c, domain: "a.ok.yopmail.com", wantMatch: "ok.yopmail.com", want: false},
		{name: "sibling of allowed subdomain", checker: c, domain: "ko.yopmail.com", wantMatch: "yopmail.com", want: true},
		{name: "listed public suffix (ICANN)", checker: nil, domain: "edu.pl", want: false},
		{name: "university under a listed public suffix", checker: nil, domain: "uw.edu.pl", want: false},
		{name: "below a university under a listed public suffix", checker: nil, domain: "student.pw.edu.pl", want: false},
		{name: "listed public suffix (private section)", checker: nil, domain: "ddns.net", want: false},
		{name: "host under a listed private public suffix", checker: nil, domain: "home.ddns.net", want: false},
		{name: "listed public suffix, zero checker", checker: &Checker{}, domain: "x.my.id", want: false},
		{name: "listed registrable domain under a public suffix", checker: nil, domain: "dwse.edu.pl", wantMatch: "dwse.edu.pl", want: true},
		{name: "subdomain of a listed registrable domain under a public suffix", checker: nil, domain: "a.dwse.edu.pl", wantMatch: "dwse.edu.pl", want: true},
		{name: "listed under a private public suffix", checker: nil, domain: "x.rocco.zapto.org", wantMatch: "rocco.zapto.org", want: true},
		{name: "extra public suffix matches as written", checker: c, domain: "home.ddns.net", wantMatch: "ddns.net", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			match, ok := tc.checker.Match(tc.domain)
			require.Equal(t, tc.want, ok)
			require.Equal(t, tc.wantMatch, match)
		})
	}
}

// TestCheckerPublicSuffixBoundary swaps in a small list to show the rule on
// names the embedded list does not have: an entry matches only at or below
// the registrable domain, so not across a public suffix (private section,
// wildcard rule) below it. kawasaki.jp is registrable, but every name below it
// is a public suffix (*.kawasaki.jp) or, by exception, a registrable domain
// whose public suffix is kawasaki.jp (!city.kawasaki.jp): it matches only
// itself.
func TestCheckerPublicSuffixBoundary(t *testing.T) {
	c := &Checker{list: "amazonaws.com\nkawasaki.jp\nweb.id\n"}
	tests := []struct {
		domain    string
		wantMatch string
		want      bool
	}{
		{domain: "amazonaws.com", wantMatch: "amazonaws.com", want: true},
		{domain: "x.amazonaws.com", wantMatch: "amazonaws.com", want: true},
		{domain: "s3.amazonaws.com", want: false},        // public suffix, private section
		{domain: "bucket.s3.amazonaws.com", want: false}, // registrable below it
		{domain: "kawasaki.jp", wantMatch: "kawasaki.jp", want: true},
		{domain: "foo.kawasaki.jp", want: false},      // *.kawasaki.jp
		{domain: "bar.foo.kawasaki.jp", want: false},  // registrable below the wildcard
		{domain: "city.kawasaki.jp", want: false},     // !city.kawasaki.jp
		{domain: "www.city.kawasaki.jp", want: false}, // below it
		{domain: "web.id", want: false},
		{domain: "shop.web.id", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			match, ok := c.Match(tc.domain)
			require.Equal(t, tc.want, ok)
			require.Equal(t, tc.wantMatch, match)
		})
	}
}

// publicSuffixEntries returns the entries of the embedded list that are
// public suffixes.
func publicSuffixEntries() []string {
	var ps []string
	for d := range strings.SplitSeq(strings.TrimSuffix(data, "\n"), "\n") {
		if s, _ := publicsuffix.PublicSuffix(d); s == d {
			ps = append(ps, d)
		}
	}
	return ps
}

// TestNoPublicSuffixBlocked walks the whole list: no public suffix that is an
// entry or the parent of one is disposable, nor a fresh name below one;
// every other entry matches itself.
func TestNoPublicSuffixBlocked(t *testing.T) {
	c := NewChecker(nil, nil)
	seen := map[string]bool{}
	for d := range strings.SplitSeq(strings.TrimSuffix(data, "\n"), "\n") {
		if ps, _ := publicsuffix.PublicSuffix(d); ps != d {
			m, ok := c.Match(d)
			require.True(t, ok, d)
			require.Equal(t, d, m)
		}
		for p := d; p != "" && !seen[p]; p = parent(p) {
			seen[p] = true
			if ps, _ := publicsuffix.PublicSuffix(p); ps != p {
				continue
			}
			for _, n := range []string{p, "cogwatch-example." + p, "a.cogwatch-example." + p} {
				require.False(t, Listed(n) && n != p, "%s is listed: pick another test name", n)
				m, ok := c.Match(n)
				require.False(t, ok, "%s is blocked by %s", n, m)
			}
		}
	}
	require.Len(t, publicSuffixEntries(), 25)
}

func parent(d string) string {
	i := strings.IndexByte(d, '.')
	if i < 0 {
		return ""
	}
	return d[i+1:]
}

// TestPublicSuffixEntriesDocumented keeps the list in docs/disposable.md
// equal to the entries that are public suffixes today, and its counts true.
func TestPublicSuffixEntriesDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/disposable.md")
	require.NoError(t, err)
	doc := string(b)
	block := regexp.MustCompile(`(?s)<!-- public-suffix-entries -->(.*?)<!-- end -->`).FindStringSubmatch(doc)
	require.NotNil(t, block, "docs/disposable.md: no public-suffix-entries block")
	var documented []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(block[1], -1) {
		documented = append(documented, m[1])
	}
	want := publicSuffixEntries()
	require.Equal(t, want, documented, "update the list in docs/disposable.md")

	// Entries registered under a listed public suffix, which still match.
	under, suffixes := 0, map[string]bool{}
	for d := range strings.SplitSeq(strings.TrimSuffix(data, "\n"), "\n") {
		if ps, _ := publicsuffix.PublicSuffix(d); ps != d && slices.Contains(want, ps) {
			under++
			suffixes[ps] = true
		}
	}
	for _, s := range []string{
		strconv.Itoa(len(want)) + " entries",
		fmt.Sprintf("%d such entries under %d of the suffixes", under, len(suffixes)),
		fmt.Sprintf("outside the %d entries under them", under),
	} {
		require.True(t, strings.Contains(doc, s), "docs/disposable.md: update the count in %q", s)
	}
}

// dotForms replaces the IDNA dot forms with '.'.
var dotForms = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// FuzzNormalize: what Normalize accepts is lower-case ASCII letters, digits,
// hyphens and dots, and normalising it again changes nothing; writing the
// dot forms as '.' changes nothing either; NormalizeRooted agrees; a list
// match is at or below the registrable domain.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "Bücher.example", "ｍａｉｌｉｎａｔｏｒ。com", "0.\x87", "a..b", "xn--bcher-kva.example", "-a.com",
		"mailinator\uff0ecom\uff61", "uw.edu.pl", "x\u3002ddns\u3002net", "example.com\u3002.", "a.dwse.edu.pl"} {
		f.Add(s)
	}
	c := NewChecker(nil, nil)
	f.Fuzz(func(t *testing.T, s string) {
		n, rooted, err := NormalizeRooted(s)
		n1, err1 := Normalize(s)
		require.Equal(t, err == nil, err1 == nil)
		require.Equal(t, n, n1)
		n2, rooted2, err2 := NormalizeRooted(dotForms.Replace(s))
		require.Equal(t, err == nil, err2 == nil, "%q: %v / %v", s, err, err2)
		require.Equal(t, n, n2)
		require.Equal(t, rooted, rooted2)
		if err != nil {
			return
		}
		require.True(t, isLowerASCIIHost(n), "%q", n)
		require.False(t, strings.HasSuffix(n, "."))
		again, rooted, err := NormalizeRooted(n)
		require.NoError(t, err)
		require.Equal(t, n, again)
		require.False(t, rooted)
		Listed(n)
		if m, ok := c.Match(n); ok {
			require.True(t, n == m || strings.HasSuffix(n, "."+m), "%s matched %s", n, m)
			ps, _ := publicsuffix.PublicSuffix(n)
			require.Greater(t, len(m), len(ps), "%s matched %s at or above its public suffix %s", n, m, ps)
		}
	})
}
