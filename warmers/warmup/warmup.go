// Package warmup is the warm-up protocol every warmable cogwatch function honours.
//
// A warm-up invocation carries {"cogwatch":"warmup","concurrency":N,"holdMs":D},
// a payload no Cognito, SQS or CloudFormation event can be mistaken for. Wrap
// answers it before the wrapped handler decodes anything, with
// {"cogwatch":"warmup","cold":true|false,"instance":"<id>"}, after holding D
// milliseconds so that concurrent warm-ups land on distinct instances.
//
// The package is tiny on purpose: every Lambda links it.
package warmup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Marker is the value of the "cogwatch" key in warm-up payloads.
const Marker = "warmup"

// MaxHold caps the hold a request may ask for.
const MaxHold = 10 * time.Second

// Request is the warm-up payload.
type Request struct {
	Cogwatch    string `json:"cogwatch"`
	Concurrency int    `json:"concurrency,omitempty"`
	HoldMs      int    `json:"holdMs,omitempty"`
}

// Response is the answer to a warm-up.
type Response struct {
	Cogwatch string `json:"cogwatch"`
	Cold     bool   `json:"cold"`
	Instance string `json:"instance"`
}

// Instance identifies one execution environment (one process).
type Instance struct {
	ID     string
	served atomic.Bool
}

// NewInstance returns an instance with a random id that has served nothing.
func NewInstance() *Instance {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails on supported platforms
	return &Instance{ID: hex.EncodeToString(b)}
}

// Cold reports true for the first invocation this instance serves, and false ever after.
func (i *Instance) Cold() bool { return !i.served.Swap(true) }

// Process is the instance of this process, shared by Wrap and by handlers that count cold starts.
var Process = NewInstance()

var marker = []byte(`"cogwatch"`)

// Parse reports whether payload is a warm-up request, and decodes it.
// It is cheap on the hot path: payloads without the marker key are not decoded.
func Parse(payload []byte) (Request, bool) {
	if !bytes.Contains(payload, marker) {
		return Request{}, false
	}
	var req Request
	if err := json.Unmarshal(payload, &req); err != nil || req.Cogwatch != Marker {
		return Request{}, false
	}
	return req, true
}

// Answer holds for the requested time (bounded by MaxHold and ctx) and
// returns inst's response.
func Answer(ctx context.Context, inst *Instance, req Request) Response {
	cold := inst.Cold()
	if hold := min(time.Duration(req.HoldMs)*time.Millisecond, MaxHold); hold > 0 {
		t := time.NewTimer(hold)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return Response{Cogwatch: Marker, Cold: cold, Instance: inst.ID}
}

// Wrap answers warm-ups for the process instance and passes every other payload to h.
func Wrap(h lambda.Handler) lambda.Handler { return WrapInstance(Process, h) }

// WrapInstance is Wrap for a given instance; the local Lambda host gives each
// simulated execution environment its own.
func WrapInstance(inst *Instance, h lambda.Handler) lambda.Handler {
	return handler{inst: inst, next: h}
}

type handler struct {
	inst *Instance
	next lambda.Handler
}

func (h handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if req, ok := Parse(payload); ok {
		return json.Marshal(Answer(ctx, h.inst, req))
	}
	return h.next.Invoke(ctx, payload)
}
