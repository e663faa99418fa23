package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSyncBufferKeepsConcurrentLinesWhole(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _, _ = b.Write([]byte(strings.Repeat("x", 100) + "\n")) })
	}
	wg.Wait()
	lines := b.Lines()
	require.Len(t, lines, 50)
	for _, l := range lines {
		require.Equal(t, strings.Repeat("x", 100), l)
	}
}

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper()                           {}
func (f *fakeT) Name() string                      { return "TestDoc/case" }
func (f *fakeT) Errorf(format string, args ...any) { f.failed = format }
func (f *fakeT) FailNow()                          { panic(f) }
func (f *fakeT) Fatalf(format string, args ...any) { f.failed = format; panic(f) }

// golden runs Golden on a fake t and returns whether it failed.
func golden(path string, got []byte) (failed bool) {
	ft := &fakeT{}
	defer func() {
		if r := recover(); r != nil && r != ft {
			panic(r)
		}
		failed = ft.failed != ""
	}()
	Golden(ft, path, got)
	return ft.failed != ""
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.golden")
	require.True(t, golden(path, []byte("a\n")), "a missing file fails")
	require.NoError(t, os.WriteFile(path, []byte("a\n"), 0o644))
	require.False(t, golden(path, []byte("a\n")), "the same bytes pass")
	require.True(t, golden(path, []byte("b\n")), "other bytes fail")

	*update = true
	defer func() { *update = false }()
	require.False(t, golden(path, []byte("b\n")), "-update rewrites")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "b\n", string(got))
}

func TestRerunNamesThePackageAndTest(t *testing.T) {
	require.Equal(t, "go test ./internal/testutil -run '^TestDoc$' -update", rerun(&fakeT{}))
}

func TestGoldenSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	doc := "intro\n<!-- table:begin (generated) -->\nold\n<!-- table:end -->\noutro\n"
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	ft := &fakeT{}
	func() {
		defer func() { _ = recover() }()
		GoldenSection(ft, path, "<!-- table:begin", "<!-- table:end", []byte("new\n"))
	}()
	require.NotEmpty(t, ft.failed, "a stale section fails")

	*update = true
	defer func() { *update = false }()
	GoldenSection(t, path, "<!-- table:begin", "<!-- table:end", []byte("new\n"))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "intro\n<!-- table:begin (generated) -->\nnew\n<!-- table:end -->\noutro\n", string(got))
}
