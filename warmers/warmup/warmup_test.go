package warmup

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    bool
	}{
		{name: "warmup", payload: `{"cogwatch":"warmup","concurrency":3,"holdMs":100}`, want: true},
		{name: "cognito event", payload: `{"version":"1","triggerSource":"PreSignUp_SignUp","request":{"userAttributes":{"cogwatch":"warmup"}}}`, want: false},
		{name: "other marker", payload: `{"cogwatch":"ping"}`, want: false},
		{name: "not json", payload: `"cogwatch" {`, want: false},
		{name: "empty", payload: ``, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := Parse([]byte(tc.payload))
			require.Equal(t, tc.want, ok)
		})
	}
}

func TestWrapAnswersWarmupsBeforeTheHandler(t *testing.T) {
	inst := NewInstance()
	calls := 0
	next := lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		calls++
		return in, nil
	})
	h := WrapInstance(inst, next)

	out, err := h.Invoke(t.Context(), []byte(`{"cogwatch":"warmup"}`))
	require.NoError(t, err)
	var first Response
	require.NoError(t, json.Unmarshal(out, &first))
	require.Equal(t, Response{Cogwatch: Marker, Cold: true, Instance: inst.ID}, first)

	out, err = h.Invoke(t.Context(), []byte(`{"cogwatch":"warmup"}`))
	require.NoError(t, err)
	var second Response
	require.NoError(t, json.Unmarshal(out, &second))
	require.False(t, second.Cold)
	require.Zero(t, calls)

	out, err = h.Invoke(t.Context(), []byte(`{"triggerSource":"x"}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"triggerSource":"x"}`, string(out))
	require.Equal(t, 1, calls)
}

func TestAnswerHoldsButNotPastTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inst := NewInstance()
		start := time.Now()
		Answer(t.Context(), inst, Request{Cogwatch: Marker, HoldMs: 250})
		require.Equal(t, 250*time.Millisecond, time.Since(start))

		ctx, cancel := context.WithTimeout(t.Context(), 40*time.Millisecond)
		defer cancel()
		start = time.Now()
		Answer(ctx, inst, Request{Cogwatch: Marker, HoldMs: 60_000})
		require.Equal(t, 40*time.Millisecond, time.Since(start))
	})
}

func TestInstancesHaveDistinctIDs(t *testing.T) {
	require.NotEqual(t, NewInstance().ID, NewInstance().ID)
}
