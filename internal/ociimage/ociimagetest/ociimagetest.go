// Package ociimagetest reads back what package ociimage writes, for tests:
// the layout inside an archive, an image's files as a container sees them.
package ociimagetest

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/require"
)

// Open extracts the OCI layout archive at archive into a temporary
// directory and returns the descriptor of index.json's one entry and the
// image index it points to.
func Open(t testing.TB, archive string) (v1.Descriptor, v1.ImageIndex) {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	dir := t.TempDir()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		name := filepath.FromSlash(h.Name)
		require.True(t, filepath.IsLocal(name), "archive entry %q leaves the layout", h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		case tar.TypeReg:
			body, err := io.ReadAll(tr)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), body, 0o644))
		default:
			t.Fatalf("archive entry %q has type %q: only directories and files are expected", h.Name, h.Typeflag)
		}
	}
	top, err := layout.ImageIndexFromPath(dir)
	require.NoError(t, err)
	m, err := top.IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 1, "index.json has one entry, the image index")
	idx, err := top.ImageIndex(m.Manifests[0].Digest)
	require.NoError(t, err)
	return m.Manifests[0], idx
}

// Image returns idx's image for platform ("linux/amd64").
func Image(t testing.TB, idx v1.ImageIndex, platform string) v1.Image {
	t.Helper()
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	for _, d := range m.Manifests {
		require.NotNil(t, d.Platform, "manifest %s has no platform", d.Digest)
		p := d.Platform.OS + "/" + d.Platform.Architecture
		if p == platform {
			img, err := idx.Image(d.Digest)
			require.NoError(t, err)
			return img
		}
	}
	t.Fatalf("no image for %s", platform)
	return nil
}

// File is an entry of an image's filesystem.
type File struct {
	Header *tar.Header
	Body   []byte
}

// Files returns img's filesystem, its layers applied in order, by path
// without the leading slash; directories end in a slash.
func Files(t testing.TB, img v1.Image) map[string]File {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]File{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		require.NoError(t, err)
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		name := strings.TrimPrefix(h.Name, "/")
		if h.Typeflag == tar.TypeDir && !strings.HasSuffix(name, "/") {
			name += "/"
		}
		files[name] = File{Header: h, Body: body}
	}
}
