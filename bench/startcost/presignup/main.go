// Command presignup builds the pre sign-up handler as cmd/presignup does and
// answers one Cognito event: the time until a fresh pre sign-up Lambda
// process can answer. With the argument "sns" it builds the handler with a
// topic (AWS SDK configuration and SNS client) and does not invoke it.
package main

import (
	"context"
	"io"
	"os"

	"github.com/cogwatch/cogwatch/triggers"
)

const event = `{"version":"1","region":"us-east-1","userPoolId":"us-east-1_abc","userName":"u",
"callerContext":{"awsSdkVersion":"x","clientId":"c"},"triggerSource":"PreSignUp_SignUp",
"request":{"userAttributes":{"email":"someone@x.mailinator.com"}},"response":{}}`

func main() {
	env := map[string]string{}
	withSNS := len(os.Args) > 1 && os.Args[1] == "sns"
	if withSNS {
		env = map[string]string{
			"USER_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:user-events",
			"AWS_REGION":            "us-east-1",
			"AWS_ACCESS_KEY_ID":     "local",
			"AWS_SECRET_ACCESS_KEY": "local",
			"AWS_ENDPOINT_URL":      "http://127.0.0.1:1",
		}
	}
	h, err := triggers.PreSignUpFromEnv(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	if withSNS {
		os.Stdout.WriteString("ready\n")
		return
	}
	if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return
	}
	os.Stdout.WriteString("accepted\n")
}
