package cloudwatch

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/catalog"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "default", env: nil, want: catalog.DeliveredNamespace},
		{name: "override", env: map[string]string{EnvNamespace: "MyApp/Users"}, want: "MyApp/Users"},
		{name: "powertools namespace is not read", env: map[string]string{"POWERTOOLS_METRICS_NAMESPACE": "Cogwatch"}, want: catalog.DeliveredNamespace},
		{name: "the triggers' namespace would double count", env: map[string]string{EnvNamespace: "Cogwatch"},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace "Cogwatch" is where the triggers' EMF already writes these metrics; the consumer's copy would count every event twice`},
		{name: "reserved prefix", env: map[string]string{EnvNamespace: "AWS/Cognito"},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace "AWS/Cognito" starts with AWS/, which is reserved`},
		{name: "too long", env: map[string]string{EnvNamespace: strings.Repeat("n", 256)},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace longer than 255 characters`},
		{name: "control character", env: map[string]string{EnvNamespace: "a\tb"},
			wantErr: `COGWATCH_DELIVERED_NAMESPACE: namespace "a\tb" has a character that is not printable ASCII`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, o.Namespace)
		})
	}
}

func TestZeroOptionsTakeTheDefaults(t *testing.T) {
	o := Config{}.withDefaults()
	require.Equal(t, DefaultConfig.Namespace, o.Namespace)
	require.Equal(t, 1000, o.MaxDatumsPerCall)
	require.Equal(t, 150, o.MaxValuesPerDatum)
	require.Equal(t, MaxRequestBytes, o.MaxRequestBytes)
	require.Equal(t, DefaultConfig.Retry, o.Retry)
	// Limits above the service's are clamped to it.
	o = Config{MaxDatumsPerCall: 5000, MaxValuesPerDatum: 1000, MaxRequestBytes: 1 << 30}.withDefaults()
	require.Equal(t, 1000, o.MaxDatumsPerCall)
	require.Equal(t, 150, o.MaxValuesPerDatum)
	require.Equal(t, MaxRequestBytes, o.MaxRequestBytes)
}
