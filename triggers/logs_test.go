package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/triggers/phone"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// fixtures returns every recorded Cognito event under testdata.
func fixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{"aws-lambda-go", "cognito-local", "aws-docs"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, m)
		for _, p := range m {
			out = append(out, filepath.Join(dir, filepath.Base(p)))
		}
	}
	return out
}

// functionFor names the function that serves a trigger source.
func functionFor(source string) string {
	switch {
	case strings.HasPrefix(source, "PreSignUp_"):
		return "presignup"
	case strings.HasPrefix(source, "PostConfirmation_"):
		return "postconfirmation"
	case strings.HasPrefix(source, "TokenGeneration_"):
		return "pretokengeneration"
	case strings.HasPrefix(source, "CustomMessage_"):
		return "custommessage"
	default:
		return "authentication"
	}
}

// TestNoEmailInLogs replays every fixture, and the same events with awkward
// addresses (and, where the event has one, a phone number), through each trigger built from the environment with logs at
// DEBUG, with publishing succeeding and failing (an API error whose message
// echoes the address, a transport error), and fails on any '@' or any
// address's local part in any log line.
func TestNoEmailInLogs(t *testing.T) {
	emails := []string{"", "Jane.Doe+tag@Example.COM", "bob@x.mailinator.com", "not-an-email", "a@b@example.com",
		"ünïcödé@bücher.example", "@example.com", "carol@", "dave@duck.com", "quoted\"local@example.com"}
	publishers := map[string]func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error){
		"ok": func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
			return &sns.PublishOutput{}, nil
		},
		"api error echoing the message": func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "InvalidParameter", Message: "bad message " + *in.Message, Fault: smithy.FaultClient}
		},
		"transport error": func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
			return nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
		},
	}
	getenv := env(map[string]string{"POWERTOOLS_LOG_LEVEL": "DEBUG", "USER_EVENTS_TOPIC_ARN": testTopic,
		"COGWATCH_INCLUDE_EMAIL": "true", "COGWATCH_HASH_KEY": string(testKey), "POWERTOOLS_SERVICE_NAME": "cogwatch",
		"COGWATCH_TOKEN_EVENTS": "true", "COGWATCH_SMS_COUNTRIES": "1,44"})
	cfg, err := LoadConfig(getenv)
	require.NoError(t, err)

	var lines atomic.Int64
	for _, fixture := range fixtures(t) {
		for _, email := range emails {
			payload := readFixture(t, fixture)
			if email != "" {
				payload = mutate(t, fixture, setEmail(email))
			}
			header, attrs := fixtureFields(t, payload)
			for pubName, publish := range publishers {
				t.Run(fixture+"/"+email+"/"+pubName, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) { // the retry's pause in fake time
						var out syncBuffer
						log := logging.New(&out, getenv)
						metrics := NewMetrics(&out, cfg)
						var b *base
						var h interface {
							Invoke(context.Context, []byte) ([]byte, error)
						}
						switch functionFor(header["triggerSource"].(string)) {
						case "presignup":
							p := NewPreSignUp(cfg, publish, metrics, log)
							h, b = p, &p.base
						case "postconfirmation":
							p := NewPostConfirmation(cfg, publish, metrics, log)
							h, b = p, &p.base
						case "pretokengeneration":
							p := NewPreTokenGeneration(cfg, publish, metrics, log)
							h, b = p, &p.base
						case "custommessage":
							c := NewCustomMessage(cfg, publish, metrics, log, phone.CountryCode)
							h, b = c, &c.base
						default:
							p := NewAuthentication(cfg, publish, metrics, log)
							h, b = p, &p.base
						}
						b.cold = func() bool { return true }
						_, _ = warmup.Wrap(h).Invoke(t.Context(), payload)

						all := out.Lines()
						require.NotEmpty(t, all)
						local := strings.ToLower(attrs["email"])
						if i := strings.LastIndexByte(local, '@'); i >= 0 {
							local = local[:i]
						}
						for _, line := range all {
							var doc map[string]any
							require.NoError(t, json.Unmarshal([]byte(line), &doc), "every line is JSON")
							if _, isEMF := doc["_aws"]; isEMF {
								continue // EMF lines carry no address either, but are checked below
							}
							lines.Add(1)
							require.NotContains(t, line, "@", "an '@' in a log line")
							if len(local) >= 3 {
								require.NotContains(t, strings.ToLower(line), local, "an address's local part in a log line")
							}
						}
						for _, line := range all {
							require.NotContains(t, line, "@", "an '@' in an EMF line")
						}
						if phone := attrs["phone_number"]; phone != "" {
							for _, line := range all {
								require.NotContains(t, line, strings.TrimPrefix(phone, "+")[2:], "a phone number in a log or EMF line")
							}
						}
					})
				})
			}
		}
	}
	require.Positive(t, lines.Load())
}

