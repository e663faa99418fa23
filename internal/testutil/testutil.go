// Package testutil holds what the tests of several packages share: files
// compared with what the code generates (rewritten under -update), a buffer
// that concurrent writers may share, a proxy that hangs on demand, and the
// addresses an exporter logs that it listens on.
//
// It is test support: only _test.go files and test helpers import it. A test
// binary that imports it has the -update flag and must not define its own.
package testutil

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files and generated documentation instead of comparing with them")

// Update reports whether the tests run with -update, for a test that
// rewrites something other than one whole file (an emulator's recording).
func Update() bool { return *update }

// Golden fails t unless the file at path holds got, showing the difference
// and the command that rewrites it. With -update it writes got to path
// first.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s does not exist: %s", path, rerun(t))
	}
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "%s is out of date: %s", path, rerun(t))
}

// GoldenSection is Golden for one part of the file at path: the lines after
// the line holding begin, up to the line starting with end, must be section.
// With -update it rewrites that part and keeps the rest of the file.
func GoldenSection(t testing.TB, path, begin, end string, section []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(b)
	i := strings.Index(doc, begin)
	require.GreaterOrEqual(t, i, 0, "%s lost its marker %q", path, begin)
	nl := strings.Index(doc[i:], "\n")
	require.GreaterOrEqual(t, nl, 0, "%s: nothing after the marker %q", path, begin)
	i += nl + 1
	j := strings.Index(doc[i:], end)
	require.GreaterOrEqual(t, j, 0, "%s lost its marker %q after %q", path, end, begin)
	Golden(t, path, []byte(doc[:i]+string(section)+doc[i+j:]))
}

// rerun says how to rewrite the golden files of t's test.
func rerun(t testing.TB) string {
	name, _, _ := strings.Cut(t.Name(), "/")
	pkg := "."
	if dir, err := os.Getwd(); err == nil {
		for root := dir; ; root = filepath.Dir(root) {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				if rel, err := filepath.Rel(root, dir); err == nil {
					pkg = "./" + filepath.ToSlash(rel)
				}
				break
			}
			if filepath.Dir(root) == root {
				break
			}
		}
	}
	return "go test " + pkg + " -run '^" + name + "$' -update"
}

// SyncBuffer is a bytes buffer that concurrent writers may share, such as
// the handlers a Lambda host runs at once. The zero value is empty.
type SyncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// String returns what has been written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Lines returns the non-empty lines written so far.
func (b *SyncBuffer) Lines() []string {
	var out []string
	for l := range strings.SplitSeq(b.String(), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
