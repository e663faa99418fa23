package triggers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/triggers"
)

// signUpRules is an adopter's own pre sign-up handler, as it was before
// cogwatch: it closes example.org and auto-confirms everyone else.
func signUpRules(_ context.Context, ev events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
	if strings.HasSuffix(ev.Request.UserAttributes["email"], "@example.org") {
		return ev, errors.New("Sign-ups from example.org are closed")
	}
	ev.Response.AutoConfirmUser = true
	return ev, nil
}

// Adopting cogwatch in a Go trigger changes one line of its main,
//
//	lambda.Start(signUpRules)
//
// into the line below, and adds the import of this package.
// The same line wraps a pre authentication, post authentication or post
// confirmation handler.
func ExampleWrap() {
	lambda.Start(triggers.Wrap(signUpRules))
}

// What the wrapped handler answers, and what cogwatch counts: the handler's
// response and its rejection as they are; a disposable address rejected by
// cogwatch before the handler runs.
func ExampleWrapWith() {
	var metrics bytes.Buffer // in Lambda: stdout, where CloudWatch Logs reads EMF and logs
	getenv := func(string) string { return "" }
	m, err := triggers.NewMiddleware(context.Background(), getenv, &metrics) // no topic: publishing off
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	h := triggers.WrapWith(m, signUpRules)
	for _, email := range []string{"alice@example.com", "bob@example.org", "carol@mailinator.com"} {
		var ev events.CognitoEventUserPoolsPreSignup
		ev.TriggerSource, ev.Region, ev.UserPoolID = "PreSignUp_SignUp", "eu-west-1", "eu-west-1_AbC"
		ev.Request.UserAttributes = map[string]string{"email": email}
		out, err := h(context.Background(), ev)
		if err != nil {
			fmt.Printf("%s: rejected: %s\n", email, err)
			continue
		}
		fmt.Printf("%s: accepted, autoConfirmUser=%t\n", email, out.Response.AutoConfirmUser)
	}
	for line := range strings.Lines(metrics.String()) {
		var doc map[string]any
		if json.Unmarshal([]byte(line), &doc) != nil || doc["_aws"] == nil {
			continue // a log line: the rejections are logged too
		}
		fmt.Println("EMF:", "SignUpAccepted", doc["SignUpAccepted"], "SignUpRejected", doc["SignUpRejected"], "Reason", doc["Reason"])
	}
	// Output:
	// alice@example.com: accepted, autoConfirmUser=true
	// bob@example.org: rejected: Sign-ups from example.org are closed
	// carol@mailinator.com: rejected: Please use a permanent email address
	// EMF: SignUpAccepted 1 SignUpRejected <nil> Reason <nil>
	// EMF: SignUpAccepted <nil> SignUpRejected 1 Reason chained_trigger
	// EMF: SignUpAccepted <nil> SignUpRejected 1 Reason disposable_domain
}
