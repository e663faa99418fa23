package warmers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: DefaultConfig},
		{name: "everything", env: map[string]string{
			"COGWATCH_WARM_TARGETS":        " presignup=3, arn:aws:lambda:eu-west-1:123456789012:function:auth:live ,",
			"COGWATCH_WARM_CONCURRENCY":    "2",
			"COGWATCH_WARM_USER_POOL_ID":   "eu-west-1_Pool",
			"COGWATCH_WARM_HOLD":           "1500ms",
			"POWERTOOLS_METRICS_NAMESPACE": "Acme/Cognito",
		}, want: Config{
			Targets:    []Target{{Function: "presignup", Instances: 3}, {Function: "arn:aws:lambda:eu-west-1:123456789012:function:auth:live"}},
			UserPoolID: "eu-west-1_Pool", Instances: 2, Hold: 1500 * time.Millisecond, Namespace: "Acme/Cognito",
		}},
		{name: "bad concurrency", env: map[string]string{"COGWATCH_WARM_CONCURRENCY": "0"}, wantErr: `COGWATCH_WARM_CONCURRENCY: "0" is not a whole number from 1 to 100`},
		{name: "bad count", env: map[string]string{"COGWATCH_WARM_TARGETS": "a=x"}, wantErr: `COGWATCH_WARM_TARGETS: "a=x": instances must be a whole number from 1 to 100`},
		{name: "nameless target", env: map[string]string{"COGWATCH_WARM_TARGETS": "=3"}, wantErr: `COGWATCH_WARM_TARGETS: "=3" names no function`},
		{name: "only commas", env: map[string]string{"COGWATCH_WARM_TARGETS": ",,"}, wantErr: `COGWATCH_WARM_TARGETS: no targets`},
		{name: "bad hold", env: map[string]string{"COGWATCH_WARM_HOLD": "11s"}, wantErr: `COGWATCH_WARM_HOLD: "11s" is not a duration from 1ms to 10s`},
		{name: "two problems", env: map[string]string{"COGWATCH_WARM_HOLD": "soon", "COGWATCH_WARM_CONCURRENCY": "many"},
			wantErr: "COGWATCH_WARM_CONCURRENCY: \"many\" is not a whole number from 1 to 100\nCOGWATCH_WARM_HOLD: \"soon\" is not a duration from 1ms to 10s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
