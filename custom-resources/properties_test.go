package customresources

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"
)

// sample covers every kind of field DecodeProperties supports.
type sample struct {
	Name    string            `json:"Name"`
	Count   int               `json:"Count"`
	Small   int8              `json:"Small"`
	Ratio   float64           `json:"Ratio"`
	Enabled bool              `json:"Enabled"`
	Names   []string          `json:"Names"`
	Nested  *nested           `json:"Nested"`
	Tags    map[string]string `json:"Tags"`
	Raw     any               `json:"Raw"`
	skipped int
}

type nested struct {
	CertificateArn string `json:"CertificateArn"`
	Port           int    `json:"Port"`
}

func TestDecodeProperties(t *testing.T) {
	tests := []struct {
		name    string
		props   string
		want    sample
		wantErr string
	}{
		{name: "strings convert", props: `{"Name":"n","Count":"30","Small":" -5 ","Ratio":"0.5","Enabled":"true","Names":["a","b"],"Nested":{"CertificateArn":"arn","Port":"443"},"Tags":{"k":"v"},"Raw":{"x":1}}`,
			want: sample{Name: "n", Count: 30, Small: -5, Ratio: 0.5, Enabled: true, Names: []string{"a", "b"}, Nested: &nested{CertificateArn: "arn", Port: 443}, Tags: map[string]string{"k": "v"}, Raw: map[string]any{"x": 1.0}}},
		{name: "json scalars accepted", props: `{"Name":12,"Count":30,"Ratio":2,"Enabled":false}`, want: sample{Name: "12", Count: 30, Ratio: 2}},
		{name: "service keys skipped", props: `{"ServiceToken":"arn:aws:lambda:x","ServiceTimeout":"300","Name":"n"}`, want: sample{Name: "n"}},
		{name: "nulls are zero", props: `{"Name":null,"Nested":null}`, want: sample{}},
		{name: "empty", props: `{}`, want: sample{}},
		{name: "not an integer", props: `{"Count":"thirty"}`, wantErr: `property Count: "thirty" is not an integer`},
		{name: "fractional integer", props: `{"Count":1.5}`, wantErr: `property Count: 1.5 is not an integer`},
		{name: "overflow", props: `{"Small":"300"}`, wantErr: `property Small: "300" is not an integer`},
		{name: "overflow number", props: `{"Small":300}`, wantErr: `property Small: 300 is out of range`},
		{name: "not a bool", props: `{"Enabled":"yes"}`, wantErr: `property Enabled: "yes" is not true or false`},
		{name: "not a number", props: `{"Ratio":"NaN"}`, wantErr: `property Ratio: "NaN" is not a number`},
		{name: "string for a list", props: `{"Names":"a,b"}`, wantErr: `property Names: want a list, got "a,b"`},
		{name: "bad list item", props: `{"Names":["a",{"b":1}]}`, wantErr: `property Names[1]: want a string, got an object`},
		{name: "nested error names the path", props: `{"Nested":{"Port":"https"}}`, wantErr: `property Nested.Port: "https" is not an integer`},
		{name: "nested unknown", props: `{"Nested":{"CertificateARN":"x"}}`, wantErr: `property Nested.CertificateARN: unknown property`},
		{name: "unknown property", props: `{"Nmae":"typo"}`, wantErr: `property Nmae: unknown property`},
		{name: "unexported field is not a property", props: `{"skipped":"1"}`, wantErr: `property skipped: unknown property`},
		{name: "object for a string", props: `{"Name":{"a":1}}`, wantErr: `property Name: want a string, got an object`},
		{name: "long value is cut in the message", props: `{"Count":"0123456789012345678901234567890123456789xyz"}`, wantErr: `property Count: "0123456789012345678901234567890123456789…" is not an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var props map[string]any
			require.NoError(t, json.Unmarshal([]byte(tc.props), &props))
			var got sample
			err := DecodeProperties(props, &got)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				var pe *PropertyError
				require.ErrorAs(t, err, &pe)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestDecodePropertiesWantsAStructPointer(t *testing.T) {
	var s sample
	require.Error(t, DecodeProperties(nil, s))
	require.NoError(t, DecodeProperties(map[string]any{"Name": "x"}, &s))
	require.Zero(t, s.skipped, "unexported fields are never set")
	require.Error(t, DecodeProperties(nil, (*sample)(nil)))
	var n int
	require.Error(t, DecodeProperties(nil, &n))
}

func TestPropertiesOfAnUpdate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "events", "update-logencryption.json"))
	require.NoError(t, err)
	ev, err := DecodeEvent(b)
	require.NoError(t, err)
	type logProps struct {
		LogGroupNames    []string `json:"LogGroupNames"`
		LogGroupPrefixes []string `json:"LogGroupPrefixes"`
		KmsKeyId         string   `json:"KmsKeyId"`
		RetentionInDays  int      `json:"RetentionInDays"`
		DeleteLogGroups  bool     `json:"DeleteLogGroups"`
	}
	props, old, err := Properties[logProps](ev)
	require.NoError(t, err)
	require.Equal(t, 90, props.RetentionInDays)
	require.Equal(t, []string{"/aws/vendedlogs/"}, props.LogGroupPrefixes)
	require.Equal(t, 30, old.RetentionInDays)
	require.Empty(t, old.KmsKeyId)

	// On an update rollback, the old properties are the refused ones.
	ev.OldResourceProperties["RetentionInDays"] = "x"
	props, old, err = Properties[logProps](ev)
	require.NoError(t, err, "old properties that no longer decode must not fail the rollback")
	require.Equal(t, 90, props.RetentionInDays)
	require.Zero(t, old.RetentionInDays)
	require.Equal(t, []string{"API-Gateway-Execution-Logs_abc123/prod"}, old.LogGroupNames)

	ev.ResourceProperties["RetentionInDays"] = "x"
	_, _, err = Properties[logProps](ev)
	require.EqualError(t, err, `property RetentionInDays: "x" is not an integer`, "new properties stay strict")
}

// TestOldPropertiesAreLenient: on UPDATE_ROLLBACK, CloudFormation sends the
// previous, good properties as ResourceProperties and the refused ones as
// OldResourceProperties. What in them does not decode is ignored; the rest
// is kept.
func TestOldPropertiesAreLenient(t *testing.T) {
	good := map[string]any{"ServiceToken": "arn", "Name": "n", "Count": "30", "Enabled": "true", "Names": []any{"a"}}
	tests := []struct {
		name    string
		old     string
		wantOld sample
	}{
		{name: "wrong scalar types", old: `{"Name":"m","Count":"thirty","Enabled":"yes","Ratio":"NaN","Small":"300"}`, wantOld: sample{Name: "m"}},
		{name: "unknown properties", old: `{"ServiceToken":"arn","Nmae":"typo","Count":"7"}`, wantOld: sample{Count: 7}},
		{name: "a string where a list belongs", old: `{"Names":"a,b","Count":"1"}`, wantOld: sample{Count: 1}},
		{name: "a bad list item drops the list", old: `{"Names":["a",{"b":1}],"Enabled":"false"}`, wantOld: sample{}},
		{name: "nested: bad fields dropped, good kept", old: `{"Nested":{"CertificateArn":"arn","Port":"https","Extra":"x"}}`, wantOld: sample{Nested: &nested{CertificateArn: "arn"}}},
		{name: "nested: not an object", old: `{"Nested":"arn","Tags":["x"],"Name":"m"}`, wantOld: sample{Name: "m"}},
		{name: "a map with a bad value", old: `{"Tags":{"k":{"x":1},"j":"v"}}`, wantOld: sample{}},
		{name: "empty", old: `{}`, wantOld: sample{}},
		{name: "all good", old: `{"Name":"m","Count":"2","Names":["x","y"]}`, wantOld: sample{Name: "m", Count: 2, Names: []string{"x", "y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old map[string]any
			require.NoError(t, json.Unmarshal([]byte(tc.old), &old))
			ev := testEvent("https://example.invalid/r", cfn.RequestUpdate, "thing-1", good)
			ev.OldResourceProperties = old
			props, gotOld, err := Properties[sample](ev)
			require.NoError(t, err)
			require.Equal(t, sample{Name: "n", Count: 30, Enabled: true, Names: []string{"a"}}, props)
			require.Equal(t, tc.wantOld, gotOld)
		})
	}
}

func TestDecodeEventFixtures(t *testing.T) {
	tests := []struct {
		file string
		typ  cfn.RequestType
	}{
		{file: "create-userpooldomain.json", typ: cfn.RequestCreate},
		{file: "update-logencryption.json", typ: cfn.RequestUpdate},
		{file: "update-rollback-userpooldomain.json", typ: cfn.RequestUpdate},
		{file: "delete-failed-create.json", typ: cfn.RequestDelete},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "events", tc.file))
			require.NoError(t, err)
			ev, err := DecodeEvent(b)
			require.NoError(t, err)
			require.Equal(t, tc.typ, ev.RequestType)
			require.NotEmpty(t, ev.ResponseURL)
		})
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		wantErr string
	}{
		{name: "not json", payload: `{`, wantErr: "invalid custom resource event: unexpected end of JSON input"},
		{name: "empty object", payload: `{}`, wantErr: "invalid custom resource event: RequestType \"\" is not Create, Update or Delete\nRequestId is missing\nStackId is missing\nLogicalResourceId is missing\nResponseURL is missing"},
		{name: "relative url", payload: `{"RequestType":"Create","RequestId":"r","StackId":"s","LogicalResourceId":"l","ResponseURL":"/x"}`, wantErr: "invalid custom resource event: ResponseURL is not an absolute http(s) URL"},
		{name: "delete without id", payload: `{"RequestType":"Delete","RequestId":"r","StackId":"s","LogicalResourceId":"l","ResponseURL":"https://h/x"}`, wantErr: "invalid custom resource event: PhysicalResourceId is missing on Delete"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeEvent([]byte(tc.payload))
			require.EqualError(t, err, tc.wantErr)
			require.ErrorIs(t, err, ErrBadEvent)
		})
	}
}
