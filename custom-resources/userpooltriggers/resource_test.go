package userpooltriggers

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"
)

// settled is a description without what changes on every write.
func settled(p *types.UserPoolType) *types.UserPoolType {
	p = clone(p)
	p.LastModifiedDate = nil
	return p
}

// TestUpdateInputCopiesEveryField fills every field of a description and
// checks that every field of UpdateUserPoolInput is set from it: a field a
// future SDK adds to both fails here until UpdateInput copies it.
func TestUpdateInputCopiesEveryField(t *testing.T) {
	p := filledPool(poolID)
	in := UpdateInput(p, p.LambdaConfig)
	v := reflect.ValueOf(in).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		require.False(t, v.Field(i).IsZero(), "UpdateUserPoolInput.%s is not copied from the description", f.Name)
	}
	// The deprecated field Cognito may refuse: dropped for a second try, and
	// only beside the password policy's.
	without := withoutUnusedAccountValidityDays(in)
	require.Zero(t, without.AdminCreateUserConfig.UnusedAccountValidityDays)
	require.Equal(t, int32(7), in.AdminCreateUserConfig.UnusedAccountValidityDays, "the first try is not changed")
	p.Policies.PasswordPolicy.TemporaryPasswordValidityDays = 0
	require.Nil(t, withoutUnusedAccountValidityDays(UpdateInput(p, nil)), "an old pool without the new field keeps it")
}

// TestAttachDetachLeavesThePoolAsItWas is the contract with Cognito's
// UpdateUserPool, which resets what it is not given: attaching changes
// cogwatch's slots and nothing else, detaching gives back the whole
// description, LastModifiedDate aside.
func TestAttachDetachLeavesThePoolAsItWas(t *testing.T) {
	tests := []struct {
		name    string
		pool    *types.UserPoolType
		props   Properties
		attach  map[string]string // slot → ARN after attaching, where it changed
		changed []string
	}{
		{name: "production pool, no triggers", pool: productionPool(poolID, nil),
			props:  Properties{UserPoolId: poolID, Triggers: cogwatch()},
			attach: cogwatch()},
		{name: "custom senders under a KMS key, version and alias ARNs, chained pre sign-up and post confirmation",
			pool: productionPool(poolID, adoptersConfig(theirPreSignUp)),
			props: Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
				Chained: map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}},
			attach: cogwatch()},
		{name: "pre sign-up only", pool: productionPool(poolID, adoptersConfig(theirPreSignUp)),
			props:  Properties{UserPoolId: poolID, Triggers: map[string]string{"PreSignUp": cogPreSignUp}, ChainExisting: true, Chained: map[string]string{"PreSignUp": theirPreSignUp}},
			attach: map[string]string{"PreSignUp": cogPreSignUp}},
		{name: "a minimal pool", pool: &types.UserPoolType{Id: aws.String(poolID), Name: aws.String("p")},
			props:  Properties{UserPoolId: poolID, Triggers: cogwatch()},
			attach: cogwatch()},
		{name: "every field filled", pool: filledPool(poolID),
			props: Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
				Chained: map[string]string{"PreSignUp": filled, "PreAuthentication": filled, "PostAuthentication": filled, "PostConfirmation": filled}},
			attach: cogwatch()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.add(tc.pool)
			r := New(f, Options{})
			start := f.describe(t, poolID)

			plan, err := r.Attach(t.Context(), tc.props, Properties{})
			require.NoError(t, err)
			attached := f.describe(t, poolID)
			require.Empty(t, changedFields(start, attached), "attaching changed settings besides LambdaConfig")
			want := cloneLambdaConfig(start.LambdaConfig)
			for slot, arn := range tc.attach {
				s, _ := slotByName(slot)
				s.Set(want, arn)
			}
			require.Equal(t, lambdaConfigOrEmpty(want), lambdaConfigOrEmpty(attached.LambdaConfig), "attaching changes cogwatch's slots only")
			require.Len(t, plan.Changes(), len(tc.attach))

			_, err = r.Detach(t.Context(), poolID, tc.props)
			require.NoError(t, err)
			require.Equal(t, settled(start), settled(f.describe(t, poolID)), "the pool's whole description after detaching")
			require.Equal(t, 2, f.updates())
		})
	}
}

