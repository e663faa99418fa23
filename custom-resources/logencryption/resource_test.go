package logencryption

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

const (
	key   = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	key2  = "arn:aws:kms:eu-west-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab"
	stack = "arn:aws:cloudformation:eu-west-1:123456789012:stack/cogwatch/5b6c1d10"
	apigw = "API-Gateway-Execution-Logs_abc123/prod"
)

// p builds properties as CloudFormation sends them: lists of strings and
// every scalar a string.
func p(names, prefixes []string, kv ...string) map[string]any {
	m := map[string]any{"ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:f"}
	list := func(s []string) []any {
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	if names != nil {
		m["LogGroupNames"] = list(names)
	}
	if prefixes != nil {
		m["LogGroupPrefixes"] = list(prefixes)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func ev(typ cfn.RequestType, physicalID string, props, old map[string]any) cfn.Event {
	return cfn.Event{RequestType: typ, RequestID: "req-1", ResponseURL: "https://example.invalid/r", StackID: stack,
		LogicalResourceID: "LogEncryption", ResourceType: "Custom::LogEncryption", PhysicalResourceID: physicalID,
		ResourceProperties: props, OldResourceProperties: old}
}

var (
	id        = PhysicalID(stack, "LogEncryption")
	throttled = apiErr("ThrottlingException")
)

func TestHandle(t *testing.T) {
	tests := []struct {
		name      string
		existing  []string
		setup     func(*fakeLogs)
		ev        cfn.Event
		wantErr   string
		wantID    string
		wantCalls []string
		wantState map[string]state
	}{
		{name: "create: missing group is created with its key",
			ev:        ev(cfn.RequestCreate, "", p([]string{apigw}, nil, "KmsKeyId", key, "RetentionInDays", "30"), nil),
			wantID:    id,
			wantCalls: []string{"Create " + apigw, "PutRetention " + apigw},
			wantState: map[string]state{apigw: {Key: key, Days: 30}}},
		{name: "create: existing groups and every group under the prefixes",
			existing:  []string{apigw, "/aws/vendedlogs/a", "/aws/vendedlogs/b", "/aws/vendedlogs/c", "/other"},
			ev:        ev(cfn.RequestCreate, "", p([]string{apigw}, []string{"/aws/vendedlogs/"}, "KmsKeyId", key), nil),
			wantID:    id,
			wantCalls: []string{"Associate " + apigw, "Associate /aws/vendedlogs/a", "Associate /aws/vendedlogs/b", "Associate /aws/vendedlogs/c"},
			wantState: map[string]state{apigw: {Key: key}, "/aws/vendedlogs/a": {Key: key}, "/aws/vendedlogs/b": {Key: key}, "/aws/vendedlogs/c": {Key: key}, "/other": {}}},
		{name: "create: a group both named and matched is done once",
			existing:  []string{"/aws/x"},
			ev:        ev(cfn.RequestCreate, "", p([]string{"/aws/x"}, []string{"/aws/"}, "RetentionInDays", "7"), nil),
			wantID:    id,
			wantCalls: []string{"PutRetention /aws/x"},
			wantState: map[string]state{"/aws/x": {Days: 7}}},
		{name: "create: group created meanwhile (already exists) is configured anyway",
			setup: func(f *fakeLogs) {
				// Created between the describe and the create.
				f.groups[apigw] = &types.LogGroup{LogGroupName: ptr(apigw)}
				f.hidden = []string{apigw}
			},
			ev:        ev(cfn.RequestCreate, "", p([]string{apigw}, nil, "KmsKeyId", key, "RetentionInDays", "30"), nil),
			wantID:    id,
			wantCalls: []string{"Create " + apigw, "Associate " + apigw, "PutRetention " + apigw},
			wantState: map[string]state{apigw: {Key: key, Days: 30}}},
		{name: "create: throttled calls are retried",
			existing: []string{apigw},
			setup: func(f *fakeLogs) {
				f.errs["Associate "+apigw] = []error{throttled, throttled}
				f.errs["Describe "+apigw] = []error{throttled}
			},
			ev:        ev(cfn.RequestCreate, "", p([]string{apigw}, nil, "KmsKeyId", key), nil),
			wantID:    id,
			wantCalls: []string{"Associate " + apigw, "Associate " + apigw, "Associate " + apigw},
			wantState: map[string]state{apigw: {Key: key}}},
		{name: "create: throttled throughout fails, after trying the other groups",
			existing: []string{"/a", "/b"},
			setup: func(f *fakeLogs) {
				f.errs["Associate /a"] = []error{throttled, throttled, throttled, throttled, throttled, throttled}
			},
			ev:        ev(cfn.RequestCreate, "", p([]string{"/a", "/b"}, nil, "KmsKeyId", key), nil),
			wantErr:   "1 of 2 log groups failed: associate KMS key with /a: api error ThrottlingException",
			wantID:    "", // the runtime answers its failed-create marker: the rollback touches nothing
			wantCalls: []string{"Associate /a", "Associate /a", "Associate /a", "Associate /a", "Associate /a", "Associate /a", "Associate /b"},
			wantState: map[string]state{"/a": {}, "/b": {Key: key}}},
		{name: "create: a key CloudWatch Logs may not use",
			existing:  []string{"/a"},
			setup:     func(f *fakeLogs) { f.errs["Associate /a"] = []error{apiErr("AccessDeniedException")} },
			ev:        ev(cfn.RequestCreate, "", p([]string{"/a"}, nil, "KmsKeyId", key), nil),
			wantErr:   "is the KMS key's policy letting the CloudWatch Logs service principal of this region use it?",
			wantID:    "", // the runtime answers its failed-create marker: the rollback touches nothing
			wantCalls: []string{"Associate /a"},
			wantState: map[string]state{"/a": {}}},
		{name: "create: a prefix-matched group deleted meanwhile (not found) is skipped",
			existing:  []string{"/p/a", "/p/b"},
			setup:     func(f *fakeLogs) { f.errs["Associate /p/a"] = []error{apiErr("ResourceNotFoundException")} },
			ev:        ev(cfn.RequestCreate, "", p(nil, []string{"/p/"}, "KmsKeyId", key), nil),
			wantID:    id,
			wantCalls: []string{"Associate /p/a", "Associate /p/b"},
			wantState: map[string]state{"/p/a": {}, "/p/b": {Key: key}}},
		{name: "create: a named group deleted meanwhile (not found) fails",
			existing:  []string{"/a"},
			setup:     func(f *fakeLogs) { f.errs["PutRetention /a"] = []error{apiErr("ResourceNotFoundException")} },
			ev:        ev(cfn.RequestCreate, "", p([]string{"/a"}, nil, "RetentionInDays", "14"), nil),
			wantErr:   "set retention of /a: api error ResourceNotFoundException",
			wantID:    "", // the runtime answers its failed-create marker: the rollback touches nothing
			wantCalls: []string{"PutRetention /a"},
			wantState: map[string]state{"/a": {}}},
		{name: "create: bad properties touch nothing",
			existing:  []string{"/a"},
			ev:        ev(cfn.RequestCreate, "", p([]string{"/a", "bad name!"}, nil, "KmsKeyId", "alias/logs", "RetentionInDays", "10"), nil),
			wantErr:   "property LogGroupNames[1]: \"bad name!\" is not a log group name (1 to 512 of A-Z a-z 0-9 . - _ / #)\nproperty KmsKeyId: \"alias/logs\" is not a KMS key ARN (CloudWatch Logs takes no alias nor bare key id)\nproperty RetentionInDays: 10 is not one of",
			wantState: map[string]state{"/a": {}}},
		{name: "create: nothing to do",
			ev:      ev(cfn.RequestCreate, "", p(nil, nil), nil),
			wantErr: "property LogGroupNames: name at least one log group, here or in LogGroupPrefixes\nproperty KmsKeyId: set KmsKeyId, RetentionInDays or both: there is nothing to do"},
		{name: "create: a string where a list belongs",
			ev:      ev(cfn.RequestCreate, "", map[string]any{"LogGroupNames": "/a", "KmsKeyId": key}, nil),
			wantErr: `property LogGroupNames: want a list, got "/a"`},
		{name: "update: same properties change nothing",
			setup: func(f *fakeLogs) {
				f.groups["/a"] = &types.LogGroup{LogGroupName: ptr("/a"), KmsKeyId: ptr(key), RetentionInDays: ptr(int32(30))}
			},
			ev:        ev(cfn.RequestUpdate, id, p([]string{"/a"}, nil, "KmsKeyId", key, "RetentionInDays", "30"), p([]string{"/a"}, nil, "KmsKeyId", key, "RetentionInDays", "30")),
			wantID:    id,
			wantState: map[string]state{"/a": {Key: key, Days: 30}}},
		{name: "update: new key and retention",
			setup: func(f *fakeLogs) {
				f.groups["/a"] = &types.LogGroup{LogGroupName: ptr("/a"), KmsKeyId: ptr(key), RetentionInDays: ptr(int32(30))}
			},
			ev:        ev(cfn.RequestUpdate, id, p([]string{"/a"}, nil, "KmsKeyId", key2, "RetentionInDays", "90"), p([]string{"/a"}, nil, "KmsKeyId", key, "RetentionInDays", "30")),
			wantID:    id,
			wantCalls: []string{"Associate /a", "PutRetention /a"},
			wantState: map[string]state{"/a": {Key: key2, Days: 90}}},
		{name: "update: key removed is disassociated, retention removed is deleted",
			setup: func(f *fakeLogs) {
				f.groups["/a"] = &types.LogGroup{LogGroupName: ptr("/a"), KmsKeyId: ptr(key), RetentionInDays: ptr(int32(30))}
			},
			ev:        ev(cfn.RequestUpdate, id, p([]string{"/a"}, nil, "RetentionInDays", "30"), p([]string{"/a"}, nil, "KmsKeyId", key, "RetentionInDays", "30")),
			wantID:    id,
			wantCalls: []string{"Disassociate /a"},
			wantState: map[string]state{"/a": {Days: 30}}},
		{name: "update: retention removed",
			setup: func(f *fakeLogs) {
				f.groups["/a"] = &types.LogGroup{LogGroupName: ptr("/a"), KmsKeyId: ptr(key), RetentionInDays: ptr(int32(30))}
			},
			ev:        ev(cfn.RequestUpdate, id, p([]string{"/a"}, nil, "KmsKeyId", key), p([]string{"/a"}, nil, "KmsKeyId", key, "RetentionInDays", "30")),
			wantID:    id,
			wantCalls: []string{"DeleteRetention /a"},
			wantState: map[string]state{"/a": {Key: key}}},
		{name: "update: a group dropped from the properties is left alone",
			setup: func(f *fakeLogs) {
				f.groups["/a"] = &types.LogGroup{LogGroupName: ptr("/a"), KmsKeyId: ptr(key)}
				f.groups["/b"] = &types.LogGroup{LogGroupName: ptr("/b"), KmsKeyId: ptr(key)}
			},
			ev:        ev(cfn.RequestUpdate, id, p([]string{"/a"}, nil, "KmsKeyId", key), p([]string{"/a", "/b"}, nil, "KmsKeyId", key)),
			wantID:    id,
			wantState: map[string]state{"/a": {Key: key}, "/b": {Key: key}}},
		{name: "update: failure keeps the physical id (the runtime answers the old one)",
			existing:  []string{"/a"},
			setup:     func(f *fakeLogs) { f.errs["Associate /a"] = []error{apiErr("InvalidParameterException")} },
			ev:        ev(cfn.RequestUpdate, id, p([]string{"/a"}, nil, "KmsKeyId", key2), p([]string{"/a"}, nil, "KmsKeyId", key)),
			wantErr:   "associate KMS key with /a: api error InvalidParameterException",
			wantCalls: []string{"Associate /a"},
			wantState: map[string]state{"/a": {}}},
		{name: "delete leaves logs in place by default",
			existing:  []string{"/a"},
			ev:        ev(cfn.RequestDelete, id, p([]string{"/a"}, []string{"/"}, "KmsKeyId", key), nil),
			wantState: map[string]state{"/a": {}}},
		{name: "delete with DeleteLogGroups deletes the named groups only",
			existing:  []string{"/a", "/p/x"},
			ev:        ev(cfn.RequestDelete, id, p([]string{"/a", "/gone", "/a"}, []string{"/p/"}, "KmsKeyId", key, "DeleteLogGroups", "true"), nil),
			wantCalls: []string{"Delete /a", "Delete /gone"},
			wantState: map[string]state{"/p/x": {}}},
		{name: "delete throttled throughout fails",
			existing: []string{"/a"},
			setup: func(f *fakeLogs) {
				f.errs["Delete /a"] = []error{throttled, throttled, throttled, throttled, throttled, throttled}
			},
			ev:        ev(cfn.RequestDelete, id, p([]string{"/a"}, nil, "KmsKeyId", key, "DeleteLogGroups", "true"), nil),
			wantErr:   "delete log group /a: api error ThrottlingException",
			wantCalls: []string{"Delete /a", "Delete /a", "Delete /a", "Delete /a", "Delete /a", "Delete /a"},
			wantState: map[string]state{"/a": {}}},
		{name: "delete with unreadable properties leaves everything",
			existing:  []string{"/a"},
			ev:        ev(cfn.RequestDelete, id, p([]string{"/a"}, nil, "DeleteLogGroups", "maybe"), nil),
			wantState: map[string]state{"/a": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(tc.existing...)
				if tc.setup != nil {
					tc.setup(f)
				}
				r := New(f, Options{})
				res, err := r.Handle(t.Context(), tc.ev)
				if tc.wantErr != "" {
					require.ErrorContains(t, err, tc.wantErr)
				} else {
					require.NoError(t, err)
				}
				require.Equal(t, tc.wantID, res.PhysicalResourceID)
				require.Equal(t, tc.wantCalls, f.mutating())
				if tc.wantState == nil {
					tc.wantState = map[string]state{}
				}
				require.Equal(t, tc.wantState, f.state())
			})
		})
	}
}

func TestPhysicalIDIsStable(t *testing.T) {
	require.Equal(t, PhysicalID(stack, "A"), PhysicalID(stack, "A"))
	require.NotEqual(t, PhysicalID(stack, "A"), PhysicalID(stack, "B"))
	require.Regexp(t, `^cogwatch-logencryption-[0-9a-f]{12}$`, PhysicalID(stack, "A"))
}

// TestThroughTheRuntime runs a failed Create and its rollback's Delete
// through the runtime, capturing CloudFormation's PUT.
func TestThroughTheRuntime(t *testing.T) {
	var answers []cfn.Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var resp cfn.Response
		_ = json.Unmarshal(b, &resp)
		answers = append(answers, resp)
	}))
	defer srv.Close()
	f := newFake("/a")
	rt := customresources.New(New(f, Options{}).Handle, customresources.Options{})
	invoke := func(e cfn.Event) cfn.Response {
		e.ResponseURL = srv.URL
		b, err := json.Marshal(e)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err = rt.Invoke(ctx, b)
		require.NoError(t, err)
		return answers[len(answers)-1]
	}
	got := invoke(ev(cfn.RequestCreate, "", p([]string{"/a"}, nil, "RetentionInDays", "thirty"), nil))
	require.Equal(t, cfn.StatusFailed, got.Status)
	require.Equal(t, "cogwatch-failed-create-req-1", got.PhysicalResourceID)
	require.Contains(t, got.Reason, `property RetentionInDays: "thirty" is not an integer`)

	got = invoke(ev(cfn.RequestDelete, got.PhysicalResourceID, p([]string{"/a"}, nil, "RetentionInDays", "thirty", "DeleteLogGroups", "true"), nil))
	require.Equal(t, cfn.StatusSuccess, got.Status)
	require.Empty(t, f.calls, "the Delete of a failed Create touches nothing")

	got = invoke(ev(cfn.RequestCreate, "", p([]string{"/a"}, nil, "RetentionInDays", "30"), nil))
	require.Equal(t, cfn.StatusSuccess, got.Status)
	require.Equal(t, id, got.PhysicalResourceID)
	require.Equal(t, map[string]any{"LogGroupCount": float64(1)}, got.Data)
	require.Len(t, answers, 3)
}
