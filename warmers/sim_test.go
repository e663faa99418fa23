package warmers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// simFunction simulates Lambda's instance model for one function: each
// invocation goes to a free execution environment, or to a new one (a cold
// start, taking initDelay) when all are busy; an environment serves one
// invocation at a time and answers warm-ups with warmup.Answer.
type simFunction struct {
	initDelay time.Duration
	// behaviour replaces the handler when set: a failing or hanging target.
	behaviour func(ctx context.Context) (*lambda.InvokeOutput, error)

	mu    sync.Mutex
	idle  []*warmup.Instance
	all   int
	calls int
}

func (f *simFunction) acquire() (*warmup.Instance, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if n := len(f.idle); n > 0 {
		inst := f.idle[n-1]
		f.idle = f.idle[:n-1]
		return inst, false
	}
	f.all++
	return warmup.NewInstance(), true
}

func (f *simFunction) release(inst *warmup.Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idle = append(f.idle, inst)
}

func (f *simFunction) environments() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.all
}

func (f *simFunction) invoke(ctx context.Context, in *lambda.InvokeInput) (*lambda.InvokeOutput, error) {
	if f.behaviour != nil {
		return f.behaviour(ctx)
	}
	inst, cold := f.acquire()
	defer f.release(inst)
	if cold && f.initDelay > 0 {
		time.Sleep(f.initDelay) // the init phase: the environment is busy
	}
	req, ok := warmup.Parse(in.Payload)
	if !ok {
		return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"response":{}}`)}, nil
	}
	out, _ := json.Marshal(warmup.Answer(ctx, inst, req))
	return &lambda.InvokeOutput{StatusCode: 200, Payload: out}, nil
}

// simLambda routes Invoke calls by function name, like the Lambda API.
type simLambda map[string]*simFunction

func (s simLambda) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f, ok := s[*in.FunctionName]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: fmt.Sprintf("Function not found: %s", *in.FunctionName)}
	}
	return f.invoke(ctx, in)
}
