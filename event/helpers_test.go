package event_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
)

// valid returns a valid event of type t: a rejection carries a reason.
func valid(t event.Type) event.Event {
	e := event.Event{
		SpecVersion:     event.SpecVersion,
		ID:              "3b0f4c1e-9a51-4d7e-8f2a-6c1d0e9b7a21",
		Source:          event.Source("eu-west-1", "eu-west-1_AbCdEf123"),
		Type:            t,
		Time:            time.Date(2026, 3, 1, 10, 15, 30, 123e6, time.UTC),
		DataContentType: event.ContentType,
		Data: event.Data{
			SchemaVersion: event.SchemaVersion,
			UserPoolID:    "eu-west-1_AbCdEf123",
			ClientID:      "4example7clientid",
			TriggerSource: "PreSignUp_SignUp",
			Region:        "eu-west-1",
			LatencyMs:     2.4,
		},
	}
	switch t {
	case event.SignUpRejected:
		e.Data.Reason = event.ReasonDisposableDomain
	case event.MigrationFailed:
		e.Data.Reason = event.ReasonMigrationRejected
	case event.ChallengeIssued, event.ChallengePassed, event.ChallengeFailed:
		e.Data.ChallengeName = "CAPTCHA"
	case event.CodeSent:
		e.Data.Medium, e.Data.CountryCode = event.MediumSMS, "44"
	}
	return e
}

// validJSON returns valid(SignInSucceeded) as a JSON object to edit.
func validJSON(t testing.TB) map[string]any {
	t.Helper()
	b, err := event.Marshal(valid(event.SignInSucceeded))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// compiled compiles event.Schema, asserting formats (date-time).
func compiled(t testing.TB) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(event.Schema))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if schemaErr = c.AddResource("user-event.v1.json", doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile("user-event.v1.json")
	})
	require.NoError(t, schemaErr)
	return schema
}

// schemaValidate validates b under event.Schema.
func schemaValidate(t testing.TB, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return compiled(t).Validate(inst)
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}
