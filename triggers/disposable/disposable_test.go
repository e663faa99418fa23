package disposable

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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

func TestCheckerMatch(t *testing.T) {
	c := NewChecker(
		[]string{"corp-throwaway.example", "mozmail.com"},
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			match, ok := tc.checker.Match(tc.domain)
			require.Equal(t, tc.want, ok)
			require.Equal(t, tc.wantMatch, match)
		})
	}
}

// FuzzNormalize: what Normalize accepts is lower-case ASCII letters, digits,
// hyphens and dots, and normalising it again changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "Bücher.example", "ｍａｉｌｉｎａｔｏｒ。com", "0.\x87", "a..b", "xn--bcher-kva.example", "-a.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Normalize(s)
		if err != nil {
			return
		}
		require.True(t, isLowerASCIIHost(n), "%q", n)
		again, err := Normalize(n)
		require.NoError(t, err)
		require.Equal(t, n, again)
		Listed(n)
		NewChecker(nil, nil).Match(n)
	})
}
