package triggers

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
