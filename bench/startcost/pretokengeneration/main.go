// Command pretokengeneration builds the pre token generation handler as
// cmd/pretokengeneration does and answers one refresh event: the time until
// a fresh pre token generation Lambda process can answer. It prints the
// TriggerSource its EMF line counted.
package main

import (
	"github.com/cogwatch/cogwatch/bench/startcost/internal/answer"
	"github.com/cogwatch/cogwatch/triggers"
)

const event = `{"version":"2","region":"us-east-1","userPoolId":"us-east-1_abc","userName":"u",
"callerContext":{"awsSdkVersion":"x","clientId":"c"},"triggerSource":"TokenGeneration_RefreshTokens",
"request":{"userAttributes":{"sub":"s","email":"someone@example.org"},"groupConfiguration":{"groupsToOverride":[],"iamRolesToOverride":[],"preferredRole":null},"scopes":["openid"]},
"response":{"claimsAndScopeOverrideDetails":null}}`

func main() { answer.Once(triggers.PreTokenGenerationFromEnv, event, "TriggerSource") }
