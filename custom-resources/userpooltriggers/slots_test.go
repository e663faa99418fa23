package userpooltriggers

import (
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/custom-resources/cfntest"
)

// templateAll is the template's properties taking every slot (AttachSlots
// with all of them), with the pre token generation version parameter.
func templateAll(pool string, chain bool, chained map[string]string, version string) map[string]any {
	m := template(pool, cogwatchAll(), chain, chained)
	slots := []any{}
	for _, name := range SlotNames() {
		slots = append(slots, name)
	}
	m["Slots"] = slots
	m["PreTokenGenerationVersion"] = version
	return m
}

func preToken(legacy, arn string, v types.PreTokenGenerationLambdaVersionType) *types.LambdaConfigType {
	c := &types.LambdaConfigType{}
	if legacy != "" {
		c.PreTokenGeneration = aws.String(legacy)
	}
	if arn != "" {
		c.PreTokenGenerationConfig = &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: v}
	}
	return c
}

// TestLifecycleJourneySlots: the pre token generation and custom message
// slots through CloudFormation's events, empty and holding the adopter's
// functions in each spelling AWS allows: cogwatch's function takes the slot
// in the pool's own event version and fields, or the template's version
// when empty, and Delete gives back exactly what Create found.
func TestLifecycleJourneySlots(t *testing.T) {
	chained := map[string]string{"PreTokenGeneration": theirTokens, "CustomMessage": theirMessage}
	withMessage := func(c *types.LambdaConfigType) *types.LambdaConfigType {
		c.CustomMessage = aws.String(theirMessage)
		return c
	}
	tests := []struct {
		name    string
		lc      *types.LambdaConfigType
		chain   bool
		chained map[string]string
		version string // the template's PreTokenGenerationVersion
		want    *types.LambdaConfigType
	}{
		{name: "empty slots: the default version", want: withCog(preToken("", cogTokens, PreTokenV2))},
		{name: "empty slots: the template's version", version: "V1_0", want: withCog(preToken("", cogTokens, PreTokenV1))},
		{name: "V2 in both fields, chained: the pool's version, whatever the template says",
			lc: withMessage(preToken(theirTokens, theirTokens, PreTokenV2)), chain: true, chained: chained, version: "V1_0",
			want: withCog(preToken(cogTokens, cogTokens, PreTokenV2))},
		{name: "V2 in the configuration alone, chained", lc: withMessage(preToken("", theirTokens, PreTokenV2)), chain: true, chained: chained,
			want: withCog(preToken("", cogTokens, PreTokenV2))},
		{name: "the legacy field alone (V1), chained: never upgraded", lc: withMessage(preToken(theirTokens, "", "")), chain: true, chained: chained,
			want: withCog(preToken(cogTokens, "", ""))},
		{name: "V3 (machine-to-machine), chained: kept", lc: withMessage(preToken(theirTokens, theirTokens, PreTokenV3)), chain: true, chained: chained,
			want: withCog(preToken(cogTokens, cogTokens, PreTokenV3))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.add(productionPool(poolID, tc.lc))
			start := f.describe(t, poolID)
			st := lifecycle(t, f)
			props := templateAll(poolID, tc.chain, tc.chained, tc.version)

			require.Equal(t, cfntest.CreateComplete, st.Create(props), "%+v", st.Last().Answer)
			got := f.describe(t, poolID).LambdaConfig
			want := cloneLambdaConfig(tc.want)
			want.KMSKeyID = nil
			require.Equal(t, *want, lambdaConfigOrEmpty(got), "cogwatch's functions, the pool's version and fields")
			require.Empty(t, changedFields(start, f.describe(t, poolID)))

			// An update the stack rolls back elsewhere, and a no-op update.
			require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(props))
			require.Equal(t, *want, lambdaConfigOrEmpty(f.describe(t, poolID).LambdaConfig))

			require.Equal(t, cfntest.DeleteComplete, st.Delete())
			require.Equal(t, settled(start), settled(f.describe(t, poolID)), "the whole description as Create found it, PreTokenGenerationConfig and its version included")
		})
	}
}

// withCog is c with cogwatch's functions in every other slot it takes.
func withCog(c *types.LambdaConfigType) *types.LambdaConfigType {
	for _, name := range []string{"PreSignUp", "PreAuthentication", "PostAuthentication", "PostConfirmation", "CustomMessage"} {
		s, _ := slotByName(name)
		s.Set(c, cogwatchAll()[name])
	}
	return c
}

