package userpooltriggers

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
	"github.com/cogwatch/cogwatch/internal/lambdaarn"
)

// Properties are the resource's properties.
type Properties struct {
	// UserPoolId is the existing pool. A new id is a replacement: cogwatch
	// attaches to the new pool, and CloudFormation's clean-up detaches it
	// from the old one.
	UserPoolId string `json:"UserPoolId"`
	// Triggers are cogwatch's functions, by slot (PreSignUp, …). An empty
	// value is no function.
	Triggers map[string]string `json:"Triggers"`
	// ChainExisting lets cogwatch take a slot that holds another function,
	// which cogwatch's trigger then calls after its own work: the one named
	// in Chained. Without it, such a slot fails the resource.
	ChainExisting bool `json:"ChainExisting"`
	// Chained names, by slot, the function the slot holds when cogwatch
	// takes it (and that cogwatch's trigger is configured to call): the
	// function the slot is given back on Delete. An empty value is none.
	Chained map[string]string `json:"Chained"`
	// Slots are the slots cogwatch takes, of those Triggers names; absent,
	// DefaultSlots (the four of the resource's first version). A template
	// names every function in Triggers and chooses here.
	Slots []string `json:"Slots"`
	// PreTokenGenerationVersion is the event version (V1_0, V2_0) an empty
	// pre token generation slot gets with cogwatch's function; "" is
	// DefaultPreTokenGenerationVersion. A slot that holds a function keeps
	// its version: the chained function gets the events it was written for.
	PreTokenGenerationVersion types.PreTokenGenerationLambdaVersionType `json:"PreTokenGenerationVersion"`
}

var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// normalize drops empty values: a template passes "" for a slot it leaves
// alone, and a list parameter left empty is [""].
func (p *Properties) normalize() {
	maps.DeleteFunc(p.Triggers, func(_, v string) bool { return v == "" })
	maps.DeleteFunc(p.Chained, func(_, v string) bool { return v == "" })
	if p.Slots != nil {
		slots := []string{}
		for _, s := range p.Slots {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(slots, s) {
				slots = append(slots, s)
			}
		}
		p.Slots = slots
	}
}

// taken returns the names of the slots p takes: Slots, or DefaultSlots.
func (p Properties) taken() []string {
	if p.Slots == nil {
		return DefaultSlots
	}
	return p.Slots
}

// effective returns p with Triggers reduced to the slots it takes, which is
// what planning reads.
func (p Properties) effective() Properties {
	taken := p.taken()
	p.Triggers = maps.Clone(p.Triggers)
	maps.DeleteFunc(p.Triggers, func(slot, _ string) bool { return !slices.Contains(taken, slot) })
	return p
}

// version returns the event version an empty pre token generation slot
// gets.
func (p Properties) version() types.PreTokenGenerationLambdaVersionType {
	if p.PreTokenGenerationVersion == "" {
		return DefaultPreTokenGenerationVersion
	}
	return p.PreTokenGenerationVersion
}

// Validate reports every problem of p, naming the property.
func (p Properties) Validate() error {
	var errs []error
	if !poolIDPattern.MatchString(p.UserPoolId) {
		errs = append(errs, perr("UserPoolId", "%q is not a user pool id (region_Id)", p.UserPoolId))
	}
	if len(p.Triggers) == 0 {
		errs = append(errs, perr("Triggers", "required: cogwatch's function for at least one of %s", strings.Join(SlotNames(), ", ")))
	}
	if p.Slots != nil && len(p.Slots) == 0 {
		errs = append(errs, perr("Slots", "names no slot: name at least one of %s, or leave Slots out for %s", strings.Join(SlotNames(), ", "), strings.Join(DefaultSlots, ", ")))
	}
	for _, name := range p.Slots {
		switch _, ok := slotByName(name); {
		case !ok:
			errs = append(errs, perr("Slots", "%q is not a slot cogwatch handles (%s)", name, strings.Join(SlotNames(), ", ")))
		case p.Triggers[name] == "":
			errs = append(errs, perr("Triggers."+name, "required: Slots takes %s, so cogwatch's function for it", name))
		}
	}
	if v := p.PreTokenGenerationVersion; v != "" && !slices.Contains(PreTokenGenerationVersions, v) {
		errs = append(errs, perr("PreTokenGenerationVersion", "%q is not V1_0 or V2_0 (the event versions cogwatch's trigger reads)", string(v)))
	}
	taken := p.taken()
	for _, name := range slices.Sorted(maps.Keys(p.Triggers)) {
		if _, ok := slotByName(name); !ok {
			errs = append(errs, perr("Triggers."+name, "not a slot cogwatch handles (%s)", strings.Join(SlotNames(), ", ")))
			continue
		}
		if _, err := lambdaarn.Parse(p.Triggers[name]); err != nil {
			errs = append(errs, perr("Triggers."+name, "%w", err))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Chained)) {
		arn := p.Chained[name]
		switch _, err := lambdaarn.Parse(arn); {
		case p.Triggers[name] == "" || !slices.Contains(taken, name):
			errs = append(errs, perr("Chained."+name, "cogwatch takes no %s slot (Triggers.%s, Slots), so it has nothing to chain", name, name))
		case err != nil:
			errs = append(errs, perr("Chained."+name, "%w", err))
		case arn == p.Triggers[name]:
			errs = append(errs, perr("Chained."+name, "is cogwatch's own function: it would call itself"))
		case !p.ChainExisting:
			errs = append(errs, perr("Chained."+name, "needs ChainExisting \"true\""))
		}
	}
	return errors.Join(errs...)
}

func perr(path, format string, args ...any) error {
	return &customresources.PropertyError{Path: path, Err: fmt.Errorf(format, args...)}
}
