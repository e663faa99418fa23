package docs_test

import (
	"strings"
	"testing"

	"github.com/cogwatch/cogwatch/api"
	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/consumers/logforwarder"
	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/envconf"
	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/internal/testutil"
	"github.com/cogwatch/cogwatch/triggers"
	"github.com/cogwatch/cogwatch/warmers"
)

// section is one part of configuration.md: a function (or every function)
// and the Variables table of its package.
type section struct {
	title, intro string
	vars         []envconf.Variable
	load         func(getenv func(string) string) error // its LoadConfig; nil: none
}

// loader drops LoadConfig's value, keeping its error.
func loader[C any](f func(func(string) string) (C, error)) func(func(string) string) error {
	return func(getenv func(string) string) error { _, err := f(getenv); return err }
}

var sections = []section{
	{"Triggers", "The Cognito triggers (pre sign-up, authentication, post confirmation, pre token generation, custom message): `triggers.Variables`.", triggers.Variables, loader(triggers.LoadConfig)},
	{"CloudWatch consumer", "`consumers/cloudwatch.Variables`.", cloudwatch.Variables, loader(cloudwatch.LoadConfig)},
	{"EventBridge consumer", "`consumers/eventbridge.Variables`.", eventbridge.Variables, loader(eventbridge.LoadConfig)},
	{"Log forwarder", "`consumers/logforwarder.Variables`.", logforwarder.Variables, loader(logforwarder.LoadConfig)},
	{"Warmer", "`warmers.Variables`.", warmers.Variables, loader(warmers.LoadConfig)},
	{"API", "The guest/user API behind API Gateway: `api.Variables`.", api.Variables, loader(api.LoadConfig)},
	{"Custom resources", "The log encryption, user-pool domain and user-pool triggers functions read none of their own: only logging's and the SDK's, below.", nil, nil},
	{"Logging (every function)", "`internal/logging.Variables`, read by every function. The triggers refuse a level they cannot read; the other functions then log at INFO.", logging.Variables, loader(logging.LoadConfig)},
	{"AWS SDK (every function that calls AWS)", "`internal/awsconf.Variables`: the SDK's standard variables, read through the same getenv as the rest.", awsconf.Variables, nil},
}

// configurationDoc renders docs/configuration.md from the packages' tables.
func configurationDoc() []byte {
	var b strings.Builder
	b.WriteString("# Configuration\n\n")
	b.WriteString("<!-- Generated from each function's Variables by `go test ./docs -run TestConfigurationDoc -update`; do not edit. -->\n\n")
	b.WriteString("Every Lambda function reads its configuration from environment variables once, at start,\n")
	b.WriteString("into a typed `Config` (`LoadConfig(getenv)`, starting from `DefaultConfig`); a bad value stops\n")
	b.WriteString("the function at start with a message naming the variable. The AWS SDK's configuration is read\n")
	b.WriteString("through the same getenv, so the same binary talks to AWS or to a local emulator.\n")
	b.WriteString("The exporter is configured by flags instead: [exporter.md](exporter.md#flags).\n")
	for _, s := range sections {
		b.WriteString("\n## " + s.title + "\n\n" + s.intro + "\n")
		if len(s.vars) > 0 {
			b.WriteString("\n" + envconf.Table(s.vars))
		}
	}
	return []byte(b.String())
}

// TestConfigurationDoc checks docs/configuration.md against the functions'
// Variables tables.
func TestConfigurationDoc(t *testing.T) {
	testutil.Golden(t, "configuration.md", configurationDoc())
}

// TestEveryVariableOnce: a variable is documented once per function, and
// every name is one the environment can hold.
func TestEveryVariableOnce(t *testing.T) {
	for _, s := range sections {
		seen := map[string]bool{}
		for _, v := range s.vars {
			if seen[v.Name] {
				t.Errorf("%s: %s twice", s.title, v.Name)
			}
			seen[v.Name] = true
			if strings.Trim(v.Name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_<>") != "" || v.Description == "" {
				t.Errorf("%s: %q is not an environment variable name with a description", s.title, v.Name)
			}
		}
	}
}

// TestNoUndocumentedVariable: every variable a LoadConfig reads is in its
// table.
func TestNoUndocumentedVariable(t *testing.T) {
	for _, s := range sections {
		if s.load == nil {
			continue
		}
		documented := map[string]bool{}
		for _, v := range s.vars {
			documented[v.Name] = true
		}
		_ = s.load(func(k string) string {
			if !documented[k] {
				t.Errorf("%s: LoadConfig reads %s, which its Variables do not document", s.title, k)
			}
			return ""
		})
	}
}
