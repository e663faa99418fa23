package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The non-root user and group the image runs as, by number so that
// Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
const (
	UID      = 65532
	GID      = 65532
	UserName = "nonroot"
)

// CACertificatesPath is where the CA bundle goes, the first place Go's
// crypto/x509 looks on Linux.
const CACertificatesPath = "/etc/ssl/certs/ca-certificates.crt"

// RefNameAnnotation names an entry of the layout's index.json: the tag
// that skopeo's and podman's oci-archive:FILE:TAG references select.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Options describes the image. Entrypoint, Binaries and CACertificates are
// required.
type Options struct {
	// Entrypoint is the binary's absolute path in the image, e.g.
	// /cogwatch-exporter. It is the image's whole entrypoint: arguments go
	// in the container's command.
	Entrypoint string
	// Binaries maps a platform, "linux/amd64" or "linux/arm64", to the path
	// of a statically linked ELF executable built for it.
	Binaries map[string]string
	// CACertificates is a PEM bundle of CA certificates.
	CACertificates []byte
	// ExposedPorts are the ports the binary listens on, e.g. "9877/tcp".
	ExposedPorts []string
	// StateDir, when set, is created owned by the image's user, as the one
	// place to mount a writable volume.
	StateDir string
	// Labels are the images' config labels (org.opencontainers.image.*).
	Labels map[string]string
	// Created dates the images and their history; with a fixed time (the
	// last commit's, as SOURCE_DATE_EPOCH), the same inputs give the same
	// digests.
	Created time.Time
}

// platforms lists the platforms an image is built for: Go's GOOS/GOARCH,
// the OCI variant, and the ELF machine a binary for it must have.
var platforms = map[string]struct {
	platform v1.Platform
	machine  elf.Machine
}{
	"linux/amd64": {v1.Platform{OS: "linux", Architecture: "amd64"}, elf.EM_X86_64},
	"linux/arm64": {v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, elf.EM_AARCH64},
}

// Platforms lists the platforms Build accepts, sorted.
func Platforms() []string { return slices.Sorted(maps.Keys(platforms)) }

// Build builds the image index: one image per entry of o.Binaries, in
// the order of Platforms.
func Build(o Options) (v1.ImageIndex, error) {
	if !path.IsAbs(o.Entrypoint) || path.Clean(o.Entrypoint) != o.Entrypoint || o.Entrypoint == "/" {
		return nil, fmt.Errorf("ociimage: entrypoint %q is not a clean absolute path", o.Entrypoint)
	}
	if len(o.Binaries) == 0 {
		return nil, errors.New("ociimage: no binary")
	}
	if err := checkCertificates(o.CACertificates); err != nil {
		return nil, err
	}
	if o.StateDir != "" && (!path.IsAbs(o.StateDir) || path.Clean(o.StateDir) != o.StateDir || o.StateDir == "/") {
		return nil, fmt.Errorf("ociimage: state directory %q is not a clean absolute path", o.StateDir)
	}
	base, err := gzipLayer(baseFiles(o), o.Created)
	if err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, name := range slices.Sorted(maps.Keys(o.Binaries)) {
		p, ok := platforms[name]
		if !ok {
			return nil, fmt.Errorf("ociimage: platform %q is not one of %s", name, strings.Join(Platforms(), ", "))
		}
		bin, err := os.ReadFile(o.Binaries[name])
		if err != nil {
			return nil, fmt.Errorf("ociimage: %s binary: %w", name, err)
		}
		if err := checkBinary(bin, p.machine); err != nil {
			return nil, fmt.Errorf("ociimage: %s binary %s: %w", name, o.Binaries[name], err)
		}
		binLayer, err := gzipLayer(binaryFiles(o.Entrypoint, bin), o.Created)
		if err != nil {
			return nil, err
		}
		img, err := image(o, p.platform, base, binLayer)
		if err != nil {
			return nil, fmt.Errorf("ociimage: %s: %w", name, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p.platform}})
	}
	return idx, nil
}

func image(o Options, p v1.Platform, base, bin v1.Layer) (v1.Image, error) {
	ports := map[string]struct{}{}
	for _, port := range o.ExposedPorts {
		ports[port] = struct{}{}
	}
	cfg := &v1.ConfigFile{
		Architecture: p.Architecture, OS: p.OS, Variant: p.Variant,
		Created: v1.Time{Time: o.Created},
		Config: v1.Config{
			Entrypoint:   []string{o.Entrypoint},
			User:         fmt.Sprintf("%d:%d", UID, GID),
			WorkingDir:   "/",
			ExposedPorts: ports,
			Labels:       o.Labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: o.Created}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "ociimage: CA certificates, users, nsswitch.conf"}},
		mutate.Addendum{Layer: bin, History: v1.History{Created: created, CreatedBy: "ociimage: " + o.Entrypoint}},
	)
}

