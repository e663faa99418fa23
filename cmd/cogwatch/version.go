package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print cogwatch's version, commit and Go version",
		Long: `Print the module version, the VCS commit and time the binary was built from,
and the Go version and platform, as recorded in the binary's build information.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				bi = nil
			}
			_, err := fmt.Fprint(cmd.OutOrStdout(), versionText(bi))
			return err
		},
	}
}

// versionText renders the build information; bi is nil when the binary has
// none (built without module support).
func versionText(bi *debug.BuildInfo) string {
	version, goVersion := "unknown", runtime.Version()
	settings := map[string]string{}
	if bi != nil {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	if v := settings["GOOS"]; v != "" {
		goos = v
	}
	if v := settings["GOARCH"]; v != "" {
		goarch = v
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cogwatch %s\n", version)
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "  commit: %s\n", rev)
	}
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(&b, "  built:  %s\n", t)
	}
	fmt.Fprintf(&b, "  go:     %s %s/%s\n", goVersion, goos, goarch)
	return b.String()
}
