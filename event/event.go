package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// SpecVersion is the CloudEvents version of every event.
const SpecVersion = "1.0"

// SchemaVersion is the version of Data that Marshal writes. A change that a
// strict decoder would refuse (a new or renamed field) bumps it.
const SchemaVersion = 3

// MinSchemaVersion is the oldest version Decode still reads, so events
// published before an upgrade (in a queue, or from a trigger not yet
// updated) are not refused by an upgraded consumer. A version 1 event has
// none of the version 2 or 3 types or members; a version 2 event none of
// version 3's.
const MinSchemaVersion = 1

// ContentType is the datacontenttype of every event.
const ContentType = "application/json"

// Type is a CloudEvents event type.
type Type string

// The event types, one per Cognito outcome (docs/event.md). The first six
// are schema version 1's; TokenIssued and CodeSent came with version 2; the
// migration and custom challenge types with version 3.
const (
	SignUpAccepted  Type = "cogwatch.signup.accepted"
	SignUpRejected  Type = "cogwatch.signup.rejected"
	UserConfirmed   Type = "cogwatch.user.confirmed"
	PasswordReset   Type = "cogwatch.password.reset"
	SignInAttempted Type = "cogwatch.signin.attempted"
	SignInSucceeded Type = "cogwatch.signin.succeeded"
	TokenIssued     Type = "cogwatch.token.issued"
	CodeSent        Type = "cogwatch.code.sent"
	UserMigrated    Type = "cogwatch.user.migrated"
	MigrationFailed Type = "cogwatch.migration.failed"
	ChallengeIssued Type = "cogwatch.challenge.issued"
	ChallengePassed Type = "cogwatch.challenge.passed"
	ChallengeFailed Type = "cogwatch.challenge.failed"
)

var types = []Type{SignUpAccepted, SignUpRejected, UserConfirmed, PasswordReset, SignInAttempted, SignInSucceeded, TokenIssued, CodeSent,
	UserMigrated, MigrationFailed, ChallengeIssued, ChallengePassed, ChallengeFailed}

// v1Types and v2Types are how many of types schema versions 1 and 2 have.
const (
	v1Types = 6
	v2Types = 8
)

// hasReason reports whether events of type t carry a reason.
func (t Type) hasReason() bool { return t == SignUpRejected || t == MigrationFailed }

// hasChallenge reports whether events of type t carry a challenge name.
func (t Type) hasChallenge() bool {
	return t == ChallengeIssued || t == ChallengePassed || t == ChallengeFailed
}

// Types returns every event type, in a stable order.
func Types() []Type { return slices.Clone(types) }

// Valid reports whether t is one of the event types.
func (t Type) Valid() bool { return slices.Contains(types, t) }

// Reason codes of rejected sign-ups. They are stable: they appear as EMF
// dimensions, Prometheus labels and in event data.
const (
	ReasonDisposableDomain = "disposable_domain"
	ReasonInvalidEmail     = "invalid_email"
	// ReasonChainedTrigger: the pool's own pre sign-up logic, which cogwatch
	// chains or wraps, rejected the sign-up (its error reached Cognito).
	ReasonChainedTrigger = "chained_trigger"
)

// Reason codes of failed migrations (cogwatch.migration.failed). Cognito
// answers every failure alike (UserNotFoundException), so only the
// middleware around the adopter's handler can tell them apart.
const (
	// ReasonMigrationRejected: the handler returned an error, the only way
	// the AWS documentation gives it to say no (unknown user, wrong
	// password).
	ReasonMigrationRejected = "rejected"
	// ReasonMigrationNoAttributes: the handler returned no error but no
	// user attributes, which Cognito requires.
	ReasonMigrationNoAttributes = "no_attributes"
	// ReasonMigrationTimeout: the handler returned once the invocation's
	// deadline had passed, or with a context error.
	ReasonMigrationTimeout = "timeout"
	// ReasonMigrationPanic: the handler panicked (a crash).
	ReasonMigrationPanic = "panic"
)

// Delivery media of a cogwatch.code.sent event.
const (
	MediumEmail = "email"
	MediumSMS   = "sms"
)

// Event is one user event as published to SNS.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            Type      `json:"type"`
	Time            time.Time `json:"time"`
	Subject         string    `json:"subject,omitempty"` // the user's sub, when Cognito has assigned one
	DataContentType string    `json:"datacontenttype"`
	Data            Data      `json:"data"`
}

// Data is the cogwatch-specific payload of an Event.
type Data struct {
	SchemaVersion int     `json:"schemaVersion"`
	UserPoolID    string  `json:"userPoolId"`
	ClientID      string  `json:"clientId,omitempty"` // absent when Cognito sends null
	TriggerSource string  `json:"triggerSource"`
	Region        string  `json:"region"`
	Sub           string  `json:"sub,omitempty"`
	EmailDomain   string  `json:"emailDomain,omitempty"`
	EmailHash     string  `json:"emailHash,omitempty"` // hex HMAC-SHA256 of the lower-cased email
	Email         string  `json:"email,omitempty"`     // only when the operator opts in
	Reason        string  `json:"reason,omitempty"`    // rejections only
	LatencyMs     float64 `json:"latencyMs"`           // the trigger's own processing time

	// Schema version 2.
	Provider    string `json:"provider,omitempty"`    // external identity provider of a federated user
	Medium      string `json:"medium,omitempty"`      // cogwatch.code.sent only: MediumEmail or MediumSMS
	CountryCode string `json:"countryCode,omitempty"` // SMS only: the destination's country calling code, digits

	// Schema version 3.
	ChallengeName string `json:"challengeName,omitempty"` // cogwatch.challenge.* only: the custom challenge's name, capped
}

