package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
	"github.com/cogwatch/cogwatch/local/lambdahost"
)

const (
	cognitoLocalDir = "testdata/cognito-local"
	testCode        = "123456"
	testPassword    = "Corr3ct-Horse-Battery"
)

// capture is a lambda.Handler that records each payload before passing it on.
type capture struct {
	mu       sync.Mutex
	payloads [][]byte
	next     lambda.Handler
}

func (c *capture) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c.mu.Lock()
	c.payloads = append(c.payloads, bytes.Clone(payload))
	c.mu.Unlock()
	return c.next.Invoke(ctx, payload)
}

func (c *capture) last(t *testing.T) []byte {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.payloads, "trigger not called")
	return c.payloads[len(c.payloads)-1]
}

// TestCognitoLocal drives the three triggers from cognito-local 5.3.0
// through the Lambda Invoke API (local/lambdahost), as `cogwatch local`
// does: sign-ups (one rejected), confirmations by code and by an admin (null
// clientId), a sign-in and a password reset. It checks what Cognito's API
// answered, the events published and the EMF lines, and compares the shape
// of each payload with its fixture in testdata/cognito-local (-update
// re-records them).
func TestCognitoLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("cognito-local emulator test skipped under -short")
	}
	ctx := t.Context()
	cfg := DefaultConfig
	cfg.TopicARN = testTopic
	cfg.HashKey = []byte("0123456789abcdef")
	rec := &recorder{}
	var emfOut, logs syncBuffer
	metrics, log := NewMetrics(&emfOut, cfg), testLogger(&logs)
	captures := map[string]*capture{
		"PreSignUp":        {next: NewPreSignUp(cfg, rec.publish, metrics, log)},
		"Authentication":   {next: NewAuthentication(cfg, rec.publish, metrics, log)},
		"PostConfirmation": {next: NewPostConfirmation(cfg, rec.publish, metrics, log)},
	}
	var fns []lambdahost.Function
	for name, c := range captures {
		fns = append(fns, lambdahost.Function{Name: name, Timeout: 5 * time.Second,
			New: func(context.Context) (lambda.Handler, error) { return c, nil }})
	}
	host, err := lambdahost.New(nil, fns...)
	require.NoError(t, err)
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)

	e := cognitolocaltest.Start(t, cognitolocaltest.Options{Code: testCode, Lambda: srv.URL, Triggers: map[string]string{
		"PreSignUp":          "PreSignUp",
		"PostAuthentication": "Authentication",
		"PostConfirmation":   "PostConfirmation",
	}})
	pool := e.CreatePool(ctx, t, "cogwatch-triggers")
	c := e.Client()

	recorded := map[string][]byte{}
	signUp := func(email string) error {
		_, err := c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String(email), Password: aws.String(testPassword),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}})
		return err
	}

	// 1. An accepted sign-up.
	require.NoError(t, signUp("alice@example.com"))
	recorded["PreSignUp_SignUp"] = captures["PreSignUp"].last(t)

	// 2. A rejected one: Cognito shows our text and adds the period.
	err = signUp("bob@sub.mailinator.com")
	var lambdaErr *types.UserLambdaValidationException
	require.ErrorAs(t, err, &lambdaErr)
	require.Equal(t, "PreSignUp failed with error Please use a permanent email address.", aws.ToString(lambdaErr.Message))
	recorded["PreSignUp_SignUp-disposable"] = captures["PreSignUp"].last(t)

	// 3. Confirmation by code.
	_, err = c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String("alice@example.com"), ConfirmationCode: aws.String(testCode)})
	require.NoError(t, err)
	recorded["PostConfirmation_ConfirmSignUp"] = captures["PostConfirmation"].last(t)

	// 4. A sign-in (5.3.0 calls post authentication only).
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice@example.com", "PASSWORD": testPassword}})
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult)
	recorded["PostAuthentication_Authentication"] = captures["Authentication"].last(t)

	// 5. A password reset.
	_, err = c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(pool.ClientID), Username: aws.String("alice@example.com")})
	require.NoError(t, err)
	_, err = c.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(pool.ClientID), Username: aws.String("alice@example.com"),
		ConfirmationCode: aws.String(testCode), Password: aws.String(testPassword + "2")})
	require.NoError(t, err)
	recorded["PostConfirmation_ConfirmForgotPassword"] = captures["PostConfirmation"].last(t)

	// 6. An admin confirmation: 5.3.0 sends a null clientId.
	require.NoError(t, signUp("dave@example.org"))
	_, err = c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(pool.UserPoolID), Username: aws.String("dave@example.org")})
	require.NoError(t, err)
	recorded["PostConfirmation_ConfirmSignUp-admin"] = captures["PostConfirmation"].last(t)

	// The events, in order.
	evs := rec.events(t)
	type want struct {
		typ      event.Type
		domain   string
		clientID bool
		reason   string
	}
	wants := []want{
		{event.SignUpAccepted, "example.com", true, ""},
		{event.SignUpRejected, "sub.mailinator.com", true, event.ReasonDisposableDomain},
		{event.UserConfirmed, "example.com", true, ""},
		{event.SignInSucceeded, "example.com", true, ""},
		{event.PasswordReset, "example.com", true, ""},
		{event.SignUpAccepted, "example.org", true, ""},
		{event.UserConfirmed, "example.org", false, ""},
	}
	require.Len(t, evs, len(wants))
	for i, w := range wants {
		ev := evs[i]
		require.Equal(t, w.typ, ev.Type, "event %d", i)
		require.Equal(t, w.domain, ev.Data.EmailDomain, "event %d", i)
		require.Equal(t, pool.UserPoolID, ev.Data.UserPoolID)
		require.Equal(t, "local", ev.Data.Region)
		require.Equal(t, w.reason, ev.Data.Reason)
		require.Len(t, ev.Data.EmailHash, 64)
		require.Empty(t, ev.Data.Email)
		if w.clientID {
			require.Equal(t, pool.ClientID, ev.Data.ClientID, "event %d", i)
		} else {
			require.Empty(t, ev.Data.ClientID, "event %d", i)
		}
	}

	// One EMF line per invocation; the null clientId drops the ClientId set.
	lines := emfOut.Lines()
	require.Len(t, lines, len(wants))
	last := decodeEMF(t, lines[len(lines)-1])
	require.Equal(t, [][][]string{{{"UserPoolId"}}}, last.Dimensions)
	require.Equal(t, 1.0, last.num(t, "UserConfirmed"))
	require.NotContains(t, logs.String(), "@")

	for name, payload := range recorded {
		path := filepath.Join(cognitoLocalDir, name+".json")
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, payload, "", "  "))
		pretty.WriteByte('\n')
		if testutil.Update() {
			require.NoError(t, os.MkdirAll(cognitoLocalDir, 0o755))
			require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
			continue
		}
		committed, err := os.ReadFile(path)
		require.NoError(t, err, "go test ./triggers -run TestCognitoLocal -update records it")
		require.Equal(t, shape(t, committed), shape(t, payload), "%s: cognito-local sends another shape now", path)
	}
}

// shape replaces every leaf of a JSON document with its kind, so payloads
// with different ids and addresses compare equal when their structure is.
func shape(t *testing.T, doc []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(doc, &v))
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, x := range v {
				out[k] = walk(x)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = walk(x)
			}
			return out
		case nil:
			return "null"
		default:
			return fmt.Sprintf("%T", v)
		}
	}
	return walk(v)
}
