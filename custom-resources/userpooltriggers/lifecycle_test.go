package userpooltriggers

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/custom-resources/cfntest"
)

// The lifecycle tests are the resource's contract with CloudFormation: the
// event sequences it sends (rollbacks and replacement clean-ups included),
// every scalar a string, through the runtime, against a pool with a foreign
// trigger and without, ending with the pool's description as it started.

func lifecycle(t *testing.T, f *fakeCognito) *cfntest.Stack {
	st := cfntest.New(t, customresources.New(New(f, Options{}).Handle, customresources.Options{}), "UserPoolTriggers", "Custom::UserPoolTriggers")
	st.ServiceTimeout = "300"
	st.Timeout = 10 * time.Second
	return st
}

// template returns the properties as template.yaml writes them: every slot
// present, "" for a chain parameter left empty.
func template(pool string, triggers map[string]string, chain bool, chained map[string]string) map[string]any {
	tr, ch := map[string]any{}, map[string]any{}
	for _, s := range Slots {
		tr[s.Name] = triggers[s.Name]
		ch[s.Name] = chained[s.Name]
	}
	return map[string]any{"UserPoolId": pool, "Triggers": tr, "ChainExisting": chain, "Chained": ch}
}

// slots returns what the slots taken by default hold.
func slots(p *types.UserPoolType) map[string]string {
	return slotsOf(p, DefaultSlots...)
}

// slotsOf returns what the named slots hold, by name.
func slotsOf(p *types.UserPoolType, names ...string) map[string]string {
	out := map[string]string{}
	for _, name := range names {
		s, _ := slotByName(name)
		if v := s.Get(p.LambdaConfig); v != "" {
			out[s.Name] = v
		}
	}
	return out
}

