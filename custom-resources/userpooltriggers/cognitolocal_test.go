package userpooltriggers

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
)

// createInput is a pool with the settings cognito-local keeps, a foreign
// pre sign-up (an alias), a custom message function and a custom SMS sender
// under a KMS key.
func createInput(name string) *cip.CreateUserPoolInput {
	p := productionPool("", adoptersConfig(theirPreSignUp))
	return &cip.CreateUserPoolInput{
		PoolName:                    aws.String(name),
		Policies:                    p.Policies,
		LambdaConfig:                p.LambdaConfig,
		AutoVerifiedAttributes:      p.AutoVerifiedAttributes,
		UsernameAttributes:          p.UsernameAttributes,
		UsernameConfiguration:       p.UsernameConfiguration,
		SmsVerificationMessage:      p.SmsVerificationMessage,
		EmailVerificationMessage:    p.EmailVerificationMessage,
		EmailVerificationSubject:    p.EmailVerificationSubject,
		SmsAuthenticationMessage:    p.SmsAuthenticationMessage,
		VerificationMessageTemplate: p.VerificationMessageTemplate,
		MfaConfiguration:            types.UserPoolMfaTypeOptional,
		SmsConfiguration:            p.SmsConfiguration,
		EmailConfiguration:          p.EmailConfiguration,
		DeviceConfiguration:         p.DeviceConfiguration,
		AdminCreateUserConfig:       p.AdminCreateUserConfig,
		UserPoolTags:                p.UserPoolTags,
		AccountRecoverySetting:      p.AccountRecoverySetting,
		UserAttributeUpdateSettings: p.UserAttributeUpdateSettings,
		UserPoolAddOns:              p.UserPoolAddOns,
	}
}

// TestCognitoLocalAttachDetach runs attach and detach against cognito-local
// 5.3.0, whose UpdateUserPool resets what it is not given as AWS does (for
// the fields it knows: the fake covers the rest): attaching changes
// cogwatch's slots only, detaching leaves the whole description as it was.
func TestCognitoLocalAttachDetach(t *testing.T) {
	e := cognitolocaltest.Start(t, cognitolocaltest.Options{})
	ctx := t.Context()
	c := e.Client()
	describe := func(id string) *types.UserPoolType { return e.DescribePool(ctx, t, id) }

	// The hazard, shown on a pool of its own: an update that gives only the
	// LambdaConfig loses the password policy, the messages and the tags.
	naive, err := c.CreateUserPool(ctx, createInput("naive"))
	require.NoError(t, err)
	naiveID := aws.ToString(naive.UserPool.Id)
	_, err = c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(naiveID),
		LambdaConfig: &types.LambdaConfigType{PreSignUp: aws.String(cogPreSignUp)}})
	require.NoError(t, err)
	reset := describe(naiveID)
	require.Nil(t, reset.Policies, "cognito-local resets what UpdateUserPool is not given")
	require.Nil(t, reset.UserPoolTags)
	require.Nil(t, reset.LambdaConfig.CustomSMSSender)

	out, err := c.CreateUserPool(ctx, createInput("production-users"))
	require.NoError(t, err)
	id := aws.ToString(out.UserPool.Id)
	start := describe(id)
	require.NotNil(t, start.Policies)
	require.Equal(t, theirPreSignUp, aws.ToString(start.LambdaConfig.PreSignUp))

	r := New(c, Options{})
	props := Properties{UserPoolId: id, Triggers: cogwatch(), ChainExisting: true,
		Chained: map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}}
	_, err = r.Attach(ctx, Properties{UserPoolId: id, Triggers: cogwatch()}, Properties{})
	require.ErrorIs(t, err, ErrSlotTaken, "a foreign pre sign-up without chaining")
	require.Equal(t, start, describe(id), "refused: nothing written")

	plan, err := r.Attach(ctx, props, Properties{})
	require.NoError(t, err)
	require.Len(t, plan.Changes(), 4)
	attached := describe(id)
	require.Empty(t, changedFields(start, attached))
	require.Equal(t, cogwatch(), slots(attached))
	lc := attached.LambdaConfig
	require.Equal(t, theirMessage, aws.ToString(lc.CustomMessage))
	require.Equal(t, kmsKey, aws.ToString(lc.KMSKeyID))
	require.Equal(t, start.LambdaConfig.CustomSMSSender, lc.CustomSMSSender)
	require.Equal(t, start.LambdaConfig.PreTokenGenerationConfig, lc.PreTokenGenerationConfig)

	_, err = r.Detach(ctx, id, props)
	require.NoError(t, err)
	require.Equal(t, start, describe(id), "the whole description, as it started")

	// Every slot, the pre token generation and custom message functions
	// chained: cogwatch's functions in the pool's V2 configuration, given
	// back exactly.
	all := Properties{UserPoolId: id, Triggers: cogwatchAll(), Slots: SlotNames(), ChainExisting: true, PreTokenGenerationVersion: PreTokenV1,
		Chained: map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf, "PreTokenGeneration": theirTokens, "CustomMessage": theirMessage}}
	plan, err = r.Attach(ctx, all, Properties{})
	require.NoError(t, err)
	require.Len(t, plan.Changes(), 6)
	attached = describe(id)
	require.Empty(t, changedFields(start, attached))
	require.Equal(t, cogwatchAll(), slotsOf(attached, SlotNames()...))
	require.Equal(t, &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(cogTokens), LambdaVersion: PreTokenV2},
		attached.LambdaConfig.PreTokenGenerationConfig, "the pool's version, not the one asked for an empty slot")
	require.Equal(t, cogTokens, aws.ToString(attached.LambdaConfig.PreTokenGeneration))
	require.Equal(t, start.LambdaConfig.CustomSMSSender, attached.LambdaConfig.CustomSMSSender)
	_, err = r.Detach(ctx, id, all)
	require.NoError(t, err)
	require.Equal(t, start, describe(id), "the whole description, PreTokenGenerationConfig and its version included")

	// A pool without triggers: every slot taken, the version asked for.
	in := createInput("empty-slots")
	in.LambdaConfig = nil
	empty, err := c.CreateUserPool(ctx, in)
	require.NoError(t, err)
	emptyID := aws.ToString(empty.UserPool.Id)
	emptyStart := describe(emptyID)
	mine := Properties{UserPoolId: emptyID, Triggers: cogwatchAll(), Slots: SlotNames(), PreTokenGenerationVersion: PreTokenV1}
	_, err = r.Attach(ctx, mine, Properties{})
	require.NoError(t, err)
	got := describe(emptyID)
	require.Equal(t, cogwatchAll(), slotsOf(got, SlotNames()...))
	require.Equal(t, PreTokenV1, got.LambdaConfig.PreTokenGenerationConfig.LambdaVersion)
	_, err = r.Detach(ctx, emptyID, mine)
	require.NoError(t, err)
	require.Equal(t, emptyStart, describe(emptyID))
}
