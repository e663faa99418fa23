package event_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

type goField struct {
	name     string
	required bool   // not omitempty
	jsonType string // JSON Schema type of the Go type
}

func goFields(t *testing.T, typ reflect.Type) []goField {
	t.Helper()
	var fs []goField
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		require.NotEmpty(t, name, "%s.%s has no json name", typ.Name(), f.Name)
		var jt string
		switch {
		case f.Type == reflect.TypeFor[time.Time]():
			jt = "string"
		case f.Type.Kind() == reflect.String:
			jt = "string"
		case f.Type.Kind() == reflect.Int:
			jt = "integer"
		case f.Type.Kind() == reflect.Float64:
			jt = "number"
		case f.Type.Kind() == reflect.Struct:
			jt = "object"
		default:
			t.Fatalf("%s.%s: no JSON type for %s", typ.Name(), f.Name, f.Type)
		}
		fs = append(fs, goField{name: name, required: !strings.Contains(opts, "omitempty"), jsonType: jt})
	}
	return fs
}

// TestSchemaMatchesGoTypes: every Go field is in the schema with the same
// JSON type and required-ness, the schema has no member Go lacks, and its
// constants are the Go constants.
func TestSchemaMatchesGoTypes(t *testing.T) {
	var s map[string]any
	require.NoError(t, json.Unmarshal(event.Schema, &s))
	require.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
	data := s["$defs"].(map[string]any)["data"].(map[string]any)

	for _, level := range []struct {
		typ    reflect.Type
		object map[string]any
	}{
		{reflect.TypeFor[event.Event](), s},
		{reflect.TypeFor[event.Data](), data},
	} {
		props := level.object["properties"].(map[string]any)
		var required []string
		for _, r := range level.object["required"].([]any) {
			required = append(required, r.(string))
		}
		require.Equal(t, false, level.object["additionalProperties"], "%s: the schema must refuse unknown members, as Decode does", level.typ.Name())
		var names []string
		for _, f := range goFields(t, level.typ) {
			names = append(names, f.name)
			p, ok := props[f.name].(map[string]any)
			require.True(t, ok, "%s.%s is not in the schema", level.typ.Name(), f.name)
			if ref, ok := p["$ref"].(string); ok {
				require.Equal(t, "#/$defs/"+f.name, ref)
				p = s["$defs"].(map[string]any)[f.name].(map[string]any)
			}
			require.Equal(t, f.jsonType, p["type"], "%s.%s: JSON type", level.typ.Name(), f.name)
			require.Equal(t, f.required, slices.Contains(required, f.name), "%s.%s: required-ness", level.typ.Name(), f.name)
		}
		for name := range props {
			require.Contains(t, names, name, "the schema has %q, the Go type %s does not", name, level.typ.Name())
		}
	}

	var enum []event.Type
	for _, v := range s["properties"].(map[string]any)["type"].(map[string]any)["enum"].([]any) {
		enum = append(enum, event.Type(v.(string)))
	}
	require.Equal(t, event.Types(), enum)
	require.Equal(t, event.SpecVersion, s["properties"].(map[string]any)["specversion"].(map[string]any)["const"])
	require.Equal(t, event.ContentType, s["properties"].(map[string]any)["datacontenttype"].(map[string]any)["const"])
	version := data["properties"].(map[string]any)["schemaVersion"].(map[string]any)
	require.Equal(t, float64(event.MinSchemaVersion), version["minimum"])
	require.Equal(t, float64(event.SchemaVersion), version["maximum"])
}

// TestSchemaAcceptsMarshalled: every event Go builds and marshals is valid
// under the schema, with and without its optional members.
func TestSchemaAcceptsMarshalled(t *testing.T) {
	for _, ty := range event.Types() {
		for _, full := range []bool{false, true} {
			e := valid(ty)
			if full {
				e.Subject = "7f3e1c2a-5b4d-4e6f-9a8b-0c1d2e3f4a5b"
				e.Data.Sub = e.Subject
				e.Data.EmailDomain = "example.org"
				e.Data.EmailHash = strings.Repeat("ab", 32)
				e.Data.Email = "jane.doe@example.org"
				e.Time = time.Date(2026, 3, 1, 10, 15, 30, 1, time.FixedZone("", -5*3600))
			} else {
				e.Data.ClientID = ""
				e.Data.LatencyMs = 0
			}
			b, err := event.Marshal(e)
			require.NoError(t, err)
			require.NoError(t, schemaValidate(t, b), "%s", b)
		}
	}
}