func TestAttachRefusesAForeignFunction(t *testing.T) {
	tests := []struct {
		name    string
		props   Properties
		wantErr error
		wantMsg string
	}{
		{name: "no chaining", props: Properties{UserPoolId: poolID, Triggers: cogwatch()}, wantErr: ErrSlotTaken,
			wantMsg: "slot PreSignUp holds " + theirPreSignUp + ", which is not cogwatch's: to keep it, set ChainExisting \"true\" and Chained.PreSignUp to " + theirPreSignUp},
		{name: "chaining another function", props: Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
			Chained: map[string]string{"PreSignUp": "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:old", "PostConfirmation": theirPostConf}},
			wantErr: ErrChainMismatch,
			wantMsg: "slot PreSignUp holds " + theirPreSignUp + " but Chained.PreSignUp names arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:old"},
		{name: "chaining but naming nothing", props: Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
			Chained: map[string]string{"PreSignUp": theirPreSignUp}},
			wantErr: ErrChainMismatch, wantMsg: "slot PostConfirmation holds " + theirPostConf + " but Chained.PostConfirmation names nothing"},
		{name: "chaining a function the pool does not use", props: Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
			Chained: map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf, "PreAuthentication": theirMessage}},
			wantErr: ErrChainMismatch, wantMsg: "slot PreAuthentication is empty, but Chained.PreAuthentication names " + theirMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.add(productionPool(poolID, adoptersConfig(theirPreSignUp)))
			start := f.pool(poolID)
			_, err := New(f, Options{}).Attach(t.Context(), tc.props, Properties{})
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Zero(t, f.updates(), "nothing written")
			require.Equal(t, start, f.pool(poolID))
		})
	}
}

func TestDetachLeavesASlotSomeoneElseChanged(t *testing.T) {
	f := newFake()
	f.add(productionPool(poolID, adoptersConfig(theirPreSignUp)))
	r := New(f, Options{})
	props := Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
		Chained: map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}}
	_, err := r.Attach(t.Context(), props, Properties{})
	require.NoError(t, err)
	const replaced = "arn:aws:lambda:eu-west-1:123456789012:function:someone-elses"
	f.edit(poolID, func(p *types.UserPoolType) { p.LambdaConfig.PostAuthentication = aws.String(replaced) })

	plan, err := r.Detach(t.Context(), poolID, props)
	require.NoError(t, err)
	require.Equal(t, []Change{{Slot: "PostAuthentication", From: replaced, To: replaced}}, plan.Left)
	lc := f.pool(poolID).LambdaConfig
	require.Equal(t, theirPreSignUp, aws.ToString(lc.PreSignUp))
	require.Equal(t, theirPostConf, aws.ToString(lc.PostConfirmation))
	require.Nil(t, lc.PreAuthentication)
	require.Equal(t, replaced, aws.ToString(lc.PostAuthentication), "their change stands")
}

