// Package ociimage builds a container image for one statically linked Go
// binary without Docker and without pulling anything: an OCI image index
// with one image per platform, each on an empty base (two layers: a few
// system files, then the binary), written as an OCI image layout in a tar
// archive that skopeo, podman, crane or docker load.
//
// The system files are what a Go server needs and nothing more: CA
// certificates (for outgoing TLS), /etc/passwd and /etc/group naming the
// non-root user the image runs as (UID 65532, as in distroless images),
// /etc/nsswitch.conf for Go's resolver, and optionally a directory owned by
// that user where a volume is mounted, so that the root filesystem can be
// read-only. There is no shell.
//
// It is a build tool's package (cmd/cogwatch-image, make image), never
// linked into a binary that runs in production. Image layout:
// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
package ociimage
