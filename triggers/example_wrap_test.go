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
// The same line wraps a pre authentication, post authentication, post
// confirmation, user migration, or define, create or verify auth challenge
// handler.
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

// legacyDirectory is an adopter's user migration handler, as it was before
// cogwatch: it knows one user of the old directory, and says no, with an
// error, as the AWS documentation's example does, to anyone else.
func legacyDirectory(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
	if ev.UserName != "jdoe" || ev.Password != "correct horse" {
		return ev, errors.New("Bad password")
	}
	ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = map[string]string{"email": "jane@example.com", "email_verified": "true"}
	ev.FinalUserStatus = "CONFIRMED"
	ev.MessageAction = "SUPPRESS"
	return ev, nil
}

// A user migration handler wrapped: the handler decides who migrates;
// cogwatch counts users migrated and failures, with the reason, and never
// logs or publishes the user name or the password.
func ExampleWrapWith_migration() {
	var metrics bytes.Buffer
	m, err := triggers.NewMiddleware(context.Background(), func(string) string { return "" }, &metrics)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	h := triggers.WrapWith(m, legacyDirectory)
	for _, password := range []string{"correct horse", "wrong"} {
		var ev events.CognitoEventUserPoolsMigrateUser
		ev.TriggerSource, ev.Region, ev.UserPoolID = "UserMigration_Authentication", "eu-west-1", "eu-west-1_AbC"
		ev.UserName, ev.Password = "jdoe", password
		out, err := h(context.Background(), ev)
		fmt.Printf("finalUserStatus=%q err=%v\n", out.FinalUserStatus, err)
	}
	for line := range strings.Lines(metrics.String()) {
		var doc map[string]any
		if json.Unmarshal([]byte(line), &doc) == nil && doc["_aws"] != nil {
			fmt.Println("EMF:", "UsersMigrated", doc["UsersMigrated"], "MigrationFailures", doc["MigrationFailures"], "Reason", doc["Reason"])
		}
	}
	// Output:
	// finalUserStatus="CONFIRMED" err=<nil>
	// finalUserStatus="" err=Bad password
	// EMF: UsersMigrated 1 MigrationFailures <nil> Reason <nil>
	// EMF: UsersMigrated <nil> MigrationFailures 1 Reason rejected
}

// Custom auth challenge handlers wrapped: cogwatch counts the challenges
// the create handler issues and, from the session define receives next, how
// each was answered, by the name the create handler gave it
// (challengeMetadata). It never reads the answer.
func ExampleWrapWith_challenges() {
	var metrics bytes.Buffer
	m, err := triggers.NewMiddleware(context.Background(), func(string) string { return "" }, &metrics)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	create := triggers.WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsCreateAuthChallenge) (events.CognitoEventUserPoolsCreateAuthChallenge, error) {
		ev.Response.PublicChallengeParameters = map[string]string{"question": "2 + 3"}
		ev.Response.PrivateChallengeParameters = map[string]string{"answer": "5"}
		ev.Response.ChallengeMetadata = "ARITHMETIC"
		return ev, nil
	})
	define := triggers.WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsDefineAuthChallenge) (events.CognitoEventUserPoolsDefineAuthChallenge, error) {
		last := ev.Request.Session[len(ev.Request.Session)-1]
		ev.Response.IssueTokens = last.ChallengeName == "CUSTOM_CHALLENGE" && last.ChallengeResult
		ev.Response.FailAuthentication = !ev.Response.IssueTokens
		return ev, nil
	})
	var c events.CognitoEventUserPoolsCreateAuthChallenge
	c.TriggerSource, c.Region, c.UserPoolID = "CreateAuthChallenge_Authentication", "eu-west-1", "eu-west-1_AbC"
	c.Request.ChallengeName = "CUSTOM_CHALLENGE"
	_, _ = create(context.Background(), c)
	var d events.CognitoEventUserPoolsDefineAuthChallenge
	d.TriggerSource, d.Region, d.UserPoolID = "DefineAuthChallenge_Authentication", "eu-west-1", "eu-west-1_AbC"
	d.Request.Session = []*events.CognitoEventUserPoolsChallengeResult{{ChallengeName: "CUSTOM_CHALLENGE", ChallengeResult: false, ChallengeMetadata: "ARITHMETIC"}}
	out, _ := define(context.Background(), d)
	fmt.Println("failAuthentication:", out.Response.FailAuthentication)
	for line := range strings.Lines(metrics.String()) {
		var doc map[string]any
		if json.Unmarshal([]byte(line), &doc) == nil && doc["_aws"] != nil {
			fmt.Println("EMF:", "ChallengesIssued", doc["ChallengesIssued"], "ChallengesFailed", doc["ChallengesFailed"], "ChallengeName", doc["ChallengeName"])
		}
	}
	// Output:
	// failAuthentication: true
	// EMF: ChallengesIssued 1 ChallengesFailed <nil> ChallengeName ARITHMETIC
	// EMF: ChallengesIssued <nil> ChallengesFailed 1 ChallengeName ARITHMETIC
}
