package triggers

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/triggers/disposable"
)

func TestParseEmail(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantLocal  string
		wantDomain string
		wantErr    bool
	}{
		{name: "plain", in: "alice@example.com", wantLocal: "alice", wantDomain: "example.com"},
		{name: "upper-case domain folds", in: "Alice@Example.COM", wantLocal: "Alice", wantDomain: "example.com"},
		{name: "plus and dots", in: "jane.doe+tag@mail.example.co.uk", wantLocal: "jane.doe+tag", wantDomain: "mail.example.co.uk"},
		{name: "atext specials", in: "a!#$%&'*+-/=?^_`{|}~z@example.com", wantLocal: "a!#$%&'*+-/=?^_`{|}~z", wantDomain: "example.com"},
		{name: "internationalised domain", in: "hans@Bücher.example", wantLocal: "hans", wantDomain: "xn--bcher-kva.example"},
		{name: "full-width domain", in: "x@ｍａｉｌｉｎａｔｏｒ.com", wantLocal: "x", wantDomain: "mailinator.com"},
		{name: "unicode local part", in: "ünïcödé@example.de", wantLocal: "ünïcödé", wantDomain: "example.de"},
		{name: "ideographic full stop", in: "user@example\u3002com", wantLocal: "user", wantDomain: "example.com"},
		{name: "fullwidth full stop", in: "user@example\uff0ecom", wantLocal: "user", wantDomain: "example.com"},
		{name: "halfwidth ideographic full stop", in: "user@example\uff61com", wantLocal: "user", wantDomain: "example.com"},
		{name: "ideographic full stops, disposable domain", in: "user@a\u3002mailinator\u3002com", wantLocal: "user", wantDomain: "a.mailinator.com"},
		{name: "length counted on the normalised domain", in: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "\u3002" + strings.Repeat("c", 60) + "\u3002" + strings.Repeat("d", 60) + "\u3002" + "com",
			wantLocal: strings.Repeat("a", 64), wantDomain: strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + ".com"},
		{name: "public suffix as the domain", in: "someone@edu.pl", wantLocal: "someone", wantDomain: "edu.pl"},
		{name: "64-byte local part", in: strings.Repeat("a", 64) + "@example.com", wantLocal: strings.Repeat("a", 64), wantDomain: "example.com"},
		{name: "empty", in: "", wantErr: true},
		{name: "no at", in: "alice.example.com", wantErr: true},
		{name: "placeholder", in: "<email>", wantErr: true},
		{name: "empty local part", in: "@example.com", wantErr: true},
		{name: "empty domain", in: "alice@", wantErr: true},
		{name: "two ats", in: "a@b@example.com", wantErr: true},
		{name: "display name", in: "Alice <alice@example.com>", wantErr: true},
		{name: "quoted local part", in: `"a b"@example.com`, wantErr: true},
		{name: "space", in: "alice @example.com", wantErr: true},
		{name: "leading dot", in: ".alice@example.com", wantErr: true},
		{name: "trailing dot", in: "alice.@example.com", wantErr: true},
		{name: "double dot", in: "al..ice@example.com", wantErr: true},
		{name: "65-byte local part", in: strings.Repeat("a", 65) + "@example.com", wantErr: true},
		{name: "too long", in: "a@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 60) + "." + strings.Repeat("f", 60) + ".com", wantErr: true},
		{name: "single-label domain", in: "alice@localhost", wantErr: true},
		{name: "IP address", in: "alice@127.0.0.1", wantErr: true},
		{name: "address literal", in: "alice@[127.0.0.1]", wantErr: true},
		{name: "domain trailing dot", in: "alice@example.com.", wantErr: true},
		{name: "domain trailing ideographic full stop", in: "alice@example.com\u3002", wantErr: true},
		{name: "domain trailing fullwidth full stop", in: "alice@example.com\uff0e", wantErr: true},
		{name: "domain trailing halfwidth ideographic full stop", in: "alice@example.com\uff61", wantErr: true},
		{name: "domain trailing ideographic full stop, unicode", in: "hans@Bücher.example\u3002", wantErr: true},
		{name: "single label and a trailing ideographic full stop", in: "alice@localhost\u3002", wantErr: true},
		{name: "IP address with ideographic full stops", in: "alice@127\u30020\u30020\u30021", wantErr: true},
		{name: "empty label between dot forms", in: "alice@example\u3002\uff0ecom", wantErr: true},
		{name: "over 254 bytes once normalised", in: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 6) + "\u3002com", wantErr: true},
		{name: "underscore in domain", in: "alice@ex_ample.com", wantErr: true},
		{name: "hyphen-leading label", in: "alice@-example.com", wantErr: true},
		{name: "control character", in: "ali\x00ce@example.com", wantErr: true},
		{name: "invalid UTF-8", in: "ali\xffce@example.com", wantErr: true},
		{name: "symbol in local part", in: "a☃b@example.com", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseEmail(tc.in)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrInvalidEmail)
				return
			}
			require.NoError(t, err)
			require.Equal(t, Address{Local: tc.wantLocal, Domain: tc.wantDomain}, a)
		})
	}
}

