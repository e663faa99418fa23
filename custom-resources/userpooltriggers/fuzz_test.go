package userpooltriggers

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/custom-resources/cfntest"
)

// FuzzProperties decodes and validates arbitrary events' properties: an
// error or valid Properties, never a panic; valid ones chain only slots
// cogwatch takes, only with ChainExisting, and plan against a production
// pool without a panic, changing cogwatch's slots only (those taken), a
// chained pre token generation function's event version kept.
func FuzzProperties(f *testing.F) {
	for _, props := range []map[string]any{
		template(poolID, cogwatch(), false, nil),
		template(poolID, cogwatch(), true, map[string]string{"PreSignUp": theirPreSignUp, "PostConfirmation": theirPostConf}),
		{"UserPoolId": poolID, "Triggers": map[string]any{"PreSignUp": cogPreSignUp}, "ChainExisting": "true", "Chained": map[string]any{"PreSignUp": cogPreSignUp}},
		{"UserPoolId": 3, "Triggers": []any{"x"}},
		templateAll(poolID, true, map[string]string{"PreTokenGeneration": theirTokens, "CustomMessage": theirMessage}, "V1_0"),
		with(templateAll(poolID, false, nil, "V2_0"), "Slots", []any{"CustomMessage", " PreTokenGeneration", ""}),
	} {
		ev := cfn.Event{RequestType: cfn.RequestCreate, RequestID: "r", StackID: "s", LogicalResourceID: "l",
			ResponseURL: "https://h/x", ResourceType: "Custom::UserPoolTriggers", ResourceProperties: cfntest.Strings(props).(map[string]any)}
		b, err := json.Marshal(ev)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := customresources.DecodeEvent(payload)
		if err != nil {
			return
		}
		p, _, err := customresources.Properties[Properties](ev)
		p.normalize()
		if err != nil || p.Validate() != nil {
			return
		}
		p = p.effective()
		for slot := range p.Chained {
			require.NotEmpty(t, p.Triggers[slot])
			require.True(t, p.ChainExisting)
		}
		for slot := range p.Triggers {
			require.Contains(t, p.taken(), slot, "only the slots taken are planned")
		}
		pool := productionPool(p.UserPoolId, adoptersConfig(theirPreSignUp))
		plan, _ := planAttach(pool, p, Properties{})
		for _, c := range plan.Changes() {
			require.Equal(t, p.Triggers[c.Slot], c.To)
			if s, _ := slotByName(c.Slot); c.From != "" && p.Chained[c.Slot] != "" {
				require.Equal(t, s.Version(pool.LambdaConfig), s.Version(plan.After), "a chained function's event version is kept")
			}
		}
		require.Empty(t, changedFields(pool, pool))
		for _, c := range planDetach(pool, p).Changes() {
			require.Equal(t, p.Triggers[c.Slot], c.From, "detaching changes only slots holding cogwatch's function")
		}
	})
}
