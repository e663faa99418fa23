package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/triggers/disposable"
	"github.com/cogwatch/cogwatch/triggers/phone"
)

// idnaDots replaces the dot forms that IDNA maps to '.' with '.'.
var idnaDots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// FuzzEmailValidation: ParseEmail never panics; what it accepts has a
// normalised domain with a dot and a dot-atom local part, and Email's log
// value is that domain (or "invalid"), never the address. Writing the IDNA
// dot forms of the domain as '.' changes neither the verdict nor the domain.
func FuzzEmailValidation(f *testing.F) {
	for _, s := range []string{"alice@example.com", "Jane.Doe+tag@Example.COM", "hans@Bücher.example", "x@ｍａｉｌｉｎａｔｏｒ.com",
		"a@b@example.com", "@example.com", "a@", "<email>", "a..b@example.com", "a@127.0.0.1", "ünïcödé@example.de", "a@xn--bcher-kva.example",
		"user@mailinator\u3002com", "user@example.com\u3002", "someone@uw.edu.pl", "x@a\uff61b\uff0ec\u3002com", "a@b\u3002\u3002c", "a@127\u30020\u30020\u30021"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		logged := Email(s).LogValue().String()
		require.NotContains(t, logged, "@")
		a, err := ParseEmail(s)
		if at := strings.LastIndexByte(s, '@'); at >= 0 && len(s) <= maxInput {
			a2, err2 := ParseEmail(s[:at+1] + idnaDots.Replace(s[at+1:]))
			require.Equal(t, err == nil, err2 == nil, "%q: %v / %v", s, err, err2)
			require.Equal(t, a, a2)
		}
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidEmail)
			require.Equal(t, "invalid", logged)
			return
		}
		require.Equal(t, a.Domain, logged)
		require.Equal(t, s[:len(a.Local)], a.Local)
		require.NotEmpty(t, a.Local)
		require.LessOrEqual(t, len(a.Local), 64)
		require.NotContains(t, a.Local, "@")
		require.Contains(t, a.Domain, ".")
		n, err := disposable.Normalize(a.Domain)
		require.NoError(t, err)
		require.Equal(t, a.Domain, n, "the domain is normalised")
		require.Equal(t, strings.ToLower(a.Domain), a.Domain)
	})
}

