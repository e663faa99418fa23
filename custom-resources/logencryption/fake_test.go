package logencryption

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// fakeLogs is a test double of the CloudWatch Logs calls the resource makes,
// answering errors by code as the service does.
type fakeLogs struct {
	mu       sync.Mutex
	groups   map[string]*types.LogGroup
	pageSize int
	errs     map[string][]error // per method and group ("Associate /a"), answered in order first
	hidden   []string           // groups Describe does not list yet (created by someone else meanwhile)
	calls    []string
}

func newFake(names ...string) *fakeLogs {
	f := &fakeLogs{groups: map[string]*types.LogGroup{}, pageSize: 2, errs: map[string][]error{}}
	for _, n := range names {
		f.groups[n] = &types.LogGroup{LogGroupName: ptr(n)}
	}
	return f
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code + " (test)"} }

func ptr[T any](v T) *T { return &v }

func (f *fakeLogs) call(op, name string) error {
	f.calls = append(f.calls, op+" "+name)
	key := op + " " + name
	if errs := f.errs[key]; len(errs) > 0 {
		f.errs[key] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeLogs) DescribeLogGroups(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Describe", *in.LogGroupNamePrefix); err != nil {
		return nil, err
	}
	var names []string
	for n := range f.groups {
		if strings.HasPrefix(n, *in.LogGroupNamePrefix) && !slices.Contains(f.hidden, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start := 0
	if in.NextToken != nil {
		start = slices.Index(names, *in.NextToken)
	}
	out := &cloudwatchlogs.DescribeLogGroupsOutput{}
	for i := start; i < len(names) && i < start+f.pageSize; i++ {
		out.LogGroups = append(out.LogGroups, *f.groups[names[i]])
	}
	if start+f.pageSize < len(names) {
		out.NextToken = &names[start+f.pageSize]
	}
	return out, nil
}

func (f *fakeLogs) CreateLogGroup(_ context.Context, in *cloudwatchlogs.CreateLogGroupInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Create", *in.LogGroupName); err != nil {
		return nil, err
	}
	if _, ok := f.groups[*in.LogGroupName]; ok {
		return nil, apiErr("ResourceAlreadyExistsException")
	}
	f.groups[*in.LogGroupName] = &types.LogGroup{LogGroupName: in.LogGroupName, KmsKeyId: in.KmsKeyId}
	return &cloudwatchlogs.CreateLogGroupOutput{}, nil
}

func (f *fakeLogs) group(op, name string) (*types.LogGroup, error) {
	if err := f.call(op, name); err != nil {
		return nil, err
	}
	g, ok := f.groups[name]
	if !ok {
		return nil, apiErr("ResourceNotFoundException")
	}
	return g, nil
}

func (f *fakeLogs) AssociateKmsKey(_ context.Context, in *cloudwatchlogs.AssociateKmsKeyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.AssociateKmsKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.group("Associate", *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.KmsKeyId = in.KmsKeyId
	return &cloudwatchlogs.AssociateKmsKeyOutput{}, nil
}

func (f *fakeLogs) DisassociateKmsKey(_ context.Context, in *cloudwatchlogs.DisassociateKmsKeyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DisassociateKmsKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.group("Disassociate", *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.KmsKeyId = nil
	return &cloudwatchlogs.DisassociateKmsKeyOutput{}, nil
}

func (f *fakeLogs) PutRetentionPolicy(_ context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.group("PutRetention", *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.RetentionInDays = in.RetentionInDays
	return &cloudwatchlogs.PutRetentionPolicyOutput{}, nil
}

func (f *fakeLogs) DeleteRetentionPolicy(_ context.Context, in *cloudwatchlogs.DeleteRetentionPolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteRetentionPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.group("DeleteRetention", *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.RetentionInDays = nil
	return &cloudwatchlogs.DeleteRetentionPolicyOutput{}, nil
}

func (f *fakeLogs) DeleteLogGroup(_ context.Context, in *cloudwatchlogs.DeleteLogGroupInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.group("Delete", *in.LogGroupName); err != nil {
		return nil, err
	}
	delete(f.groups, *in.LogGroupName)
	return &cloudwatchlogs.DeleteLogGroupOutput{}, nil
}

// mutating lists the calls that change something.
func (f *fakeLogs) mutating() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "Describe ") {
			out = append(out, c)
		}
	}
	return out
}

// state is what a group holds: key and retention.
type state struct {
	Key  string
	Days int32
}

func (f *fakeLogs) state() map[string]state {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]state{}
	for n, g := range f.groups {
		out[n] = state{Key: deref(g.KmsKeyId), Days: deref(g.RetentionInDays)}
	}
	return out
}