// TestPreSignUpEmailDomain drives the pre sign-up handler: the verdict and
// the event's emailDomain come from the same normalised domain; a public
// suffix on the disposable list blocks nobody below it.
func TestPreSignUpEmailDomain(t *testing.T) {
	tests := []struct {
		email      string
		wantReason string // "" = accepted
		wantDomain string // the event's emailDomain
	}{
		{email: "someone@uw.edu.pl", wantDomain: "uw.edu.pl"},
		{email: "student@pw.edu.pl", wantDomain: "pw.edu.pl"},
		{email: "student@cs.pw.edu.pl", wantDomain: "cs.pw.edu.pl"},
		{email: "someone@edu.pl", wantDomain: "edu.pl"},
		{email: "someone@uw\u3002edu\u3002pl", wantDomain: "uw.edu.pl"},
		{email: "me@home.ddns.net", wantDomain: "home.ddns.net"},
		{email: "me@shop.web.id", wantDomain: "shop.web.id"},
		{email: "bob@mailinator.com", wantReason: "disposable_domain", wantDomain: "mailinator.com"},
		{email: "bob@x.y.mailinator.com", wantReason: "disposable_domain", wantDomain: "x.y.mailinator.com"},
		{email: "bob@dwse.edu.pl", wantReason: "disposable_domain", wantDomain: "dwse.edu.pl"},
		{email: "bob@rocco.zapto.org", wantReason: "disposable_domain", wantDomain: "rocco.zapto.org"},
		{email: "user@mailinator\u3002com", wantReason: "disposable_domain", wantDomain: "mailinator.com"},
		{email: "user@mailinator\uff0ecom", wantReason: "disposable_domain", wantDomain: "mailinator.com"},
		{email: "user@x\uff61MAILINATOR\u3002com", wantReason: "disposable_domain", wantDomain: "x.mailinator.com"},
		{email: "user@example\u3002com", wantDomain: "example.com"},
		{email: "user@example.com\u3002", wantReason: "invalid_email"},
		{email: "user@mailinator.com\u3002", wantReason: "invalid_email"},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			tt := newTestTrigger(t, "presignup", testConfig())
			_, err := tt.h.Invoke(t.Context(), mutate(t, "cognito-local/PreSignUp_SignUp.json", setEmail(tc.email)))
			evs := tt.rec.events(t)
			require.Len(t, evs, 1)
			require.Equal(t, tc.wantDomain, evs[0].Data.EmailDomain)
			require.Equal(t, tc.wantReason, evs[0].Data.Reason)
			if tc.wantReason == "" {
				require.NoError(t, err)
				require.Equal(t, event.SignUpAccepted, evs[0].Type)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.wantReason, err.(*Rejection).Code())
		})
	}
}

