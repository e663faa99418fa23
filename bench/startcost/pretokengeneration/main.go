// Command pretokengeneration builds the pre token generation handler as
// cmd/pretokengeneration does and answers one refresh event: the time until
// a fresh pre token generation Lambda process can answer. It prints the
// TriggerSource its EMF line counted.
package main

import (
	"bytes"
	"context"
	"os"
	"regexp"

	"github.com/cogwatch/cogwatch/triggers"
)

const event = `{"version":"2","region":"us-east-1","userPoolId":"us-east-1_abc","userName":"u",
"callerContext":{"awsSdkVersion":"x","clientId":"c"},"triggerSource":"TokenGeneration_RefreshTokens",
"request":{"userAttributes":{"sub":"s","email":"someone@example.org"},"groupConfiguration":{"groupsToOverride":[],"iamRolesToOverride":[],"preferredRole":null},"scopes":["openid"]},
"response":{"claimsAndScopeOverrideDetails":null}}`

func main() {
	var out bytes.Buffer
	h, err := triggers.PreTokenGenerationFromEnv(context.Background(), func(string) string { return "" }, &out)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return
	}
	m := regexp.MustCompile(`"TriggerSource":"([^"]*)"`).FindSubmatch(out.Bytes())
	if m == nil {
		os.Stdout.WriteString("no TriggerSource\n")
		return
	}
	os.Stdout.Write(append(m[1], '\n'))
}
