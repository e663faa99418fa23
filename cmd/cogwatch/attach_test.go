package main

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
)

const (
	cogPreSignUp   = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PreSignUpFunction-1A2B3C"
	cogAuth        = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-AuthenticationFunction-4D5E6F"
	theirPreSignUp = "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"
	theirMessage   = "arn:aws:lambda:eu-west-1:123456789012:function:custom-message"
	theirTokens    = "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3"
	cogTokens      = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PreTokenGenerationFunction-J1K2L3"
	cogMessage     = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-CustomMessageFunction-M4N5O6"
)

// TestAttachDetach runs `cogwatch attach` and `detach` against
// cognito-local: refused with a foreign pre sign-up, planned and applied
// with it chained, then detached, leaving the description as it started.
func TestAttachDetach(t *testing.T) {
	e := cognitolocaltest.Start(t, cognitolocaltest.Options{})
	ctx := t.Context()
	c := e.Client()
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("production-users"),
		Policies:     &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(14), RequireNumbers: true}},
		LambdaConfig: &types.LambdaConfigType{PreSignUp: aws.String(theirPreSignUp), CustomMessage: aws.String(theirMessage)},
		UserPoolTags: map[string]string{"team": "identity"}})
	require.NoError(t, err)
	pool := aws.ToString(out.UserPool.Id)
	describe := func() *types.UserPoolType { return e.DescribePool(ctx, t, pool) }
	start := describe()
	// No credentials and no region in the command's environment: a local
	// endpoint gets the emulators' (see awsConfig).
	ctx = withGetenv(ctx, func(string) string { return "" })
	base := []string{"--user-pool-id", pool, "--endpoint", e.Endpoint, "--trigger", "PreSignUp=" + cogPreSignUp,
		"--trigger", "PreAuthentication=" + cogAuth, "--trigger", "PostAuthentication=" + cogAuth}

	r := cogwatch(ctx, nil, append([]string{"attach", "--dry-run"}, base...)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "slot PreSignUp holds "+theirPreSignUp+", which is not cogwatch's")

	chained := append(base, "--chain", "PreSignUp="+theirPreSignUp)
	r = cogwatch(ctx, nil, append([]string{"attach", "--dry-run"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, `--- `+pool+` LambdaConfig (now)
+++ `+pool+` LambdaConfig (planned)
 CustomMessage: `+theirMessage+`
+PostAuthentication: `+cogAuth+`
+PreAuthentication: `+cogAuth+`
-PreSignUp: `+theirPreSignUp+`
+PreSignUp: `+cogPreSignUp+`
cogwatch's PreSignUp function must have COGWATCH_CHAIN_PRE_SIGN_UP=`+theirPreSignUp+` to call it.
Dry run: nothing changed.
`, r.stdout)
	require.Equal(t, start, describe(), "a dry run changes nothing")

	r = cogwatch(ctx, nil, append([]string{"attach"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Attached 3 slot(s); every other setting of the pool checked unchanged.")
	lc := describe().LambdaConfig
	require.Equal(t, cogPreSignUp, aws.ToString(lc.PreSignUp))
	require.Equal(t, theirMessage, aws.ToString(lc.CustomMessage))

	r = cogwatch(ctx, nil, append([]string{"attach"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Nothing to change.", "attaching again is a no-op")

	r = cogwatch(ctx, nil, append([]string{"detach", "--dry-run"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "-PreSignUp: "+cogPreSignUp+"\n+PreSignUp: "+theirPreSignUp+"\n")
	require.Contains(t, r.stdout, "-PreAuthentication: "+cogAuth+"\n")

	r = cogwatch(ctx, nil, append([]string{"detach"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Detached 3 slot(s)")
	require.Equal(t, start, describe(), "the whole description, as it started")
}

// TestAttachJourneySlots: attach and detach the pre token generation and
// custom message slots of a pool whose own functions hold them, V2 events:
// the dry run's diff shows cogwatch's functions in the pool's version, and
// detaching gives back the whole description.
func TestAttachJourneySlots(t *testing.T) {
	e := cognitolocaltest.Start(t, cognitolocaltest.Options{})
	ctx := t.Context()
	c := e.Client()
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("production-users"),
		LambdaConfig: &types.LambdaConfigType{CustomMessage: aws.String(theirMessage),
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(theirTokens), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}}})
	require.NoError(t, err)
	pool := aws.ToString(out.UserPool.Id)
	describe := func() *types.UserPoolType { return e.DescribePool(ctx, t, pool) }
	start := describe()
	ctx = withGetenv(ctx, func(string) string { return "" }) // no credentials nor profile from the process
	base := []string{"--user-pool-id", pool, "--endpoint", e.Endpoint,
		"--trigger", "PreTokenGeneration=" + cogTokens, "--trigger", "CustomMessage=" + cogMessage, "--pre-token-generation-version", "V1_0"}

	r := cogwatch(ctx, nil, append([]string{"attach", "--dry-run"}, base...)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "slot PreTokenGeneration holds "+theirTokens+", which is not cogwatch's")
	require.Contains(t, r.stderr, "slot CustomMessage holds "+theirMessage+", which is not cogwatch's")

	chained := append(base, "--chain", "PreTokenGeneration="+theirTokens, "--chain", "CustomMessage="+theirMessage)
	r = cogwatch(ctx, nil, append([]string{"attach", "--dry-run"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, `--- `+pool+` LambdaConfig (now)
+++ `+pool+` LambdaConfig (planned)
-CustomMessage: `+theirMessage+`
+CustomMessage: `+cogMessage+`
-PreTokenGenerationConfig: {LambdaArn=`+theirTokens+` LambdaVersion=V2_0}
+PreTokenGenerationConfig: {LambdaArn=`+cogTokens+` LambdaVersion=V2_0}
cogwatch's PreTokenGeneration function must have COGWATCH_CHAIN_PRE_TOKEN_GENERATION=`+theirTokens+` to call it.
cogwatch's CustomMessage function must have COGWATCH_CHAIN_CUSTOM_MESSAGE=`+theirMessage+` to call it.
Dry run: nothing changed.
`, r.stdout)
	require.Equal(t, start, describe(), "a dry run changes nothing")

	r = cogwatch(ctx, nil, append([]string{"attach"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Attached 2 slot(s)")
	lc := describe().LambdaConfig
	require.Equal(t, cogMessage, aws.ToString(lc.CustomMessage))
	require.Equal(t, &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(cogTokens), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}, lc.PreTokenGenerationConfig)

	r = cogwatch(ctx, nil, append([]string{"detach", "--dry-run"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "-PreTokenGenerationConfig: {LambdaArn="+cogTokens+" LambdaVersion=V2_0}\n+PreTokenGenerationConfig: {LambdaArn="+theirTokens+" LambdaVersion=V2_0}\n")
	r = cogwatch(ctx, nil, append([]string{"detach"}, chained...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, start, describe(), "the whole description, as it started")
}

func TestAttachUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no pool", args: []string{"attach", "--trigger", "PreSignUp=" + cogPreSignUp}, wantErr: "--user-pool-id is required"},
		{name: "no trigger", args: []string{"detach", "--user-pool-id", "eu-west-1_AbC"}, wantErr: "property Triggers: required"},
		{name: "not SLOT=ARN", args: []string{"attach", "--user-pool-id", "eu-west-1_AbC", "--trigger", cogPreSignUp}, wantErr: `--trigger "` + cogPreSignUp + `": want SLOT=ARN`},
		{name: "unknown slot", args: []string{"attach", "--user-pool-id", "eu-west-1_AbC", "--trigger", "UserMigration=" + cogPreSignUp}, wantErr: "property Triggers.UserMigration: not a slot cogwatch handles"},
		{name: "a name for an ARN", args: []string{"attach", "--user-pool-id", "eu-west-1_AbC", "--trigger", "PreSignUp=cogwatch-presignup"}, wantErr: `"cogwatch-presignup" is not an ARN`},
		{name: "chain without its slot", args: []string{"attach", "--user-pool-id", "eu-west-1_AbC", "--trigger", "PreSignUp=" + cogPreSignUp, "--chain", "PostConfirmation=" + theirPreSignUp}, wantErr: "cogwatch takes no PostConfirmation slot"},
		{name: "a version cogwatch does not read", args: []string{"attach", "--user-pool-id", "eu-west-1_AbC", "--trigger", "PreTokenGeneration=" + cogTokens, "--pre-token-generation-version", "V3_0"},
			wantErr: `property PreTokenGenerationVersion: "V3_0" is not V1_0 or V2_0`},
		{name: "slot twice", args: []string{"attach", "--user-pool-id", "eu-west-1_AbC", "--trigger", "PreSignUp=" + cogPreSignUp, "--trigger", "PreSignUp=" + cogAuth}, wantErr: "--trigger: slot PreSignUp given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, tc.args...)
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.wantErr)
		})
	}
}
