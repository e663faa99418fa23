package userpooltriggers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Errors of planning, matched with errors.Is.
var (
	// ErrSlotTaken: a slot holds a function that is not cogwatch's, and
	// ChainExisting is off.
	ErrSlotTaken = errors.New("slot holds another function")
	// ErrChainMismatch: a slot holds a function other than the one Chained
	// names for it, so cogwatch's trigger would call a function the pool
	// does not use.
	ErrChainMismatch = errors.New("slot holds another function than the chained one")
)

// slotError is a slot planning refuses: its message says why and what to
// do; errors.Is matches its kind (ErrSlotTaken, ErrChainMismatch).
type slotError struct {
	kind error
	msg  string
}

func (e *slotError) Error() string { return e.msg }
func (e *slotError) Unwrap() error { return e.kind }

func refused(kind error, format string, args ...any) error {
	return &slotError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Change is one slot that attaching or detaching changes.
type Change struct {
	Slot     string
	From, To string // ARNs; "" is an empty slot
}

// Plan is a change of one pool's LambdaConfig. After differs from Before in
// cogwatch's slots only.
type Plan struct {
	UserPoolID    string
	Before, After *types.LambdaConfigType
	// Left are the slots detaching leaves alone because they no longer hold
	// cogwatch's function, with what they hold.
	Left []Change
}

// Changes returns the slots the plan changes: their function, or for pre
// token generation its event version or the fields it is in.
func (p Plan) Changes() []Change {
	var out []Change
	for _, s := range Slots {
		if s.state(p.Before) != s.state(p.After) {
			out = append(out, Change{Slot: s.Name, From: s.Get(p.Before), To: s.Get(p.After)})
		}
	}
	return out
}

// Diff returns the pool's LambdaConfig before and after as a unified diff,
// one line per set field: " " unchanged, "-" before, "+" after.
func (p Plan) Diff() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s LambdaConfig (now)\n+++ %s LambdaConfig (planned)\n", p.UserPoolID, p.UserPoolID)
	before, after := fields(p.Before), fields(p.After)
	for i := range before {
		switch {
		case before[i].value == after[i].value && before[i].value != "":
			fmt.Fprintf(&b, " %s: %s\n", before[i].name, before[i].value)
		case before[i].value != after[i].value:
			if before[i].value != "" {
				fmt.Fprintf(&b, "-%s: %s\n", before[i].name, before[i].value)
			}
			if after[i].value != "" {
				fmt.Fprintf(&b, "+%s: %s\n", after[i].name, after[i].value)
			}
		}
	}
	if len(p.Changes()) == 0 {
		b.WriteString("(no change)\n")
	}
	return b.String()
}

type field struct{ name, value string }

// fields lists every field of a LambdaConfig, in the SDK's order, with its
// value rendered on one line ("" when unset).
func fields(c *types.LambdaConfigType) []field {
	v := reflect.ValueOf(lambdaConfigOrEmpty(c))
	t := v.Type()
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		out = append(out, field{f.Name, render(v.Field(i))})
	}
	return out
}

// render writes a string pointer as its value and a nested configuration
// (CustomSMSSender, PreTokenGenerationConfig, …) as its fields.
func render(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Struct:
		var parts []string
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if s := render(v.Field(i)); s != "" {
				parts = append(parts, v.Type().Field(i).Name+"="+s)
			}
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// planAttach returns the LambdaConfig that gives p's functions their slots
// in pool, or why it cannot. old are the properties of the Update that
// brought the resource here (zero otherwise): a slot holding an old
// function of cogwatch's takes the new one, and a slot cogwatch no longer
// takes goes back to what it chained. p and old are effective (Triggers
// holds the slots taken).
//
// A pre token generation slot that holds a function keeps its event version
// and fields when cogwatch's function takes it: the chained function gets
// the events it was written for, and cogwatch never downgrades (nor
// upgrades) a pool's tokens. An empty one, or one whose version is
// cogwatch's own choice (nothing chained), gets p's version.
func planAttach(pool *types.UserPoolType, p, old Properties) (Plan, error) {
	plan := Plan{UserPoolID: deref(pool.Id), Before: pool.LambdaConfig, After: cloneLambdaConfig(pool.LambdaConfig)}
	var errs []error
	for _, s := range Slots {
		cur, want := s.Get(pool.LambdaConfig), p.Triggers[s.Name]
		if want == "" {
			if o := old.Triggers[s.Name]; o != "" && cur == o {
				s.Set(plan.After, old.Chained[s.Name]) // no longer cogwatch's: back to what it held
			}
			continue
		}
		chained := p.Chained[s.Name]
		version := p.version() // the slot is cogwatch's alone: its version is cogwatch's choice
		if chained != "" {
			version = "" // the pool's, kept
		}
		switch {
		case cur == want:
			if version != "" && s.Version(pool.LambdaConfig) != "" && s.Version(pool.LambdaConfig) != version {
				s.SetVersion(plan.After, want, version)
			}
		case cur == "" && chained != "":
			errs = append(errs, refused(ErrChainMismatch, "slot %s is empty, but Chained.%s names %s, which the pool does not use: put it back in the pool, or leave Chained.%s empty",
				s.Name, s.Name, chained, s.Name))
		case cur == "":
			s.SetVersion(plan.After, want, version)
		case cur == old.Triggers[s.Name]:
			s.SetVersion(plan.After, want, version) // cogwatch's function replaced
		case p.ChainExisting && cur == chained:
			s.SetVersion(plan.After, want, version)
		case p.ChainExisting:
			named := chained
			if named == "" {
				named = "nothing"
			}
			errs = append(errs, refused(ErrChainMismatch, "slot %s holds %s but Chained.%s names %s: set Chained.%s to %s (cogwatch's template: parameter Chain%s) so that cogwatch's trigger calls the function the pool uses",
				s.Name, cur, s.Name, named, s.Name, cur, s.Name))
		default:
			errs = append(errs, refused(ErrSlotTaken, "slot %s holds %s, which is not cogwatch's: to keep it, set ChainExisting \"true\" and Chained.%s to %s (cogwatch's template: parameter Chain%s), and cogwatch's trigger calls it after its own work and answers with its response; or leave the slot out of Slots (template: AttachSlots); or empty the slot first",
				s.Name, cur, s.Name, cur, s.Name))
		}
	}
	return plan, errors.Join(errs...)
}

// planDetach returns the LambdaConfig that gives each of p's slots back to
// the function it chained (or empties it), for the slots that still hold
// cogwatch's function; the others are left as they are: someone changed
// them since, and their change stands.
func planDetach(pool *types.UserPoolType, p Properties) Plan {
	plan := Plan{UserPoolID: deref(pool.Id), Before: pool.LambdaConfig, After: cloneLambdaConfig(pool.LambdaConfig)}
	for _, s := range Slots {
		ours := p.Triggers[s.Name]
		if ours == "" {
			continue
		}
		switch cur := s.Get(pool.LambdaConfig); cur {
		case ours:
			s.Set(plan.After, p.Chained[s.Name])
		case p.Chained[s.Name]:
			// Given back already.
		default:
			plan.Left = append(plan.Left, Change{Slot: s.Name, From: cur, To: cur})
		}
	}
	return plan
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
