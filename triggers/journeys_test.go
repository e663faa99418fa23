package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// journeyFixtures returns the fixtures under testdata/aws-docs whose name
// starts with prefix: events shaped as AWS documents them.
func journeyFixtures(t *testing.T, prefix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", "aws-docs", prefix+"*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	var out []string
	for _, p := range m {
		out = append(out, filepath.Join("aws-docs", filepath.Base(p)))
	}
	return out
}

// dims returns the dimension sets of the directive holding metric name.
func (d emfDoc) dims(t *testing.T, name string) [][]string {
	t.Helper()
	for i, names := range d.Metrics {
		for _, n := range names {
			if n == name {
				return d.Dimensions[i]
			}
		}
	}
	t.Fatalf("metric %s not in any directive: %v", name, d.Metrics)
	return nil
}

func TestPreTokenGeneration(t *testing.T) {
	for _, fixture := range journeyFixtures(t, "TokenGeneration_") {
		for _, publish := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/events=%v", fixture, publish), func(t *testing.T) {
				cfg := testConfig()
				cfg.TokenEvents = publish
				tt := newTestTrigger(t, "pretokengeneration", cfg)
				payload := readFixture(t, fixture)
				header, _ := fixtureFields(t, payload)
				source := header["triggerSource"].(string)

				out, err := tt.h.Invoke(t.Context(), payload)
				require.NoError(t, err)
				require.Equal(t, string(payload), string(out), "the event goes back byte for byte: no claim changes")

				lines := tt.emf.Lines()
				require.Len(t, lines, 1, "one EMF line")
				doc := decodeEMF(t, lines[0])
				require.Equal(t, 1.0, doc.num(t, catalog.TokensIssued))
				require.Equal(t, catalog.TokenSets, doc.dims(t, catalog.TokensIssued))
				require.Equal(t, source, doc.raw[catalog.DimTriggerSource])
				require.Equal(t, "4example7clientid", doc.raw[catalog.DimClientID])
				federated := strings.Contains(fixture, "HostedAuth")
				require.Equal(t, federated, doc.has(catalog.FederatedSignIns))
				if federated {
					require.Equal(t, 1.0, doc.num(t, catalog.FederatedSignIns))
					require.Equal(t, "Google", doc.raw[catalog.DimProvider])
				}

				evs := tt.rec.events(t)
				if !publish {
					require.Empty(t, evs, "no Publish per token unless COGWATCH_TOKEN_EVENTS is set")
					require.False(t, doc.has(catalog.PublishLatency))
					return
				}
				require.Len(t, evs, 1)
				e := evs[0]
				require.Equal(t, event.TokenIssued, e.Type)
				require.Equal(t, event.SchemaVersion, e.Data.SchemaVersion)
				require.Equal(t, source, e.Data.TriggerSource)
				require.Equal(t, "4example7clientid", e.Data.ClientID)
				require.Equal(t, "example.org", e.Data.EmailDomain)
				if federated {
					require.Equal(t, "Google", e.Data.Provider)
				} else {
					require.Empty(t, e.Data.Provider)
				}
			})
		}
	}
}

// TestPreTokenGenerationTyped: the typed handlers, for code that composes
// the trigger with its own, count the same and return the event as given,
// in both event versions.
func TestPreTokenGenerationTyped(t *testing.T) {
	cfg := testConfig()
	tt := newTestTrigger(t, "pretokengeneration", cfg)
	p := tt.h.(*PreTokenGeneration)

	var v1 events.CognitoEventUserPoolsPreTokenGen
	require.NoError(t, json.Unmarshal(readFixture(t, "aws-docs/TokenGeneration_RefreshTokens-v1.json"), &v1))
	got1, err := p.Handle(t.Context(), v1)
	require.NoError(t, err)
	require.Equal(t, v1, got1)

	var v2 events.CognitoEventUserPoolsPreTokenGenV2_0
	require.NoError(t, json.Unmarshal(readFixture(t, "aws-docs/TokenGeneration_HostedAuth-v2.json"), &v2))
	got2, err := p.HandleV2(t.Context(), v2)
	require.NoError(t, err)
	require.Equal(t, v2, got2)

	lines := tt.emf.Lines()
	require.Len(t, lines, 2)
	require.Equal(t, TokenGenerationRefreshTokens, decodeEMF(t, lines[0]).raw[catalog.DimTriggerSource])
	second := decodeEMF(t, lines[1])
	require.Equal(t, TokenGenerationHostedAuth, second.raw[catalog.DimTriggerSource])
	require.Equal(t, "Google", second.raw[catalog.DimProvider])
}

