package metricmath

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEval(t *testing.T) {
	t.Parallel()
	vals := map[string]float64{"m1": 10, "m2": 8}
	tests := []struct {
		expr    string
		want    float64
		ok      bool
		wantErr string
	}{
		{expr: "m1 - m2", want: 2, ok: true},
		{expr: "100 * (m1 - m2) / m1", want: 20, ok: true},
		{expr: "-m1 + 2.5", want: -7.5, ok: true},
		{expr: "m1 / (m2 - 8)", ok: false},
		{expr: "m1 + m9", ok: false},
		{expr: "100 * u1 / PERIOD(u1)", wantErr: "no local equivalent"},
		{expr: "(m1", wantErr: "missing )"},
		{expr: "FILL(m1, 0) + FILL(m9, 0)", want: 10, ok: true},
		{expr: "FILL(m9, 3) + FILL(m8, 1)", want: 4, ok: true},
		{expr: "FILL(m9, 0) + m8", ok: false},
		{expr: "FILL(m1 0)", wantErr: "FILL takes an id and a number"},
		{expr: "FILL(m1, 0", wantErr: "missing )"},
		{expr: "m1 m2", wantErr: "unexpected"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			v, ok, err := Eval(tc.expr, vals)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
			if ok {
				require.InDelta(t, tc.want, v, 1e-9)
			}
		})
	}
}