// FuzzHandle feeds raw payloads to each trigger: it never panics; it answers
// with the payload itself, byte for byte, or a *Rejection, never another
// error (an undecodable event is answered unchanged); it writes exactly one
// EMF line, valid JSON; and whatever it publishes is a valid event.
func FuzzHandle(f *testing.F) {
	for _, fx := range fixtures(f) {
		b := readFixture(f, fx)
		for fn := range byte(5) {
			f.Add(fn, b)
		}
	}
	f.Add(byte(0), []byte(`{"triggerSource":"PreSignUp_SignUp","request":{"userAttributes":{"email":"a@mailinator.com"}},"callerContext":{"clientId":null}}`))
	f.Add(byte(1), []byte(`{"triggerSource":"PreAuthentication_Authentication","userPoolId":"p","region":"r","request":{"userAttributes":null}}`))
	f.Add(byte(2), []byte(`null`))
	f.Add(byte(2), []byte(`{"triggerSource":"PostConfirmation_ConfirmSignUp","userPoolId":"p","region":"r","extra":[1,2,{}]}`))
	f.Add(byte(0), []byte(`{"triggerSource":"PreSignUp_SignUp","userPoolId":"p","request":{"userAttributes":{"email":"a@example.com","email_verified":true},"clientMetadata":{"n":1}}}`))
	f.Add(byte(1), []byte(`{"triggerSource":"PostAuthentication_Authentication","userPoolId":7,"request":{"userAttributes":{"email":false}}}`))
	f.Add(byte(2), []byte(`[1e400]`))
	f.Add(byte(3), []byte(`{"triggerSource":"TokenGeneration_HostedAuth","userPoolId":"p","region":"r","request":{"userAttributes":{"identities":"[{\"providerName\":\"Google\"}]"}}}`))
	f.Add(byte(4), []byte(`{"triggerSource":"CustomMessage_ForgotPassword","userPoolId":"p","region":"r","request":{"userAttributes":{"phone_number":"+998901234567"},"codeParameter":"{####}"},"response":{"smsMessage":"{####}"}}`))
	f.Add(byte(4), []byte(`{"triggerSource":"CustomMessage_SignUp","request":{"codeParameter":null},"response":{"smsMessage":7}}`))
	cfg := testConfig()
	cfg.TokenEvents = true
	cfg.SMSCountries = []string{"44"}
	f.Fuzz(func(t *testing.T, fn byte, payload []byte) {
		rec := &recorder{}
		var emfOut, logs syncBuffer
		metrics, log := NewMetrics(&emfOut, cfg), testLogger(&logs)
		var h lambda.Handler
		switch fn % 5 {
		case 0:
			h = NewPreSignUp(cfg, rec.publish, metrics, log)
		case 1:
			h = NewAuthentication(cfg, rec.publish, metrics, log)
		case 2:
			h = NewPostConfirmation(cfg, rec.publish, metrics, log)
		case 3:
			h = NewPreTokenGeneration(cfg, rec.publish, metrics, log)
		default:
			h = NewCustomMessage(cfg, rec.publish, metrics, log, phone.CountryCode)
		}
		in := bytes.Clone(payload)
		out, err := h.Invoke(context.Background(), in)
		require.Equal(t, payload, in, "the payload must not be modified")
		var rej *Rejection
		if err == nil {
			require.Equal(t, payload, out)
		} else {
			require.True(t, errorAs(err, &rej), "only a rejection leaves a trigger, not %q", err)
			require.Contains(t, rejectionTexts, rej.Reason)
		}
		lines := emfOut.Lines()
		require.Len(t, lines, 1)
		for _, l := range lines {
			require.True(t, json.Valid([]byte(l)), l)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		require.LessOrEqual(t, len(rec.inputs), 2)
		for _, in := range rec.inputs {
			_, err := event.Decode([]byte(*in.Message))
			require.NoError(t, err)
		}
	})
}

func errorAs(err error, target **Rejection) bool {
	r, ok := err.(*Rejection)
	if ok {
		*target = r
	}
	return ok
}

// FuzzProviders: whatever the identities attribute or user name holds, the
// provider is empty, "other", a social name or a short plain name, and an
// instance never reports more than MaxProviders distinct plain names.
func FuzzProviders(f *testing.F) {
	f.Add(`[{"providerName":"Google","primary":"true"}]`, "Google_123")
	f.Add(`[{"providerName":"a b"}]`, "x_")
	f.Add(`[{"providerName":null},{"providerName":"Corp","primary":true}]`, "_")
	f.Add(`not json`, "SignInWithApple_000.1")
	var p providers
	f.Fuzz(func(t *testing.T, identities, userName string) {
		for _, got := range []string{p.fromIdentities(identities), p.fromUserName(userName)} {
			if got == "" || got == ProviderOther || slices.Contains(socialProviders, got) {
				continue
			}
			require.LessOrEqual(t, len(got), MaxProviderLength)
			require.NotContains(t, got, " ")
		}
		p.mu.Lock()
		n := len(p.seen)
		p.mu.Unlock()
		require.LessOrEqual(t, n, MaxProviders)
	})
}

// FuzzChallengeName: whatever challengeMetadata an adopter's create auth
// challenge handler sets, the ChallengeName dimension is CUSTOM_CHALLENGE,
// other, or a short plain name starting with a letter, and an instance
// reports at most MaxProviders distinct names.
func FuzzChallengeName(f *testing.F) {
	for _, s := range []string{"", "CAPTCHA_CHALLENGE", "otp-to-jane.doe@example.org", "447700900123", "Ünïcode", strings.Repeat("A", 33)} {
		f.Add(s)
	}
	var c challenges
	f.Fuzz(func(t *testing.T, metadata string) {
		got := c.name(metadata)
		switch {
		case metadata == "":
			require.Equal(t, CustomChallenge, got)
		case got != ProviderOther:
			require.Equal(t, metadata, got)
			require.LessOrEqual(t, len(got), MaxProviderLength)
			require.Regexp(t, `^[A-Za-z][A-Za-z0-9._-]*$`, got)
		}
		c.names.mu.Lock()
		n := len(c.names.seen)
		c.names.mu.Unlock()
		require.LessOrEqual(t, n, MaxProviders)
	})
}