func TestCustomMessage(t *testing.T) {
	wantMedium := map[string]string{
		CustomMessageSignUp: event.MediumEmail, CustomMessageAdminCreateUser: event.MediumEmail,
		CustomMessageUpdateUserAttribute: event.MediumEmail, CustomMessageResendCode: event.MediumSMS,
		CustomMessageForgotPassword: event.MediumSMS, CustomMessageVerifyUserAttribute: event.MediumSMS,
		CustomMessageAuthentication: event.MediumSMS,
	}
	seen := map[string]bool{}
	for _, fixture := range journeyFixtures(t, "CustomMessage_") {
		t.Run(fixture, func(t *testing.T) {
			cfg := testConfig()
			cfg.SMSCountries = []string{"1", "44"}
			tt := newTestTrigger(t, "custommessage", cfg)
			payload := readFixture(t, fixture)
			header, _ := fixtureFields(t, payload)
			source := header["triggerSource"].(string)
			seen[source] = true
			medium, ok := wantMedium[source]
			require.True(t, ok, source)

			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, string(payload), string(out), "Cognito's own message goes out unchanged")

			lines := tt.emf.Lines()
			require.Len(t, lines, 1)
			doc := decodeEMF(t, lines[0])
			require.Equal(t, 1.0, doc.num(t, catalog.CodesSent))
			require.Equal(t, catalog.CodeSets, doc.dims(t, catalog.CodesSent))
			require.Equal(t, source, doc.raw[catalog.DimTriggerSource])
			require.Equal(t, medium, doc.raw[catalog.DimMedium])
			require.Equal(t, medium == event.MediumSMS, doc.has(catalog.SMSSent))
			if medium == event.MediumSMS {
				require.Equal(t, catalog.SMSSets, doc.dims(t, catalog.SMSSent))
				require.Equal(t, "44", doc.raw[catalog.DimCountryCode])
				require.Equal(t, 0.0, doc.num(t, catalog.SMSSentUnexpected), "+44 is expected")
			}

			evs := tt.rec.events(t)
			require.Len(t, evs, 1)
			e := evs[0]
			require.Equal(t, event.CodeSent, e.Type)
			require.Equal(t, source, e.Data.TriggerSource)
			require.Equal(t, medium, e.Data.Medium)
			if medium == event.MediumSMS {
				require.Equal(t, "44", e.Data.CountryCode)
			} else {
				require.Empty(t, e.Data.CountryCode)
			}
			body := published(tt.rec)
			require.NotContains(t, body, "7700900123", "never the number")
		})
	}
	require.Len(t, seen, len(MessageSources), "a fixture for every custom message source")
}

func published(r *recorder) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, in := range r.inputs {
		b.WriteString(*in.Message)
	}
	return b.String()
}

