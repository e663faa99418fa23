package triggers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

// testPhone is a number reserved for fiction (Ofcom's drama range).
const testPhone = "+447700900123"

// TestCognitoLocalJourneys drives the pre token generation and custom
// message triggers from cognito-local 5.3.0 through the Lambda Invoke API,
// as `cogwatch local` does: a sign-up by a user with a phone number (its
// code), a sign-in and a refresh (their tokens), a forgotten password, an
// attribute verification code and an admin-created user (their codes). It
// checks that Cognito's answers are those it gives without the triggers
// (the triggers change no claim and no message), the events and EMF lines,
// that no phone number reaches an event or a log, and compares the shape
// of each payload with its fixture in testdata/cognito-local (-update
// re-records them). cognito-local sends no other source of these triggers
// (docs/local.md); those are tested with AWS's shapes (journeys_test.go).
func TestCognitoLocalJourneys(t *testing.T) {
	if testing.Short() {
		t.Skip("cognito-local emulator test skipped under -short")
	}
	ctx := t.Context()
	cfg := DefaultConfig
	cfg.TopicARN = testTopic
	cfg.HashKey = []byte("0123456789abcdef")
	cfg.TokenEvents = true
	rec := &recorder{}
	var emfOut, logs syncBuffer
	metrics, log := NewMetrics(&emfOut, cfg), testLogger(&logs)
	captures := map[string]*capture{
		"PreTokenGeneration": {next: NewPreTokenGeneration(cfg, rec.publish, metrics, log)},
		"CustomMessage":      {next: NewCustomMessage(cfg, rec.publish, metrics, log, phone.CountryCode)},
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
		"PreTokenGeneration": "PreTokenGeneration",
		"CustomMessage":      "CustomMessage",
	}})
	pool := e.CreatePool(ctx, t, "cogwatch-journeys")
	c := e.Client()
	const alice = "alice@example.com"
	recorded := map[string][]byte{}
	calls := func(name string) int {
		captures[name].mu.Lock()
		defer captures[name].mu.Unlock()
		return len(captures[name].payloads)
	}

	// 1. A sign-up: its confirmation code goes by email (the pool verifies
	// email), though the user has a phone number.
	up, err := c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String(alice), Password: aws.String(testPassword),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(alice)},
			{Name: aws.String("phone_number"), Value: aws.String(testPhone)},
		}})
	require.NoError(t, err)
	require.Equal(t, types.DeliveryMediumTypeEmail, up.CodeDeliveryDetails.DeliveryMedium)
	recorded["CustomMessage_SignUp"] = captures["CustomMessage"].last(t)
	_, err = c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(pool.ClientID), Username: aws.String(alice), ConfirmationCode: aws.String(testCode)})
	require.NoError(t, err)

	// 2. A sign-in, then a refresh: a token set each, the claims untouched.
	in, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": alice, "PASSWORD": testPassword}})
	require.NoError(t, err)
	require.NotNil(t, in.AuthenticationResult)
	recorded["TokenGeneration_Authentication"] = captures["PreTokenGeneration"].last(t)
	claims := idClaims(t, aws.ToString(in.AuthenticationResult.IdToken))
	require.Equal(t, alice, claims["email"], "the ID token carries the claims Cognito gives without the trigger")
	ref, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(in.AuthenticationResult.RefreshToken)}})
	require.NoError(t, err)
	require.NotNil(t, ref.AuthenticationResult)
	recorded["TokenGeneration_RefreshTokens"] = captures["PreTokenGeneration"].last(t)
	refreshed := idClaims(t, aws.ToString(ref.AuthenticationResult.IdToken))
	for _, k := range []string{"sub", "email", "cognito:username", "token_use"} {
		require.Equal(t, claims[k], refreshed[k], k)
	}

	// 3. A forgotten password, an attribute verification code, an
	// admin-created user: a code each.
	_, err = c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(pool.ClientID), Username: aws.String(alice)})
	require.NoError(t, err)
	recorded["CustomMessage_ForgotPassword"] = captures["CustomMessage"].last(t)
	_, err = c.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{
		AccessToken: ref.AuthenticationResult.AccessToken, AttributeName: aws.String("email")})
	require.NoError(t, err)
	recorded["CustomMessage_VerifyUserAttribute"] = captures["CustomMessage"].last(t)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool.UserPoolID), Username: aws.String("carol@example.net"),
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String("carol@example.net")}}})
	require.NoError(t, err)
	recorded["CustomMessage_AdminCreateUser"] = captures["CustomMessage"].last(t)
	require.Equal(t, 2, calls("PreTokenGeneration"))
	require.Equal(t, 4, calls("CustomMessage"))

	// Each answer is the payload as it came: no claim, no message changed.
	for name, payload := range recorded {
		var ev struct {
			Version string         `json:"version"`
			Request map[string]any `json:"request"`
		}
		require.NoError(t, json.Unmarshal(payload, &ev), name)
		require.Equal(t, "0", ev.Version, "%s: cognito-local sends version 0", name)
	}

	// The events, in order; cognito-local sends every code as email (its
	// event's smsMessage is empty).
	type want struct {
		typ    event.Type
		source string
		domain string
	}
	wants := []want{
		{event.CodeSent, CustomMessageSignUp, "example.com"},
		{event.TokenIssued, TokenGenerationAuthentication, "example.com"},
		{event.TokenIssued, TokenGenerationRefreshTokens, "example.com"},
		{event.CodeSent, CustomMessageForgotPassword, "example.com"},
		{event.CodeSent, CustomMessageVerifyUserAttribute, "example.com"},
		{event.CodeSent, CustomMessageAdminCreateUser, "example.net"},
	}
	evs := rec.events(t)
	require.Len(t, evs, len(wants))
	for i, w := range wants {
		ev := evs[i]
		require.Equal(t, w.typ, ev.Type, "event %d", i)
		require.Equal(t, w.source, ev.Data.TriggerSource, "event %d", i)
		require.Equal(t, w.domain, ev.Data.EmailDomain, "event %d", i)
		require.Equal(t, pool.UserPoolID, ev.Data.UserPoolID)
		require.Equal(t, "local", ev.Data.Region)
		client := pool.ClientID
		if w.source == CustomMessageAdminCreateUser || w.source == CustomMessageVerifyUserAttribute {
			// Calls that name no app client: cognito-local sends what Cognito
			// sends for an admin action (testdata/aws-docs), and cogwatch
			// counts it as it comes.
			client = "CLIENT_ID_NOT_APPLICABLE"
		}
		require.Equal(t, client, ev.Data.ClientID, "event %d", i)
		require.Empty(t, ev.Data.CountryCode)
		if w.typ == event.CodeSent {
			require.Equal(t, event.MediumEmail, ev.Data.Medium, "event %d", i)
		}
	}

	// One EMF line per invocation, counting by source.
	lines := emfOut.Lines()
	require.Len(t, lines, len(wants))
	for i, w := range wants {
		doc := decodeEMF(t, lines[i])
		require.Equal(t, w.source, doc.raw[catalog.DimTriggerSource], "line %d", i)
		name := catalog.ForEvent(w.typ)
		require.Equal(t, 1.0, doc.num(t, name), "line %d", i)
		require.False(t, doc.has(catalog.SMSSent), "line %d: no SMS", i)
	}

	// No address and no phone number in the logs, the EMF lines or the events.
	published := ""
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		published += string(b)
	}
	for what, text := range map[string]string{"logs": logs.String(), "EMF": strings.Join(lines, "\n"), "events": published} {
		require.NotContains(t, text, "@", what)
		require.NotContains(t, text, strings.TrimPrefix(testPhone, "+"), what)
	}
	require.Contains(t, string(recorded["CustomMessage_SignUp"]), testPhone, "the trigger saw the phone number")

	for name, payload := range recorded {
		path := filepath.Join(cognitoLocalDir, name+".json")
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, payload, "", "  "))
		pretty.WriteByte('\n')
		if testutil.Update() {
			require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
			continue
		}
		committed, err := os.ReadFile(path)
		require.NoError(t, err, "go test ./triggers -run TestCognitoLocalJourneys -update records it")
		require.Equal(t, shape(t, committed), shape(t, payload), "%s: cognito-local sends another shape now", path)
	}
}

// idClaims decodes the claims of a JWT without checking its signature.
func idClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(b, &claims))
	return claims
}
