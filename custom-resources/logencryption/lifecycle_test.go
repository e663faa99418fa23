package logencryption

import (
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/custom-resources/cfntest"
)

// The lifecycle tests are the resource's contract with CloudFormation: the
// event sequences it really sends (rollbacks included), with every scalar
// property a string, through the runtime, and the state the log groups end
// in.

func lifecycle(t *testing.T, f *fakeLogs) *cfntest.Stack {
	st := cfntest.New(t, customresources.New(New(f, Options{}).Handle, customresources.Options{}), "LogEncryption", "Custom::LogEncryption")
	st.StackID = stack
	st.ServiceTimeout = "600"
	st.Timeout = 10 * time.Second
	return st
}

// props returns properties as a template writes them: the stack sends
// RetentionInDays 30 as "30" and DeleteLogGroups true as "true".
func props(names, prefixes []string, kv ...any) map[string]any {
	m := map[string]any{}
	if names != nil {
		m["LogGroupNames"] = names
	}
	if prefixes != nil {
		m["LogGroupPrefixes"] = prefixes
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestLifecycleCreateUpdateRollbackDelete(t *testing.T) {
	for _, deleteGroups := range []bool{false, true} {
		t.Run(map[bool]string{false: "logs kept", true: "DeleteLogGroups"}[deleteGroups], func(t *testing.T) {
			f := newFake("/a", "/p/x", "/p/y", "/other")
			st := lifecycle(t, f)
			first := props([]string{"/a", "/b"}, []string{"/p/"}, "KmsKeyId", key, "RetentionInDays", 30, "DeleteLogGroups", deleteGroups)

			require.Equal(t, cfntest.CreateComplete, st.Create(first))
			sent := st.Last().Event.ResourceProperties
			require.Equal(t, "30", sent["RetentionInDays"], "CloudFormation sends numbers as strings")
			require.Equal(t, map[bool]string{false: "false", true: "true"}[deleteGroups], sent["DeleteLogGroups"])
			require.Equal(t, []any{"/a", "/b"}, sent["LogGroupNames"])
			require.Equal(t, id, st.PhysicalID)
			all := func(k string, days int32) map[string]state {
				return map[string]state{"/a": {k, days}, "/b": {k, days}, "/p/x": {k, days}, "/p/y": {k, days}, "/other": {}}
			}
			require.Equal(t, all(key, 30), f.state())

			second := with(first, "KmsKeyId", key2, "RetentionInDays", 90)
			require.Equal(t, cfntest.UpdateComplete, st.Update(second))
			require.Equal(t, id, st.PhysicalID, "no update replaces the resource")
			require.Equal(t, all(key2, 90), f.state())

			refused := []struct {
				name       string
				props      map[string]any
				wantReason string
			}{
				{name: "not an integer", props: with(second, "RetentionInDays", "thirty"), wantReason: `property RetentionInDays: "thirty" is not an integer`},
				{name: "not a boolean", props: with(second, "DeleteLogGroups", "yes"), wantReason: `property DeleteLogGroups: "yes" is not true or false`},
				{name: "a string for a list", props: with(second, "LogGroupNames", "/a"), wantReason: `property LogGroupNames: want a list, got "/a"`},
				{name: "a list for a string", props: with(second, "KmsKeyId", []string{key}), wantReason: "property KmsKeyId: want a string, got a list"},
				{name: "unknown property", props: with(second, "RetentionDays", 30), wantReason: "property RetentionDays: unknown property"},
				{name: "a retention CloudWatch Logs refuses", props: with(second, "RetentionInDays", 10), wantReason: "property RetentionInDays: 10 is not one of"},
				{name: "an alias for a key", props: with(second, "KmsKeyId", "alias/logs"), wantReason: `property KmsKeyId: "alias/logs" is not a KMS key ARN`},
			}
			for _, tc := range refused {
				// One stack throughout, so no subtests: st reports on t.
				require.Equal(t, cfntest.UpdateRollbackComplete, st.Update(tc.props), "%s: rollback answered %+v", tc.name, st.Last().Answer)
				failed := st.Steps[len(st.Steps)-2].Answer
				require.Equal(t, cfn.StatusFailed, failed.Status, tc.name)
				require.Contains(t, failed.Reason, tc.wantReason, tc.name)
				require.Equal(t, id, st.PhysicalID, tc.name)
				require.Equal(t, all(key2, 90), f.state(), "%s: the refused update changed nothing", tc.name)
			}

			require.Equal(t, cfntest.DeleteComplete, st.Delete())
			if deleteGroups {
				require.Equal(t, map[string]state{"/p/x": {key2, 90}, "/p/y": {key2, 90}, "/other": {}}, f.state(),
					"the named groups are deleted, never prefix matches")
			} else {
				require.Equal(t, all(key2, 90), f.state(), "logs stay")
			}
		})
	}
}

func TestLifecycleUpdateRolledBackAfterSuccess(t *testing.T) {
	f := newFake("/a")
	st := lifecycle(t, f)
	require.Equal(t, cfntest.CreateComplete, st.Create(props([]string{"/a"}, nil, "KmsKeyId", key, "RetentionInDays", 30)))
	// Every property changes; the stack update then fails on another
	// resource, and CloudFormation updates this one back.
	require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(props([]string{"/a", "/c"}, nil, "RetentionInDays", 7)))
	require.Equal(t, id, st.PhysicalID)
	require.Equal(t, map[string]state{"/a": {key, 30}, "/c": {Days: 7}}, f.state(), "a group added by the update is left as it is")
}

// TestLifecycleNoReplacement: no property change replaces the resource, so
// CloudFormation never sends a Delete that could remove what the update
// configured.
func TestLifecycleNoReplacement(t *testing.T) {
	f := newFake("/a", "/b", "/p/x")
	st := lifecycle(t, f)
	require.Equal(t, cfntest.CreateComplete, st.Create(props([]string{"/a"}, nil, "KmsKeyId", key, "DeleteLogGroups", true)))
	require.Equal(t, cfntest.UpdateComplete, st.Update(props([]string{"/b"}, []string{"/p/"}, "KmsKeyId", key2, "RetentionInDays", 14, "DeleteLogGroups", false)))
	require.Len(t, st.Steps, 2, "no clean-up Delete")
	require.Equal(t, id, st.PhysicalID)
	require.Equal(t, map[string]state{"/a": {Key: key}, "/b": {key2, 14}, "/p/x": {key2, 14}}, f.state())
}

func TestLifecycleFailedCreateThenDelete(t *testing.T) {
	tests := []struct {
		name       string
		existing   []string
		setup      func(*fakeLogs)
		props      map[string]any
		wantReason string
		wantState  map[string]state
	}{
		{name: "bad string value",
			existing:   []string{"/a"},
			props:      props([]string{"/a"}, nil, "RetentionInDays", "a month", "DeleteLogGroups", true),
			wantReason: `property RetentionInDays: "a month" is not an integer`,
			wantState:  map[string]state{"/a": {}}},
		{name: "nothing to do",
			props:      props([]string{"/a"}, nil, "DeleteLogGroups", true),
			wantReason: "set KmsKeyId, RetentionInDays or both"},
		{name: "a key CloudWatch Logs may not use: existing logs survive the rollback",
			existing: []string{"/a"},
			setup: func(f *fakeLogs) {
				f.errs["Associate /a"] = []error{apiErr("AccessDeniedException")}
			},
			props:      props([]string{"/a", "/b"}, nil, "KmsKeyId", key, "RetentionInDays", 30, "DeleteLogGroups", true),
			wantReason: "is the KMS key's policy letting the CloudWatch Logs service principal",
			wantState:  map[string]state{"/a": {}, "/b": {key, 30}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.existing...)
			if tc.setup != nil {
				tc.setup(f)
			}
			st := lifecycle(t, f)
			require.Equal(t, cfntest.RollbackComplete, st.Create(tc.props))
			require.Len(t, st.Steps, 2)
			create, del := st.Steps[0], st.Steps[1]
			require.Equal(t, cfn.StatusFailed, create.Answer.Status)
			require.Contains(t, create.Answer.Reason, tc.wantReason)
			require.Equal(t, create.Answer.PhysicalResourceID, del.Event.PhysicalResourceID, "CloudFormation deletes what the FAILED answer named")
			if tc.wantState == nil {
				tc.wantState = map[string]state{}
			}
			require.Equal(t, tc.wantState, f.state())
		})
	}
}

