package disposable_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/triggers/disposable"
	"github.com/cogwatch/cogwatch/triggers/disposable/internal/domainlist"
)

// TestGenerated rebuilds the list from the pinned module, as go generate
// does, and fails when the committed files differ: the dependency in go.mod is
// the source of truth, and bumping it without regenerating is caught here.
func TestGenerated(t *testing.T) {
	m, err := domainlist.Locate(".")
	require.NoError(t, err)
	src, err := os.ReadFile(m.SourcePath())
	require.NoError(t, err)
	upstream, err := domainlist.Parse(src)
	require.NoError(t, err)
	require.Greater(t, len(upstream), 100_000, "upstream list shrank: check %s", m.SourcePath())
	r, err := domainlist.Build(upstream, disposable.Relays)
	require.NoError(t, err)
	require.Empty(t, r.Invalid)

	committed, err := os.ReadFile(disposable.DataFile)
	require.NoError(t, err)
	if !bytes.Equal(domainlist.Encode(r.Domains), committed) {
		t.Fatalf("%s differs from %s %s: run go generate ./triggers/disposable", disposable.DataFile, m.Path, m.Version)
	}
	goFile, err := os.ReadFile("source_gen.go")
	require.NoError(t, err)
	require.Equal(t, string(domainlist.GoFile("disposable", m, len(r.Domains))), string(goFile), "run go generate ./triggers/disposable")

	// Every upstream domain is matched, except the relays and the public
	// suffixes.
	c := disposable.NewChecker(nil, nil)
	var unmatched []string
	for _, d := range upstream {
		n, err := disposable.Normalize(d)
		require.NoError(t, err)
		_, ok := c.Match(n)
		if !ok && !strings.HasSuffix(n, "33mail.com") {
			unmatched = append(unmatched, n)
		}
	}
	slices.Sort(unmatched)
	require.Equal(t, r.PublicSuffixes, unmatched)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
		err  string
	}{
		{name: "map", src: "package p\nvar disposableDomains = map[string]bool{\"a.com\": true, \"b.com\": false, \"c.com\": true}\n", want: []string{"a.com", "c.com"}},
		{name: "no variable", src: "package p\nvar other = map[string]bool{}\n", err: "no var disposableDomains"},
		{name: "not a literal", src: "package p\nvar disposableDomains = f()\n", err: "not a composite literal"},
		{name: "not Go", src: "{", err: "parse metadata_disposable.go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := domainlist.Parse([]byte(tc.src))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestBuild(t *testing.T) {
	r, err := domainlist.Build(
		[]string{"B.example", "a.example", "b.example", "x.duck.com", "duck.com", "bücher.example", "nodot", "bad_label.example", "edu.pl", "uni.edu.pl", "ddns.net"},
		[]string{"duck.com"},
	)
	require.NoError(t, err)
	require.Equal(t, []string{"a.example", "b.example", "ddns.net", "edu.pl", "uni.edu.pl", "xn--bcher-kva.example"}, r.Domains)
	require.Equal(t, []string{"ddns.net", "edu.pl"}, r.PublicSuffixes)
	require.Equal(t, []string{"x.duck.com", "duck.com"}, r.Excluded)
	require.Equal(t, []string{"nodot", "bad_label.example"}, r.Invalid)
	require.Equal(t, "a.example\nb.example\nddns.net\nedu.pl\nuni.edu.pl\nxn--bcher-kva.example\n", string(domainlist.Encode(r.Domains)))
}
