package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

// TestCognitoLocalMigration drives a wrapped user migration handler from
// cognito-local 5.3.0 through the Lambda Invoke API: cognito-local calls
// UserMigration_Authentication when InitiateAuth (USER_PASSWORD_AUTH) names
// a user it does not have. A user the old directory knows is migrated and
// signed in; an unknown one fails (cognito-local answers
// NotAuthorizedException). The payload's shape is compared with
// testdata/cognito-local-wrap (-update re-records it).
func TestCognitoLocalMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("cognito-local emulator test skipped under -short")
	}
	ctx := t.Context()
	m, rec, emfOut, logs := testMiddleware(t)
	const legacyName, legacyPassword = "jdoe-legacy-7731", "Corr3ct-Horse-Battery!"
	legacy := func(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
		if ev.UserName != legacyName || ev.Password != legacyPassword {
			return ev, errBadPassword
		}
		ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = map[string]string{"email": "jane.doe@example.org", "email_verified": "true"}
		ev.FinalUserStatus = "CONFIRMED"
		ev.MessageAction = "SUPPRESS"
		return ev, nil
	}
	c := &capture{next: lambda.NewHandler(WrapWith(m, legacy))}
	host, err := lambdahost.New(nil, lambdahost.Function{Name: "UserMigration", Timeout: 5 * time.Second,
		New: func(context.Context) (lambda.Handler, error) { return c, nil }})
	require.NoError(t, err)
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)
	e := cognitolocaltest.Start(t, cognitolocaltest.Options{Lambda: srv.URL, Triggers: map[string]string{"UserMigration": "UserMigration"}})
	pool := e.CreatePool(ctx, t, "cogwatch-migration")
	client := e.Client()
	signIn := func(name, password string) (*cip.InitiateAuthOutput, error) {
		return client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
	}

	// 1. A user of the old directory: migrated, signed in.
	out, err := signIn(legacyName, legacyPassword)
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult)
	recorded := c.last(t)

	// 2. Nobody the old directory knows: the handler's error, no user.
	_, err = signIn("mallory-7", "guess")
	var notAuthorized *types.NotAuthorizedException
	require.ErrorAs(t, err, &notAuthorized)

	evs := rec.events(t)
	require.Len(t, evs, 2)
	require.Equal(t, event.UserMigrated, evs[0].Type)
	require.Equal(t, "example.org", evs[0].Data.EmailDomain)
	require.Equal(t, event.MigrationFailed, evs[1].Type)
	require.Equal(t, event.ReasonMigrationRejected, evs[1].Data.Reason)
	for _, ev := range evs {
		require.Equal(t, UserMigrationAuthentication, ev.Data.TriggerSource)
		require.Equal(t, pool.UserPoolID, ev.Data.UserPoolID)
		require.Equal(t, pool.ClientID, ev.Data.ClientID)
	}
	lines := emfOut.Lines()
	require.Len(t, lines, 2)
	require.Equal(t, 1.0, decodeEMF(t, lines[0]).num(t, "UsersMigrated"))
	require.Equal(t, 1.0, decodeEMF(t, lines[1]).num(t, "MigrationFailures"))
	for _, secret := range []string{"@", legacyName, legacyPassword, "mallory-7"} {
		require.NotContains(t, logs.String()+emfOut.String(), secret)
	}

	const dir = "testdata/cognito-local-wrap"
	path := filepath.Join(dir, UserMigrationAuthentication+".json")
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, recorded, "", "  "))
	pretty.WriteByte('\n')
	if testutil.Update() {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
	}
	committed, err := os.ReadFile(path)
	require.NoError(t, err, "go test ./triggers -run TestCognitoLocalMigration -update records it")
	require.Equal(t, shape(t, committed), shape(t, recorded), "%s: cognito-local sends another shape now", path)
}