// TestLifecycleRollbackLeavesWhatTheStackNeverSet: the refused update named
// a key and a retention that were never applied; rolling it back must not
// "undo" them on groups whose key and retention were set outside the stack.
func TestLifecycleRollbackLeavesWhatTheStackNeverSet(t *testing.T) {
	f := newFake()
	f.groups["/a"] = &types.LogGroup{LogGroupName: ptr("/a"), KmsKeyId: ptr(key2), RetentionInDays: ptr(int32(365))}
	st := lifecycle(t, f)
	require.Equal(t, cfntest.CreateComplete, st.Create(props([]string{"/b"}, []string{"/"}, "RetentionInDays", 30)))
	require.Equal(t, map[string]state{"/a": {Key: key2, Days: 30}, "/b": {Days: 30}}, f.state())

	// Refused (the retention does not decode, or is not one CloudWatch Logs
	// takes); the rollback's old properties name key2, which the stack never
	// set, and a retention it never set.
	for _, days := range []any{"thirty", 10} {
		require.Equal(t, cfntest.UpdateRollbackComplete, st.Update(props([]string{"/b"}, []string{"/"}, "KmsKeyId", key2, "RetentionInDays", days)))
		require.Equal(t, map[string]state{"/a": {Key: key2, Days: 30}, "/b": {Days: 30}}, f.state(), "the key set outside the stack stays")
	}

	// A key the stack did set is removed when the properties drop it, but
	// only from groups that still have that key.
	require.Equal(t, cfntest.UpdateComplete, st.Update(props([]string{"/b"}, []string{"/"}, "KmsKeyId", key, "RetentionInDays", 30)))
	f.groups["/a"].KmsKeyId = ptr(key2) // changed outside the stack since
	require.Equal(t, cfntest.UpdateComplete, st.Update(props([]string{"/b"}, []string{"/"}, "RetentionInDays", 30)))
	require.Equal(t, map[string]state{"/a": {Key: key2, Days: 30}, "/b": {Days: 30}}, f.state())
}