// TestLifecycleJourneySlotsRefused: a foreign pre token generation or
// custom message function without ChainExisting fails the Create with the
// reason, writes nothing, and the rollback's Delete succeeds.
func TestLifecycleJourneySlotsRefused(t *testing.T) {
	tests := []struct {
		name       string
		lc         *types.LambdaConfigType
		props      map[string]any
		wantReason string
	}{
		{name: "foreign pre token generation", lc: preToken(theirTokens, theirTokens, PreTokenV2),
			props:      templateAll(poolID, false, nil, ""),
			wantReason: "slot PreTokenGeneration holds " + theirTokens + ", which is not cogwatch's: to keep it, set ChainExisting \"true\" and Chained.PreTokenGeneration to " + theirTokens + " (cogwatch's template: parameter ChainPreTokenGeneration)"},
		{name: "foreign custom message", lc: &types.LambdaConfigType{CustomMessage: aws.String(theirMessage)},
			props:      templateAll(poolID, false, nil, ""),
			wantReason: "slot CustomMessage holds " + theirMessage + ", which is not cogwatch's: to keep it, set ChainExisting \"true\" and Chained.CustomMessage to " + theirMessage},
		{name: "chaining another pre token function", lc: preToken("", theirTokens, PreTokenV2),
			props:      templateAll(poolID, true, map[string]string{"PreTokenGeneration": theirPostConf}, ""),
			wantReason: "slot PreTokenGeneration holds " + theirTokens + " but Chained.PreTokenGeneration names " + theirPostConf},
		{name: "chained but not taken", lc: preToken("", theirTokens, PreTokenV2),
			props:      with(template(poolID, cogwatchAll(), true, map[string]string{"PreTokenGeneration": theirTokens}), "Slots", []any{"PreSignUp"}),
			wantReason: "property Chained.PreTokenGeneration: cogwatch takes no PreTokenGeneration slot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.add(productionPool(poolID, tc.lc))
			start := f.describe(t, poolID)
			st := lifecycle(t, f)
			require.Equal(t, cfntest.RollbackComplete, st.Create(tc.props))
			require.Equal(t, cfn.StatusFailed, st.Steps[0].Answer.Status)
			require.Contains(t, st.Steps[0].Answer.Reason, tc.wantReason)
			require.Zero(t, f.updates(), "nothing written")
			require.Equal(t, settled(start), settled(f.describe(t, poolID)))
		})
	}
}

// TestLifecycleTakingTheNewSlots: a stack written for the first version
// (no Slots: the four) updated to take every slot, rolled back, updated
// again, its version changed, then deleted: each step leaves exactly the
// slots it should, and the pool ends as it started.
func TestLifecycleTakingTheNewSlots(t *testing.T) {
	f := newFake()
	f.add(productionPool(poolID, nil))
	start := f.describe(t, poolID)
	st := lifecycle(t, f)
	v1 := template(poolID, cogwatchAll(), false, nil) // the old template: every function, no Slots
	require.Equal(t, cfntest.CreateComplete, st.Create(v1))
	require.Equal(t, cogwatch(), slotsOf(f.describe(t, poolID), SlotNames()...), "the four of the first version")

	v2 := templateAll(poolID, false, nil, "")
	require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(v2))
	require.Equal(t, cogwatch(), slotsOf(f.describe(t, poolID), SlotNames()...), "the rollback gives the new slots back")
	require.Nil(t, f.describe(t, poolID).LambdaConfig.PreTokenGenerationConfig)

	require.Equal(t, cfntest.UpdateComplete, st.Update(v2))
	require.Equal(t, cogwatchAll(), slotsOf(f.describe(t, poolID), SlotNames()...))
	require.Equal(t, PreTokenV2, f.describe(t, poolID).LambdaConfig.PreTokenGenerationConfig.LambdaVersion)

	// The slot is cogwatch's alone: the template's version applies.
	require.Equal(t, cfntest.UpdateComplete, st.Update(with(v2, "PreTokenGenerationVersion", "V1_0")))
	require.Equal(t, preToken("", cogTokens, PreTokenV1).PreTokenGenerationConfig, f.describe(t, poolID).LambdaConfig.PreTokenGenerationConfig)

	require.Equal(t, cfntest.DeleteComplete, st.Delete())
	require.Equal(t, settled(start), settled(f.describe(t, poolID)))
}

// TestSameLambdaConfigSpellings: a description that spells cogwatch's pre
// token generation trigger the other way AWS allows is not a drift; another
// function or version is.
func TestSameLambdaConfigSpellings(t *testing.T) {
	require.True(t, sameLambdaConfig(preToken("", cogTokens, PreTokenV2), preToken(cogTokens, cogTokens, PreTokenV2)))
	require.True(t, sameLambdaConfig(preToken(cogTokens, "", ""), preToken("", cogTokens, PreTokenV1)))
	require.False(t, sameLambdaConfig(preToken(cogTokens, "", ""), preToken("", cogTokens, PreTokenV2)))
	require.False(t, sameLambdaConfig(preToken("", cogTokens, PreTokenV2), preToken("", theirTokens, PreTokenV2)))
	require.False(t, sameLambdaConfig(preToken("", cogTokens, PreTokenV2), nil))
}
