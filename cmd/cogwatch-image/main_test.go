package main

import (
	"bytes"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/ociimage"
	"github.com/cogwatch/cogwatch/internal/ociimage/ociimagetest"
	"github.com/cogwatch/cogwatch/internal/testutil"
)

// buildExporter builds cogwatch-exporter for linux and this machine's
// architecture as make image does (CGO_ENABLED=0, -trimpath, version by
// -ldflags), so that the image's binary can run here.
func buildExporter(t *testing.T, version string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cogwatch-exporter")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath",
		"-ldflags=-s -w -X github.com/prometheus/common/version.Version="+version,
		"-o", bin, "../cogwatch-exporter")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// TestImage builds the image for this machine's platform from a freshly
// built exporter, reads the archive back as a container runtime would, and
// runs the image's own binary: --version, then as a server from the
// image's root filesystem as the image's user.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cogwatch-exporter")
	}
	platform := "linux/" + runtime.GOARCH
	if runtime.GOOS != "linux" || !strings.Contains(strings.Join(ociimage.Platforms(), " "), platform) {
		t.Skipf("the image's binary cannot run on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	const version = "v0.0.0-imagetest"
	bin := buildExporter(t, version)
	out := filepath.Join(t.TempDir(), "build", "cogwatch-exporter.oci.tar")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1767225600"} // 2026-01-01T00:00:00Z
	var stderr bytes.Buffer
	code := run([]string{"--out", out, "--binary", platform + "=" + bin, "--version", version, "--revision", "abc123"},
		func(k string) string { return env[k] }, &stderr)
	require.Equal(t, 0, code, stderr.String())
	info, err := os.Stat(out)
	require.NoError(t, err)
	t.Logf("%s: %d bytes", platform, info.Size())

	top, idx := ociimagetest.Open(t, out)
	require.Equal(t, version, top.Annotations[ociimage.RefNameAnnotation])
	img := ociimagetest.Image(t, idx, platform)
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, []string{"/cogwatch-exporter"}, cfg.Config.Entrypoint)
	require.Empty(t, cfg.Config.Cmd)
	require.Equal(t, "65532:65532", cfg.Config.User)
	require.Equal(t, map[string]struct{}{"9877/tcp": {}, "9878/tcp": {}}, cfg.Config.ExposedPorts)
	require.Equal(t, map[string]string{
		"org.opencontainers.image.title":       "cogwatch-exporter",
		"org.opencontainers.image.description": "Receives cogwatch user events from SNS over HTTP(S) and exposes them to Prometheus.",
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.revision":    "abc123",
		"org.opencontainers.image.created":     "2026-01-01T00:00:00Z",
	}, cfg.Config.Labels)
	require.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), cfg.Created.UTC())

	files := ociimagetest.Files(t, img)
	system, err := os.ReadFile(ociimage.CACertificatesPath)
	require.NoError(t, err)
	require.Equal(t, system, files["etc/ssl/certs/ca-certificates.crt"].Body, "the build machine's CA bundle")

	// The root filesystem as a container would see it.
	root := t.TempDir()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f := files[name]
		path := filepath.Join(root, filepath.FromSlash(name))
		if f.Header.Typeflag == '5' {
			require.NoError(t, os.MkdirAll(path, 0o755))
		} else {
			require.NoError(t, os.WriteFile(path, f.Body, 0o644))
		}
		require.NoError(t, os.Chmod(path, fs.FileMode(f.Header.Mode&0o777)|modeBits(f.Header.Mode)))
		require.NoError(t, os.Lchown(path, f.Header.Uid, f.Header.Gid))
	}
	exe := filepath.Join(root, "cogwatch-exporter")

	t.Run("version", func(t *testing.T) {
		out, err := exec.CommandContext(t.Context(), exe, "--version").CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "cogwatch-exporter, version "+version)
		require.Contains(t, string(out), "platform:         "+platform)
	})

	t.Run("serves from the image's root as its user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("chroot and setuid need root")
		}
		before := tree(t, root)
		cmd := exec.CommandContext(t.Context(), "/cogwatch-exporter", "--log.format=json",
			"--web.listen-address=127.0.0.1:0", "--sns.listen-address=127.0.0.1:0")
		cmd.Dir = "/"
		cmd.Env = []string{}
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: ociimage.UID, Gid: ociimage.GID}}
		logs, err := cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		addrs := testutil.ListeningOn(t, logs, 2)
		for _, addr := range addrs {
			for _, path := range []string{"/-/healthy", "/-/ready"} {
				resp, err := http.Get("http://" + addr + path)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode, addr+path)
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, cmd.Wait(), "a graceful shutdown exits 0")
		require.Equal(t, before, tree(t, root), "nothing written to the root filesystem")
	})
}

func modeBits(m int64) fs.FileMode {
	if m&0o1000 != 0 {
		return fs.ModeSticky
	}
	return 0
}

// tree lists every path under root with its size and mode.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, path+" "+info.Mode().String()+" "+info.ModTime().String())
		return nil
	}))
	return out
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{name: "nothing", args: nil, code: 2, want: "give --out and at least one --binary"},
		{name: "no binary", args: []string{"--out", "x.tar"}, code: 2, want: "give --out and at least one --binary"},
		{name: "binary without platform", args: []string{"--out", "x.tar", "--binary", "cogwatch-exporter"}, code: 2,
			want: `"cogwatch-exporter" is not PLATFORM=PATH`},
		{name: "argument", args: []string{"--out", "x.tar", "--binary", "linux/amd64=x", "extra"}, code: 2, want: "no argument"},
		{name: "bad SOURCE_DATE_EPOCH", args: []string{"--out", "x.tar", "--binary", "linux/amd64=x"},
			env: map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, code: 2, want: `SOURCE_DATE_EPOCH="yesterday" is not a number of seconds`},
		{name: "no CA bundle", args: []string{"--out", "x.tar", "--binary", "linux/amd64=x", "--ca-certificates", "testdata/none.pem"},
			code: 1, want: "no such file"},
		{name: "not a binary", args: []string{"--out", filepath.Join(t.TempDir(), "x.tar"), "--binary", "linux/amd64=main.go"},
			code: 1, want: "linux/amd64 binary main.go: not an ELF executable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			code := run(tc.args, func(k string) string { return tc.env[k] }, &stderr)
			require.Equal(t, tc.code, code, stderr.String())
			require.Contains(t, stderr.String(), tc.want)
		})
	}
}
