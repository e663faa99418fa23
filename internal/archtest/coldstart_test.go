package archtest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// triggerBinaries are the Cognito triggers' Lambda functions: Cognito waits
// for them at a user's sign-up or sign-in, cold starts included.
var triggerBinaries = []string{"presignup", "authentication", "postconfirmation", "pretokengeneration", "custommessage"}

// notInTriggers are packages whose initialisation a trigger's cold start
// must not pay: service/lambda builds the schemas of all of Lambda's
// operations at init (about 670 KB, a few ms of CPU). Triggers chain an
// adopter's function through internal/lambdainvoke instead.
var notInTriggers = []string{"github.com/aws/aws-sdk-go-v2/service/lambda"}

func TestTriggersColdStartDeps(t *testing.T) {
	deps := map[string][]string{}
	for _, p := range list(t) {
		deps[p.ImportPath] = p.Deps
	}
	for _, name := range triggerBinaries {
		d, ok := deps[module+"/cmd/"+name]
		require.True(t, ok, "cmd/%s is listed", name)
		require.Contains(t, d, module+"/triggers", "not a vacuous pass")
		for _, heavy := range notInTriggers {
			require.False(t, slices.Contains(d, heavy), "cmd/%s links %s", name, heavy)
		}
	}
}
