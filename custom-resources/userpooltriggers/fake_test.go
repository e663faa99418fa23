package userpooltriggers

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// fakeCognito is a test double of Cognito's DescribeUserPool and
// UpdateUserPool with the semantics AWS documents and cognito-local lacks in
// part: UpdateUserPool sets every field of UpdateUserPoolInput, those it is
// not given to their defaults (found by reflection, so a field a future SDK
// adds is reset too unless cogwatch copies it), and refuses what AWS
// refuses: UnusedAccountValidityDays beside TemporaryPasswordValidityDays
// (which DescribeUserPool reports as the same value), a custom sender
// without its KMS key, two different pre token generation functions.
type fakeCognito struct {
	mu    sync.Mutex
	pools map[string]*types.UserPoolType
	now   time.Time
	calls []string
	errs  map[string][]error // per method, answered in order before the method works

	// describeHook runs before the n-th DescribeUserPool (1-based), outside
	// the lock: another writer acting between cogwatch's calls.
	describeHook func(n int)
	describes    int
	written      int // successful updates
}

func newFake() *fakeCognito {
	return &fakeCognito{pools: map[string]*types.UserPoolType{}, errs: map[string][]error{},
		now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// clone deep-copies a value of the SDK's types through JSON (their fields
// are all exported but a zero-size marker).
func clone[T any](v *T) *T {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

// add stores a pool as CreateUserPool would.
func (f *fakeCognito) add(p *types.UserPoolType) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p = clone(p)
	if p.LastModifiedDate == nil {
		p.LastModifiedDate = aws.Time(f.now)
	}
	// CreateUserPool's defaults.
	v := reflect.ValueOf(p).Elem()
	for name, d := range defaults {
		if v.FieldByName(name).IsZero() {
			v.FieldByName(name).Set(reflect.ValueOf(d))
		}
	}
	f.pools[*p.Id] = p
}

// describe returns the pool's description as DescribeUserPool answers it.
func (f *fakeCognito) describe(t testing.TB, id string) *types.UserPoolType {
	t.Helper()
	out, err := f.DescribeUserPool(t.Context(), &cip.DescribeUserPoolInput{UserPoolId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return out.UserPool
}

// pool returns a copy of what the fake holds.
func (f *fakeCognito) pool(id string) *types.UserPoolType {
	f.mu.Lock()
	defer f.mu.Unlock()
	return clone(f.pools[id])
}

// edit changes a pool as another writer would, and moves its modification time.
func (f *fakeCognito) edit(id string, change func(*types.UserPoolType)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pools[id]
	change(p)
	f.now = f.now.Add(time.Second)
	p.LastModifiedDate = aws.Time(f.now)
}

func (f *fakeCognito) call(method string) error {
	f.calls = append(f.calls, method)
	if errs := f.errs[method]; len(errs) > 0 {
		f.errs[method] = errs[1:]
		return errs[0]
	}
	return nil
}

// updates counts the UpdateUserPool calls that changed a pool.
func (f *fakeCognito) updates() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

func (f *fakeCognito) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	f.mu.Lock()
	f.describes++
	n, hook := f.describes, f.describeHook
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Describe"); err != nil {
		return nil, err
	}
	p, ok := f.pools[aws.ToString(in.UserPoolId)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool does not exist.")}
	}
	out := clone(p)
	if out.LambdaConfig == nil {
		out.LambdaConfig = &types.LambdaConfigType{} // an empty object, never absent
	}
	// Cognito reports the deprecated field as the temporary password's validity.
	if out.AdminCreateUserConfig != nil && temporaryPasswordDays(out) != 0 {
		out.AdminCreateUserConfig.UnusedAccountValidityDays = temporaryPasswordDays(out)
	}
	return &cip.DescribeUserPoolOutput{UserPool: out}, nil
}

// defaults are what UpdateUserPool sets a field it is not given to, when
// not its zero value.
var defaults = map[string]any{
	"DeletionProtection": types.DeletionProtectionTypeInactive,
	"MfaConfiguration":   types.UserPoolMfaTypeOff,
	"UserPoolTier":       types.UserPoolTierTypeEssentials,
}

func (f *fakeCognito) UpdateUserPool(_ context.Context, in *cip.UpdateUserPoolInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Update"); err != nil {
		return nil, err
	}
	p, ok := f.pools[aws.ToString(in.UserPoolId)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool does not exist.")}
	}
	if err := refuse(in); err != nil {
		return nil, err
	}
	in = clone(in)
	src := reflect.ValueOf(in).Elem()
	dst := reflect.ValueOf(p).Elem()
	for i := range src.NumField() {
		field := src.Type().Field(i)
		if !field.IsExported() || field.Name == "UserPoolId" {
			continue
		}
		name := field.Name
		if name == "PoolName" {
			name = "Name"
		}
		target := dst.FieldByName(name)
		if !target.IsValid() {
			panic(fmt.Sprintf("UpdateUserPoolInput.%s has no field %s in UserPoolType: teach the fake", field.Name, name))
		}
		v := src.Field(i)
		if v.IsZero() {
			if d, ok := defaults[name]; ok {
				v = reflect.ValueOf(d)
			}
		}
		target.Set(v)
	}
	f.now = f.now.Add(time.Second)
	p.LastModifiedDate = aws.Time(f.now)
	f.written++
	return &cip.UpdateUserPoolOutput{}, nil
}

// refuse returns the InvalidParameterException AWS answers to in, or nil.
func refuse(in *cip.UpdateUserPoolInput) error {
	invalid := func(msg string) error {
		return &types.InvalidParameterException{Message: aws.String(msg)}
	}
	if a := in.AdminCreateUserConfig; a != nil && a.UnusedAccountValidityDays != 0 &&
		in.Policies != nil && in.Policies.PasswordPolicy != nil && in.Policies.PasswordPolicy.TemporaryPasswordValidityDays != 0 {
		return invalid("Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays")
	}
	if lc := in.LambdaConfig; lc != nil {
		if (lc.CustomSMSSender != nil || lc.CustomEmailSender != nil) && lc.KMSKeyID == nil {
			return invalid("KMSKeyID is required with a custom sender")
		}
		if lc.PreTokenGeneration != nil && lc.PreTokenGenerationConfig != nil && lc.PreTokenGenerationConfig.LambdaArn != nil &&
			*lc.PreTokenGeneration != *lc.PreTokenGenerationConfig.LambdaArn {
			return invalid("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same")
		}
	}
	return nil
}
