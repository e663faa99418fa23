package userpooltriggers

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

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
}

var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// normalize drops empty values: a template passes "" for a slot it leaves
// alone.
func (p *Properties) normalize() {
	maps.DeleteFunc(p.Triggers, func(_, v string) bool { return v == "" })
	maps.DeleteFunc(p.Chained, func(_, v string) bool { return v == "" })
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
		case p.Triggers[name] == "":
			errs = append(errs, perr("Chained."+name, "cogwatch takes no %s slot (Triggers.%s), so it has nothing to chain", name, name))
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