// TestPreSignUpPublicSuffixEntries: no list entry that is a public suffix
// rejects an address at it or below it. The names are the public suffixes on
// the list (docs/disposable.md; disposable's tests keep that list current).
func TestPreSignUpPublicSuffixEntries(t *testing.T) {
	entries := []string{"3utilities.com", "bounceme.net", "cloudns.asia", "cloudns.cc", "cloudns.cx", "cloudns.nz",
		"ddns.net", "ddnsfree.com", "dedyn.io", "dns-cloud.net", "dnsabr.com", "dynu.net", "edu.pl", "f5.si",
		"giize.com", "gotdns.ch", "hopto.org", "kozow.com", "my.id", "servegame.com", "sytes.net",
		"theworkpc.com", "web.id", "za.com", "zapto.org"}
	p := NewPreSignUp(testConfig(), nil, nil, nil)
	for _, e := range entries {
		require.True(t, disposable.Listed(e), "%s is no longer listed", e)
		for _, d := range []string{e, "cogwatch-example." + e, "mail.cogwatch-example." + e} {
			var ev events.CognitoEventUserPoolsPreSignup
			ev.TriggerSource = PreSignUpSignUp
			ev.Request.UserAttributes = map[string]string{"email": "someone@" + d}
			_, err := p.Handle(t.Context(), ev)
			require.NoError(t, err, d)
		}
		var ev events.CognitoEventUserPoolsPreSignup
		ev.TriggerSource = PreSignUpSignUp
		ev.Request.UserAttributes = map[string]string{"email": "someone@cogwatch-example\u3002" + strings.ReplaceAll(e, ".", "\uff0e")}
		_, err := p.Handle(t.Context(), ev)
		require.NoError(t, err, "IDNA dot forms, %s", e)
	}
}

func TestHashEmail(t *testing.T) {
	key := []byte("0123456789abcdef")
	// Independent vector: printf 'alice@example.com' | openssl dgst -sha256 -hmac 0123456789abcdef
	const want = "f3d6ddc7dbf9be2eb667360a5a9a43434c54e345f522bbb433afeba094d74aa2"
	got := HashEmail(key, "alice@example.com")
	require.Equal(t, want, got)
	require.Equal(t, got, HashEmail(key, "Alice@EXAMPLE.com"), "the address is lower-cased first")
	require.NotEqual(t, got, HashEmail([]byte("another key, 16+"), "alice@example.com"))
	require.NotEqual(t, got, HashEmail(key, "alice@example.org"))
}

func TestEmailLogValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "Jane.Doe+tag@Example.COM", want: "example.com"},
		{in: "hans@Bücher.example", want: "xn--bcher-kva.example"},
		{in: "x@mailinator\u3002com", want: "mailinator.com"},
		{in: "x@example.com\u3002", want: "invalid"},
		{in: "not-an-email", want: "invalid"},
		{in: "a@b@example.com", want: "invalid"},
		{in: "", want: "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "email", Email(tc.in))
			require.Contains(t, buf.String(), `"email":"`+tc.want+`"`)
			require.NotContains(t, buf.String(), "@")
			require.Equal(t, tc.want, Email(tc.in).String())
		})
	}
}

func TestRejection(t *testing.T) {
	tests := []struct {
		name     string
		reason   error
		wantText string
		wantCode string
	}{
		{name: "disposable", reason: ErrDisposableDomain, wantText: "Please use a permanent email address", wantCode: "disposable_domain"},
		{name: "invalid", reason: ErrInvalidEmail, wantText: "Please enter a valid email address", wantCode: "invalid_email"},
		{name: "other", reason: errors.New("x"), wantText: "Sign-up is not allowed", wantCode: "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error = &Rejection{Reason: tc.reason}
			require.EqualError(t, err, tc.wantText)
			require.ErrorIs(t, err, tc.reason)
			require.Equal(t, tc.wantCode, err.(*Rejection).Code())
		})
	}
	for reason, text := range rejectionTexts {
		require.False(t, strings.HasSuffix(text, "."), "%v: Cognito adds the period", reason)
		require.Less(t, len(text), 60, "%v: keep it short", reason)
		require.NotContains(t, text, "%", "no formatting: the text is a contract")
	}
}
