package disposable

import (
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

var lookups = []struct{ name, domain string }{
	{"hit", "mailinator.com"},
	{"hit-subdomain", "a.b.mailinator.com"},
	{"miss", "gmail.com"},
	{"miss-subdomain", "mail.corp.example.co.uk"},
}

// sliceMatch is the original stack's approach: the whole list in a []string,
// scanned for every lookup (here with the same subdomain rule as ours).
func sliceMatch(list []string, domain string) bool {
	for _, d := range list {
		if domain == d || len(domain) > len(d) && strings.HasSuffix(domain, d) && domain[len(domain)-len(d)-1] == '.' {
			return true
		}
	}
	return false
}

// mapMatch is the usual Go approach (and email-verifier's, exact only): a
// map built at start, probed for the domain and each parent.
func mapMatch(m map[string]struct{}, domain string) bool {
	for d := domain; strings.IndexByte(d, '.') > 0; d = d[strings.IndexByte(d, '.')+1:] {
		if _, ok := m[d]; ok {
			return true
		}
	}
	return false
}

func loadSlice() []string { return strings.Split(strings.TrimSuffix(data, "\n"), "\n") }

func loadMap() map[string]struct{} {
	list := loadSlice()
	m := make(map[string]struct{}, len(list))
	for _, d := range list {
		m[d] = struct{}{}
	}
	return m
}

// BenchmarkLookup compares a lookup (normalised domain, subdomains walked) in
// the embedded list against a scanned slice and a map.
func BenchmarkLookup(b *testing.B) {
	c := NewChecker(nil, nil)
	list, m := loadSlice(), loadMap()
	for _, l := range lookups {
		if _, want := c.Match(l.domain); sliceMatch(list, l.domain) != want || mapMatch(m, l.domain) != want {
			b.Fatalf("%s: approaches disagree", l.domain)
		}
		b.Run("cogwatch/"+l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Match(l.domain)
			}
		})
		b.Run("slice-scan/"+l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sliceMatch(list, l.domain)
			}
		})
		b.Run("map/"+l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mapMatch(m, l.domain)
			}
		})
	}
}

// eagerMatch is the alternative to Match's lazy rule: find the public suffix
// on every lookup, then search the list only below it.
func eagerMatch(domain string) (string, bool) {
	ps, _ := publicsuffix.PublicSuffix(domain)
	for d := domain; len(d) > len(ps); d = d[strings.IndexByte(d, '.')+1:] {
		if Listed(d) {
			return d, true
		}
	}
	return "", false
}

// BenchmarkMatch is Checker.Match on the embedded list alone, for the
// outcomes the public-suffix rule touches: a registrable listed domain and
// its subdomain, addresses under a listed public suffix (edu.pl: ICANN
// section; ddns.net: private section), and misses. Match consults the Public
// Suffix List only after a list hit; eager consults it on every lookup.
func BenchmarkMatch(b *testing.B) {
	c := NewChecker(nil, nil)
	for _, d := range []string{
		"mailinator.com", "a.b.mailinator.com",
		"uw.edu.pl", "edu.pl", "host.ddns.net",
		"gmail.com", "mail.corp.example.co.uk",
	} {
		m, ok := c.Match(d)
		if em, eok := eagerMatch(d); em != m || eok != ok {
			b.Fatalf("%s: eager and lazy disagree", d)
		}
		b.Run("lazy/"+d, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Match(d)
			}
		})
		b.Run("eager/"+d, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				eagerMatch(d)
			}
		})
	}
}

// BenchmarkNormalizeAndLookup adds what the trigger does first: IDNA
// normalisation of the email's domain.
func BenchmarkNormalizeAndLookup(b *testing.B) {
	c := NewChecker(nil, nil)
	for _, d := range []string{"a.b.mailinator.com", "Mail.Corp.Example.CO.UK", "bücher.example"} {
		b.Run(d, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, _ := Normalize(d)
				c.Match(n)
			}
		})
	}
}

// BenchmarkLoad is what each approach costs before its first lookup.
func BenchmarkLoad(b *testing.B) {
	b.Run("cogwatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			NewChecker(nil, nil)
		}
	})
	b.Run("slice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			loadSlice()
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			loadMap()
		}
	})
}