// TestSMSUnexpectedCountry: an SMS to a code outside COGWATCH_SMS_COUNTRIES
// counts 1 in SMSSentUnexpected; a number that does not parse is "unknown",
// and unexpected when countries are set; unset, nothing is unexpected.
func TestSMSUnexpectedCountry(t *testing.T) {
	tests := []struct {
		name, phone, countries string
		wantCC                 string
		want                   float64
	}{
		{name: "expected", phone: "+14155550100", countries: "1,44", wantCC: "1", want: 0},
		{name: "Uzbekistan, unexpected", phone: "+998901234567", countries: "1,44", wantCC: "998", want: 1},
		{name: "no list", phone: "+998901234567", countries: "", wantCC: "998", want: 0},
		{name: "unparsable", phone: "12345", countries: "44", wantCC: CountryUnknown, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(env(map[string]string{"COGWATCH_SMS_COUNTRIES": tc.countries}))
			require.NoError(t, err)
			tt := newTestTrigger(t, "custommessage", cfg)
			payload := mutate(t, "aws-docs/CustomMessage_ForgotPassword.json", func(ev map[string]any) {
				ev["request"].(map[string]any)["userAttributes"].(map[string]any)["phone_number"] = tc.phone
			})
			out, err := tt.h.Invoke(t.Context(), payload)
			require.NoError(t, err)
			require.Equal(t, string(payload), string(out))
			doc := decodeEMF(t, tt.emf.Lines()[0])
			require.Equal(t, tc.wantCC, doc.raw[catalog.DimCountryCode])
			require.Equal(t, tc.want, doc.num(t, catalog.SMSSentUnexpected))
		})
	}
}

func TestMedium(t *testing.T) {
	tests := []struct {
		name, phone, code, sms, want string
	}{
		{name: "phone and code in the SMS", phone: "+447700900123", code: "{####}", sms: "Your code is {####}", want: event.MediumSMS},
		{name: "phone, SMS without the code", phone: "+447700900123", code: "{####}", sms: "Welcome", want: event.MediumEmail},
		{name: "phone, no SMS", phone: "+447700900123", code: "{####}", sms: "", want: event.MediumEmail},
		{name: "no phone", phone: "", code: "{####}", sms: "Your code is {####}", want: event.MediumEmail},
		{name: "no code parameter", phone: "+447700900123", code: "", sms: "Your code is {####}", want: event.MediumEmail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Medium(tc.phone, tc.code, tc.sms))
		})
	}
}

func TestProviders(t *testing.T) {
	var p providers
	require.Equal(t, "Google", p.fromUserName("Google_109876543210987654321"))
	require.Equal(t, "Google", p.fromUserName("google_109876543210987654321"), "social names are canonical whatever their case")
	require.Equal(t, "SignInWithApple", p.fromUserName("signinwithapple_000123.abc"))
	require.Equal(t, "MyOkta", p.fromUserName("MyOkta_jane"))
	require.Empty(t, p.fromUserName("jane"), "not federated")
	require.Equal(t, ProviderOther, p.fromUserName("Bad Name!_x"), "not fit for a dimension")
	require.Equal(t, ProviderOther, p.fromUserName(strings.Repeat("a", MaxProviderLength+1)+"_x"))

	require.Equal(t, "Facebook", p.fromIdentities(`[{"userId":"1","providerName":"Facebook","providerType":"Facebook","primary":true}]`))
	require.Equal(t, "Corp", p.fromIdentities(`[{"providerName":"Google","primary":"false"},{"providerName":"Corp","primary":"true"}]`), "the primary identity")
	require.Equal(t, "Google", p.fromIdentities(`[{"providerName":"Google"},{"providerName":"Corp"}]`), "else the first")
	for _, bad := range []string{"", "[]", "not json", `{"providerName":"Google"}`, `[{"providerName":12}]`} {
		require.Empty(t, p.fromIdentities(bad), bad)
	}

	var capped providers
	for i := range MaxProviders {
		require.Equal(t, fmt.Sprintf("oidc%d", i), capped.name(fmt.Sprintf("oidc%d", i)))
	}
	require.Equal(t, ProviderOther, capped.name("oneTooMany"), "past the cap")
	require.Equal(t, "oidc3", capped.name("oidc3"), "seen names stay")
	require.Equal(t, "Google", capped.name("GOOGLE"), "social names never count against the cap")
}