// Source returns the CloudEvents source of events from a user pool.
func Source(region, userPoolID string) string {
	return "//cognito-idp." + region + ".amazonaws.com/" + userPoolID
}

// Validation errors. Decode and Validate wrap them with the offending field.
var (
	ErrMissing = errors.New("missing required field")
	ErrInvalid = errors.New("invalid value")
)

// FieldError names the field that failed validation.
type FieldError struct {
	Field string
	Err   error
}

// Error returns "event: <field>: <problem>".
func (e *FieldError) Error() string { return "event: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns ErrMissing or an error wrapping ErrInvalid.
func (e *FieldError) Unwrap() error { return e.Err }

func missing(field string) error { return &FieldError{Field: field, Err: ErrMissing} }
func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
}

// Validate checks that e is a well-formed cogwatch event.
func (e *Event) Validate() error {
	switch {
	case e.SpecVersion == "":
		return missing("specversion")
	case e.SpecVersion != SpecVersion:
		return invalid("specversion", "%q, want %q", e.SpecVersion, SpecVersion)
	case e.ID == "":
		return missing("id")
	case e.Source == "":
		return missing("source")
	case e.Type == "":
		return missing("type")
	case !e.Type.Valid():
		return invalid("type", "unknown event type %q", e.Type)
	case e.Time.IsZero():
		return missing("time")
	case e.DataContentType != ContentType:
		return invalid("datacontenttype", "%q, want %q", e.DataContentType, ContentType)
	case e.Data.SchemaVersion < MinSchemaVersion || e.Data.SchemaVersion > SchemaVersion:
		return invalid("data.schemaVersion", "%d, want %d to %d", e.Data.SchemaVersion, MinSchemaVersion, SchemaVersion)
	case e.Data.UserPoolID == "":
		return missing("data.userPoolId")
	case e.Data.TriggerSource == "":
		return missing("data.triggerSource")
	case e.Data.Region == "":
		return missing("data.region")
	case e.Type.hasReason() && e.Data.Reason == "":
		return missing("data.reason")
	case !e.Type.hasReason() && e.Data.Reason != "":
		return invalid("data.reason", "only %s and %s events carry a reason", SignUpRejected, MigrationFailed)
	case e.Data.LatencyMs < 0 || math.IsNaN(e.Data.LatencyMs) || math.IsInf(e.Data.LatencyMs, 0):
		return invalid("data.latencyMs", "latency %v is not a finite number >= 0", e.Data.LatencyMs)
	case e.Data.SchemaVersion == 1 && slices.Index(types, e.Type) >= v1Types:
		return invalid("type", "%q is not in schema version 1", e.Type)
	case e.Data.SchemaVersion == 1 && (e.Data.Provider != "" || e.Data.Medium != "" || e.Data.CountryCode != ""):
		return invalid("data.schemaVersion", "1 has no provider, medium or countryCode")
	case e.Data.SchemaVersion < 3 && slices.Index(types, e.Type) >= v2Types:
		return invalid("type", "%q is not in schema version %d", e.Type, e.Data.SchemaVersion)
	case e.Data.SchemaVersion < 3 && e.Data.ChallengeName != "":
		return invalid("data.schemaVersion", "%d has no challengeName", e.Data.SchemaVersion)
	case e.Type.hasChallenge() && e.Data.ChallengeName == "":
		return missing("data.challengeName")
	case !e.Type.hasChallenge() && e.Data.ChallengeName != "":
		return invalid("data.challengeName", "only cogwatch.challenge.* events carry a challenge name")
	case e.Type == CodeSent && e.Data.Medium == "":
		return missing("data.medium")
	case e.Type != CodeSent && e.Data.Medium != "":
		return invalid("data.medium", "only %s events carry a medium", CodeSent)
	case e.Data.Medium != "" && e.Data.Medium != MediumEmail && e.Data.Medium != MediumSMS:
		return invalid("data.medium", "%q, want %q or %q", e.Data.Medium, MediumEmail, MediumSMS)
	case e.Data.CountryCode != "" && (e.Data.Medium != MediumSMS || !isCallingCode(e.Data.CountryCode)):
		return invalid("data.countryCode", "%q: 1 to 3 digits, on an SMS only", e.Data.CountryCode)
	}
	return nil
}

// isCallingCode reports whether s is 1 to 3 ASCII digits, not starting with 0
// (ITU-T E.164 country calling codes).
func isCallingCode(s string) bool {
	if len(s) < 1 || len(s) > 3 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Marshal validates e and encodes it as JSON.
func Marshal(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// Decode parses one event strictly: unknown fields (names match exactly,
// not ignoring case as encoding/json does), repeated or null fields, a
// missing required field (one that Marshal always writes), trailing data
// and invalid values are errors.
func Decode(b []byte) (Event, error) {
	if !fastPaths {
		return decodeStrict(b)
	}
	if e, sure, err := decodeFast(b); sure {
		return e, err
	}
	return decodeStrict(b)
}

// decodeStrict is Decode step by step, with encoding/json: the reference
// for decodeFast, and the path of every input decodeFast is not sure of.
func decodeStrict(b []byte) (Event, error) {
	if err := checkMembers(b); err != nil {
		return Event{}, err
	}
	var e Event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("event: decode: %w", err)
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Attributes returns the SNS message attributes that repeat the event's
// type, user pool and app client, so subscribers can use filter policies.
// An absent client id is left out: SNS refuses empty attribute values.
func (e *Event) Attributes() map[string]string {
	attrs := map[string]string{"type": string(e.Type), "userPoolId": e.Data.UserPoolID}
	if e.Data.ClientID != "" {
		attrs["clientId"] = e.Data.ClientID
	}
	return attrs
}
