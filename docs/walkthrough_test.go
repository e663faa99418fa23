// Package docs_test runs the shell commands of docs/walkthrough.md against
// the local stack (`cogwatch local`), so the walkthrough cannot rot.
//
// The AWS CLI is not installed where the tests run, so each `aws
// cognito-idp OPERATION --param value ...` line is turned into the same
// operation of the Go SDK's Cognito client: the operation name and every
// parameter are mapped by name (sign-up → SignUp, --user-attributes →
// UserAttributes) onto the SDK's input struct, and an unknown operation or
// parameter fails the test. `--query` and `--output text` are applied to the
// answer for the variable assignments the walkthrough makes.
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
)

// confirmationCode is the code `cogwatch local` makes cognito-local give
// every user (local.DefaultConfirmationCode).
const confirmationCode = "123456"

// step is one shell command of the walkthrough, continuation lines joined.
type step struct {
	line    int    // line in the markdown file where it starts
	text    string // the command
	awsOnly bool   // in a block marked "sh aws-only": parsed, never run
	fails   string // error code a preceding "# fails with X" comment expects
}

var failsWith = regexp.MustCompile(`^#\s*fails with (\w+)`)

// steps extracts the commands of the ```sh blocks of a markdown document.
func steps(t *testing.T, md []byte) []step {
	t.Helper()
	var out []step
	in, awsOnly := false, false
	fails := ""
	var cur *step
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
			switch {
			case in:
				require.Nil(t, cur, "line %d: block ends inside a continued command", n)
				in = false
			case len(info) > 0 && info[0] == "sh":
				in, awsOnly = true, len(info) > 1 && info[1] == "aws-only"
			}
			continue
		}
		if !in {
			continue
		}
		if cur == nil {
			if trimmed == "" {
				continue
			}
			if strings.HasPrefix(trimmed, "#") {
				if m := failsWith.FindStringSubmatch(trimmed); m != nil {
					fails = m[1]
				}
				continue
			}
			cur = &step{line: n, awsOnly: awsOnly, fails: fails}
			fails = ""
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.text += body
			continue
		}
		cur.text += line
		cur.text = strings.TrimSpace(cur.text)
		out = append(out, *cur)
		cur = nil
	}
	require.NoError(t, sc.Err())
	return out
}

// shell is the walkthrough's shell state and what executes its steps.
type shell struct {
	t         *testing.T
	ctx       context.Context
	vars      map[string]string
	files     map[string]map[string]string // what `jq -r .key FILE` reads
	client    *cip.Client
	endpoint  string
	ran       map[string]int    // operations run
	validated map[string]int    // aws-only operations parsed
	answers   map[string]string // each operation's last answer, as JSON
	// lenient expands an unset variable to its own name, for aws-only
	// commands, whose variables hold values of a real account.
	lenient    bool
	lastStatus int // HTTP status of the last curl
}