// TestFederation: a PreSignUp_ExternalProvider sign-up counts in
// FederatedSignUps by provider and carries it; a federated user's
// confirmation carries it too.
func TestFederation(t *testing.T) {
	tt := newTestTrigger(t, "presignup", testConfig())
	payload := readFixture(t, "aws-docs/PreSignUp_ExternalProvider.json")
	out, err := tt.h.Invoke(t.Context(), payload)
	require.NoError(t, err)
	require.Equal(t, string(payload), string(out))
	doc := decodeEMF(t, tt.emf.Lines()[0])
	require.Equal(t, 1.0, doc.num(t, catalog.FederatedSignUps))
	require.Equal(t, catalog.ProviderSets, doc.dims(t, catalog.FederatedSignUps))
	require.Equal(t, "Google", doc.raw[catalog.DimProvider])
	evs := tt.rec.events(t)
	require.Len(t, evs, 1)
	require.Equal(t, event.SignUpAccepted, evs[0].Type)
	require.Equal(t, "Google", evs[0].Data.Provider)

	tt = newTestTrigger(t, "presignup", testConfig())
	_, err = tt.h.Invoke(t.Context(), readFixture(t, "cognito-local/PreSignUp_SignUp.json"))
	require.NoError(t, err)
	require.False(t, decodeEMF(t, tt.emf.Lines()[0]).has(catalog.FederatedSignUps), "a plain sign-up is not federated")
	require.Empty(t, tt.rec.events(t)[0].Data.Provider)

	tt = newTestTrigger(t, "postconfirmation", testConfig())
	_, err = tt.h.Invoke(t.Context(), readFixture(t, "aws-docs/PostConfirmation_ConfirmSignUp-federated.json"))
	require.NoError(t, err)
	evs = tt.rec.events(t)
	require.Len(t, evs, 1)
	require.Equal(t, event.UserConfirmed, evs[0].Type)
	require.Equal(t, "Google", evs[0].Data.Provider)
}

// TestJourneysUndecodable: an event with a field of the wrong kind is
// answered as sent and counted in EventDecodeFailures, with nothing
// published.
func TestJourneysUndecodable(t *testing.T) {
	for _, tc := range []struct{ function, fixture, field string }{
		{"pretokengeneration", "aws-docs/TokenGeneration_Authentication-v2.json", "identities"},
		{"custommessage", "aws-docs/CustomMessage_ForgotPassword.json", "phone_number"},
	} {
		t.Run(tc.function, func(t *testing.T) {
			cfg := testConfig()
			cfg.TokenEvents = true
			tt := newTestTrigger(t, tc.function, cfg)
			payload := mutate(t, tc.fixture, func(ev map[string]any) {
				ev["request"].(map[string]any)["userAttributes"].(map[string]any)[tc.field] = 447700900123.0
			})
			out, err := tt.h.Invoke(context.Background(), payload)
			require.NoError(t, err)
			require.Equal(t, string(payload), string(out))
			require.Equal(t, 1.0, decodeEMF(t, tt.emf.Lines()[0]).num(t, catalog.EventDecodeFailures))
			require.Empty(t, tt.rec.events(t))
			require.Contains(t, tt.logs.String(), "request.userAttributes."+tc.field)
			require.NotContains(t, tt.logs.String(), "7700900123")
		})
	}
}

// TestJourneysUnknownSource: a source the trigger does not handle is
// answered unchanged, counted nowhere, published never.
func TestJourneysUnknownSource(t *testing.T) {
	for _, function := range []string{"pretokengeneration", "custommessage"} {
		cfg := testConfig()
		cfg.TokenEvents = true
		tt := newTestTrigger(t, function, cfg)
		payload := mutate(t, "aws-docs/CustomMessage_SignUp.json", func(ev map[string]any) { ev["triggerSource"] = "TokenGeneration_ClientCredentials" })
		if function == "pretokengeneration" {
			payload = mutate(t, "aws-docs/TokenGeneration_Authentication-v2.json", func(ev map[string]any) { ev["triggerSource"] = "CustomMessage_SignUp" })
		}
		out, err := tt.h.Invoke(t.Context(), payload)
		require.NoError(t, err)
		require.Equal(t, string(payload), string(out))
		doc := decodeEMF(t, tt.emf.Lines()[0])
		require.False(t, doc.has(catalog.TokensIssued))
		require.False(t, doc.has(catalog.CodesSent))
		require.Empty(t, tt.rec.events(t))
	}
}
