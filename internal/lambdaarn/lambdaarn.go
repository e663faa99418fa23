package lambdaarn

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Function is a parsed Lambda function ARN.
type Function struct {
	Partition string
	Region    string
	AccountID string
	Name      string
	// Qualifier is the version or alias; empty for the unqualified ARN.
	Qualifier string
}

// String returns the ARN.
func (f Function) String() string {
	s := "arn:" + f.Partition + ":lambda:" + f.Region + ":" + f.AccountID + ":function:" + f.Name
	if f.Qualifier != "" {
		s += ":" + f.Qualifier
	}
	return s
}

// Unqualified returns the ARN without its qualifier.
func (f Function) Unqualified() string {
	f.Qualifier = ""
	return f.String()
}

// The patterns compile on first use: this package links into every trigger
// (for chaining), and a regexp compiled at init is paid on every cold start.
var (
	namePattern      = lazy(`^[a-zA-Z0-9_-]{1,64}$`)
	qualifierPattern = lazy(`^(\$LATEST|[0-9]{1,10}|[a-zA-Z0-9_-]{1,128})$`)
	accountPattern   = lazy(`^[0-9]{12}$`)
	regionPattern    = lazy(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// partitionPattern: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, …
	partitionPattern = lazy(`^aws(-[a-z]+)*$`)
)

func lazy(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Parse parses a Lambda function ARN, qualified or not. Its errors quote at
// most 80 bytes of s.
func Parse(s string) (Function, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return Function{}, fmt.Errorf("%s is not an ARN", quote(s))
	}
	var problems []string
	if a.Service != "lambda" {
		problems = append(problems, "not a Lambda ARN")
	}
	if !partitionPattern().MatchString(a.Partition) {
		problems = append(problems, "bad partition")
	}
	if !regionPattern().MatchString(a.Region) {
		problems = append(problems, "bad region")
	}
	if !accountPattern().MatchString(a.AccountID) {
		problems = append(problems, "bad account id")
	}
	f := Function{Partition: a.Partition, Region: a.Region, AccountID: a.AccountID}
	kind, rest, _ := strings.Cut(a.Resource, ":")
	name, qualifier, qualified := strings.Cut(rest, ":")
	switch {
	case kind != "function":
		problems = append(problems, "not a function")
	case !namePattern().MatchString(name):
		problems = append(problems, "bad function name")
	case qualified && !qualifierPattern().MatchString(qualifier):
		problems = append(problems, "bad version or alias")
	default:
		f.Name, f.Qualifier = name, qualifier
	}
	if len(problems) > 0 {
		return Function{}, fmt.Errorf("%s is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]): %s",
			quote(s), strings.Join(problems, ", "))
	}
	return f, nil
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}
