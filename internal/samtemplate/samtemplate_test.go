package samtemplate

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const sample = `
Parameters:
  Name: {Type: String, Default: "", AllowedPattern: "[a-z]*"}
  Count: {Type: Number, Default: "3", AllowedValues: ["1", "3"]}
  Subnets: {Type: CommaDelimitedList, Default: "a,b"}
Rules:
  NameNeedsThree:
    RuleCondition: !Not [!Equals [!Ref Name, ""]]
    Assertions:
      - Assert: !Equals [!Ref Count, 3]
        AssertDescription: Name needs Count 3.
Conditions:
  HasName: !Not [!Equals [!Ref Name, ""]]
  Both: !And [{Condition: HasName}, !Equals [!Ref Count, 3]]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !If [HasName, !Ref Name, !Ref AWS::NoValue]
      DisplayName: !Join ["+", !Ref Subnets]
  Only:
    Type: AWS::SNS::Topic
    Condition: Both
    Properties: {DisplayName: !Sub ["${A}", {A: !Ref Count}]}
`

func TestResolve(t *testing.T) {
	t.Parallel()
	tmpl, err := Load([]byte(sample))
	require.NoError(t, err)
	tests := []struct {
		name      string
		overrides map[string]any
		wantErr   string
		check     func(t *testing.T, r Template)
	}{
		{name: "defaults", check: func(t *testing.T, r Template) {
			p := r.Props("Topic")
			require.NotContains(t, p, "TopicName", "AWS::NoValue removes the key")
			require.NotContains(t, r.Resources(), "Only", "a false condition removes the resource")
			require.Equal(t, "a+b", p["DisplayName"], "a CommaDelimitedList is a list")
		}},
		{name: "overrides", overrides: map[string]any{"Name": "n"}, check: func(t *testing.T, r Template) {
			p := r.Props("Topic")
			require.Equal(t, "n", p["TopicName"])
			require.Contains(t, r.Resources(), "Only")
			require.Equal(t, "3", r.Props("Only")["DisplayName"])
		}},
		{name: "unknown parameter", overrides: map[string]any{"Nope": "x"}, wantErr: "unknown parameter Nope"},
		{name: "number parameter", overrides: map[string]any{"Count": "three"}, wantErr: `parameter Count: "three" is not one of [1 3]`},
		{name: "allowed pattern", overrides: map[string]any{"Name": "N1"}, wantErr: `parameter Name: "N1" does not match AllowedPattern [a-z]*`},
		{name: "rule", overrides: map[string]any{"Name": "n", "Count": "1"}, wantErr: "rule NameNeedsThree: Name needs Count 3."},
		{name: "rule's condition false", overrides: map[string]any{"Count": "1"}, check: func(t *testing.T, r Template) {
			require.NotContains(t, r.Resources(), "Only")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := tmpl.Resolve(tc.overrides)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, r)
		})
	}
}

func TestResolveSubJoinSelect(t *testing.T) {
	t.Parallel()
	tmpl, err := Load([]byte("Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: !Sub \"${X}\"}}\n"))
	require.NoError(t, err)
	r, err := tmpl.Resolve(nil)
	require.ErrorContains(t, err, "Ref X: no such parameter or resource")
	require.Nil(t, r)
	src := []byte(`Resources:
  T:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub "${AWS::StackName}-${T.TopicName}-${!Literal}"
      Tags: [{Key: n, Value: !Join ["+", [a, b]]}, {Key: c, Value: !Select [1, !Split [",", "x,y"]]}]
`)
	tmpl, err = Load(src)
	require.NoError(t, err)
	r, err = tmpl.Resolve(nil)
	require.NoError(t, err)
	p := r.Props("T")
	require.Equal(t, "cogwatch-test-arn:aws:test:eu-west-1:123456789012:T/TopicName-${Literal}", p["DisplayName"])
	require.Equal(t, []any{map[string]any{"Key": "n", "Value": "a+b"}, map[string]any{"Key": "c", "Value": "y"}}, p["Tags"])
}

func TestConditionCycle(t *testing.T) {
	t.Parallel()
	tmpl, err := Load([]byte("Conditions:\n  A: !Not [{Condition: B}]\n  B: !Not [{Condition: A}]\nResources: {}\n"))
	require.NoError(t, err)
	_, err = tmpl.Resolve(nil)
	require.ErrorContains(t, err, "depends on itself")
}
