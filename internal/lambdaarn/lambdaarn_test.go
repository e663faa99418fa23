package lambdaarn

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Function
		wantErr string
	}{
		{name: "unqualified", in: "arn:aws:lambda:eu-west-1:123456789012:function:signup-checks",
			want: Function{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", Name: "signup-checks"}},
		{name: "alias", in: "arn:aws:lambda:eu-west-1:123456789012:function:signup-checks:live",
			want: Function{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", Name: "signup-checks", Qualifier: "live"}},
		{name: "version", in: "arn:aws:lambda:eu-west-1:123456789012:function:signup-checks:42",
			want: Function{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", Name: "signup-checks", Qualifier: "42"}},
		{name: "latest", in: "arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST",
			want: Function{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", Name: "f", Qualifier: "$LATEST"}},
		{name: "GovCloud", in: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f",
			want: Function{Partition: "aws-us-gov", Region: "us-gov-west-1", AccountID: "123456789012", Name: "f"}},
		{name: "China", in: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
			want: Function{Partition: "aws-cn", Region: "cn-north-1", AccountID: "123456789012", Name: "f"}},
		{name: "empty", in: "", wantErr: `"" is not an ARN`},
		{name: "a function name", in: "signup-checks", wantErr: `"signup-checks" is not an ARN`},
		{name: "another service", in: "arn:aws:sns:eu-west-1:123456789012:topic", wantErr: "not a Lambda ARN, not a function"},
		{name: "a layer", in: "arn:aws:lambda:eu-west-1:123456789012:layer:l:1", wantErr: "not a function"},
		{name: "no name", in: "arn:aws:lambda:eu-west-1:123456789012:function:", wantErr: "bad function name"},
		{name: "name too long", in: "arn:aws:lambda:eu-west-1:123456789012:function:" + string(make([]byte, 65)), wantErr: "bad function name"},
		{name: "bad qualifier", in: "arn:aws:lambda:eu-west-1:123456789012:function:f:a/b", wantErr: "bad version or alias"},
		{name: "two qualifiers", in: "arn:aws:lambda:eu-west-1:123456789012:function:f:a:b", wantErr: "bad version or alias"},
		{name: "bad account", in: "arn:aws:lambda:eu-west-1:1234:function:f", wantErr: "bad account id"},
		{name: "no region", in: "arn:aws:lambda::123456789012:function:f", wantErr: "bad region"},
		{name: "bad partition", in: "arn:AWS:lambda:eu-west-1:123456789012:function:f", wantErr: "bad partition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.in, got.String(), "String round-trips")
		})
	}
}

func TestUnqualified(t *testing.T) {
	f, err := Parse("arn:aws:lambda:eu-west-1:123456789012:function:f:live")
	require.NoError(t, err)
	require.Equal(t, "arn:aws:lambda:eu-west-1:123456789012:function:f", f.Unqualified())
}

// FuzzParse: an error or a Function whose String is the input, never a
// panic; errors quote at most 80 bytes of the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"arn:aws:lambda:eu-west-1:123456789012:function:signup-checks",
		"arn:aws:lambda:eu-west-1:123456789012:function:signup-checks:live",
		"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:$LATEST",
		"arn:aws:lambda:eu-west-1:123456789012:function:f:a:b",
		"arn:aws:sns:eu-west-1:123456789012:topic",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			require.LessOrEqual(t, len(err.Error()), 600, "80 bytes of input at most, each quoted as 4")
			return
		}
		require.Equal(t, s, got.String())
		again, err := Parse(got.Unqualified())
		require.NoError(t, err)
		require.Empty(t, again.Qualifier)
	})
}
