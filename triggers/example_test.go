package triggers_test

import (
	"context"
	"fmt"
	"os"

	"github.com/cogwatch/cogwatch/triggers"
)

// A pre sign-up trigger built from an environment, answering Cognito: the
// event goes back unchanged when accepted; a rejection's text is what the
// user reads (Cognito adds "PreSignUp failed with error" and a period).
func ExamplePreSignUpFromEnv() {
	getenv := func(k string) string {
		return map[string]string{"COGWATCH_ALLOWED_DOMAINS": "qa.mailinator.com"}[k]
	}
	h, err := triggers.PreSignUpFromEnv(context.Background(), getenv, nil) // no topic: publishing off
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, email := range []string{"alice@example.com", "bob@mailinator.com", "tester@qa.mailinator.com", "carol@", "dave@duck.com"} {
		ev := `{"triggerSource":"PreSignUp_SignUp","region":"eu-west-1","userPoolId":"eu-west-1_abc",` +
			`"callerContext":{"clientId":null},"request":{"userAttributes":{"email":"` + email + `"}},"response":{}}`
		if _, err := h.Invoke(context.Background(), []byte(ev)); err != nil {
			fmt.Printf("%s: rejected: %s\n", email, err)
			continue
		}
		fmt.Printf("%s: accepted\n", email)
	}
	// Output:
	// alice@example.com: accepted
	// bob@mailinator.com: rejected: Please use a permanent email address
	// tester@qa.mailinator.com: accepted
	// carol@: rejected: Please enter a valid email address
	// dave@duck.com: accepted
}
