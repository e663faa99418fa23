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
		{name: "marker not a string", payload: `{"cogwatch":1,"holdMs":100}`, want: false},
		{name: "not an object", payload: `["cogwatch","warmup"]`, want: false},
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

// TestAnswerHoldsButEndsBeforeTheDeadline, in fake time: a hold asking to
// run past the invocation's deadline ends Reserve before it, so the answer
// beats the deadline.
func TestAnswerHoldsButEndsBeforeTheDeadline(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Duration // 0: none
		holdMs   int
		want     time.Duration
	}{
		{name: "no deadline", holdMs: 250, want: 250 * time.Millisecond},
		{name: "no deadline, past MaxHold", holdMs: 60_000, want: MaxHold},
		{name: "well before the deadline", deadline: time.Second, holdMs: 250, want: 250 * time.Millisecond},
		{name: "past the deadline: ends Reserve before it", deadline: time.Second, holdMs: 60_000, want: time.Second - Reserve},
		{name: "into the reserve", deadline: time.Second, holdMs: 950, want: time.Second - Reserve},
		{name: "less than the reserve left: no hold", deadline: Reserve / 2, holdMs: 60_000, want: 0},
		{name: "negative", holdMs: -5, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				inst := NewInstance()
				start := time.Now()
				got := Answer(ctx, inst, Request{Cogwatch: Marker, HoldMs: tc.holdMs})
				require.Equal(t, tc.want, time.Since(start))
				require.Equal(t, Response{Cogwatch: Marker, Cold: true, Instance: inst.ID}, got)
			})
		})
	}
}

// TestOddNumbersAreStillAWarmup: the marker makes a warm-up; numbers out of
// range, fractional, negative or not numbers are clamped, and the answer is
// the documented one, never the wrapped handler's.
func TestOddNumbersAreStillAWarmup(t *testing.T) {
	maxMs := int(MaxHold / time.Millisecond)
	tests := []struct {
		name     string
		payload  string
		wantConc int
		wantHold int
	}{
		{name: "in range", payload: `{"cogwatch":"warmup","concurrency":3,"holdMs":100}`, wantConc: 3, wantHold: 100},
		{name: "exponent", payload: `{"cogwatch":"warmup","concurrency":1e1,"holdMs":1e9}`, wantConc: 10, wantHold: maxMs},
		{name: "beyond int64", payload: `{"cogwatch":"warmup","concurrency":100000000000000000000,"holdMs":100000000000000000000}`, wantConc: MaxConcurrency, wantHold: maxMs},
		{name: "beyond float64", payload: `{"cogwatch":"warmup","holdMs":1e400}`, wantHold: maxMs},
		{name: "fractions", payload: `{"cogwatch":"warmup","concurrency":2.9,"holdMs":1.5}`, wantConc: 2, wantHold: 1},
		{name: "negative", payload: `{"cogwatch":"warmup","concurrency":-3,"holdMs":-1e9}`},
		{name: "negative beyond float64", payload: `{"cogwatch":"warmup","holdMs":-1e400}`},
		{name: "strings", payload: `{"cogwatch":"warmup","concurrency":"3","holdMs":"100"}`},
		{name: "null, bool, object", payload: `{"cogwatch":"warmup","concurrency":null,"holdMs":{"ms":1},"extra":true}`},
		{name: "marker only", payload: ` { "cogwatch" : "warmup" } `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, ok := Parse([]byte(tc.payload))
			require.True(t, ok)
			require.Equal(t, Request{Cogwatch: Marker, Concurrency: tc.wantConc, HoldMs: tc.wantHold}, req)

			synctest.Test(t, func(t *testing.T) {
				inst := NewInstance()
				h := WrapInstance(inst, lambda.NewHandler(func(context.Context, json.RawMessage) (json.RawMessage, error) {
					t.Error("a warm-up was handed to the wrapped handler, as if a Cognito event")
					return nil, nil
				}))
				start := time.Now()
				out, err := h.Invoke(t.Context(), []byte(tc.payload))
				require.NoError(t, err)
				require.Equal(t, time.Duration(tc.wantHold)*time.Millisecond, time.Since(start), "the clamped hold")
				require.JSONEq(t, `{"cogwatch":"warmup","cold":true,"instance":"`+inst.ID+`"}`, string(out))
			})
		})
	}
}

func TestInstancesHaveDistinctIDs(t *testing.T) {
	require.NotEqual(t, NewInstance().ID, NewInstance().ID)
}
