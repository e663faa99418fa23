package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

type run struct {
	code           int
	stdout, stderr string
}

// cogwatch runs the command line as main does, with captured streams.
func cogwatch(ctx context.Context, stdin io.Reader, args ...string) run {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	code := execute(ctx, args, stdin, &stdout, &stderr)
	return run{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// TestHelpEveryCommand: every command in the tree, the other engineers'
// included, answers --help with its usage and exit 0.
func TestHelpEveryCommand(t *testing.T) {
	var paths [][]string
	walk(newRootCmd(), func(c *cobra.Command) {
		var path []string
		for p := c; p.HasParent(); p = p.Parent() {
			path = append([]string{p.Name()}, path...)
		}
		paths = append(paths, path)
	})
	require.GreaterOrEqual(t, len(paths), 5, "root, version, simulate, events, events decode at least")
	for _, path := range paths {
		t.Run(strings.Join(append([]string{"cogwatch"}, path...), " "), func(t *testing.T) {
			r := cogwatch(t.Context(), nil, append(path, "--help")...)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "Usage:")
			require.Contains(t, r.stdout, "-h, --help")
			require.Empty(t, r.stderr)
		})
	}
}

func TestRootListsCommands(t *testing.T) {
	r := cogwatch(t.Context(), nil)
	require.Equal(t, 0, r.code)
	for _, name := range []string{"version", "simulate", "events"} {
		require.Contains(t, r.stdout, "\n  "+name+" ")
	}
	require.Contains(t, r.stdout, "Exit codes: 0 success, 1 failure, 2 bad usage or configuration.")
}

// TestGroupsRefuseUnknownSubcommands: every command that only groups
// others prints its help when called alone and refuses anything else.
func TestGroupsRefuseUnknownSubcommands(t *testing.T) {
	var groups []string
	walk(newRootCmd(), func(c *cobra.Command) {
		if c.HasParent() && c.HasSubCommands() {
			groups = append(groups, c.Name())
		}
	})
	require.Contains(t, groups, "events")
	for _, g := range groups {
		t.Run(g, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, g)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "Available Commands:")
			r = cogwatch(t.Context(), nil, g, "nope")
			require.Equal(t, 2, r.code)
			require.Empty(t, r.stdout)
			require.Contains(t, r.stderr, "unknown command \"nope\"")
		})
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "unknown command", args: []string{"nope"}, code: 2, stderr: "cogwatch: unknown command \"nope\" for \"cogwatch\"\nRun 'cogwatch --help' for usage.\n"},
		{name: "unknown subcommand", args: []string{"events", "nope"}, code: 2, stderr: "cogwatch events: unknown command \"nope\" for \"cogwatch events\"\nRun 'cogwatch events --help' for usage.\n"},
		{name: "unknown flag", args: []string{"version", "--nope"}, code: 2, stderr: "cogwatch version: unknown flag: --nope\nRun 'cogwatch version --help' for usage.\n"},
		{name: "extra argument", args: []string{"version", "extra"}, code: 2, stderr: "cogwatch version: unknown command \"extra\" for \"cogwatch version\"\nRun 'cogwatch version --help' for usage.\n"},
		{name: "two files", args: []string{"events", "decode", "a", "b"}, code: 2, stderr: "cogwatch events decode: accepts at most 1 arg(s), received 2\nRun 'cogwatch events decode --help' for usage.\n"},
		{name: "missing file", args: []string{"events", "decode", "testdata/events/nope.json"}, code: 1, stderr: "cogwatch events decode: open testdata/events/nope.json: no such file or directory\n"},
		{name: "simulate without client", args: []string{"simulate"}, code: 2, stderr: "cogwatch simulate: --client-id is required\nRun 'cogwatch simulate --help' for usage.\n"},
		{name: "simulate no users", args: []string{"simulate", "--client-id", "c", "-n", "0"}, code: 2, stderr: "cogwatch simulate: --users 0: want at least 1\nRun 'cogwatch simulate --help' for usage.\n"},
		{name: "simulate bad share", args: []string{"simulate", "--client-id", "c", "--invalid", "1.5"}, code: 2, stderr: "cogwatch simulate: --invalid 1.5: want a share between 0 and 1\nRun 'cogwatch simulate --help' for usage.\n"},
		{name: "simulate shares over one", args: []string{"simulate", "--endpoint", "http://127.0.0.1:1", "--client-id", "c", "--user-pool-id", "p", "--invalid", "0.6", "--disposable", "0.6"}, code: 2, stderr: "cogwatch simulate: --disposable 0.6 + --invalid 0.6: the shares add up to more than 1\nRun 'cogwatch simulate --help' for usage.\n"},
		{name: "simulate no pool", args: []string{"simulate", "--endpoint", "http://127.0.0.1:1", "--client-id", "c"}, code: 2, stderr: "cogwatch simulate: --user-pool-id is required to confirm users (or give --confirmation-code)\nRun 'cogwatch simulate --help' for usage.\n"},
		{name: "simulate bad endpoint", args: []string{"simulate", "--client-id", "c", "--user-pool-id", "p", "--endpoint", "ftp://x"}, code: 2, stderr: "cogwatch simulate: --endpoint \"ftp://x\": want an http or https URL\nRun 'cogwatch simulate --help' for usage.\n"},
		{name: "local endpoints file in no directory", args: []string{"local", "--endpoints-file", "/nonexistent/endpoints.json"}, code: 2, stderr: "cogwatch local: --endpoints-file /nonexistent/endpoints.json: no directory /nonexistent to write it in\nRun 'cogwatch local --help' for usage.\n"},
		{name: "local endpoints file a directory", args: []string{"local", "--endpoints-file", "testdata"}, code: 2, stderr: "cogwatch local: --endpoints-file testdata: is a directory\nRun 'cogwatch local --help' for usage.\n"},
		{name: "local negative warm interval", args: []string{"local", "--warm-interval", "-1s"}, code: 2, stderr: "cogwatch local: --warm-interval -1s: want a positive duration, or 0 for never\nRun 'cogwatch local --help' for usage.\n"},
		{name: "local negative duration", args: []string{"local", "--duration", "-5s"}, code: 2, stderr: "cogwatch local: --duration -5s: want a positive duration\nRun 'cogwatch local --help' for usage.\n"},
		{name: "events decode a directory", args: []string{"events", "decode", "testdata"}, code: 1, stderr: "cogwatch events decode: testdata: is a directory\n"},
		{name: "render an unknown placeholder", args: []string{"dashboards", "render", "--out", "testdata/never-written", "--param", "Userpool=eu-west-1_AbC"}, code: 2, stderr: "cogwatch dashboards render: --param Userpool: no such placeholder in the dashboards; the names are AWS::Region, ApiFunction, AuthenticationFunction, CloudWatchConsumerDLQ.QueueName, CloudWatchConsumerFunction, CloudWatchConsumerQueue.QueueName, CustomMessageFunction, EventBridgeConsumerDLQ.QueueName, EventBridgeConsumerFunction, EventBridgeConsumerQueue.QueueName, PostConfirmationFunction, PreSignUpFunction, PreTokenGenerationFunction, UserEventsTopic.TopicName, UserPool, WarmerFunction\nRun 'cogwatch dashboards render --help' for usage.\n"},
		{name: "render a param without --out", args: []string{"dashboards", "render", "--template", "t.yaml", "--param", "UserPool=x"}, code: 2, stderr: "cogwatch dashboards render: --param fills the dashboards written under --out: give --out\nRun 'cogwatch dashboards render --help' for usage.\n"},
		{name: "simulate bad duration", args: []string{"simulate", "--client-id", "c", "--timeout", "soon"}, code: 2, stderr: "cogwatch simulate: invalid argument \"soon\" for \"--timeout\" flag: time: invalid duration \"soon\"\nRun 'cogwatch simulate --help' for usage.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, tc.args...)
			require.Equal(t, tc.code, r.code, r.stderr)
			require.Equal(t, tc.stderr, r.stderr)
			require.Empty(t, r.stdout, "nothing started")
		})
	}
	require.NoDirExists(t, "testdata/never-written", "a refused render writes nothing")
}