// file is one entry of a layer; a nil body with mode fs.ModeDir is a directory.
type file struct {
	name     string
	mode     fs.FileMode
	uid, gid int
	body     []byte
}

func baseFiles(o Options) []file {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", UserName, UID, GID, UserName, UserName)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, GID)
	files := []file{
		{name: "etc/", mode: fs.ModeDir | 0o755},
		{name: "etc/group", mode: 0o444, body: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o444, body: []byte("hosts: files dns\n")},
		{name: "etc/passwd", mode: 0o444, body: []byte(passwd)},
		{name: "etc/ssl/", mode: fs.ModeDir | 0o755},
		{name: "etc/ssl/certs/", mode: fs.ModeDir | 0o755},
		{name: strings.TrimPrefix(CACertificatesPath, "/"), mode: 0o444, body: o.CACertificates},
		{name: "home/", mode: fs.ModeDir | 0o755},
		{name: "home/" + UserName + "/", mode: fs.ModeDir | 0o700, uid: UID, gid: GID},
		{name: "tmp/", mode: fs.ModeDir | fs.ModeSticky | 0o777},
	}
	if o.StateDir != "" {
		dirs := strings.Split(strings.TrimPrefix(o.StateDir, "/"), "/")
		for i := range dirs {
			f := file{name: strings.Join(dirs[:i+1], "/") + "/", mode: fs.ModeDir | 0o755}
			if i == len(dirs)-1 {
				f.mode, f.uid, f.gid = fs.ModeDir|0o700, UID, GID
			}
			if !slices.ContainsFunc(files, func(g file) bool { return g.name == f.name }) {
				files = append(files, f)
			}
		}
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	return files
}

func binaryFiles(entrypoint string, bin []byte) []file {
	var files []file
	dirs := strings.Split(strings.TrimPrefix(entrypoint, "/"), "/")
	for i := range dirs[:len(dirs)-1] {
		files = append(files, file{name: strings.Join(dirs[:i+1], "/") + "/", mode: fs.ModeDir | 0o755})
	}
	return append(files, file{name: strings.TrimPrefix(entrypoint, "/"), mode: 0o555, body: bin})
}

// gzipLayer writes files as a gzipped tar layer, compressed once here
// (the best compression: it is pushed and pulled many times) and
// deterministic: fixed times, numeric owners only, no names of this
// machine's users.
func gzipLayer(files []file, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: int64(f.mode.Perm()), Uid: f.uid, Gid: f.gid, ModTime: mtime, Format: tar.FormatPAX}
		if f.mode&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		if f.mode.IsDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("ociimage: layer: %w", err)
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, fmt.Errorf("ociimage: layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("ociimage: layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("ociimage: layer: %w", err)
	}
	gz := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(gz)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// checkBinary refuses what would not run on an empty base: another
// architecture, or a binary that needs a dynamic loader or shared libraries
// (built with cgo).
func checkBinary(bin []byte, machine elf.Machine) error {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	if f.Machine != machine {
		return fmt.Errorf("built for %s, not %s", f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (build it with CGO_ENABLED=0)")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("needs shared libraries %v (build it with CGO_ENABLED=0)", libs)
	}
	return nil
}

func checkCertificates(bundle []byte) error {
	n := 0
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("ociimage: CA certificates: %w", err)
		}
		n++
	}
	if n == 0 {
		return errors.New("ociimage: CA certificates: no PEM certificate in the bundle")
	}
	return nil
}

// WriteArchive writes idx to w as an OCI image layout in a tar archive,
// its one index.json entry named refName. The archive is deterministic:
// entries sorted, times fixed.
func WriteArchive(w io.Writer, idx v1.ImageIndex, refName string) error {
	dir, err := os.MkdirTemp("", "ociimage-")
	if err != nil {
		return fmt.Errorf("ociimage: %w", err)
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("ociimage: layout: %w", err)
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: refName}))
	}
	if err := p.AppendIndex(idx, opts...); err != nil {
		return fmt.Errorf("ociimage: layout: %w", err)
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || name == dir {
			return err
		}
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if d.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
			return tw.WriteHeader(h)
		}
		body, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		h.Typeflag, h.Size = tar.TypeReg, int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err = tw.Write(body)
		return err
	})
	if err != nil {
		return fmt.Errorf("ociimage: archive: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("ociimage: archive: %w", err)
	}
	return nil
}