func TestLifecycle(t *testing.T) {
	chained := map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}
	tests := []struct {
		name    string
		lc      *types.LambdaConfigType
		chain   bool
		chained map[string]string
	}{
		{name: "no foreign trigger"},
		{name: "foreign pre sign-up and post confirmation, chained", lc: adoptersConfig(theirPreSignUp), chain: true, chained: chained},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.add(productionPool(poolID, tc.lc))
			f.add(productionPool(pool2ID, tc.lc))
			start, start2 := f.describe(t, poolID), f.describe(t, pool2ID)
			st := lifecycle(t, f)
			v1 := template(poolID, cogwatch(), tc.chain, tc.chained)

			// Create.
			require.Equal(t, cfntest.CreateComplete, st.Create(v1))
			require.Equal(t, strconv.FormatBool(tc.chain), st.Last().Event.ResourceProperties["ChainExisting"], "CloudFormation sends booleans as strings")
			require.Equal(t, poolID, st.PhysicalID)
			require.Equal(t, poolID, st.Last().Answer.Data["UserPoolId"])
			require.Equal(t, cogwatch(), slots(f.describe(t, poolID)))
			require.Empty(t, changedFields(start, f.describe(t, poolID)))

			// Update: the stack replaced the authentication function.
			v2 := template(poolID, map[string]string{"PreSignUp": cogPreSignUp, "PreAuthentication": cogAuthNew, "PostAuthentication": cogAuthNew, "PostConfirmation": cogPostConf}, tc.chain, tc.chained)
			require.Equal(t, cfntest.UpdateComplete, st.Update(v2))
			require.Equal(t, poolID, st.PhysicalID, "in place")
			require.Equal(t, cogAuthNew, slots(f.describe(t, poolID))["PreAuthentication"])

			// An update the stack rolls back for another resource's failure.
			require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(v1))
			require.Equal(t, cogAuthNew, slots(f.describe(t, poolID))["PostAuthentication"], "back to v2's function")

			// Updates the resource refuses; the rollback to v2 must succeed.
			refused := []struct {
				props      map[string]any
				wantReason string
			}{
				{with(v2, "UserPoolId", "pool"), `property UserPoolId: "pool" is not a user pool id`},
				{with(v2, "Triggers", map[string]any{"UserMigration": cogAuth}), "property Triggers.UserMigration: not a slot cogwatch handles"},
				{with(v2, "Slots", []any{"PreSignUp", "UserMigration"}), `property Slots: "UserMigration" is not a slot cogwatch handles`},
				{with(v2, "Slots", []any{"PreSignUp", "PreTokenGeneration"}), "property Triggers.PreTokenGeneration: required: Slots takes PreTokenGeneration"},
				{with(v2, "PreTokenGenerationVersion", "V3_0"), `property PreTokenGenerationVersion: "V3_0" is not V1_0 or V2_0`},
				{with(v2, "Triggers", map[string]any{"PreSignUp": "cogwatch-presignup"}), `property Triggers.PreSignUp: "cogwatch-presignup" is not an ARN`},
				{with(v2, "ChainExisting", "maybe"), `property ChainExisting: "maybe" is not true or false`},
				{with(v2, "Chained", map[string]any{"PreSignUp": cogPreSignUp}), "property Chained.PreSignUp: is cogwatch's own function"},
				{with(v2, "UserPoolId", "eu-west-1_Missing1"), "user pool not found: eu-west-1_Missing1"},
			}
			for _, r := range refused {
				require.Equal(t, cfntest.UpdateRollbackComplete, st.Update(r.props), "%s: rollback answered %+v", r.wantReason, st.Last().Answer)
				failed := st.Steps[len(st.Steps)-2].Answer
				require.Equal(t, cfn.StatusFailed, failed.Status)
				require.Contains(t, failed.Reason, r.wantReason)
				require.Equal(t, poolID, st.PhysicalID)
			}

			// A replacement: another pool; the clean-up detaches from the first.
			v3 := template(pool2ID, cogwatch(), tc.chain, tc.chained)
			require.Equal(t, cfntest.UpdateComplete, st.Update(v3))
			require.Equal(t, pool2ID, st.PhysicalID)
			cleanUp := st.Last().Event
			require.Equal(t, cfn.RequestDelete, cleanUp.RequestType)
			require.Equal(t, poolID, cleanUp.PhysicalResourceID)
			require.Equal(t, settled(start), settled(f.describe(t, poolID)), "the first pool as it was")
			require.Equal(t, cogwatch(), slots(f.describe(t, pool2ID)))

			// A replacement the stack rolls back: the new pool is detached.
			require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(template(poolID, cogwatch(), tc.chain, tc.chained)))
			require.Equal(t, pool2ID, st.PhysicalID)
			require.Equal(t, settled(start), settled(f.describe(t, poolID)))

			// Delete.
			require.Equal(t, cfntest.DeleteComplete, st.Delete())
			require.Equal(t, settled(start2), settled(f.describe(t, pool2ID)), "the pool's whole description as it started")
			require.Equal(t, settled(start), settled(f.describe(t, poolID)))
		})
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestLifecycleFailedCreate: a Create the resource refuses changes nothing
// and its rollback's Delete succeeds; one that fails after writing answers
// the pool id, so the rollback's Delete detaches.
func TestLifecycleFailedCreate(t *testing.T) {
	tests := []struct {
		name       string
		lc         *types.LambdaConfigType
		props      map[string]any
		hook       func(f *fakeCognito) func(int)
		wantReason string
		wantMarker bool
	}{
		{name: "foreign pre sign-up, no chaining", lc: adoptersConfig(theirPreSignUp),
			props:      template(poolID, cogwatch(), false, nil),
			wantReason: "slot PreSignUp holds " + theirPreSignUp + ", which is not cogwatch's", wantMarker: true},
		{name: "chaining another function than the pool's", lc: adoptersConfig(theirPreSignUp),
			props:      template(poolID, cogwatch(), true, map[string]string{"PreSignUp": theirMessage, "PostConfirmation": theirPostConf}),
			wantReason: "slot PreSignUp holds " + theirPreSignUp + " but Chained.PreSignUp names " + theirMessage, wantMarker: true},
		{name: "chained without ChainExisting",
			props:      template(poolID, cogwatch(), false, map[string]string{"PreSignUp": theirPreSignUp}),
			wantReason: `property Chained.PreSignUp: needs ChainExisting "true"`, wantMarker: true},
		{name: "no such pool", props: template("eu-west-1_Missing1", cogwatch(), false, nil),
			wantReason: "user pool not found", wantMarker: true},
		{name: "another writer right after cogwatch's: rolled back", lc: adoptersConfig(theirPreSignUp),
			props: template(poolID, cogwatch(), true, map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}),
			hook: func(f *fakeCognito) func(int) {
				return func(n int) {
					if n == 3 {
						f.edit(poolID, func(p *types.UserPoolType) { p.MfaConfiguration = types.UserPoolMfaTypeOn })
					}
				}
			},
			wantReason: "settings other than LambdaConfig changed: MfaConfiguration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.add(productionPool(poolID, tc.lc))
			start := f.describe(t, poolID)
			if tc.hook != nil {
				f.describes, f.describeHook = 0, tc.hook(f)
			}
			st := lifecycle(t, f)
			require.Equal(t, cfntest.RollbackComplete, st.Create(tc.props))
			require.Len(t, st.Steps, 2)
			create, del := st.Steps[0], st.Steps[1]
			require.Equal(t, cfn.StatusFailed, create.Answer.Status)
			require.Contains(t, create.Answer.Reason, tc.wantReason)
			require.Equal(t, tc.wantMarker, customresources.IsFailedCreate(create.Answer.PhysicalResourceID))
			require.Equal(t, create.Answer.PhysicalResourceID, del.Event.PhysicalResourceID)
			got := f.describe(t, poolID)
			require.Equal(t, slots(start), slots(got), "the slots as they were")
			if tc.hook == nil {
				require.Equal(t, settled(start), settled(got))
				require.Zero(t, f.updates())
			}
		})
	}
}

// TestLifecycleDeleteOfAGonePool: a pool deleted outside the stack leaves
// nothing to detach.
func TestLifecycleDeleteOfAGonePool(t *testing.T) {
	f := newFake()
	f.add(productionPool(poolID, nil))
	st := lifecycle(t, f)
	require.Equal(t, cfntest.CreateComplete, st.Create(template(poolID, cogwatch(), false, nil)))
	f.mu.Lock()
	delete(f.pools, poolID)
	f.mu.Unlock()
	require.Equal(t, cfntest.DeleteComplete, st.Delete())
}

// TestLifecycleChainChangedInPlace: a chained function named anew (the
// adopter moved their alias) is what Delete gives the slot back to.
func TestLifecycleChainChangedInPlace(t *testing.T) {
	f := newFake()
	f.add(productionPool(poolID, adoptersConfig(theirPreSignUp)))
	st := lifecycle(t, f)
	chained := map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}
	require.Equal(t, cfntest.CreateComplete, st.Create(template(poolID, cogwatch(), true, chained)))
	const moved = "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:v2"
	require.Equal(t, cfntest.UpdateComplete, st.Update(template(poolID, cogwatch(), true, map[string]string{"PreSignUp": moved, "PostConfirmation": theirPostConf})))
	require.Equal(t, cfntest.DeleteComplete, st.Delete())
	got := f.describe(t, poolID)
	require.Equal(t, moved, aws.ToString(got.LambdaConfig.PreSignUp))
	require.Equal(t, theirPostConf, aws.ToString(got.LambdaConfig.PostConfirmation))
	require.Nil(t, got.LambdaConfig.PreAuthentication)
}