// TestConcurrentWriters: Cognito has no conditional update; a change between
// cogwatch's two reads starts over with the new settings, a change after its
// write is reported.
func TestConcurrentWriters(t *testing.T) {
	props := Properties{UserPoolId: poolID, Triggers: cogwatch()}
	t.Run("a change between the two reads is kept", func(t *testing.T) {
		f := newFake()
		f.add(productionPool(poolID, nil))
		f.describeHook = func(n int) {
			if n == 2 { // after cogwatch planned, before its write
				f.edit(poolID, func(p *types.UserPoolType) { p.UserPoolTags["owner"] = "someone" })
			}
		}
		_, err := New(f, Options{}).Attach(t.Context(), props, Properties{})
		require.NoError(t, err)
		got := f.pool(poolID)
		require.Equal(t, "someone", got.UserPoolTags["owner"], "the other writer's change is not overwritten")
		require.Equal(t, cogPreSignUp, aws.ToString(got.LambdaConfig.PreSignUp))
		require.Equal(t, 1, f.updates())
	})
	t.Run("a pool that keeps changing", func(t *testing.T) {
		f := newFake()
		f.add(productionPool(poolID, nil))
		f.describeHook = func(n int) {
			if n%2 == 0 {
				f.edit(poolID, func(p *types.UserPoolType) { p.UserPoolTags["n"] = string(rune('a' + n)) })
			}
		}
		_, err := New(f, Options{Attempts: 3}).Attach(t.Context(), props, Properties{})
		require.ErrorIs(t, err, ErrPoolBusy)
		require.Zero(t, f.updates())
	})
	t.Run("a LambdaConfig overwritten right after the write", func(t *testing.T) {
		f := newFake()
		f.add(productionPool(poolID, nil))
		f.describeHook = func(n int) {
			if n == 3 { // the read after the write
				f.edit(poolID, func(p *types.UserPoolType) { p.LambdaConfig.PreSignUp = aws.String(theirPreSignUp) })
			}
		}
		_, err := New(f, Options{}).Attach(t.Context(), props, Properties{})
		require.ErrorIs(t, err, ErrDrift)
		require.ErrorContains(t, err, "its LambdaConfig is not what cogwatch wrote")
	})
	t.Run("another setting changed right after the write", func(t *testing.T) {
		f := newFake()
		f.add(productionPool(poolID, nil))
		f.describeHook = func(n int) {
			if n == 3 {
				f.edit(poolID, func(p *types.UserPoolType) { p.DeletionProtection = types.DeletionProtectionTypeInactive })
			}
		}
		_, err := New(f, Options{}).Attach(t.Context(), props, Properties{})
		require.ErrorIs(t, err, ErrDrift)
		require.ErrorContains(t, err, "settings other than LambdaConfig changed: DeletionProtection")
	})
}

func TestAttachWithoutChangeWritesNothing(t *testing.T) {
	f := newFake()
	pool := productionPool(poolID, &types.LambdaConfigType{})
	for _, s := range Slots {
		s.Set(pool.LambdaConfig, cogwatch()[s.Name])
	}
	f.add(pool)
	plan, err := New(f, Options{}).Attach(t.Context(), Properties{UserPoolId: poolID, Triggers: cogwatch()}, Properties{})
	require.NoError(t, err)
	require.Empty(t, plan.Changes())
	require.Zero(t, f.updates())
}

func TestUpdateUserPoolRefused(t *testing.T) {
	f := newFake()
	f.add(productionPool(poolID, nil))
	f.errs["Update"] = []error{&types.InvalidSmsRoleTrustRelationshipException{Message: aws.String("Role does not have a trust relationship allowing Cognito to assume the role")}}
	_, err := New(f, Options{}).Attach(t.Context(), Properties{UserPoolId: poolID, Triggers: cogwatch()}, Properties{})
	require.ErrorContains(t, err, "update user pool "+poolID)
	require.ErrorContains(t, err, "InvalidSmsRoleTrustRelationshipException")
	require.Zero(t, f.updates())
	require.Equal(t, types.LambdaConfigType{}, *f.describe(t, poolID).LambdaConfig)
}

func TestPlanDiff(t *testing.T) {
	f := newFake()
	f.add(productionPool(poolID, adoptersConfig(theirPreSignUp)))
	props := Properties{UserPoolId: poolID, Triggers: cogwatch(), ChainExisting: true,
		Chained: map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}}
	plan, err := New(f, Options{}).PlanAttach(t.Context(), props, Properties{})
	require.NoError(t, err)
	require.Zero(t, f.updates(), "planning writes nothing")
	require.Equal(t, `--- eu-west-1_AbCdEfGhI LambdaConfig (now)
+++ eu-west-1_AbCdEfGhI LambdaConfig (planned)
 CustomEmailSender: {LambdaArn=`+theirSender+` LambdaVersion=V1_0}
 CustomMessage: `+theirMessage+`
 CustomSMSSender: {LambdaArn=`+theirSender+` LambdaVersion=V1_0}
 KMSKeyID: `+kmsKey+`
+PostAuthentication: `+cogAuth+`
-PostConfirmation: `+theirPostConf+`
+PostConfirmation: `+cogPostConf+`
+PreAuthentication: `+cogAuth+`
-PreSignUp: `+theirPreSignUp+`
+PreSignUp: `+cogPreSignUp+`
 PreTokenGeneration: `+theirTokens+`
 PreTokenGenerationConfig: {LambdaArn=`+theirTokens+` LambdaVersion=V2_0}
`, plan.Diff())
}
