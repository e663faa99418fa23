package triggers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

// snsLoopback is an SNS endpoint on loopback that answers every Publish, so
// the benchmark includes the SDK's request building, signing and parsing.
func snsLoopback(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkHandle is the warm path of each trigger (decode, validate, build
// and publish the event, write the EMF line, answer), with SNS as: off; an
// in-process stand-in (the PublishFunc seam); the real SDK client against a
// loopback server.
func BenchmarkHandle(b *testing.B) {
	triggers := []struct{ name, function, fixture string }{
		{"presignup", "presignup", "cognito-local/PreSignUp_SignUp.json"},
		{"presignup-rejected", "presignup", "cognito-local/PreSignUp_SignUp-disposable.json"},
		{"authentication-pre", "authentication", "aws-lambda-go/cognito-event-userpools-preauthentication.json"},
		{"authentication-post", "authentication", "cognito-local/PostAuthentication_Authentication.json"},
		{"postconfirmation", "postconfirmation", "cognito-local/PostConfirmation_ConfirmSignUp.json"},
		{"pretokengeneration-refresh", "pretokengeneration", "aws-docs/TokenGeneration_RefreshTokens-v2.json"},
		{"pretokengeneration-hostedauth-federated", "pretokengeneration", "aws-docs/TokenGeneration_HostedAuth-v2.json"},
		{"custommessage-sms", "custommessage", "aws-docs/CustomMessage_ForgotPassword.json"},
		{"custommessage-email", "custommessage", "aws-docs/CustomMessage_SignUp.json"},
	}
	loopback := snsClient(snsLoopback(b)).Publish
	standIn := func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
		return &sns.PublishOutput{}, nil
	}
	publishers := []struct {
		name    string
		publish PublishFunc
	}{{"sns-off", nil}, {"sns-stand-in", standIn}, {"sns-sdk-loopback", loopback}}
	for _, tr := range triggers {
		payload := readFixture(b, tr.fixture)
		for _, p := range publishers {
			b.Run(tr.name+"/"+p.name, func(b *testing.B) {
				cfg := testConfig()
				cfg.TokenEvents = p.publish != nil // sns-off is pre token generation's default: metrics only
				cfg.SMSCountries = []string{"1", "44"}
				metrics, log := NewMetrics(io.Discard, cfg), logging.New(io.Discard, func(string) string { return "" })
				var h lambda.Handler
				switch tr.function {
				case "presignup":
					h = NewPreSignUp(cfg, p.publish, metrics, log)
				case "authentication":
					h = NewAuthentication(cfg, p.publish, metrics, log)
				case "pretokengeneration":
					h = NewPreTokenGeneration(cfg, p.publish, metrics, log)
				case "custommessage":
					h = NewCustomMessage(cfg, p.publish, metrics, log, phone.CountryCode)
				default:
					h = NewPostConfirmation(cfg, p.publish, metrics, log)
				}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					_, _ = h.Invoke(ctx, payload)
				}
			})
		}
	}
}