var (
	assignCmd = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=\$\((.*)\)$`)
	readCmd   = regexp.MustCompile(`^read -r ((?:[A-Z_][A-Z0-9_]* ?)+) <<<"\$\((.*)\)"$`)
	jqRead    = regexp.MustCompile(`^jq -r \.(\w+) ([^<\s]\S*)$`) // from a file, not a here-string
	plainVar  = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)
)

func (sh *shell) run(s step) {
	t := sh.t
	t.Helper()
	where := fmt.Sprintf("walkthrough.md:%d: %s", s.line, s.text)
	switch {
	case strings.HasPrefix(s.text, "cogwatch local"):
		// The test starts cognito-local itself, set up as `cogwatch local` does.
	case strings.HasPrefix(s.text, "jq "):
		// Reading a token's claims: checked by the test itself.
	case strings.HasPrefix(s.text, "curl "):
		sh.lenient = s.awsOnly
		defer func() { sh.lenient = false }()
		words, err := sh.words(s.text)
		require.NoError(t, err, where)
		if s.awsOnly {
			_, err := parseCurl(words[1:])
			require.NoError(t, err, where)
			sh.validated["curl"]++
			return
		}
		_, err = sh.pipeline(words)
		require.NoError(t, err, where)
		require.Less(t, sh.lastStatus, 400, where)
		sh.ran["curl"]++
	case strings.HasPrefix(s.text, "export "):
		words, err := sh.words(strings.TrimPrefix(s.text, "export "))
		require.NoError(t, err, where)
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			require.True(t, ok, "%s: export of %q", where, w)
			sh.vars[k] = v
		}
	case assignCmd.MatchString(s.text):
		m := assignCmd.FindStringSubmatch(s.text)
		sh.vars[m[1]] = sh.substitute(s, m[2], where)
	case readCmd.MatchString(s.text):
		m := readCmd.FindStringSubmatch(s.text)
		names := strings.Fields(m[1])
		values := strings.Split(sh.substitute(s, m[2], where), "\t")
		require.Len(t, values, len(names), where)
		for i, n := range names {
			sh.vars[n] = values[i]
		}
	case plainVar.MatchString(s.text):
		words, err := sh.words(s.text)
		require.NoError(t, err, where)
		require.Len(t, words, 1, where)
		k, v, _ := strings.Cut(words[0], "=")
		sh.vars[k] = v
	case strings.HasPrefix(s.text, "aws "):
		sh.aws(s, s.text, where)
	default:
		t.Fatalf("%s: the walkthrough test does not know how to run this", where)
	}
}

// substitute runs a command substitution's command and returns its output.
func (sh *shell) substitute(s step, cmd, where string) string {
	t := sh.t
	t.Helper()
	if m := jqRead.FindStringSubmatch(cmd); m != nil {
		file, ok := sh.files[m[2]]
		require.True(t, ok, "%s: unknown file %s", where, m[2])
		v, ok := file[m[1]]
		require.True(t, ok, "%s: %s has no key %s", where, m[2], m[1])
		return v
	}
	if strings.HasPrefix(cmd, "aws ") {
		return sh.aws(s, cmd, where)
	}
	require.False(t, s.awsOnly, "%s: only aws commands are substituted in an aws-only block", where)
	words, err := sh.words(cmd)
	require.NoError(t, err, where)
	out, err := sh.pipeline(words)
	require.NoError(t, err, where)
	if words[0] == "curl" {
		sh.ran["curl"]++
		require.Less(t, sh.lastStatus, 400, "%s: %s", where, out)
	}
	// A command substitution drops the trailing newlines.
	return strings.TrimRight(out, "\n")
}

// aws runs one `aws cognito-idp` command through the SDK and returns what
// the CLI would print with its --query and --output.
func (sh *shell) aws(s step, cmd, where string) string {
	t := sh.t
	t.Helper()
	words, err := sh.words(cmd)
	require.NoError(t, err, where)
	require.GreaterOrEqual(t, len(words), 3, where)
	require.Equal(t, []string{"aws", "cognito-idp"}, words[:2], where)
	op := pascal(words[2])
	method := reflect.ValueOf(sh.client).MethodByName(op)
	require.True(t, method.IsValid(), "%s: the SDK has no operation %s", where, op)
	inType := method.Type().In(1).Elem()

	params := map[string]any{}
	var query, output, endpoint string
	args := words[3:]
	for len(args) > 0 {
		name, ok := strings.CutPrefix(args[0], "--")
		require.True(t, ok, "%s: expected an option, got %q", where, args[0])
		args = args[1:]
		var values []string
		for len(args) > 0 && !strings.HasPrefix(args[0], "--") {
			values, args = append(values, args[0]), args[1:]
		}
		switch name {
		case "endpoint-url":
			endpoint = one(t, where, name, values)
		case "query":
			query = one(t, where, name, values)
		case "output":
			output = one(t, where, name, values)
		case "region":
			one(t, where, name, values)
		default:
			// The CLI spells URLs "urls": CallbackURLs is --callback-urls.
			field, ok := inType.FieldByNameFunc(func(f string) bool { return strings.EqualFold(f, pascal(name)) })
			require.True(t, ok, "%s: %s takes no --%s", where, op, name)
			v, err := paramValue(field.Type, values)
			require.NoError(t, err, "%s: --%s", where, name)
			params[field.Name] = v
		}
	}
	b, err := json.Marshal(params)
	require.NoError(t, err)
	in := reflect.New(inType)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(in.Interface()), "%s: parameters do not fit %s", where, inType.Name())

	if s.awsOnly {
		require.Empty(t, endpoint, "%s: an AWS-only command has no --endpoint-url", where)
		sh.validated[op]++
		return "aws-only"
	}
	require.Equal(t, sh.endpoint, endpoint, "%s: every command runs against cogwatch local's Cognito", where)
	res := method.Call([]reflect.Value{reflect.ValueOf(sh.ctx), in})
	if errV := res[1]; !errV.IsNil() {
		err := errV.Interface().(error)
		var apiErr smithy.APIError
		require.True(t, errors.As(err, &apiErr), "%s: %v", where, err)
		require.Equal(t, s.fails, apiErr.ErrorCode(), "%s: %v", where, err)
		sh.ran[op]++
		return ""
	}
	require.Empty(t, s.fails, "%s: should have failed", where)
	sh.ran[op]++
	out, err := json.Marshal(res[0].Interface())
	require.NoError(t, err)
	sh.answers[op] = string(out)
	if query == "" {
		return string(out)
	}
	require.Equal(t, "text", output, "%s: the test reads --query results as --output text", where)
	got, err := jmespath(out, query)
	require.NoError(t, err, where)
	return got
}

func one(t *testing.T, where, name string, values []string) string {
	t.Helper()
	require.Len(t, values, 1, "%s: --%s takes one value", where, name)
	return values[0]
}

// pascal turns a CLI name into an API name: admin-add-user-to-group →
// AdminAddUserToGroup, allowed-o-auth-flows → AllowedOAuthFlows.
func pascal(kebab string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(kebab, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// paramValue converts the CLI's values for a parameter into the JSON value
// of the SDK field of type typ, using the CLI's shorthand syntax for maps
// and structures (Key=Value,Key=Value) and one value per list element.
func paramValue(typ reflect.Type, values []string) (any, error) {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Bool:
		if len(values) != 0 {
			return nil, fmt.Errorf("a flag takes no value, got %q", values)
		}
		return true, nil
	case reflect.String, reflect.Int32, reflect.Int64:
		if len(values) != 1 {
			return nil, fmt.Errorf("want one value, got %q", values)
		}
		if typ.Kind() == reflect.String {
			return values[0], nil
		}
		return json.Number(values[0]), nil
	case reflect.Map, reflect.Struct:
		if len(values) != 1 {
			return nil, fmt.Errorf("want one Key=Value,... value, got %q", values)
		}
		return shorthand(values[0])
	case reflect.Slice:
		list := make([]any, 0, len(values))
		for _, v := range values {
			item, err := paramValue(typ.Elem(), []string{v})
			if err != nil {
				return nil, err
			}
			list = append(list, item)
		}
		return list, nil
	}
	return nil, fmt.Errorf("unsupported parameter type %s", typ)
}

func shorthand(s string) (map[string]any, error) {
	m := map[string]any{}
	for pair := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not Key=Value", pair)
		}
		m[k] = v
	}
	return m, nil
}

// jmespath evaluates the small part of JMESPath the walkthrough uses
// (A.B, A.[B,C]) and renders it as the CLI's --output text does: scalars
// as they are, a list on one line separated by tabs.
func jmespath(doc []byte, query string) (string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return "", err
	}
	path, multi, _ := strings.Cut(query, ".[")
	for key := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("query %s: %s of a non-object", query, key)
		}
		if v, ok = m[key]; !ok {
			return "", fmt.Errorf("query %s: no %s", query, key)
		}
	}
	if multi == "" {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("query %s: not a string", query)
		}
		return s, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("query %s: not an object", query)
	}
	var out []string
	for key := range strings.SplitSeq(strings.TrimSuffix(multi, "]"), ",") {
		s, ok := m[key].(string)
		if !ok {
			return "", fmt.Errorf("query %s: %s is not a string", query, key)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\t"), nil
}

// words splits a command line as the shell does for the walkthrough's
// commands: blanks separate words; single quotes keep everything; double
// quotes keep blanks and expand $VAR; unquoted $VAR expands too (the
// walkthrough quotes every variable, so no field splitting is needed).
func (sh *shell) words(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	expand := func(i int) (int, error) { // s[i] == '$'
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		name := s[i+1 : j]
		if name == "" {
			return 0, fmt.Errorf("unsupported $ at %d in %q", i, s)
		}
		v, ok := sh.vars[name]
		if !ok && sh.lenient {
			v, ok = "$"+name, true
		}
		if !ok {
			return 0, fmt.Errorf("$%s is not set", name)
		}
		cur.WriteString(v)
		return j, nil
	}
	endWord := func() {
		if inWord {
			out, inWord = append(out, cur.String()), false
			cur.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			endWord()
			i++
		case c == '|':
			endWord()
			out = append(out, pipeTok)
			i++
		case strings.HasPrefix(s[i:], "<<<"):
			endWord()
			out = append(out, hereTok)
			i += 3
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			inWord, i = true, i+end+2
		case c == '"':
			inWord = true
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '$' {
					var err error
					if i, err = expand(i); err != nil {
						return nil, err
					}
					continue
				}
				cur.WriteByte(s[i])
				i++
			}
			if i == len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			i++
		case c == '$':
			inWord = true
			var err error
			if i, err = expand(i); err != nil {
				return nil, err
			}
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord, i = true, i+2
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// claims decodes a JWT's payload, as the walkthrough's jq line does.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3, "a JWT has three parts")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

// refusal is the AWS CLI's rendering of an error, in a text block of the
// walkthrough.
var refusal = regexp.MustCompile("(?s)```text\n+An error occurred \\((\\w+)\\) when calling the (\\w+) operation:\\s+(.+?)\n```")

// TestWalkthrough runs the walkthrough against the real local stack, the
// one `cogwatch local` runs (cognito-local with cogwatch's triggers, SNS,
// SQS and the consumers), and checks what the page says happens.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local stack")
	}
	md, err := os.ReadFile("walkthrough.md")
	require.NoError(t, err)
	all := steps(t, md)
	require.NotEmpty(t, all)

	stack, err := local.Start(t.Context(), local.Options{WarmInterval: -1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stack.Close()) })
	require.Equal(t, confirmationCode, local.DefaultConfirmationCode)
	endpointsFile := filepath.Join(t.TempDir(), "endpoints.json")
	require.NoError(t, stack.WriteEndpoints(endpointsFile))
	b, err := os.ReadFile(endpointsFile)
	require.NoError(t, err)
	var endpoints map[string]string
	require.NoError(t, json.Unmarshal(b, &endpoints))
	ends := stack.Endpoints()

	sh := &shell{
		t: t, ctx: t.Context(), vars: map[string]string{}, client: stack.Cognito(), endpoint: ends.Cognito,
		files: map[string]map[string]string{"endpoints.json": endpoints},
		ran:   map[string]int{}, validated: map[string]int{}, answers: map[string]string{},
	}
	for _, s := range all {
		sh.run(s)
	}

	// Every operation the page promises ran (or, AWS-only, was checked).
	require.Equal(t, map[string]int{
		"SignUp": 2, "ConfirmSignUp": 1, "AdminConfirmSignUp": 1, "InitiateAuth": 3, "GetUser": 1,
		"CreateGroup": 1, "AdminAddUserToGroup": 1, "AdminGetUser": 1, "AdminListGroupsForUser": 1,
		"CreateUserPoolClient": 1, "curl": 3, // the hosted sign-in: the app client, the form, the sign-in, the token
	}, sh.ran)
	require.Equal(t, map[string]int{"CreateResourceServer": 1, "CreateUserPoolClient": 1, "DescribeUserPoolClient": 1, "curl": 2}, sh.validated)

	// The refusal of a disposable address is the one the page shows.
	m := refusal.FindStringSubmatch(string(md))
	require.NotNil(t, m, "the page shows a refused sign-up")
	m[3] = strings.Join(strings.Fields(m[3]), " ")
	require.Equal(t, "SignUp", m[2])
	_, err = stack.Cognito().SignUp(t.Context(), &cip.SignUpInput{
		ClientId: aws.String(ends.ClientID), Username: aws.String("mallory@mailinator.com"), Password: aws.String("Corr3ct-Horse!"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("mallory@mailinator.com")}},
	})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, m[1], apiErr.ErrorCode())
	// cognito-local names the Lambda function where Cognito names the
	// trigger, as the page says.
	require.Equal(t, strings.Replace(m[3], "PreSignUp failed", "PreSignUpFunction failed", 1), apiErr.ErrorMessage())

	// And did what the page says it does.
	c := stack.Cognito()
	for _, user := range []string{"alice@example.com", "bob@example.org"} {
		u, err := c.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String(ends.UserPoolID), Username: aws.String(user)})
		require.NoError(t, err)
		require.Equal(t, types.UserStatusTypeConfirmed, u.UserStatus, user)
	}
	require.Equal(t, ends.UserPoolID, sh.vars["POOL_ID"])
	access := claims(t, sh.vars["ACCESS_TOKEN"])
	require.Equal(t, "access", access["token_use"])
	require.NotEmpty(t, sh.vars["REFRESH_TOKEN"])
	id := claims(t, sh.vars["ID_TOKEN"]) // the refreshed one
	require.Equal(t, "id", id["token_use"])
	require.Equal(t, "alice@example.com", id["email"])
	require.Equal(t, ends.ClientID, id["aud"])
	require.NotEmpty(t, id["sub"])
	require.NotEmpty(t, id["cognito:username"])
	require.Equal(t, []any{"operators"}, id["cognito:groups"], "the refreshed ID token carries the group")
	require.Equal(t, id["cognito:username"], sh.vars["ALICE"], "admin-get-user answers Alice's generated username")

	// The group listing answers what the page says: the group operators.
	var listing cip.AdminListGroupsForUserOutput
	require.NoError(t, json.Unmarshal([]byte(sh.answers["AdminListGroupsForUser"]), &listing))
	require.Len(t, listing.Groups, 1, sh.answers["AdminListGroupsForUser"])
	require.Equal(t, "operators", aws.ToString(listing.Groups[0].GroupName))
	require.Equal(t, "People on call", aws.ToString(listing.Groups[0].Description))

	// email_verified is what the page and docs/local.md say it is here.
	require.Equal(t, false, id["email_verified"])
	local, err := os.ReadFile("local.md")
	require.NoError(t, err)
	require.Contains(t, strings.Join(strings.Fields(string(local)), " "), "its ID tokens carry `\"email_verified\": false`")
	require.Contains(t, string(md), "so here it\nis `false`")

	// The hosted sign-in: a redirect to the app's scheme with the code and
	// the app's state, and the tokens the page says.
	checkHostedSignIn(t, sh)

	// The events the page says each step causes, and no others.
	require.NoError(t, stack.Drain(t.Context()))
	sum, err := stack.Summary(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[event.Type]int{
		event.SignUpAccepted:  2, // alice, bob
		event.SignUpRejected:  1, // mallory's disposable address
		event.UserConfirmed:   2, // alice with the code, bob by the administrator
		event.SignInSucceeded: 1, // alice's right password; no sign-in event for the wrong one, the refresh, nor the hosted sign-in
		event.CodeSent:        2, // alice's and bob's confirmation codes
		event.TokenIssued:     3, // alice's sign-in, her refresh, the hosted sign-in
	}, nonZero(sum.Events))
	require.Equal(t, 1, sum.Sources["TokenGeneration_Authentication"])
	require.Equal(t, 1, sum.Sources["TokenGeneration_RefreshTokens"])
	require.Equal(t, 1, sum.Sources["TokenGeneration_HostedAuth"])
	require.Equal(t, 2, sum.Sources["CustomMessage_SignUp"])
	require.Equal(t, map[string]int{event.ReasonDisposableDomain: 1}, nonZero(sum.Rejections))
	require.Equal(t, 1, sum.NoClientID, "bob's admin confirmation carries no client id")
}

