package warmers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseTargets: COGWATCH_WARM_TARGETS and `cogwatch warm --target` are
// outside input. An error or targets that each name a function and ask for
// 0 (the default) to MaxInstances instances, never a panic.
func FuzzParseTargets(f *testing.F) {
	for _, s := range []string{"presignup", "a=3,b", "arn:aws:lambda:eu-west-1:123456789012:function:auth:live=2", " , ", "=1", "a=x", "a=1=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		targets, err := ParseTargets(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, targets)
		for _, tg := range targets {
			require.NotEmpty(t, tg.Function)
			require.NotContains(t, tg.Function, ",")
			require.Equal(t, strings.TrimSpace(tg.Function), tg.Function)
			require.True(t, tg.Instances >= 0 && tg.Instances <= MaxInstances)
		}
	})
}
