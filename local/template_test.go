package local

import (
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/samtemplate"
)

// TestTriggersAsInTheTemplate: the local stack wires every trigger the
// template's user pool wires, to the function of the same logical id, and
// its warmer warms the functions the template's warmer warms.
func TestTriggersAsInTheTemplate(t *testing.T) {
	b, err := os.ReadFile("../template.yaml")
	require.NoError(t, err)
	tmpl, err := samtemplate.Load(b)
	require.NoError(t, err)

	getAtt := func(v any) string {
		t.Helper()
		m, ok := v.(map[string]any)
		require.True(t, ok, "%v", v)
		ref, ok := m["Fn::GetAtt"].(string)
		require.True(t, ok, "%v", v)
		return strings.TrimSuffix(ref, ".Arn")
	}
	wired := map[string]string{}
	for trigger, v := range tmpl.Props("UserPool")["LambdaConfig"].(map[string]any) {
		if name, ok := strings.CutSuffix(trigger, "Config"); ok { // PreTokenGenerationConfig: {LambdaArn, LambdaVersion}
			wired[name] = getAtt(v.(map[string]any)["LambdaArn"])
			continue
		}
		wired[trigger] = getAtt(v)
	}
	// UserMigration is the stack's own addition: a demo adopter's
	// function, which the template has not (the adopter's own logic).
	local := maps.Clone(triggerFunctions)
	require.Equal(t, UserMigrationFunction, local["UserMigration"])
	delete(local, "UserMigration")
	require.Equal(t, wired, local, "cognito-local's TriggerFunctions, by the names it uses")
	for _, fn := range local {
		require.Contains(t, TriggerFunctionNames(), fn)
	}
	require.NotContains(t, TriggerFunctionNames(), UserMigrationFunction, "not warmed: the template has no such function")

	env := tmpl.Props("WarmerFunction")["Environment"].(map[string]any)["Variables"].(map[string]any)
	sub := env["COGWATCH_WARM_TARGETS"].(map[string]any)["Fn::Sub"].(string)
	var warmed []string
	for _, m := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(sub, -1) {
		warmed = append(warmed, m[1])
	}
	require.Equal(t, warmed, TriggerFunctionNames(), "the warmer's targets")
}
