// Package warmup is the warm-up protocol every warmable cogwatch function honours.
//
// A warm-up invocation carries {"cogwatch":"warmup","concurrency":N,"holdMs":D},
// a payload no Cognito, SQS or CloudFormation event can be mistaken for. Wrap
// answers it before the wrapped handler decodes anything, with
// {"cogwatch":"warmup","cold":true|false,"instance":"<id>"}, after holding D
// milliseconds so that concurrent warm-ups land on distinct instances. The
// marker alone makes a warm-up: numbers out of range, fractional or of
// another type are clamped, never handed to the wrapped handler. A hold
// ends Reserve before the invocation's deadline at the latest, so the
// answer always beats it.
//
// The package is tiny on purpose: every Lambda links it.
package warmup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Marker is the value of the "cogwatch" key in warm-up payloads.
const Marker = "warmup"

// MaxHold caps the hold a request may ask for.
const MaxHold = 10 * time.Second

// MaxConcurrency caps a request's concurrency, as the warmer caps the
// instances it asks for.
const MaxConcurrency = 100

// Reserve is kept before the invocation's deadline: a hold ends then at the
// latest, leaving the time to answer, since an answer at the deadline is a
// timeout to Lambda.
const Reserve = 100 * time.Millisecond

// Request is the warm-up payload. Parse clamps its numbers to
// [0, MaxConcurrency] and [0, MaxHold].
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

// Parse reports whether payload is a warm-up request: a JSON object whose
// "cogwatch" member is "warmup", whatever else it holds. Its numbers are
// clamped: negative to 0, beyond the maximum to the maximum, fractions
// truncated; a member that is not a number reads as 0. It is cheap on the
// hot path: payloads without the marker key are not decoded.
func Parse(payload []byte) (Request, bool) {
	if !bytes.Contains(payload, marker) {
		return Request{}, false
	}
	var w struct {
		Cogwatch    json.RawMessage `json:"cogwatch"`
		Concurrency json.RawMessage `json:"concurrency"`
		HoldMs      json.RawMessage `json:"holdMs"`
	}
	var m string
	if json.Unmarshal(payload, &w) != nil || json.Unmarshal(w.Cogwatch, &m) != nil || m != Marker {
		return Request{}, false
	}
	return Request{
		Cogwatch:    Marker,
		Concurrency: clamp(w.Concurrency, MaxConcurrency),
		HoldMs:      clamp(w.HoldMs, int(MaxHold/time.Millisecond)),
	}, true
}

// clamp reads a JSON number into [0, hi], truncating a fraction; anything
// else is 0.
func clamp(raw json.RawMessage, hi int) int {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0
	}
	f, _ := strconv.ParseFloat(string(raw), 64) // out of range: ±Inf, clamped below
	switch {
	case !(f > 0): // negative, or NaN (never from JSON)
		return 0
	case f >= float64(hi):
		return hi
	}
	return int(f)
}

// Answer holds for the requested time, bounded by MaxHold and ending
// Reserve before ctx's deadline at the latest, and returns inst's response.
func Answer(ctx context.Context, inst *Instance, req Request) Response {
	cold := inst.Cold()
	hold := time.Duration(min(max(req.HoldMs, 0), int(MaxHold/time.Millisecond))) * time.Millisecond
	if dl, ok := ctx.Deadline(); ok {
		hold = min(hold, time.Until(dl)-Reserve)
	}
	if hold > 0 {
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
