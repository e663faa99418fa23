package cfntest_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/custom-resources/cfntest"
)

// toy is a resource whose physical id is its Name property (a new Name is a
// replacement); Name "refused" fails. It records the events it gets.
type toy struct {
	mu     sync.Mutex
	events []cfn.Event
	live   map[string]bool
}

func (r *toy) handle(_ context.Context, ev cfn.Event) (customresources.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	name, _ := ev.ResourceProperties["Name"].(string)
	switch {
	case ev.RequestType == cfn.RequestDelete:
		delete(r.live, ev.PhysicalResourceID)
		return customresources.Result{}, nil
	case name == "refused":
		return customresources.Result{}, errors.New("refused")
	}
	r.live[name] = true
	return customresources.Result{PhysicalResourceID: name}, nil
}

// sent is an event reduced to what a sequence is about.
type sent struct {
	Type       cfn.RequestType
	PhysicalID string
	Name, Old  any
}

func (r *toy) sent() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sent
	for _, ev := range r.events {
		s := sent{Type: ev.RequestType, PhysicalID: ev.PhysicalResourceID, Name: ev.ResourceProperties["Name"]}
		if ev.OldResourceProperties != nil {
			s.Old = ev.OldResourceProperties["Name"]
		}
		out = append(out, s)
	}
	r.events = nil
	return out
}

func TestSequences(t *testing.T) {
	r := &toy{live: map[string]bool{}}
	st := cfntest.New(t, customresources.New(r.handle, customresources.Options{}), "Thing", "Custom::Thing")
	st.ServiceTimeout = "300"

	require.Equal(t, cfntest.RollbackComplete, st.Create(map[string]any{"Name": "refused"}))
	require.Equal(t, []sent{
		{Type: cfn.RequestCreate, Name: "refused"},
		// Delete of the FAILED answer's id: the runtime's marker, so the
		// resource is not even called.
	}, r.sent())
	require.Equal(t, cfn.RequestDelete, st.Last().Event.RequestType)
	require.True(t, customresources.IsFailedCreate(st.Last().Event.PhysicalResourceID))

	require.Equal(t, cfntest.CreateComplete, st.Create(map[string]any{"Name": "a", "Count": 30, "On": true, "List": []any{1, "x"}}))
	props := st.Last().Event.ResourceProperties
	require.Equal(t, map[string]any{"Name": "a", "Count": "30", "On": "true", "List": []any{"1", "x"},
		"ServiceToken": st.ServiceToken, "ServiceTimeout": "300"}, props, "every scalar a string")
	require.Equal(t, []sent{{Type: cfn.RequestCreate, Name: "a"}}, r.sent())

	require.Equal(t, cfntest.UpdateRollbackComplete, st.Update(map[string]any{"Name": "refused"}))
	require.Equal(t, []sent{
		{Type: cfn.RequestUpdate, PhysicalID: "a", Name: "refused", Old: "a"},
		{Type: cfn.RequestUpdate, PhysicalID: "a", Name: "a", Old: "refused"}, // the rollback
	}, r.sent())

	require.Equal(t, cfntest.UpdateComplete, st.Update(map[string]any{"Name": "b"}))
	require.Equal(t, []sent{
		{Type: cfn.RequestUpdate, PhysicalID: "a", Name: "b", Old: "a"},
		{Type: cfn.RequestDelete, PhysicalID: "a", Name: "a"}, // the clean-up of the replaced one
	}, r.sent())
	require.Equal(t, "b", st.PhysicalID)

	require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(map[string]any{"Name": "c"}))
	require.Equal(t, []sent{
		{Type: cfn.RequestUpdate, PhysicalID: "b", Name: "c", Old: "b"},
		{Type: cfn.RequestDelete, PhysicalID: "c", Name: "c"}, // the replacement, rolled back
	}, r.sent())

	require.Equal(t, cfntest.UpdateRollbackComplete, st.UpdateFailingElsewhere(map[string]any{"Name": "b", "Count": 2}))
	require.Equal(t, []sent{
		{Type: cfn.RequestUpdate, PhysicalID: "b", Name: "b", Old: "b"},
		{Type: cfn.RequestUpdate, PhysicalID: "b", Name: "b", Old: "b"}, // back to the properties before
	}, r.sent())
	require.Equal(t, "2", st.Steps[len(st.Steps)-1].Event.OldResourceProperties["Count"])
	require.NotContains(t, st.Steps[len(st.Steps)-1].Event.ResourceProperties, "Count")

	require.Equal(t, cfntest.DeleteComplete, st.Delete())
	require.Equal(t, []sent{{Type: cfn.RequestDelete, PhysicalID: "b", Name: "b"}}, r.sent())
	require.Empty(t, r.live)
	require.Empty(t, st.PhysicalID)
}
