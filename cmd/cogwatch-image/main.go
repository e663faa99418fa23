// Command cogwatch-image builds cogwatch-exporter's container image, without
// Docker and from an empty base, as an OCI image layout archive
// (make image). See package internal/ociimage and docs/exporter.md.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/internal/ociimage"
)

func main() { os.Exit(run(os.Args[1:], os.Getenv, os.Stderr)) }

// Where the image keeps what it is given.
const (
	entrypoint = "/cogwatch-exporter"
	stateDir   = "/var/lib/cogwatch-exporter"
)

// run builds the image as args say and writes it. Exit codes: 0 written,
// 2 bad flags, 1 failure.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	fl := flag.NewFlagSet("cogwatch-image", flag.ContinueOnError)
	fl.SetOutput(stderr)
	binaries := map[string]string{}
	fl.Func("binary", "`PLATFORM=PATH` of a statically linked cogwatch-exporter, e.g. linux/arm64=build/image/linux/arm64/cogwatch-exporter (repeatable)", func(s string) error {
		platform, path, ok := strings.Cut(s, "=")
		if !ok || platform == "" || path == "" {
			return fmt.Errorf("%q is not PLATFORM=PATH", s)
		}
		binaries[platform] = path
		return nil
	})
	out := fl.String("out", "", "OCI layout archive to write, e.g. build/cogwatch-exporter.oci.tar")
	caFile := fl.String("ca-certificates", ociimage.CACertificatesPath, "PEM bundle of CA certificates to install (this machine's, by default)")
	version := fl.String("version", "dev", "version: the org.opencontainers.image.version label and the archive's tag")
	revision := fl.String("revision", "", "VCS revision, for the org.opencontainers.image.revision label")
	source := fl.String("source", "", "source repository URL, for the org.opencontainers.image.source label")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *out == "" || len(binaries) == 0 || fl.NArg() > 0 {
		fmt.Fprintln(stderr, "cogwatch-image: give --out and at least one --binary, and no argument")
		return 2
	}
	created, err := sourceDate(getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(stderr, "cogwatch-image:", err)
		return 2
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintln(stderr, "cogwatch-image:", err)
		return 1
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       "cogwatch-exporter",
		"org.opencontainers.image.description": "Receives cogwatch user events from SNS over HTTP(S) and exposes them to Prometheus.",
		"org.opencontainers.image.version":     *version,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
	}
	if *revision != "" {
		labels["org.opencontainers.image.revision"] = *revision
	}
	if *source != "" {
		labels["org.opencontainers.image.source"] = *source
	}
	var ports []string
	for _, addr := range []string{exporter.DefaultWebListenAddress, exporter.DefaultSNSListenAddress} {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			fmt.Fprintln(stderr, "cogwatch-image:", err)
			return 1
		}
		ports = append(ports, port+"/tcp")
	}
	idx, err := ociimage.Build(ociimage.Options{
		Entrypoint: entrypoint, Binaries: binaries, CACertificates: ca, ExposedPorts: ports,
		StateDir: stateDir, Labels: labels, Created: created,
	})
	if err != nil {
		fmt.Fprintln(stderr, "cogwatch-image:", err)
		return 1
	}
	var buf bytes.Buffer
	if err := ociimage.WriteArchive(&buf, idx, *version); err != nil {
		fmt.Fprintln(stderr, "cogwatch-image:", err)
		return 1
	}
	if err := writeAtomic(*out, buf.Bytes()); err != nil {
		fmt.Fprintln(stderr, "cogwatch-image:", err)
		return 1
	}
	fmt.Fprintf(stderr, "cogwatch-image: wrote %s (%d bytes)\n", *out, buf.Len())
	return 0
}

// sourceDate reads SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/):
// unset, the epoch itself, so that a build is reproducible by default.
func sourceDate(s string) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// writeAtomic writes body to a temporary file beside path and renames it,
// so that a failed build never leaves half an archive under the name.
func writeAtomic(path string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
