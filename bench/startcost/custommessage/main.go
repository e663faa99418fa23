// Command custommessage builds the custom message handler as
// cmd/custommessage does and answers one forgot-password SMS event: the
// time until a fresh custom message Lambda process can answer, the phone
// number library's metadata included. It prints the CountryCode its EMF
// line counted.
package main

import (
	"bytes"
	"context"
	"os"
	"regexp"

	"github.com/cogwatch/cogwatch/triggers"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

const event = `{"version":"1","region":"us-east-1","userPoolId":"us-east-1_abc","userName":"u",
"callerContext":{"awsSdkVersion":"x","clientId":"c"},"triggerSource":"CustomMessage_ForgotPassword",
"request":{"userAttributes":{"sub":"s","phone_number":"+998901234567"},"codeParameter":"{####}","usernameParameter":null},
"response":{"smsMessage":"Your code is {####}","emailMessage":null,"emailSubject":null}}`

func main() {
	var out bytes.Buffer
	h, err := triggers.CustomMessageFromEnv(context.Background(), func(string) string { return "" }, &out, phone.CountryCode)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return
	}
	m := regexp.MustCompile(`"CountryCode":"([^"]*)"`).FindSubmatch(out.Bytes())
	if m == nil {
		os.Stdout.WriteString("no CountryCode\n")
		return
	}
	os.Stdout.Write(append(m[1], '\n'))
}
