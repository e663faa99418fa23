// Package cfntest plays CloudFormation's side of a custom resource in tests:
// it sends the events CloudFormation sends over a stack's life — rollbacks
// and replacement clean-ups included — to a handler, and receives its answers
// on a loopback ResponseURL, as net/http/httptest plays a client or server.
//
// The sequences follow the custom resource request and response reference
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html):
//
//   - every scalar property reaches the resource as a string ("30", "true"),
//     lists and objects keep their shape, and ServiceToken is among them;
//   - a FAILED Create is followed by a Delete carrying the physical id that
//     the FAILED answer gave (the rollback);
//   - a FAILED Update is followed by an Update back to the previous
//     properties, whose OldResourceProperties are the refused ones (the
//     update rollback);
//   - an Update answered with a new physical id is a replacement: once the
//     stack update completes, a Delete for the old physical id, with the old
//     properties, follows (the clean-up);
//   - an Update that succeeded but whose stack update failed elsewhere is
//     rolled back: an Update back to the previous properties, or, after a
//     replacement, a Delete of the new physical id.
//
// It is not a CloudFormation emulator: one resource, no dependencies, no
// templates. It is imported by tests only.
package cfntest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// Handler is a Lambda function handler; the custom-resource runtime is one.
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Stack statuses a step ends in, as CloudFormation names them.
const (
	CreateComplete         = "CREATE_COMPLETE"
	RollbackComplete       = "ROLLBACK_COMPLETE" // a failed Create, rolled back
	RollbackFailed         = "ROLLBACK_FAILED"
	UpdateComplete         = "UPDATE_COMPLETE"
	UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE"
	UpdateRollbackFailed   = "UPDATE_ROLLBACK_FAILED"
	DeleteComplete         = "DELETE_COMPLETE"
	DeleteFailed           = "DELETE_FAILED"
)

// Step is one event sent and the answer it got.
type Step struct {
	Event  cfn.Event
	Answer cfn.Response
}

// Stack holds one custom resource as CloudFormation sees it: its physical id
// and the properties it was last given successfully.
type Stack struct {
	StackID      string
	LogicalID    string
	ResourceType string
	ServiceToken string
	// ServiceTimeout, when set, is sent among the properties, as
	// CloudFormation does when the template sets it.
	ServiceTimeout string
	// Timeout is each invocation's deadline (Lambda's function timeout).
	Timeout time.Duration

	// PhysicalID and Properties are the resource's current state in the
	// stack; empty before a Create completes and after a Delete.
	PhysicalID string
	Properties map[string]any
	// Steps lists every event sent and its answer, in order.
	Steps []Step

	t   testing.TB
	h   Handler
	srv *httptest.Server
	seq int

	mu      sync.Mutex
	answers map[string][][]byte // by request id
}

// New returns a Stack sending events for the resource logicalID of type
// resourceType to h, with a loopback ResponseURL server closed by t.Cleanup.
func New(t testing.TB, h Handler, logicalID, resourceType string) *Stack {
	s := &Stack{
		StackID:      "arn:aws:cloudformation:eu-west-1:123456789012:stack/cfntest/5b6c1d10-1f2e-11ef-9c3a-0a1b2c3d4e5f",
		LogicalID:    logicalID,
		ResourceType: resourceType,
		ServiceToken: "arn:aws:lambda:eu-west-1:123456789012:function:cfntest",
		Timeout:      30 * time.Second,
		t:            t,
		h:            h,
		answers:      map[string][][]byte{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.receive))
	t.Cleanup(s.srv.Close)
	return s
}

// receive stores a PUT to a ResponseURL.
func (s *Stack) receive(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if r.Method != http.MethodPut || err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.TrimPrefix(r.URL.Path, "/")
	s.answers[id] = append(s.answers[id], b)
}

