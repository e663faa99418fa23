package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/dashboards"
)

func TestDashboardsRender(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := execute(t.Context(), []string{"dashboards", "render", "--out", dir, "--param", "UserPool=eu-west-1_AbC"},
		strings.NewReader(""), &out, &errOut)
	require.Equal(t, exitOK, code, errOut.String())
	for _, name := range []string{"cloudwatch/summary.json", "cloudwatch/detail.json", "cloudwatch/template-resources.yaml",
		"grafana/cogwatch.json", "prometheus/cogwatch.rules.yml"} {
		require.Contains(t, out.String(), filepath.Join(dir, name))
		require.FileExists(t, filepath.Join(dir, name))
	}
	summary, err := os.ReadFile(filepath.Join(dir, "cloudwatch/summary.json"))
	require.NoError(t, err)
	require.Contains(t, string(summary), `"eu-west-1_AbC"`)
	require.NotContains(t, string(summary), "${UserPool}")
}

func TestDashboardsRenderTemplate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "template.yaml")
	stale := "Resources:\n" + dashboards.BeginMarker + "\n  Old: {}\n" + dashboards.EndMarker + "\nOutputs: {}\n"
	require.NoError(t, os.WriteFile(path, []byte(stale), 0o644))
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := execute(t.Context(), append([]string{"dashboards", "render"}, args...), strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, msg := run("--template", path, "--check")
	require.Equal(t, exitFailure, code, msg)
	require.Contains(t, msg, "out of date")
	code, msg = run("--template", path)
	require.Equal(t, exitOK, code, msg)
	require.Contains(t, msg, "updated")
	code, msg = run("--template", path, "--check")
	require.Equal(t, exitOK, code, msg)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(got), "SummaryDashboard:")
	require.True(t, strings.HasSuffix(string(got), "\nOutputs: {}\n"), "the rest of the template is kept")
}

func TestDashboardsRenderUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "nothing to do", args: nil, want: "give --out, --template or both"},
		{name: "check without template", args: []string{"--out", "x", "--check"}, want: "--check needs --template"},
		{name: "missing template", args: []string{"--template", "testdata/no-such-template.yaml"}, want: "no such file"},
		{name: "template without markers", args: []string{"--template", "testdata/no-markers.yaml"}, want: "markers not found"},
		{name: "bad param", args: []string{"--out", "x", "--param", "novalue"}, want: "novalue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			code := execute(t.Context(), append([]string{"dashboards", "render"}, tc.args...), strings.NewReader(""), &out, &errOut)
			require.Equal(t, exitUsage, code)
			require.Contains(t, errOut.String(), tc.want)
		})
	}
}
