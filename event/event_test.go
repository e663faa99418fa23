package event_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

func TestTypes(t *testing.T) {
	types := event.Types()
	require.Equal(t, []event.Type{
		"cogwatch.signup.accepted", "cogwatch.signup.rejected", "cogwatch.user.confirmed",
		"cogwatch.password.reset", "cogwatch.signin.attempted", "cogwatch.signin.succeeded",
		"cogwatch.token.issued", "cogwatch.code.sent",
		"cogwatch.user.migrated", "cogwatch.migration.failed",
		"cogwatch.challenge.issued", "cogwatch.challenge.passed", "cogwatch.challenge.failed",
	}, types)
	for _, ty := range types {
		require.True(t, ty.Valid(), ty)
	}
	for _, ty := range []event.Type{"", "cogwatch.signin", "Cogwatch.signin.succeeded", "cogwatch.signin.succeeded "} {
		require.False(t, ty.Valid(), ty)
	}
	types[0] = "changed"
	require.Equal(t, event.SignUpAccepted, event.Types()[0], "Types returns a copy")
}

func TestSource(t *testing.T) {
	require.Equal(t, "//cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", event.Source("eu-west-1", "eu-west-1_AbCdEf123"))
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *event.Event)
		want string // "" for valid
		is   error
	}{
		{name: "valid", edit: func(*event.Event) {}},
		{name: "no client id", edit: func(e *event.Event) { e.Data.ClientID = "" }},
		{name: "zero latency", edit: func(e *event.Event) { e.Data.LatencyMs = 0 }},
		{name: "missing specversion", edit: func(e *event.Event) { e.SpecVersion = "" },
			want: "event: specversion: missing required field", is: event.ErrMissing},
		{name: "other specversion", edit: func(e *event.Event) { e.SpecVersion = "0.3" },
			want: `event: specversion: invalid value: "0.3", want "1.0"`, is: event.ErrInvalid},
		{name: "missing id", edit: func(e *event.Event) { e.ID = "" },
			want: "event: id: missing required field", is: event.ErrMissing},
		{name: "missing source", edit: func(e *event.Event) { e.Source = "" },
			want: "event: source: missing required field", is: event.ErrMissing},
		{name: "missing type", edit: func(e *event.Event) { e.Type = "" },
			want: "event: type: missing required field", is: event.ErrMissing},
		{name: "unknown type", edit: func(e *event.Event) { e.Type = "cogwatch.signin.failed" },
			want: `event: type: invalid value: unknown event type "cogwatch.signin.failed"`, is: event.ErrInvalid},
		{name: "missing time", edit: func(e *event.Event) { e.Time = time.Time{} },
			want: "event: time: missing required field", is: event.ErrMissing},
		{name: "content type", edit: func(e *event.Event) { e.DataContentType = "text/plain" },
			want: `event: datacontenttype: invalid value: "text/plain", want "application/json"`, is: event.ErrInvalid},
		{name: "schema version", edit: func(e *event.Event) { e.Data.SchemaVersion = 4 },
			want: "event: data.schemaVersion: invalid value: 4, want 1 to 3", is: event.ErrInvalid},
		{name: "schema version 0", edit: func(e *event.Event) { e.Data.SchemaVersion = 0 },
			want: "event: data.schemaVersion: invalid value: 0, want 1 to 3", is: event.ErrInvalid},
		{name: "version 3 type in version 2", edit: func(e *event.Event) {
			e.Data.SchemaVersion, e.Type, e.Data.ChallengeName = 2, event.ChallengeIssued, "CAPTCHA"
		},
			want: `event: type: invalid value: "cogwatch.challenge.issued" is not in schema version 2`, is: event.ErrInvalid},
		{name: "version 3 type in version 1", edit: func(e *event.Event) {
			e.Data.SchemaVersion, e.Type = 1, event.UserMigrated
		},
			want: `event: type: invalid value: "cogwatch.user.migrated" is not in schema version 1`, is: event.ErrInvalid},
		{name: "version 3 member in version 2", edit: func(e *event.Event) { e.Data.SchemaVersion, e.Data.ChallengeName = 2, "CAPTCHA" },
			want: "event: data.schemaVersion: invalid value: 2 has no challengeName", is: event.ErrInvalid},
		{name: "version 2 event", edit: func(e *event.Event) {
			e.Data.SchemaVersion, e.Type, e.Data.Medium = 2, event.CodeSent, event.MediumEmail
		}},
		{name: "migration failure without reason", edit: func(e *event.Event) { e.Type = event.MigrationFailed },
			want: "event: data.reason: missing required field", is: event.ErrMissing},
		{name: "migration failure", edit: func(e *event.Event) { e.Type, e.Data.Reason = event.MigrationFailed, event.ReasonMigrationRejected }},
		{name: "challenge without name", edit: func(e *event.Event) { e.Type = event.ChallengePassed },
			want: "event: data.challengeName: missing required field", is: event.ErrMissing},
		{name: "challenge name on a sign-in", edit: func(e *event.Event) { e.Data.ChallengeName = "CAPTCHA" },
			want: "event: data.challengeName: invalid value: only cogwatch.challenge.* events carry a challenge name", is: event.ErrInvalid},
		{name: "challenge failed", edit: func(e *event.Event) { e.Type, e.Data.ChallengeName = event.ChallengeFailed, "CAPTCHA" }},
		{name: "version 2 type in version 1", edit: func(e *event.Event) { e.Data.SchemaVersion, e.Type = 1, event.TokenIssued },
			want: `event: type: invalid value: "cogwatch.token.issued" is not in schema version 1`, is: event.ErrInvalid},
		{name: "version 2 member in version 1", edit: func(e *event.Event) { e.Data.SchemaVersion, e.Data.Provider = 1, "Google" },
			want: "event: data.schemaVersion: invalid value: 1 has no provider, medium or countryCode", is: event.ErrInvalid},
		{name: "code without medium", edit: func(e *event.Event) { e.Type = event.CodeSent },
			want: "event: data.medium: missing required field", is: event.ErrMissing},
		{name: "medium on a sign-in", edit: func(e *event.Event) { e.Data.Medium = event.MediumSMS },
			want: `event: data.medium: invalid value: only cogwatch.code.sent events carry a medium`, is: event.ErrInvalid},
		{name: "unknown medium", edit: func(e *event.Event) { e.Type, e.Data.Medium = event.CodeSent, "pigeon" },
			want: `event: data.medium: invalid value: "pigeon", want "email" or "sms"`, is: event.ErrInvalid},
		{name: "country code on an email", edit: func(e *event.Event) {
			e.Type, e.Data.Medium, e.Data.CountryCode = event.CodeSent, event.MediumEmail, "44"
		},
			want: `event: data.countryCode: invalid value: "44": 1 to 3 digits, on an SMS only`, is: event.ErrInvalid},
		{name: "country code not digits", edit: func(e *event.Event) {
			e.Type, e.Data.Medium, e.Data.CountryCode = event.CodeSent, event.MediumSMS, "+44"
		},
			want: `event: data.countryCode: invalid value: "+44": 1 to 3 digits, on an SMS only`, is: event.ErrInvalid},
		{name: "country code too long", edit: func(e *event.Event) {
			e.Type, e.Data.Medium, e.Data.CountryCode = event.CodeSent, event.MediumSMS, "4412"
		},
			want: `event: data.countryCode: invalid value: "4412": 1 to 3 digits, on an SMS only`, is: event.ErrInvalid},
		{name: "missing user pool", edit: func(e *event.Event) { e.Data.UserPoolID = "" },
			want: "event: data.userPoolId: missing required field", is: event.ErrMissing},
		{name: "missing trigger source", edit: func(e *event.Event) { e.Data.TriggerSource = "" },
			want: "event: data.triggerSource: missing required field", is: event.ErrMissing},
		{name: "missing region", edit: func(e *event.Event) { e.Data.Region = "" },
			want: "event: data.region: missing required field", is: event.ErrMissing},
		{name: "rejection without reason", edit: func(e *event.Event) { e.Type = event.SignUpRejected },
			want: "event: data.reason: missing required field", is: event.ErrMissing},
		{name: "reason on another type", edit: func(e *event.Event) { e.Data.Reason = event.ReasonInvalidEmail },
			want: "event: data.reason: invalid value: only cogwatch.signup.rejected and cogwatch.migration.failed events carry a reason", is: event.ErrInvalid},
		{name: "negative latency", edit: func(e *event.Event) { e.Data.LatencyMs = -1 },
			want: "event: data.latencyMs: invalid value: latency -1 is not a finite number >= 0", is: event.ErrInvalid},
		{name: "NaN latency", edit: func(e *event.Event) { e.Data.LatencyMs = math.NaN() },
			want: "event: data.latencyMs: invalid value: latency NaN is not a finite number >= 0", is: event.ErrInvalid},
		{name: "infinite latency", edit: func(e *event.Event) { e.Data.LatencyMs = math.Inf(1) },
			want: "event: data.latencyMs: invalid value: latency +Inf is not a finite number >= 0", is: event.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := valid(event.SignInSucceeded)
			tc.edit(&e)
			err := e.Validate()
			_, merr := event.Marshal(e)
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, merr)
				return
			}
			require.EqualError(t, err, tc.want)
			require.ErrorIs(t, err, tc.is)
			var fe *event.FieldError
			require.True(t, errors.As(err, &fe))
			require.EqualError(t, merr, tc.want, "Marshal validates")
		})
	}
}

