package userpooltriggers

import (
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Slot is a field of a user pool's LambdaConfig that cogwatch can take: a
// trigger whose function is a plain ARN.
type Slot struct {
	Name  string
	field func(*types.LambdaConfigType) **string
}

// Slots are the LambdaConfig slots cogwatch's triggers handle, in the order
// Cognito calls them. A slot cogwatch handles later is one more entry.
var Slots = []Slot{
	{"PreSignUp", func(c *types.LambdaConfigType) **string { return &c.PreSignUp }},
	{"PreAuthentication", func(c *types.LambdaConfigType) **string { return &c.PreAuthentication }},
	{"PostAuthentication", func(c *types.LambdaConfigType) **string { return &c.PostAuthentication }},
	{"PostConfirmation", func(c *types.LambdaConfigType) **string { return &c.PostConfirmation }},
}

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

// Get returns the ARN the slot holds in c, or "".
func (s Slot) Get(c *types.LambdaConfigType) string {
	if c == nil {
		return ""
	}
	if p := *s.field(c); p != nil {
		return *p
	}
	return ""
}

// Set puts arn in the slot of c; "" empties it.
func (s Slot) Set(c *types.LambdaConfigType, arn string) {
	if arn == "" {
		*s.field(c) = nil
		return
	}
	*s.field(c) = &arn
}
