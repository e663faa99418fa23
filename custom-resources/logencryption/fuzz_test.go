package logencryption

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

// FuzzProperties decodes and validates arbitrary events' properties: an
// error or a valid Properties, never a panic; valid ones name a group and
// have something to do.
func FuzzProperties(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "events", "update-logencryption.json"))
	require.NoError(f, err)
	f.Add(b)
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := customresources.DecodeEvent(payload)
		if err != nil {
			return
		}
		p, _, err := customresources.Properties[Properties](ev)
		if err != nil || p.Validate() != nil {
			return
		}
		require.NotEmpty(t, append(slices.Clone(p.LogGroupNames), p.LogGroupPrefixes...))
		require.True(t, p.KmsKeyId != "" || p.RetentionInDays != 0)
	})
}