// Create sends a Create. When the resource answers FAILED, CloudFormation
// rolls back: a Delete with the physical id of the FAILED answer follows.
func (s *Stack) Create(props map[string]any) string {
	s.t.Helper()
	ans := s.send(cfn.RequestCreate, "", props, nil)
	if ans.Status == cfn.StatusSuccess {
		s.PhysicalID, s.Properties = ans.PhysicalResourceID, props
		return CreateComplete
	}
	del := s.send(cfn.RequestDelete, ans.PhysicalResourceID, props, nil)
	if del.Status != cfn.StatusSuccess {
		return RollbackFailed
	}
	return RollbackComplete
}

// Update sends an Update to props. A new physical id in a SUCCESS answer is
// a replacement: the clean-up Delete of the old one follows. A FAILED answer
// is rolled back: an Update back to the current properties, with the refused
// ones as OldResourceProperties, follows.
func (s *Stack) Update(props map[string]any) string {
	s.t.Helper()
	oldID, oldProps := s.PhysicalID, s.Properties
	ans := s.send(cfn.RequestUpdate, oldID, props, oldProps)
	if ans.Status == cfn.StatusSuccess {
		s.PhysicalID, s.Properties = ans.PhysicalResourceID, props
		if ans.PhysicalResourceID != oldID {
			s.cleanUp(oldID, oldProps)
		}
		return UpdateComplete
	}
	if ans.PhysicalResourceID != oldID {
		s.t.Errorf("a FAILED Update answered physical id %q, not the event's %q: CloudFormation would take it for a replacement", ans.PhysicalResourceID, oldID)
	}
	back := s.send(cfn.RequestUpdate, oldID, oldProps, props)
	if back.Status != cfn.StatusSuccess {
		return UpdateRollbackFailed
	}
	if back.PhysicalResourceID != oldID {
		s.t.Errorf("the update rollback answered physical id %q, not %q", back.PhysicalResourceID, oldID)
	}
	return UpdateRollbackComplete
}

// UpdateFailingElsewhere sends an Update to props that the resource
// completes but whose stack update fails on another resource, so that
// CloudFormation rolls this one back too: after a replacement, by deleting
// the new physical id (the old one is current again); otherwise by an Update
// back to the current properties, with props as OldResourceProperties.
func (s *Stack) UpdateFailingElsewhere(props map[string]any) string {
	s.t.Helper()
	oldID, oldProps := s.PhysicalID, s.Properties
	ans := s.send(cfn.RequestUpdate, oldID, props, oldProps)
	if ans.Status != cfn.StatusSuccess {
		s.t.Errorf("the Update failed (%s): UpdateFailingElsewhere wants one that succeeds", ans.Reason)
		return UpdateRollbackFailed
	}
	if ans.PhysicalResourceID != oldID {
		del := s.send(cfn.RequestDelete, ans.PhysicalResourceID, props, nil)
		if del.Status != cfn.StatusSuccess {
			// The stack completes its rollback; the new resource is left behind.
			s.t.Errorf("the rollback's Delete of the replacement %s failed: %s", ans.PhysicalResourceID, del.Reason)
		}
		return UpdateRollbackComplete
	}
	back := s.send(cfn.RequestUpdate, oldID, oldProps, props)
	if back.Status != cfn.StatusSuccess {
		return UpdateRollbackFailed
	}
	return UpdateRollbackComplete
}

// Delete sends a Delete of the current physical id.
func (s *Stack) Delete() string {
	s.t.Helper()
	ans := s.send(cfn.RequestDelete, s.PhysicalID, s.Properties, nil)
	if ans.Status != cfn.StatusSuccess {
		return DeleteFailed
	}
	s.PhysicalID, s.Properties = "", nil
	return DeleteComplete
}

// cleanUp deletes a replaced resource. A failure does not fail the stack
// update, but leaves the old resource behind, so it fails the test.
func (s *Stack) cleanUp(id string, props map[string]any) {
	s.t.Helper()
	if ans := s.send(cfn.RequestDelete, id, props, nil); ans.Status != cfn.StatusSuccess {
		s.t.Errorf("the clean-up Delete of the replaced %s failed (left behind): %s", id, ans.Reason)
	}
}