// checkHostedSignIn checks what the page says of its authorization-code
// sign-in, with the shell's variables after the page ran: the redirect, the
// tokens, a code good once and only with its verifier.
func checkHostedSignIn(t *testing.T, sh *shell) {
	t.Helper()
	redirect, err := url.Parse(sh.vars["REDIRECT"])
	require.NoError(t, err)
	require.Equal(t, "cogwatch-ios", redirect.Scheme, "to the app's callback URL")
	require.Equal(t, "signin", redirect.Host)
	require.Equal(t, "s1", redirect.Query().Get("state"), "the app's state comes back")
	require.Equal(t, redirect.Query().Get("code"), sh.vars["CODE"])
	require.NotEmpty(t, sh.vars["CODE"])
	require.Len(t, sh.vars["CODE_VERIFIER"], 64)
	sum := sha256.Sum256([]byte(sh.vars["CODE_VERIFIER"]))
	require.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), sh.vars["CODE_CHALLENGE"], "S256: base64url of the SHA-256, no padding")

	var tokens map[string]any
	require.NoError(t, json.Unmarshal([]byte(sh.vars["TOKENS"]), &tokens))
	require.NotEmpty(t, tokens["refresh_token"])
	id := claims(t, sh.vars["HOSTED_ID_TOKEN"])
	require.Equal(t, tokens["id_token"], sh.vars["HOSTED_ID_TOKEN"])
	require.Equal(t, "id", id["token_use"])
	require.Equal(t, "alice@example.com", id["email"])
	require.Equal(t, sh.vars["APP_CLIENT_ID"], id["aud"], "the app client is the audience")
	access := claims(t, fmt.Sprint(tokens["access_token"]))
	require.Equal(t, "aws.cognito.signin.user.admin", access["scope"], "as the page says of cognito-local's scope")

	token := func(code, verifier string) (int, string) {
		out, err := sh.curl(curlCall{url: sh.vars["COGNITO"] + "/oauth2/token", form: []string{
			"grant_type=authorization_code", "client_id=" + sh.vars["APP_CLIENT_ID"], "redirect_uri=cogwatch-ios://signin",
			"code=" + url.QueryEscape(code), "code_verifier=" + verifier}})
		require.NoError(t, err)
		return sh.lastStatus, out
	}
	status, out := token(sh.vars["CODE"], sh.vars["CODE_VERIFIER"])
	require.Equal(t, http.StatusBadRequest, status, "a code is good once: %s", out)
	require.Contains(t, out, "invalid_grant")

	// A fresh code, traded with another verifier than its challenge's.
	out, err = sh.curl(curlCall{url: sh.vars["COGNITO"] + "/oauth2/authorize", discard: true, write: "%{redirect_url}", form: []string{
		"response_type=code", "client_id=" + sh.vars["APP_CLIENT_ID"], "redirect_uri=cogwatch-ios://signin", "state=s2",
		"code_challenge=" + sh.vars["CODE_CHALLENGE"], "code_challenge_method=S256",
		"username=alice%40example.com", "password=" + url.QueryEscape("Corr3ct-Horse!")}})
	require.NoError(t, err)
	fresh, err := url.Parse(out)
	require.NoError(t, err)
	require.NotEmpty(t, fresh.Query().Get("code"))
	status, out = token(fresh.Query().Get("code"), strings.Repeat("0", 64))
	require.Equal(t, http.StatusBadRequest, status, "only with the verifier of its challenge: %s", out)
	require.Contains(t, out, "invalid_grant")
}

