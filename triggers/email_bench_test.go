package triggers

import (
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/internal/logging"
)

// BenchmarkPreSignUpEmail is the pre sign-up warm path (SNS off) for the
// address shapes the domain rules distinguish: accepted, disposable, a
// university under a listed public suffix, IDNA dot forms.
func BenchmarkPreSignUpEmail(b *testing.B) {
	cfg := testConfig()
	p := NewPreSignUp(cfg, nil, NewMetrics(io.Discard, cfg), logging.New(io.Discard, func(string) string { return "" }))
	for _, tc := range []struct{ name, email string }{
		{"accepted", "alice@example.com"},
		{"accepted-deep", "jane.doe@mail.corp.example.co.uk"},
		{"disposable", "bob@mailinator.com"},
		{"disposable-subdomain", "bob@x.y.mailinator.com"},
		{"public-suffix-entry", "someone@uw.edu.pl"},
		{"ideographic-dots", "bob@mailinator。com"},
	} {
		ev := events.CognitoEventUserPoolsPreSignup{
			CognitoEventUserPoolsHeader: events.CognitoEventUserPoolsHeader{TriggerSource: PreSignUpSignUp, UserPoolID: "eu-west-1_example", Region: "eu-west-1"},
			Request:                     events.CognitoEventUserPoolsPreSignupRequest{UserAttributes: map[string]string{"email": tc.email}},
		}
		b.Run(tc.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Handle(ctx, ev)
			}
		})
	}
}