// Last returns the last step.
func (s *Stack) Last() Step {
	s.t.Helper()
	if len(s.Steps) == 0 {
		s.t.Fatal("no event sent yet")
	}
	return s.Steps[len(s.Steps)-1]
}

// send invokes the handler with one event and returns its only answer,
// checking what CloudFormation checks.
func (s *Stack) send(typ cfn.RequestType, physicalID string, props, old map[string]any) cfn.Response {
	s.t.Helper()
	s.seq++
	reqID := fmt.Sprintf("%08d-8c61-4a4e-9d55-0e7f3d9d2a10", s.seq)
	ev := cfn.Event{
		RequestType:        typ,
		RequestID:          reqID,
		ResponseURL:        s.srv.URL + "/" + reqID + "?X-Amz-Signature=0000",
		ResourceType:       s.ResourceType,
		PhysicalResourceID: physicalID,
		LogicalResourceID:  s.LogicalID,
		StackID:            s.StackID,
		ResourceProperties: s.properties(props),
	}
	if typ == cfn.RequestUpdate {
		ev.OldResourceProperties = s.properties(old)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatalf("encode event: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	if _, err := s.h.Invoke(ctx, payload); err != nil {
		s.t.Fatalf("%s: the handler failed, so Lambda would run it again: %v", typ, err)
	}
	s.mu.Lock()
	bodies := s.answers[reqID]
	s.mu.Unlock()
	if len(bodies) != 1 {
		s.t.Fatalf("%s: %d answers to request %s, want exactly 1", typ, len(bodies), reqID)
	}
	var ans cfn.Response
	if err := json.Unmarshal(bodies[0], &ans); err != nil {
		s.t.Fatalf("%s: answer is not JSON: %v", typ, err)
	}
	s.check(ev, ans, len(bodies[0]))
	s.Steps = append(s.Steps, Step{Event: ev, Answer: ans})
	return ans
}

// check fails the test on an answer CloudFormation would refuse.
func (s *Stack) check(ev cfn.Event, ans cfn.Response, size int) {
	s.t.Helper()
	var problems []string
	if ans.Status != cfn.StatusSuccess && ans.Status != cfn.StatusFailed {
		problems = append(problems, fmt.Sprintf("Status %q", ans.Status))
	}
	if ans.RequestID != ev.RequestID || ans.LogicalResourceID != ev.LogicalResourceID || ans.StackID != ev.StackID {
		problems = append(problems, "RequestId, LogicalResourceId and StackId must be copied from the event")
	}
	if ans.PhysicalResourceID == "" || len(ans.PhysicalResourceID) > 1024 {
		problems = append(problems, fmt.Sprintf("PhysicalResourceId of %d bytes", len(ans.PhysicalResourceID)))
	}
	if ev.RequestType == cfn.RequestDelete && ans.PhysicalResourceID != ev.PhysicalResourceID {
		problems = append(problems, "a Delete's answer must keep the event's PhysicalResourceId")
	}
	if ans.Status == cfn.StatusFailed && ans.Reason == "" {
		problems = append(problems, "FAILED without a Reason")
	}
	if size > 4096 {
		problems = append(problems, fmt.Sprintf("body of %d bytes exceeds 4096", size))
	}
	if len(problems) > 0 {
		s.t.Errorf("%s answer refused by CloudFormation: %s", ev.RequestType, strings.Join(problems, "; "))
	}
}

// properties returns props as CloudFormation sends them: ServiceToken (and
// ServiceTimeout) added, every scalar a string.
func (s *Stack) properties(props map[string]any) map[string]any {
	out := Strings(props).(map[string]any)
	out["ServiceToken"] = s.ServiceToken
	if s.ServiceTimeout != "" {
		out["ServiceTimeout"] = s.ServiceTimeout
	}
	return out
}

// Strings returns v with every scalar turned into the string CloudFormation
// sends for it (30 → "30", true → "true"); lists and objects keep their
// shape.
func Strings(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Strings(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Strings(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return nil
	}
	return fmt.Sprint(v)
}
