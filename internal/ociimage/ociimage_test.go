package ociimage_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/ociimage"
	"github.com/cogwatch/cogwatch/internal/ociimage/ociimagetest"
)

// fakeELF returns the smallest ELF executable header debug/elf reads, for
// machine, with a PT_INTERP program header when dynamic: enough for the
// checks Build makes, without compiling anything.
func fakeELF(machine elf.Machine, dynamic bool, payload string) []byte {
	var b bytes.Buffer
	phnum := uint16(0)
	if dynamic {
		phnum = 1
	}
	b.Write([]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)})
	b.Write(make([]byte, 9))
	le := binary.LittleEndian
	_ = binary.Write(&b, le, struct {
		Type, Machine                                   uint16
		Version                                         uint32
		Entry, Phoff, Shoff                             uint64
		Flags                                           uint32
		Ehsize, Phentsize, Phnum, Shentsize, Shnum, Str uint16
	}{uint16(elf.ET_EXEC), uint16(machine), uint32(elf.EV_CURRENT), 0x401000, 64, 0, 0, 64, 56, phnum, 64, 0, 0})
	if dynamic {
		_ = binary.Write(&b, le, elf.Prog64{Type: uint32(elf.PT_INTERP), Flags: uint32(elf.PF_R), Off: 120, Filesz: 28, Memsz: 28, Align: 1})
		b.WriteString("/lib64/ld-linux-x86-64.so.2\x00")
	}
	b.WriteString(payload)
	return b.Bytes()
}

func writeFile(t *testing.T, name string, body []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, body, 0o755))
	return path
}

// caBundle returns a PEM bundle of one self-signed CA certificate.
func caBundle(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func options(t *testing.T) ociimage.Options {
	return ociimage.Options{
		Entrypoint: "/cogwatch-exporter",
		Binaries: map[string]string{
			"linux/amd64": writeFile(t, "amd64", fakeELF(elf.EM_X86_64, false, "amd64 binary")),
			"linux/arm64": writeFile(t, "arm64", fakeELF(elf.EM_AARCH64, false, "arm64 binary")),
		},
		CACertificates: caBundle(t),
		ExposedPorts:   []string{"9877/tcp", "9878/tcp"},
		StateDir:       "/var/lib/cogwatch-exporter",
		Labels:         map[string]string{"org.opencontainers.image.title": "cogwatch-exporter", "org.opencontainers.image.version": "v1.2.3"},
		Created:        time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC),
	}
}

func archive(t *testing.T, o ociimage.Options, ref string) []byte {
	t.Helper()
	idx, err := ociimage.Build(o)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, ociimage.WriteArchive(&buf, idx, ref))
	return buf.Bytes()
}

// strictJSON decodes raw into v, failing on any field v does not declare.
func strictJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "%s", raw)
}

