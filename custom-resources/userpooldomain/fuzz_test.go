package userpooldomain

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

// FuzzProperties decodes and validates arbitrary events' properties: an
// error or a valid Properties, never a panic; a valid custom domain always
// has a certificate and a prefix domain never does.
func FuzzProperties(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "events", "create-userpooldomain.json"))
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"RequestType":"Update","RequestId":"r","StackId":"s","LogicalResourceId":"l","PhysicalResourceId":"acme","ResponseURL":"https://h/x","ResourceProperties":{"UserPoolId":"eu-west-1_A","Domain":"acme","ManagedLoginVersion":"1"},"OldResourceProperties":{"UserPoolId":"eu-west-1_A","Domain":"a.b.c"}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := customresources.DecodeEvent(payload)
		if err != nil {
			return
		}
		p, _, err := customresources.Properties[Properties](ev)
		if err != nil || p.Validate() != nil {
			return
		}
		if p.Custom() {
			require.NotEmpty(t, p.certificate())
		} else {
			require.Empty(t, p.certificate())
			require.Empty(t, parent(p.Domain))
		}
	})
}
