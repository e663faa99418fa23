package customresources_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/cfn"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

// A resource decodes its properties, does its work and returns its physical
// id; the runtime answers CloudFormation whatever happens.
func ExampleNew() {
	type props struct {
		Name  string `json:"Name"`
		Count int    `json:"Count"`
	}
	f := func(ctx context.Context, ev cfn.Event) (customresources.Result, error) {
		p, _, err := customresources.Properties[props](ev)
		if err != nil {
			return customresources.Result{}, err // answered FAILED, naming the property
		}
		// … create, update or delete p here …
		return customresources.Result{PhysicalResourceID: p.Name, Data: map[string]any{"Count": p.Count}}, nil
	}
	rt := customresources.New(f, customresources.Options{})
	_ = rt // lambda.Start(warmup.Wrap(rt)) in a main
}

func ExampleDecodeProperties() {
	type props struct {
		RetentionInDays int      `json:"RetentionInDays"`
		Enabled         bool     `json:"Enabled"`
		Names           []string `json:"Names"`
	}
	var p props
	// CloudFormation sends every scalar as a string.
	err := customresources.DecodeProperties(map[string]any{
		"ServiceToken":    "arn:aws:lambda:eu-west-1:123456789012:function:f",
		"RetentionInDays": "30", "Enabled": "true", "Names": []any{"a", "b"},
	}, &p)
	fmt.Println(p, err)

	err = customresources.DecodeProperties(map[string]any{"RetentionInDays": "thirty"}, &p)
	fmt.Println(err)
	// Output:
	// {30 true [a b]} <nil>
	// property RetentionInDays: "thirty" is not an integer
}

func ExampleFailedCreateID() {
	id := customresources.FailedCreateID("3f0b7a2e-8c61-4a4e-9d55-0e7f3d9d2a10")
	fmt.Println(id, customresources.IsFailedCreate(id))
	// Output: cogwatch-failed-create-3f0b7a2e-8c61-4a4e-9d55-0e7f3d9d2a10 true
}