func nonZero[K comparable](m map[K]int) map[K]int {
	out := map[K]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// TestCognitoLocalLimits pins what the walkthrough says cognito-local does
// not do, so the page is corrected when a new version does it.
func TestCognitoLocalLimits(t *testing.T) {
	em := cognitolocaltest.Start(t, cognitolocaltest.Options{})
	pool := em.CreatePool(t.Context(), t, "limits")

	t.Run("no resource servers", func(t *testing.T) {
		_, err := em.Client().CreateResourceServer(t.Context(), &cip.CreateResourceServerInput{
			UserPoolId: aws.String(pool.UserPoolID), Identifier: aws.String("cogwatch"), Name: aws.String("cogwatch"),
		})
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "Unsupported", apiErr.ErrorCode()) // the wire says CognitoLocal#Unsupported
		require.Contains(t, apiErr.ErrorMessage(), "Cognito Local unsupported feature")
	})

	t.Run("no client_credentials grant", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {pool.ClientID}, "scope": {"cogwatch/events.read"}}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, em.Endpoint+"/oauth2/token", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		var body struct {
			Error string `json:"error"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		require.Equal(t, "unsupported_grant_type", body.Error)
	})

	// The hosted sign-in's differences the page lists. A client with a
	// callback URL and no OAuth settings at all, and a confirmed user.
	c := em.Client()
	_, err := c.UpdateUserPoolClient(t.Context(), &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(pool.UserPoolID),
		ClientId: aws.String(pool.ClientID), CallbackURLs: []string{"myapp://cb"}})
	require.NoError(t, err)
	_, err = c.SignUp(t.Context(), &cip.SignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String("dave@example.net"), Password: aws.String("Passw0rd!x")})
	require.NoError(t, err)
	_, err = c.AdminConfirmSignUp(t.Context(), &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(pool.UserPoolID), Username: aws.String("dave@example.net")})
	require.NoError(t, err)
	sh := &shell{ctx: t.Context()}
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authorize := func(t *testing.T, challenge string) (int, string) {
		form := []string{"response_type=code", "client_id=" + pool.ClientID, "redirect_uri=myapp://cb", "scope=openid",
			"username=dave%40example.net", "password=Passw0rd%21x"}
		if challenge != "" {
			form = append(form, "code_challenge="+challenge, "code_challenge_method=S256")
		}
		out, err := sh.curl(curlCall{url: em.Endpoint + "/oauth2/authorize", form: form, discard: true, write: "%{redirect_url}"})
		require.NoError(t, err)
		return sh.lastStatus, out
	}

	t.Run("PKCE required", func(t *testing.T) {
		status, _ := authorize(t, "")
		require.Equal(t, http.StatusBadRequest, status)
		out, err := sh.curl(curlCall{url: em.Endpoint + "/oauth2/authorize?response_type=code&client_id=" + pool.ClientID + "&redirect_uri=myapp://cb"})
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, sh.lastStatus)
		require.Contains(t, out, "Missing code_challenge")
	})

	t.Run("client's OAuth settings unchecked, access token's scope fixed", func(t *testing.T) {
		status, redirect := authorize(t, challenge)
		require.Equal(t, http.StatusFound, status, "a client with no OAuth flow gets a code")
		u, err := url.Parse(redirect)
		require.NoError(t, err)
		out, err := sh.curl(curlCall{url: em.Endpoint + "/oauth2/token", form: []string{"grant_type=authorization_code",
			"client_id=" + pool.ClientID, "redirect_uri=myapp://cb", "code=" + url.QueryEscape(u.Query().Get("code")), "code_verifier=" + verifier}})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, sh.lastStatus, out)
		var tokens struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &tokens))
		require.Equal(t, "aws.cognito.signin.user.admin", claims(t, tokens.AccessToken)["scope"], "asked for openid")
	})

	t.Run("no userInfo, no logout", func(t *testing.T) {
		for _, path := range []string{"/oauth2/userInfo", "/logout?client_id=" + pool.ClientID + "&logout_uri=myapp://cb"} {
			_, err := sh.curl(curlCall{url: em.Endpoint + path})
			require.NoError(t, err)
			require.Equal(t, http.StatusNotFound, sh.lastStatus, path)
		}
	})

	t.Run("no alias in admin-list-groups-for-user", func(t *testing.T) {
		// The walkthrough lists Alice's groups by her username, as
		// cognito-local finds no user by the email alias in this call.
		c := em.Client()
		_, err := c.SignUp(t.Context(), &cip.SignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String("erin@example.net"), Password: aws.String("Passw0rd!x"),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("erin@example.net")}}})
		require.NoError(t, err)
		_, err = c.CreateGroup(t.Context(), &cip.CreateGroupInput{UserPoolId: aws.String(pool.UserPoolID), GroupName: aws.String("operators")})
		require.NoError(t, err)
		_, err = c.AdminAddUserToGroup(t.Context(), &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(pool.UserPoolID), Username: aws.String("erin@example.net"), GroupName: aws.String("operators")})
		require.NoError(t, err, "adding by the alias works")
		byAlias, err := c.AdminListGroupsForUser(t.Context(), &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(pool.UserPoolID), Username: aws.String("erin@example.net")})
		require.NoError(t, err)
		require.Empty(t, byAlias.Groups, "cognito-local lists nothing for the alias")
		u, err := c.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String(pool.UserPoolID), Username: aws.String("erin@example.net")})
		require.NoError(t, err)
		require.NotEqual(t, "erin@example.net", aws.ToString(u.Username), "the username is generated: the email is an alias")
		byName, err := c.AdminListGroupsForUser(t.Context(), &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(pool.UserPoolID), Username: u.Username})
		require.NoError(t, err)
		require.Len(t, byName.Groups, 1)
	})

	t.Run("no pre authentication on a wrong password", func(t *testing.T) {
		// With no triggers configured the emulator cannot show which it
		// calls; what the page says it answers is checked here.
		c := em.Client()
		_, err := c.SignUp(t.Context(), &cip.SignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String("carol@example.net"), Password: aws.String("Passw0rd!x")})
		require.NoError(t, err)
		_, err = c.InitiateAuth(t.Context(), &cip.InitiateAuthInput{
			ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "carol@example.net", "PASSWORD": "nope"},
		})
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "InvalidPasswordException", apiErr.ErrorCode())
	})
}

// TestWalkthroughParser checks the parser on what it must refuse, so a
// typo in the page fails the test rather than being skipped.
func TestWalkthroughParser(t *testing.T) {
	sh := &shell{vars: map[string]string{"A": "x y"}}
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{in: `aws cognito-idp sign-up --username "$A"`, want: []string{"aws", "cognito-idp", "sign-up", "--username", "x y"}},
		{in: `--p 'a b'"$A"c`, want: []string{"--p", "a bx yc"}},
		{in: `USERNAME=u,PASSWORD='p!,'`, want: []string{"USERNAME=u,PASSWORD=p!,"}},
		{in: `echo "$B"`, err: "$B is not set"},
		{in: `echo 'open`, err: `unterminated ' in "echo 'open"`},
	}
	for _, tc := range tests {
		got, err := sh.words(tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
	require.Equal(t, "AllowedOAuthFlowsUserPoolClient", pascal("allowed-o-auth-flows-user-pool-client"))
	v, err := paramValue(reflect.TypeFor[[]types.AttributeType](), []string{"Name=email,Value=a@b.c", "Name=name,Value=A"})
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"Name": "email", "Value": "a@b.c"}, map[string]any{"Name": "name", "Value": "A"}}, v)
	_, err = paramValue(reflect.TypeFor[*bool](), []string{"yes"})
	require.Error(t, err)
	got, err := jmespath([]byte(`{"R":{"A":"1","B":"2"}}`), "R.[B,A]")
	require.NoError(t, err)
	require.Equal(t, "2\t1", got)

	// Pipes and here-strings are the shell's own only when unquoted.
	words, err := sh.words(`printf %s "$A" | tr 'x' '|' <<<'<<<'`)
	require.NoError(t, err)
	require.Equal(t, []string{"printf", "%s", "x y", pipeTok, "tr", "x", "|", hereTok, "<<<"}, words)
	pipe := func(cmd string) string {
		t.Helper()
		w, err := sh.words(cmd)
		require.NoError(t, err)
		out, err := sh.pipeline(w)
		require.NoError(t, err, cmd)
		return out
	}
	// What the same pipeline prints in bash with OpenSSL 3 and coreutils.
	sh.vars["V"] = "dBjftJeZ4CVP-mJ92K1qUcs5bOqGY7Dt5r5M9O_AvU0"
	require.Equal(t, "RRERrXL9y0YbaZRh5xAMQNOjKUQcza72kFWsRtY5CYA\n",
		pipe(`printf %s "$V" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d =`))
	sh.vars["R"] = "app://cb?state=s&code=abc-1&x=y"
	require.Equal(t, "abc-1\n", pipe(`sed -E 's/.*[?&]code=([^&]*).*/\1/' <<<"$R"`))
	require.Len(t, strings.TrimSpace(pipe(`openssl rand -hex 32`)), 64)
	sh.vars["J"] = `{"id_token":"t"}`
	require.Equal(t, "t\n", pipe(`jq -r .id_token <<<"$J"`))
	for _, bad := range []string{`openssl rand -base64 32`, `tr a-z A-Z`, `sed 's/a/b/'`, `sed -E 's/a/b/g'`, `jq .id_token`, `printf "%s\n" x`, `cat`} {
		w, err := sh.words(bad)
		require.NoError(t, err)
		_, err = sh.pipeline(w)
		require.Error(t, err, bad)
	}
	c, err := parseCurl([]string{"-s", "-o", "/dev/null", "-w", "%{redirect_url}", "https://h/p", "-d", "a=b c", "--data-urlencode", "p=x&y z", "-u", "i:s"})
	require.NoError(t, err)
	require.Equal(t, curlCall{url: "https://h/p", form: []string{"a=b c", "p=x%26y+z"}, user: "i:s", discard: true, write: "%{redirect_url}"}, c)
	for _, bad := range [][]string{{"-X", "PUT", "https://h"}, {"-o", "out.html", "https://h"}, {"-w", "%{json}", "https://h"}, {"-s"}, {"https://a", "https://b"}} {
		_, err := parseCurl(bad)
		require.Error(t, err, "%q", bad)
	}

	md := []byte("text\n```sh\n# fails with X\naws a \\\n  b\n```\n```text\nnot run\n```\n```sh aws-only\naws c\n```\n")
	require.Equal(t, []step{{line: 4, text: "aws a   b", fails: "X"}, {line: 11, text: "aws c", awsOnly: true}}, steps(t, md))
}