func TestBuildArchive(t *testing.T) {
	t.Parallel()
	o := options(t)
	path := writeFile(t, "image.oci.tar", archive(t, o, "v1.2.3"))
	top, idx := ociimagetest.Open(t, path)
	require.Equal(t, types.OCIImageIndex, top.MediaType)
	require.Equal(t, "v1.2.3", top.Annotations[ociimage.RefNameAnnotation])

	rawIndex, err := idx.RawManifest()
	require.NoError(t, err)
	var index specs.Index
	strictJSON(t, rawIndex, &index)
	require.Equal(t, specs.MediaTypeImageIndex, index.MediaType)
	var platforms []string
	for _, m := range index.Manifests {
		require.Equal(t, specs.MediaTypeImageManifest, m.MediaType)
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture+"/"+m.Platform.Variant)
	}
	require.Equal(t, []string{"linux/amd64/", "linux/arm64/v8"}, platforms)

	var baseLayers []v1.Hash
	for platform, binPath := range o.Binaries {
		t.Run(platform, func(t *testing.T) {
			img := ociimagetest.Image(t, idx, platform)
			rawManifest, err := img.RawManifest()
			require.NoError(t, err)
			var manifest specs.Manifest
			strictJSON(t, rawManifest, &manifest)
			require.Equal(t, specs.MediaTypeImageConfig, manifest.Config.MediaType)
			require.Len(t, manifest.Layers, 2)
			for _, l := range manifest.Layers {
				require.Equal(t, specs.MediaTypeImageLayerGzip, l.MediaType)
			}
			baseLayers = append(baseLayers, v1.Hash{Algorithm: "sha256", Hex: manifest.Layers[0].Digest.Encoded()})

			rawConfig, err := img.RawConfigFile()
			require.NoError(t, err)
			var config specs.Image
			strictJSON(t, rawConfig, &config)
			require.Equal(t, "linux", config.OS)
			require.Equal(t, strings.TrimPrefix(platform, "linux/"), config.Architecture)
			require.Equal(t, o.Created, config.Created.UTC())
			require.Equal(t, []string{"/cogwatch-exporter"}, config.Config.Entrypoint)
			require.Empty(t, config.Config.Cmd)
			require.Equal(t, "65532:65532", config.Config.User)
			require.Equal(t, map[string]struct{}{"9877/tcp": {}, "9878/tcp": {}}, config.Config.ExposedPorts)
			require.Equal(t, o.Labels, config.Config.Labels)
			require.Len(t, config.RootFS.DiffIDs, 2)
			require.Len(t, config.History, 2)

			files := ociimagetest.Files(t, img)
			var names []string
			for name, f := range files {
				names = append(names, name)
				require.Zero(t, f.Header.Uname+f.Header.Gname, "%s: numeric owners only", name)
				require.Equal(t, o.Created, f.Header.ModTime.UTC(), name)
				if f.Header.Uid != 0 {
					require.Contains(t, []string{"home/nonroot/", "var/lib/cogwatch-exporter/"}, name, "only the user's own directories are the user's")
				}
			}
			slices.Sort(names)
			require.Equal(t, []string{"cogwatch-exporter", "etc/", "etc/group", "etc/nsswitch.conf", "etc/passwd",
				"etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt", "home/", "home/nonroot/", "tmp/",
				"var/", "var/lib/", "var/lib/cogwatch-exporter/"}, names)

			want, err := os.ReadFile(binPath)
			require.NoError(t, err)
			bin := files["cogwatch-exporter"]
			require.Equal(t, want, bin.Body)
			require.Equal(t, int64(0o555), bin.Header.Mode)
			require.Equal(t, o.CACertificates, files["etc/ssl/certs/ca-certificates.crt"].Body)
			require.Contains(t, string(files["etc/passwd"].Body), "\nnonroot:x:65532:65532:")
			require.Contains(t, string(files["etc/group"].Body), "\nnonroot:x:65532:")
			state := files["var/lib/cogwatch-exporter/"].Header
			require.Equal(t, []int{65532, 65532, 0o700}, []int{state.Uid, state.Gid, int(state.Mode)})
			require.Equal(t, int64(0o1777), files["tmp/"].Header.Mode)
		})
	}
	require.Len(t, baseLayers, 2)
	require.Equal(t, baseLayers[0], baseLayers[1], "the platforms share the base layer")
}

func TestArchiveReproducible(t *testing.T) {
	t.Parallel()
	o := options(t)
	first := archive(t, o, "v1.2.3")
	require.Equal(t, first, archive(t, o, "v1.2.3"), "same inputs, same bytes")
	o.Created = o.Created.Add(time.Second)
	require.NotEqual(t, first, archive(t, o, "v1.2.3"), "the creation time is in the image")
}

func TestBuildRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, o *ociimage.Options)
		want   string
	}{
		{name: "dynamically linked", change: func(t *testing.T, o *ociimage.Options) {
			o.Binaries["linux/amd64"] = writeFile(t, "dyn", fakeELF(elf.EM_X86_64, true, ""))
		}, want: "dynamically linked (build it with CGO_ENABLED=0)"},
		{name: "another architecture", change: func(t *testing.T, o *ociimage.Options) {
			o.Binaries["linux/arm64"] = o.Binaries["linux/amd64"]
		}, want: "built for EM_X86_64, not EM_AARCH64"},
		{name: "not an executable", change: func(t *testing.T, o *ociimage.Options) {
			o.Binaries["linux/amd64"] = writeFile(t, "script", []byte("#!/bin/sh\n"))
		}, want: "not an ELF executable"},
		{name: "missing binary", change: func(t *testing.T, o *ociimage.Options) {
			o.Binaries["linux/amd64"] = filepath.Join(t.TempDir(), "nothing")
		}, want: "linux/amd64 binary: open"},
		{name: "unknown platform", change: func(t *testing.T, o *ociimage.Options) {
			o.Binaries["windows/amd64"] = o.Binaries["linux/amd64"]
		}, want: `platform "windows/amd64" is not one of linux/amd64, linux/arm64`},
		{name: "no binary", change: func(_ *testing.T, o *ociimage.Options) { o.Binaries = nil }, want: "no binary"},
		{name: "no certificate", change: func(_ *testing.T, o *ociimage.Options) { o.CACertificates = []byte("not PEM\n") },
			want: "no PEM certificate in the bundle"},
		{name: "bad certificate", change: func(_ *testing.T, o *ociimage.Options) {
			o.CACertificates = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})
		}, want: "CA certificates: x509:"},
		{name: "relative entrypoint", change: func(_ *testing.T, o *ociimage.Options) { o.Entrypoint = "cogwatch-exporter" },
			want: "is not a clean absolute path"},
		{name: "state directory with dot segments", change: func(_ *testing.T, o *ociimage.Options) { o.StateDir = "/var/../etc" },
			want: "is not a clean absolute path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := options(t)
			tc.change(t, &o)
			_, err := ociimage.Build(o)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
