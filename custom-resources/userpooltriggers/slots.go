package userpooltriggers

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Slot is a trigger of a user pool's LambdaConfig that cogwatch can take:
// a field holding a function ARN, or, for pre token generation, the pair
// of the legacy PreTokenGeneration ARN and PreTokenGenerationConfig (ARN and
// event version).
type Slot struct {
	Name  string
	field func(*types.LambdaConfigType) **string // nil: pre token generation
}

// Slots are the LambdaConfig slots cogwatch's triggers handle (those of
// triggers.ChainSlots, in its order). A slot cogwatch handles later is one
// more entry.
var Slots = []Slot{
	{"PreSignUp", func(c *types.LambdaConfigType) **string { return &c.PreSignUp }},
	{"PreAuthentication", func(c *types.LambdaConfigType) **string { return &c.PreAuthentication }},
	{"PostAuthentication", func(c *types.LambdaConfigType) **string { return &c.PostAuthentication }},
	{"PostConfirmation", func(c *types.LambdaConfigType) **string { return &c.PostConfirmation }},
	{"PreTokenGeneration", nil},
	{"CustomMessage", func(c *types.LambdaConfigType) **string { return &c.CustomMessage }},
}

// DefaultSlots are the slots taken when the properties do not name them
// (Properties.Slots absent): the four of the resource's first version, so
// that a stack written for it keeps doing what it did.
var DefaultSlots = []string{"PreSignUp", "PreAuthentication", "PostAuthentication", "PostConfirmation"}

// The pre token generation event versions
// (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html).
// A pool with the legacy PreTokenGeneration ARN alone sends V1_0; V2_0 and
// V3_0 need the Essentials or Plus feature plan.
const (
	PreTokenV1 = types.PreTokenGenerationLambdaVersionTypeV10
	PreTokenV2 = types.PreTokenGenerationLambdaVersionTypeV20
	PreTokenV3 = types.PreTokenGenerationLambdaVersionTypeV30
)

// DefaultPreTokenGenerationVersion is the event version cogwatch gives an
// empty pre token generation slot: cogwatch's trigger reads versions 1 and
// 2, and version 2 is the one whose function can customize access tokens
// too (a chained function keeps the pool's version).
const DefaultPreTokenGenerationVersion = PreTokenV2

// PreTokenGenerationVersions are the versions Properties may ask for an
// empty slot: those cogwatch's trigger reads.
var PreTokenGenerationVersions = []types.PreTokenGenerationLambdaVersionType{PreTokenV1, PreTokenV2}

// SlotNames returns the names of Slots.
func SlotNames() []string {
	names := make([]string, len(Slots))
	for i, s := range Slots {
		names[i] = s.Name
	}
	return names
}

// slotByName returns the slot called name.
func slotByName(name string) (Slot, bool) {
	for _, s := range Slots {
		if s.Name == name {
			return s, true
		}
	}
	return Slot{}, false
}

// Get returns the ARN the slot holds in c, or "". Pre token generation's
// is PreTokenGenerationConfig's, else the legacy field's (Cognito keeps the
// two the same when both are set).
func (s Slot) Get(c *types.LambdaConfigType) string {
	if c == nil {
		return ""
	}
	if s.field == nil {
		if c.PreTokenGenerationConfig != nil && c.PreTokenGenerationConfig.LambdaArn != nil {
			return *c.PreTokenGenerationConfig.LambdaArn
		}
		return deref(c.PreTokenGeneration)
	}
	return deref(*s.field(c))
}

// Version returns the event version of the slot's function in c: for pre
// token generation, PreTokenGenerationConfig's, or V1_0 for the legacy field
// alone; "" for an empty slot and for the other slots, which have one
// version.
func (s Slot) Version(c *types.LambdaConfigType) types.PreTokenGenerationLambdaVersionType {
	if c == nil || s.field != nil {
		return ""
	}
	switch {
	case c.PreTokenGenerationConfig != nil:
		return c.PreTokenGenerationConfig.LambdaVersion
	case c.PreTokenGeneration != nil:
		return PreTokenV1
	}
	return ""
}

// state renders every field the slot spans in c, for comparing two
// configurations slot by slot.
func (s Slot) state(c *types.LambdaConfigType) string {
	if c == nil || s.field != nil {
		return s.Get(c)
	}
	cfg := c.PreTokenGenerationConfig
	if cfg == nil {
		cfg = &types.PreTokenGenerationVersionConfigType{}
	}
	return fmt.Sprintf("%q %q %q", deref(c.PreTokenGeneration), deref(cfg.LambdaArn), cfg.LambdaVersion)
}

// Set puts arn in the slot of c; "" empties it. Pre token generation keeps
// the event version and the fields c has (see SetVersion), or gets
// DefaultPreTokenGenerationVersion when empty.
func (s Slot) Set(c *types.LambdaConfigType, arn string) {
	s.SetVersion(c, arn, "")
}

// SetVersion puts arn in the slot of c with event version v (pre token
// generation only; "" keeps c's, DefaultPreTokenGenerationVersion for an
// empty slot); "" empties the slot. The fields c has stay the fields it
// has: a legacy PreTokenGeneration alone stays alone while the version is
// V1_0 (the one it stands for), and is kept, the same as the new ARN, beside
// PreTokenGenerationConfig, as Cognito requires; an empty slot gets
// PreTokenGenerationConfig alone, as AWS recommends for new triggers. The
// nested configuration is replaced, never changed in place: c may share it.
func (s Slot) SetVersion(c *types.LambdaConfigType, arn string, v types.PreTokenGenerationLambdaVersionType) {
	if s.field != nil {
		if arn == "" {
			*s.field(c) = nil
		} else {
			*s.field(c) = &arn
		}
		return
	}
	if arn == "" {
		c.PreTokenGeneration, c.PreTokenGenerationConfig = nil, nil
		return
	}
	if v == "" {
		v = s.Version(c)
	}
	if v == "" {
		v = DefaultPreTokenGenerationVersion
	}
	legacy := c.PreTokenGeneration != nil
	if legacy && c.PreTokenGenerationConfig == nil && v == PreTokenV1 {
		c.PreTokenGeneration = &arn
		return
	}
	c.PreTokenGenerationConfig = &types.PreTokenGenerationVersionConfigType{LambdaArn: &arn, LambdaVersion: v}
	if legacy {
		c.PreTokenGeneration = &arn
	}
}
