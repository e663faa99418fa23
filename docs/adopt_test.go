package docs_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
)

// docPoolID is the pool id adopt.md's outputs show; the test's pool has
// another, which it writes as this one before comparing.
const docPoolID = "eu-west-1_AbCdEfGhI"

// cliStep is one command of adopt.md's "sh cli" blocks and the "text"
// block that follows it: what it prints.
type cliStep struct {
	line   int
	args   []string
	exit   int
	output string
}

var exitsWith = regexp.MustCompile(`^#\s*exits (\d+)$`)

// cliSteps extracts the commands of the "```sh cli" blocks of md, each
// paired with the "```text" block after it.
func cliSteps(t *testing.T, md []byte) []cliStep {
	t.Helper()
	var out []cliStep
	var block, text *strings.Builder
	var cur *cliStep
	exit, start := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case block == nil && text == nil && line == "```sh cli":
			require.Nil(t, cur, "line %d: a command block before the output of the one at line %d", n, start)
			block, exit, start = &strings.Builder{}, 0, n
		case block != nil && line == "```":
			cmd := strings.TrimSpace(block.String())
			require.NotEmpty(t, cmd, "line %d: empty block", start)
			require.NotContains(t, strings.ReplaceAll(cmd, `"$POOL_ID"`, ""), `"`, "line %d: only \"$POOL_ID\" may be quoted", start)
			args := strings.Fields(strings.ReplaceAll(cmd, `"$POOL_ID"`, "$POOL_ID"))
			require.Equal(t, "cogwatch", args[0], "line %d: only cogwatch commands", start)
			cur = &cliStep{line: start, args: args[1:], exit: exit}
			block = nil
		case block != nil:
			trimmed := strings.TrimSpace(line)
			if m := exitsWith.FindStringSubmatch(trimmed); m != nil {
				exit, _ = strconv.Atoi(m[1])
				continue
			}
			require.False(t, strings.HasPrefix(trimmed, "#"), "line %d: unknown comment", n)
			body, cont := strings.CutSuffix(line, "\\")
			block.WriteString(body)
			if !cont {
				block.WriteString("\n")
			}
		case cur != nil && text == nil && line == "```text":
			text = &strings.Builder{}
		case text != nil && line == "```":
			cur.output = text.String()
			out = append(out, *cur)
			cur, text = nil, nil
		case text != nil:
			text.WriteString(line + "\n")
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "the command at line %d has no output block", start)
	return out
}

// TestAdoptCommands runs the cogwatch commands of docs/adopt.md with the
// cogwatch binary against cognito-local, on a pool with a pre sign-up and
// a custom message function of its own, and checks each output and that
// the pool ends as it started.
func TestAdoptCommands(t *testing.T) {
	md, err := os.ReadFile("adopt.md")
	require.NoError(t, err)
	steps := cliSteps(t, md)
	require.GreaterOrEqual(t, len(steps), 5)

	e := cognitolocaltest.Start(t, cognitolocaltest.Options{})
	ctx := t.Context()
	bin := filepath.Join(t.TempDir(), "cogwatch")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/cogwatch")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	c := e.Client()
	created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("production-users"),
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(14), RequireNumbers: true}},
		LambdaConfig: &types.LambdaConfigType{
			PreSignUp:     aws.String("arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"),
			CustomMessage: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:custom-message"),
		},
		UserPoolTags: map[string]string{"team": "identity"}})
	require.NoError(t, err)
	pool := aws.ToString(created.UserPool.Id)
	describe := func() *types.UserPoolType { return e.DescribePool(ctx, t, pool) }
	start := describe()

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + e.Endpoint, "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local"}
	for _, s := range steps {
		args := make([]string, len(s.args))
		for i, a := range s.args {
			args[i] = strings.ReplaceAll(a, "$POOL_ID", pool)
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		var combined bytes.Buffer
		cmd.Stdout, cmd.Stderr = &combined, &combined
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		got := strings.ReplaceAll(combined.String(), pool, docPoolID)
		require.Equal(t, s.exit, code, "adopt.md line %d: exit code; output:\n%s", s.line, got)
		require.Equal(t, s.output, got, "adopt.md line %d: output", s.line)
	}
	require.Equal(t, start, describe(), "the pool's whole description, as it started")
}