// TestSchemaAndDecodeAgree edits every member of a complete valid event in
// the ways that matter (remove it, make it null, give it another JSON type)
// and checks that Decode and the schema agree: both accept or both refuse.
func TestSchemaAndDecodeAgree(t *testing.T) {
	base := func(t *testing.T) map[string]any {
		e := valid(event.SignInSucceeded)
		e.Subject, e.Data.Sub = "s", "s"
		e.Data.EmailDomain, e.Data.EmailHash, e.Data.Email = "example.org", strings.Repeat("ab", 32), "jane@example.org"
		b, err := event.Marshal(e)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	other := map[string]any{"string": 12.5, "integer": "1", "number": "1", "object": "x"}
	for _, level := range []struct {
		typ  reflect.Type
		path func(m map[string]any) map[string]any
	}{
		{reflect.TypeFor[event.Event](), func(m map[string]any) map[string]any { return m }},
		{reflect.TypeFor[event.Data](), func(m map[string]any) map[string]any { return m["data"].(map[string]any) }},
	} {
		for _, f := range goFields(t, level.typ) {
			if f.name == "reason" {
				continue // depends on the type: TestSchemaAndDecodeRefuse
			}
			edits := []struct {
				what   string
				edit   func(o map[string]any)
				accept bool
			}{
				{"removed", func(o map[string]any) { delete(o, f.name) }, !f.required},
				{"null", func(o map[string]any) { o[f.name] = nil }, false},
				{"another type", func(o map[string]any) { o[f.name] = other[f.jsonType] }, false},
			}
			for _, ed := range edits {
				t.Run(level.typ.Name()+"."+f.name+" "+ed.what, func(t *testing.T) {
					m := base(t)
					ed.edit(level.path(m))
					b, err := json.Marshal(m)
					require.NoError(t, err)
					_, derr := event.Decode(b)
					serr := schemaValidate(t, b)
					if ed.accept {
						require.NoError(t, derr)
						require.NoError(t, serr)
					} else {
						require.Error(t, derr, "Decode accepts %s", b)
						require.Error(t, serr, "the schema accepts %s", b)
					}
				})
			}
		}
	}
}

// TestSchemaAndDecodeRefuse: invalid values both refuse.
func TestSchemaAndDecodeRefuse(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"unknown member", func(m map[string]any) { m["colour"] = "red" }},
		{"unknown data member", func(m map[string]any) { m["data"].(map[string]any)["colour"] = "red" }},
		{"member name in another case", func(m map[string]any) { m["Subject"] = "s" }},
		{"other specversion", func(m map[string]any) { m["specversion"] = "0.3" }},
		{"empty id", func(m map[string]any) { m["id"] = "" }},
		{"empty source", func(m map[string]any) { m["source"] = "" }},
		{"unknown type", func(m map[string]any) { m["type"] = "cogwatch.signin.failed" }},
		{"time not RFC 3339", func(m map[string]any) { m["time"] = "2026-03-01 10:15:30" }},
		{"time with a comma", func(m map[string]any) { m["time"] = "2026-03-01T10:15:30,5Z" }},
		{"time in lower case", func(m map[string]any) { m["time"] = "2026-03-01t10:15:30z" }},
		{"hour 24", func(m map[string]any) { m["time"] = "2026-03-01T24:00:00Z" }},
		{"impossible date", func(m map[string]any) { m["time"] = "2026-02-30T10:15:30Z" }},
		{"other content type", func(m map[string]any) { m["datacontenttype"] = "text/plain" }},
		{"schema version 4", func(m map[string]any) { m["data"].(map[string]any)["schemaVersion"] = 4 }},
		{"version 3 type in version 2", func(m map[string]any) {
			m["type"] = string(event.ChallengeIssued)
			m["data"].(map[string]any)["schemaVersion"] = 2
			m["data"].(map[string]any)["challengeName"] = "CAPTCHA"
		}},
		{"version 3 member in version 2", func(m map[string]any) {
			m["data"].(map[string]any)["schemaVersion"] = 2
			m["data"].(map[string]any)["challengeName"] = "CAPTCHA"
		}},
		{"migration failure without reason", func(m map[string]any) { m["type"] = string(event.MigrationFailed) }},
		{"challenge without name", func(m map[string]any) { m["type"] = string(event.ChallengeFailed) }},
		{"challenge name on a sign-in", func(m map[string]any) { m["data"].(map[string]any)["challengeName"] = "CAPTCHA" }},
		{"empty challenge name", func(m map[string]any) {
			m["type"] = string(event.ChallengePassed)
			m["data"].(map[string]any)["challengeName"] = ""
		}},
		{"schema version 0", func(m map[string]any) { m["data"].(map[string]any)["schemaVersion"] = 0 }},
		{"version 2 type in version 1", func(m map[string]any) {
			m["type"] = string(event.TokenIssued)
			m["data"].(map[string]any)["schemaVersion"] = 1
		}},
		{"version 2 member in version 1", func(m map[string]any) {
			m["data"].(map[string]any)["schemaVersion"] = 1
			m["data"].(map[string]any)["provider"] = "Google"
		}},
		{"code without medium", func(m map[string]any) { m["type"] = string(event.CodeSent) }},
		{"medium on a sign-in", func(m map[string]any) { m["data"].(map[string]any)["medium"] = "sms" }},
		{"unknown medium", func(m map[string]any) {
			m["type"] = string(event.CodeSent)
			m["data"].(map[string]any)["medium"] = "pigeon"
		}},
		{"country code on an email", func(m map[string]any) {
			m["type"] = string(event.CodeSent)
			m["data"].(map[string]any)["medium"] = "email"
			m["data"].(map[string]any)["countryCode"] = "44"
		}},
		{"country code with a plus", func(m map[string]any) {
			m["type"] = string(event.CodeSent)
			m["data"].(map[string]any)["medium"] = "sms"
			m["data"].(map[string]any)["countryCode"] = "+44"
		}},
		{"empty user pool", func(m map[string]any) { m["data"].(map[string]any)["userPoolId"] = "" }},
		{"empty trigger source", func(m map[string]any) { m["data"].(map[string]any)["triggerSource"] = "" }},
		{"empty region", func(m map[string]any) { m["data"].(map[string]any)["region"] = "" }},
		{"negative latency", func(m map[string]any) { m["data"].(map[string]any)["latencyMs"] = -0.5 }},
		{"reason on a sign-in", func(m map[string]any) { m["data"].(map[string]any)["reason"] = "invalid_email" }},
		{"rejection without reason", func(m map[string]any) { m["type"] = string(event.SignUpRejected) }},
		{"rejection with empty reason", func(m map[string]any) {
			m["type"] = string(event.SignUpRejected)
			m["data"].(map[string]any)["reason"] = ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := validJSON(t)
			tc.edit(m)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			_, derr := event.Decode(b)
			require.Error(t, derr, "Decode accepts %s", b)
			require.Error(t, schemaValidate(t, b), "the schema accepts %s", b)
		})
	}
}

// TestSchemaAcceptsFixtures: every event fixture, of schema version 1, 2 or 3,
// decodes and validates under the schema.
func TestSchemaAcceptsFixtures(t *testing.T) {
	for _, name := range []string{"signup-accepted.json", "signup-rejected.json", "user-confirmed-null-client.json",
		"signin-succeeded-with-email.json", "code-sent-sms.json", "token-issued-federated.json",
		"user-migrated.json", "migration-failed.json", "challenge-failed.json"} {
		t.Run(name, func(t *testing.T) {
			b := readFile(t, name)
			_, err := event.Decode(b)
			require.NoError(t, err)
			require.NoError(t, schemaValidate(t, b))
		})
	}
}
