package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionText(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{name: "no build info", bi: nil, want: "cogwatch unknown\n  go:     " + runtime.Version() + " " + platform + "\n"},
		{
			name: "release",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cogwatch/cogwatch", Version: "v1.4.0"},
				Settings: []debug.BuildSetting{
					{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
					{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
					{Key: "vcs.time", Value: "2026-03-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"},
				}},
			want: "cogwatch v1.4.0\n  commit: 0123456789abcdef0123456789abcdef01234567\n  built:  2026-03-01T10:00:00Z\n  go:     go1.26.8 linux/arm64\n",
		},
		{
			name: "dirty work tree",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			want: "cogwatch (devel)\n  commit: abc (modified)\n  go:     go1.26.8 " + platform + "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, versionText(tc.bi))
		})
	}
}

func TestVersionCommand(t *testing.T) {
	r := cogwatch(t.Context(), nil, "version")
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "cogwatch "), r.stdout)
	require.Contains(t, r.stdout, "  go:     "+runtime.Version()+" ")
	require.Empty(t, r.stderr)
}
