// Command custommessage builds the custom message handler as
// cmd/custommessage does and answers one forgot-password SMS event: the
// time until a fresh custom message Lambda process can answer, the phone
// number library's metadata included. It prints the CountryCode its EMF
// line counted.
package main

import (
	"context"
	"io"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/bench/startcost/internal/answer"
	"github.com/cogwatch/cogwatch/triggers"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

const event = `{"version":"1","region":"us-east-1","userPoolId":"us-east-1_abc","userName":"u",
"callerContext":{"awsSdkVersion":"x","clientId":"c"},"triggerSource":"CustomMessage_ForgotPassword",
"request":{"userAttributes":{"sub":"s","phone_number":"+998901234567"},"codeParameter":"{####}","usernameParameter":null},
"response":{"smsMessage":"Your code is {####}","emailMessage":null,"emailSubject":null}}`

func main() {
	answer.Once(func(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
		return triggers.CustomMessageFromEnv(ctx, getenv, stdout, phone.CountryCode)
	}, event, "CountryCode")
}
