package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// link is one markdown link target, where it was written.
type link struct {
	line   int
	target string
}

var (
	// inlineLink matches [text](target) and ![alt](target), the target
	// without its optional "title".
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefinition matches a reference definition: [name]: target.
	refDefinition = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$`)
	codeSpan      = regexp.MustCompile("`+[^`]*`+")
	heading       = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
)

// links returns the link targets of a markdown document, outside fenced
// code blocks and code spans (but with the code spans that name a path
// starting with ../), and the anchors its headings define (as
// GitHub makes them: lower case, punctuation dropped, blanks to hyphens,
// -1, -2 … on repeats).
func links(md []byte) (out []link, anchors map[string]bool) {
	anchors = map[string]bool{}
	seen := map[string]int{}
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		if m := heading.FindStringSubmatch(line); m != nil {
			a := slug(m[1])
			if k := seen[a]; k > 0 {
				anchors[fmt.Sprintf("%s-%d", a, k)] = true
			} else {
				anchors[a] = true
			}
			seen[a]++
		}
		if m := refDefinition.FindStringSubmatch(line); m != nil {
			out = append(out, link{n, m[1]})
			continue
		}
		for _, m := range inlineLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
			out = append(out, link{n, m[1]})
		}
		// A path in code that climbs out of its directory is a reference
		// too: it must not leave the repository either.
		for _, span := range codeSpan.FindAllString(line, -1) {
			if p := strings.Trim(span, "`"); strings.HasPrefix(p, "../") && !strings.ContainsAny(p, " \t") {
				out = append(out, link{n, p})
			}
		}
	}
	return out, anchors
}

// slug is GitHub's anchor for a heading's text.
func slug(text string) string {
	text = strings.ReplaceAll(text, "`", "")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// checkLink says what is wrong with target, written in the markdown file
// at path (relative to root), or "" when it resolves inside root: http and
// https links are left to the outside world; every other link must name a
// file or directory of the repository, and a fragment a heading of the
// markdown file it points to.
func checkLink(root, path, target string, anchorsOf func(file string) (map[string]bool, error)) string {
	if target == "" {
		return "empty link"
	}
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Sprintf("not a URL: %v", err)
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		return ""
	case u.Scheme != "" || u.Host != "":
		return "only http(s) links may leave the repository"
	case strings.HasPrefix(u.Path, "/"):
		return "absolute path: link relative to the file"
	}
	file := path
	if u.Path != "" {
		file = filepath.Join(filepath.Dir(path), filepath.FromSlash(u.Path)) // cleaned
		if file == ".." || strings.HasPrefix(file, ".."+string(filepath.Separator)) {
			return "points outside the repository"
		}
		if _, err := os.Stat(filepath.Join(root, file)); err != nil {
			return fmt.Sprintf("%s does not exist in the repository", filepath.ToSlash(file))
		}
	}
	if u.Fragment == "" {
		return ""
	}
	if filepath.Ext(file) != ".md" {
		return "a fragment on a file that is not markdown"
	}
	anchors, err := anchorsOf(filepath.Join(root, file))
	if err != nil {
		return err.Error()
	}
	if !anchors[u.Fragment] {
		return fmt.Sprintf("%s has no heading #%s", filepath.ToSlash(file), u.Fragment)
	}
	return ""
}

// TestLinksStayInTheRepository checks every link of README.md and docs/:
// a clone of the repository alone must resolve them all.
func TestLinksStayInTheRepository(t *testing.T) {
	root := ".."
	files, err := filepath.Glob("*.md")
	require.NoError(t, err)
	paths := []string{"README.md"}
	for _, f := range files {
		paths = append(paths, filepath.Join("docs", f))
	}
	cache := map[string]map[string]bool{}
	anchorsOf := func(file string) (map[string]bool, error) {
		if a, ok := cache[file]; ok {
			return a, nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		_, a := links(b)
		cache[file] = a
		return a, nil
	}
	checked := 0
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(root, p))
		require.NoError(t, err)
		ls, _ := links(b)
		for _, l := range ls {
			if problem := checkLink(root, p, l.target, anchorsOf); problem != "" {
				t.Errorf("%s:%d: (%s): %s", p, l.line, l.target, problem)
			}
			checked++
		}
	}
	require.Greater(t, checked, 20, "the links were found")
}

// TestLinkChecker pins what the checker refuses, so that a broken link
// cannot pass for a good one.
func TestLinkChecker(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "docs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "docs", "a.md"), []byte("# Title\n## The `local` stack\n## Again\n## Again\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "README.md"), nil, 0o644))
	anchorsOf := func(file string) (map[string]bool, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		_, a := links(b)
		return a, nil
	}
	for _, tc := range []struct {
		from, target, want string
	}{
		{from: "README.md", target: "docs/a.md"},
		{from: "README.md", target: "docs/"},
		{from: "README.md", target: "docs/a.md#the-local-stack"},
		{from: "README.md", target: "docs/a.md#again-1"},
		{from: "docs/a.md", target: "#title"},
		{from: "docs/a.md", target: "../README.md"},
		{from: "README.md", target: "https://docs.aws.amazon.com/cognito/"},
		{from: "README.md", target: "../elsewhere/NOTES.md", want: "points outside the repository"},
		{from: "docs/a.md", target: "../../x.md", want: "points outside the repository"},
		{from: "README.md", target: "docs/architecture.md", want: "docs/architecture.md does not exist in the repository"},
		{from: "README.md", target: "/etc/passwd", want: "absolute path: link relative to the file"},
		{from: "README.md", target: "file:///etc/passwd", want: "only http(s) links may leave the repository"},
		{from: "README.md", target: "docs/a.md#nope", want: "docs/a.md has no heading #nope"},
		{from: "README.md", target: "", want: "empty link"},
	} {
		require.Equal(t, tc.want, checkLink(root, tc.from, tc.target, anchorsOf), "%s → %s", tc.from, tc.target)
	}

	md := []byte("See [a](docs/a.md) and ![img](x.png \"t\").\n`[not](a-link)` in `../elsewhere/NOTES.md`\n```\n[no](link)\n```\n[ref]: <docs/b.md>\n")
	ls, _ := links(md)
	require.Equal(t, []link{{1, "docs/a.md"}, {1, "x.png"}, {2, "../elsewhere/NOTES.md"}, {6, "docs/b.md"}}, ls)
}
