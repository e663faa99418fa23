package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// header is what a trigger reads of the fields every Cognito event has.
type header struct {
	TriggerSource string
	Region        string
	UserPoolID    string
	ClientID      string // empty when Cognito sends null
}

// user is what a trigger reads of the user attributes.
type user struct {
	Email string
	Sub   string
	// UserName and Identities name a federated user's provider: Cognito
	// forms the user name as <provider>_<id>, and the identities attribute
	// is a JSON array as a string. Neither is ever logged or published.
	UserName   string
	Identities string
}

func fromEvents(h events.CognitoEventUserPoolsHeader, attrs map[string]string) (header, user) {
	return header{TriggerSource: h.TriggerSource, Region: h.Region, UserPoolID: h.UserPoolID, ClientID: h.CallerContext.ClientID},
		user{Email: attrs["email"], Sub: attrs["sub"], UserName: h.UserName, Identities: attrs["identities"]}
}

// wireEvent is the part of a Cognito event a trigger decodes. Nothing else
// is: the response, clientMetadata, validationData and every other user
// attribute may hold any JSON Cognito sends (booleans such as
// email_verified, numbers, nulls) without failing the invocation, where
// aws-lambda-go's events types, all map[string]string, would. A null where
// an object or a string is usual reads as absent.
type wireEvent struct {
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	CallerContext struct {
		ClientID string `json:"clientId"`
	} `json:"callerContext"`
	Request struct {
		UserAttributes map[string]json.RawMessage `json:"userAttributes"`
	} `json:"request"`
}

// userEvent is what the triggers that read no more than the header and the
// user attributes decode of a Cognito event.
type userEvent struct {
	header
	user
}

// source returns the event's trigger source, which names the chained slot.
func (h header) source() string { return h.TriggerSource }

// decodeEvent reads a Cognito event's header and the user attributes the
// triggers use. An error is a *fieldError.
func decodeEvent(payload []byte) (userEvent, error) {
	var w wireEvent
	if err := json.Unmarshal(payload, &w); err != nil {
		return userEvent{}, fromJSONError(err)
	}
	e := userEvent{
		header: header{TriggerSource: w.TriggerSource, Region: w.Region, UserPoolID: w.UserPoolID, ClientID: w.CallerContext.ClientID},
		user:   user{UserName: w.UserName},
	}
	attrs := w.Request.UserAttributes
	for _, f := range []struct {
		name string
		to   *string
	}{{"identities", &e.Identities}, {"email", &e.Email}, {"sub", &e.Sub}} {
		var err error
		if *f.to, err = stringAttribute(attrs, f.name); err != nil {
			return userEvent{}, err
		}
	}
	return e, nil
}

// stringAttribute returns a user attribute that must be a string; absent
// or null reads as "".
func stringAttribute(attrs map[string]json.RawMessage, name string) (string, error) {
	raw, ok := attrs[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &fieldError{Field: "request.userAttributes." + name, Found: jsonKind(raw), Want: "string"}
	}
	return s, nil
}

// fieldError says which field of a Cognito event a trigger could not read
// and what kind of JSON it found there, never the value: it is logged, and
// the value may be an address. A trigger answers such an event unchanged
// and counts it in EventDecodeFailures; the error never reaches Cognito.
type fieldError struct {
	Field string // dotted JSON path; "" for the payload itself
	Found string // string, number, bool, array, object, or "invalid JSON"
	Want  string // string or object
}

func (e *fieldError) Error() string {
	field := e.Field
	if field == "" {
		field = "(payload)"
	}
	return "Cognito event field " + field + ": " + e.Found + " where " + e.Want + " was expected"
}

// fromJSONError turns a json.Unmarshal error into a *fieldError, keeping the
// field and the kinds, dropping the value ("number 1e400" keeps "number").
func fromJSONError(err error) *fieldError {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return &fieldError{Found: "invalid JSON", Want: "object"}
	}
	found, _, _ := strings.Cut(te.Value, " ")
	want := "object"
	if te.Type != nil && te.Type.Kind() == reflect.String {
		want = "string"
	}
	return &fieldError{Field: te.Field, Found: found, Want: want}
}

// jsonKind names the kind of a (valid) JSON value by its first byte.
func jsonKind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// undecodable answers for an event the trigger could not decode: the caller
// returns Cognito's payload unchanged (the user goes on; pre sign-up accepts
// without the checks that could not run), EventDecodeFailures counts it in
// an EMF line of its own, without dimensions (the pool id may be what could
// not be read), and a warning names the field, never its value.
func (b *base) undecodable(ctx context.Context, function string, err error) {
	m := b.metrics.New()
	m.SetProperty("function", function)
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		m.SetProperty("requestId", lc.AwsRequestID)
	}
	if b.cfg.ServiceName != "" {
		m.SetProperty("service", b.cfg.ServiceName)
	}
	_ = m.PutWithDimensions(catalog.EventDecodeFailures, 1, emf.Count)
	if ferr := m.Flush(); ferr != nil {
		b.log.WarnContext(ctx, "EMF line not written", "err", ferr)
	}
	b.log.WarnContext(ctx, "Cognito event not decoded, answered unchanged", "function", function, "err", err.Error())
}