func TestMarshal(t *testing.T) {
	e := valid(event.SignUpRejected)
	e.Subject = "7f3e1c2a-5b4d-4e6f-9a8b-0c1d2e3f4a5b"
	e.Data.Sub = e.Subject
	e.Data.EmailDomain = "mailinator.com"
	b, err := event.Marshal(e)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"specversion": "1.0",
		"id": "3b0f4c1e-9a51-4d7e-8f2a-6c1d0e9b7a21",
		"source": "//cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
		"type": "cogwatch.signup.rejected",
		"time": "2026-03-01T10:15:30.123Z",
		"subject": "7f3e1c2a-5b4d-4e6f-9a8b-0c1d2e3f4a5b",
		"datacontenttype": "application/json",
		"data": {
			"schemaVersion": 3,
			"userPoolId": "eu-west-1_AbCdEf123",
			"clientId": "4example7clientid",
			"triggerSource": "PreSignUp_SignUp",
			"region": "eu-west-1",
			"sub": "7f3e1c2a-5b4d-4e6f-9a8b-0c1d2e3f4a5b",
			"emailDomain": "mailinator.com",
			"reason": "disposable_domain",
			"latencyMs": 2.4
		}
	}`, string(b))
	back, err := event.Decode(b)
	require.NoError(t, err)
	require.Equal(t, e, back)
}

func TestDecodeFixtures(t *testing.T) {
	for _, name := range []string{
		"signup-accepted.json", "signup-rejected.json", "user-confirmed-null-client.json", "signin-succeeded-with-email.json",
	} {
		t.Run(name, func(t *testing.T) {
			b := readFile(t, name)
			e, err := event.Decode(b)
			require.NoError(t, err)
			require.NoError(t, schemaValidate(t, b))
			again, err := event.Marshal(e)
			require.NoError(t, err)
			require.JSONEq(t, string(b), string(again), "decode then marshal loses or changes a member")
		})
	}
}

func TestDecode(t *testing.T) {
	// Each case edits a valid event's JSON (nil edit: the raw input is used).
	tests := []struct {
		name string
		raw  string
		edit func(m map[string]any)
		want string
		is   error
	}{
		{name: "not JSON", raw: `{"specversion": "1.0", "id": `,
			want: "event: decode: unexpected end of JSON input"},
		{name: "syntax error", raw: `{"specversion" "1.0"}`,
			want: "event: decode: invalid character '\"' after object key"},
		{name: "trailing data", raw: `{} {}`,
			want: "event: decode: invalid character '{' after top-level value"},
		{name: "not an object", raw: `["cogwatch"]`,
			want: "event: decode: the event is not a JSON object"},
		{name: "empty", raw: ``,
			want: "event: decode: unexpected end of JSON input"},
		{name: "only specversion", raw: `{"specversion":"1.0"}`,
			want: "event: id: missing required field", is: event.ErrMissing},
		{name: "unknown field", edit: func(m map[string]any) { m["colour"] = "red" },
			want: `event: decode: json: unknown field "colour"`},
		{name: "unknown data field", edit: func(m map[string]any) { m["data"].(map[string]any)["colour"] = "red" },
			want: `event: decode: json: unknown field "colour"`},
		{name: "field name in another case", edit: func(m map[string]any) { m["ID"] = m["id"]; delete(m, "id") },
			want: `event: decode: json: unknown field "ID"`},
		{name: "null field", edit: func(m map[string]any) { m["subject"] = nil },
			want: `event: decode: field "subject" is null`},
		{name: "null data field", edit: func(m map[string]any) { m["data"].(map[string]any)["clientId"] = nil },
			want: `event: decode: field "data.clientId" is null`},
		{name: "data not an object", edit: func(m map[string]any) { m["data"] = "x" },
			want: `event: decode: field "data" is not a JSON object`},
		{name: "missing data", edit: func(m map[string]any) { delete(m, "data") },
			want: "event: data: missing required field", is: event.ErrMissing},
		{name: "missing latency", edit: func(m map[string]any) { delete(m["data"].(map[string]any), "latencyMs") },
			want: "event: data.latencyMs: missing required field", is: event.ErrMissing},
		{name: "wrong type", edit: func(m map[string]any) { m["id"] = 7 },
			want: "event: decode: json: cannot unmarshal number into Go struct field Event.id of type string"},
		{name: "bad time", edit: func(m map[string]any) { m["time"] = "yesterday" },
			want: `event: time: invalid value: "yesterday" is not an RFC 3339 date-time`, is: event.ErrInvalid},
		{name: "impossible date", edit: func(m map[string]any) { m["time"] = "2026-02-30T10:15:30Z" },
			want: `event: decode: parsing time "2026-02-30T10:15:30Z": day out of range`},
		{name: "time with a comma", edit: func(m map[string]any) { m["time"] = "2026-03-01T10:15:30,5Z" },
			want: `event: time: invalid value: "2026-03-01T10:15:30,5Z" is not an RFC 3339 date-time`, is: event.ErrInvalid},
		{name: "invalid value", edit: func(m map[string]any) { m["type"] = "cogwatch.signin.maybe" },
			want: `event: type: invalid value: unknown event type "cogwatch.signin.maybe"`, is: event.ErrInvalid},
		{name: "empty string of a required field", edit: func(m map[string]any) { m["data"].(map[string]any)["region"] = "" },
			want: "event: data.region: missing required field", is: event.ErrMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.raw)
			if tc.edit != nil {
				m := validJSON(t)
				tc.edit(m)
				var err error
				b, err = json.Marshal(m)
				require.NoError(t, err)
			}
			_, err := event.Decode(b)
			require.EqualError(t, err, tc.want)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func TestDuplicateField(t *testing.T) {
	b, err := event.Marshal(valid(event.SignInSucceeded))
	require.NoError(t, err)
	dup := append([]byte(`{"id":"other",`), b[1:]...)
	_, err = event.Decode(dup)
	require.EqualError(t, err, `event: decode: duplicate field "id"`)
}

func TestAttributes(t *testing.T) {
	e := valid(event.SignUpAccepted)
	require.Equal(t, map[string]string{
		"type": "cogwatch.signup.accepted", "userPoolId": "eu-west-1_AbCdEf123", "clientId": "4example7clientid",
	}, e.Attributes())
	e.Data.ClientID = ""
	require.Equal(t, map[string]string{"type": "cogwatch.signup.accepted", "userPoolId": "eu-west-1_AbCdEf123"}, e.Attributes())
}