// TestNoPIIInWrappedJourneys extends TestNoEmailInLogs to the middleware's
// user migration and custom challenge journeys: every AWS-documented event
// of testdata/aws-docs-wrap, with awkward addresses, through handlers that
// succeed, fail with an error echoing what the user typed, or panic, with
// publishing succeeding and failing. No log, EMF or event line holds an '@',
// an address's local part, the phone number, the user name, the password
// or the challenge's answer; no published event holds the last three.
func TestNoPIIInWrappedJourneys(t *testing.T) {
	const userName, password, answer = "jdoe-legacy-7731", "Corr3ct-Horse-Battery!", "Blue-Whale-42"
	emails := []string{"Jane.Doe+tag@Example.COM", "not-an-email", "a@b@example.com", "ünïcödé@bücher.example", "carol@"}
	publishers := map[string]PublishFunc{
		"ok": func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
			return &sns.PublishOutput{}, nil
		},
		"api error echoing the message": func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "InvalidParameter", Message: "bad message " + *in.Message, Fault: smithy.FaultClient}
		},
	}
	getenv := env(map[string]string{"POWERTOOLS_LOG_LEVEL": "DEBUG", "USER_EVENTS_TOPIC_ARN": testTopic,
		"COGWATCH_INCLUDE_EMAIL": "true", "COGWATCH_HASH_KEY": string(testKey)})
	cfg, err := LoadConfig(getenv)
	require.NoError(t, err)
	echo := userText("no user " + userName + " with password " + password + " or answer " + answer)
	// outcomes are the handlers' answers: nil error, an error echoing the user's input, a panic.
	outcomes := []string{"ok", "error", "panic"}

	for _, email := range emails {
		for _, outcome := range outcomes {
			for pubName, publish := range publishers {
				t.Run(email+"/"+outcome+"/"+pubName, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						var out syncBuffer
						var published []string
						record := func(ctx context.Context, in *sns.PublishInput, o ...func(*sns.Options)) (*sns.PublishOutput, error) {
							published = append(published, *in.Message)
							return publish(ctx, in, o...)
						}
						log, metrics := logging.New(&out, getenv), NewMetrics(&out, cfg)
						m := &Middleware{migration: &migration{newBase(cfg, record, metrics, log)},
							challenges: &challenges{base: newBase(cfg, record, metrics, log)}}
						m.migration.SetEventLog(&out)
						m.challenges.SetEventLog(&out)
						m.migration.cold = func() bool { return true }
						m.challenges.cold = func() bool { return true }
						answerWith := func() error {
							switch outcome {
							case "error":
								return echo
							case "panic":
								panic(echo)
							}
							return nil
						}
						call := func(f func()) {
							defer func() { _ = recover() }()
							f()
						}
						attrs := map[string]string{"email": email, "sub": "7f3e1c2a-5b4d-4e6f-9a8b-0c1d2e3f4a5b", "phone_number": "+447700900123"}
						for _, name := range []string{"UserMigration_Authentication.json", "UserMigration_ForgotPassword.json"} {
							h := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsMigrateUser) (events.CognitoEventUserPoolsMigrateUser, error) {
								ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = attrs
								return ev, answerWith()
							})
							call(func() { _, _ = h(t.Context(), wrapFixture[events.CognitoEventUserPoolsMigrateUser](t, name)) })
						}
						for _, name := range []string{"DefineAuthChallenge_Authentication-start.json", "DefineAuthChallenge_Authentication-answered.json"} {
							h := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsDefineAuthChallenge) (events.CognitoEventUserPoolsDefineAuthChallenge, error) {
								return ev, answerWith()
							})
							ev := wrapFixture[events.CognitoEventUserPoolsDefineAuthChallenge](t, name)
							ev.Request.UserAttributes = attrs
							call(func() { _, _ = h(t.Context(), ev) })
						}
						create := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsCreateAuthChallenge) (events.CognitoEventUserPoolsCreateAuthChallenge, error) {
							ev.Response.PrivateChallengeParameters = map[string]string{"answer": answer}
							ev.Response.ChallengeMetadata = "CAPTCHA_CHALLENGE"
							return ev, answerWith()
						})
						cev := wrapFixture[events.CognitoEventUserPoolsCreateAuthChallenge](t, "CreateAuthChallenge_Authentication.json")
						cev.Request.UserAttributes = attrs
						call(func() { _, _ = create(t.Context(), cev) })
						verify := WrapWith(m, func(_ context.Context, ev events.CognitoEventUserPoolsVerifyAuthChallenge) (events.CognitoEventUserPoolsVerifyAuthChallenge, error) {
							ev.Response.AnswerCorrect = ev.Request.ChallengeAnswer == ev.Request.PrivateChallengeParameters["answer"]
							return ev, answerWith()
						})
						vev := wrapFixture[events.CognitoEventUserPoolsVerifyAuthChallenge](t, "VerifyAuthChallengeResponse_Authentication.json")
						vev.Request.UserAttributes = attrs
						call(func() { _, _ = verify(t.Context(), vev) })

						all := out.Lines()
						require.GreaterOrEqual(t, len(all), 6, "an EMF line per invocation at least")
						local := strings.ToLower(email)
						if i := strings.LastIndexByte(local, '@'); i >= 0 {
							local = local[:i]
						}
						for _, line := range all {
							require.NotContains(t, line, "@", "an '@' in a log, EMF or event line")
							if len(local) >= 3 {
								require.NotContains(t, strings.ToLower(line), local, "an address's local part in a line")
							}
							for _, secret := range []string{userName, password, answer, "7700900123"} {
								require.NotContains(t, line, secret)
							}
						}
						require.NotEmpty(t, published)
						for _, msg := range published {
							for _, secret := range []string{userName, password, answer, "7700900123"} {
								require.NotContains(t, msg, secret)
							}
						}
					})
				})
			}
		}
	}
}
