package triggers

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/cogwatch/cogwatch/event"
)

// journeyEvent is what the pre token generation and custom message
// triggers read of a Cognito event: decodeEvent's fields plus the
// identities attribute (federated users), the phone number (only to find
// its country calling code, never kept), the code placeholder and the SMS
// text Cognito sent. Everything else, the response included, is left alone:
// the payload goes back byte for byte.
type journeyEvent struct {
	header
	user
	Phone         string
	CodeParameter string
	SMSMessage    string
}

type journeyWire struct {
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	CallerContext struct {
		ClientID string `json:"clientId"`
	} `json:"callerContext"`
	Request struct {
		UserAttributes map[string]json.RawMessage `json:"userAttributes"`
		CodeParameter  string                     `json:"codeParameter"`
	} `json:"request"`
	Response struct {
		SMSMessage string `json:"smsMessage"`
	} `json:"response"`
}

// decodeJourney reads a journeyEvent. An error is a *fieldError. Only
// custom message events have a code parameter and an SMS message; in a
// pre token generation event the response is never decoded.
func decodeJourney(payload []byte, withMessage bool) (journeyEvent, error) {
	var w journeyWire
	var err error
	if withMessage {
		err = json.Unmarshal(payload, &w)
	} else {
		var lite wireEvent // what every trigger reads: the response is left alone
		err = json.Unmarshal(payload, &lite)
		w.TriggerSource, w.Region, w.UserPoolID, w.UserName, w.CallerContext = lite.TriggerSource, lite.Region, lite.UserPoolID, lite.UserName, lite.CallerContext
		w.Request.UserAttributes = lite.Request.UserAttributes
	}
	if err != nil {
		return journeyEvent{}, fromJSONError(err)
	}
	e := journeyEvent{
		header:        header{TriggerSource: w.TriggerSource, Region: w.Region, UserPoolID: w.UserPoolID, ClientID: w.CallerContext.ClientID},
		user:          user{UserName: w.UserName},
		CodeParameter: w.Request.CodeParameter,
		SMSMessage:    w.Response.SMSMessage,
	}
	attrs := w.Request.UserAttributes
	for _, f := range []struct {
		name string
		to   *string
	}{{"email", &e.Email}, {"sub", &e.Sub}, {"identities", &e.Identities}, {"phone_number", &e.Phone}} {
		if *f.to, err = stringAttribute(attrs, f.name); err != nil {
			return e, err
		}
	}
	return e, nil
}

// Medium infers how Cognito delivers a custom message's code; the event
// does not say. Cognito fills response.smsMessage with the SMS it would
// send, holding request.codeParameter where the code goes, and can only
// text a user who has a phone_number: with both, the code goes by SMS;
// otherwise by email. (A pool whose users have a phone number but verify
// email with an SMS template still holding the code would be counted as
// SMS; docs/triggers.md says so.)
func Medium(phone, codeParameter, smsMessage string) string {
	if phone != "" && codeParameter != "" && strings.Contains(smsMessage, codeParameter) {
		return event.MediumSMS
	}
	return event.MediumEmail
}

// CountryCodeFunc returns the country calling code of an E.164 phone
// number ("+447700900123" → "44"), or "" when it does not parse;
// phone.CountryCode is the one cmd/custommessage passes. It is a parameter
// so that only the custom message binary links the phone number library,
// whose metadata loads at program start.
type CountryCodeFunc func(e164 string) string

// isCallingCode reports whether s is 1 to 3 digits not starting with 0.
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

// MaxProviders caps the distinct provider names one instance reports; the
// rest are ProviderOther, so the Provider dimension stays bounded whatever
// the pool's configuration or the events say.
const MaxProviders = 16

// ProviderOther stands for a provider past the cap or with a name that is
// not fit for a dimension.
const ProviderOther = "other"

// MaxProviderLength is the longest provider name kept; a longer one is
// ProviderOther.
const MaxProviderLength = 32

// socialProviders are Cognito's built-in provider names, matched without
// regard to case: a username prefix and the identities attribute may spell
// them differently.
var socialProviders = []string{"Google", "Facebook", "LoginWithAmazon", "SignInWithApple"}

// capped bounds the values one instance reports for a dimension (provider
// names, challenge names): at most MaxProviders distinct values, each short
// and plain, the rest ProviderOther. Its zero value is ready; it is safe for
// concurrent use.
type capped struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

// value returns n if it is at most MaxProviderLength long, plain (letters,
// digits, . - _) and among the first MaxProviders seen, else
// ProviderOther. Empty stays empty.
func (c *capped) value(n string) string {
	if n == "" {
		return ""
	}
	if len(n) > MaxProviderLength {
		return ProviderOther
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return ProviderOther
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[n]; ok {
		return n
	}
	if len(c.seen) >= MaxProviders {
		return ProviderOther
	}
	if c.seen == nil {
		c.seen = map[string]struct{}{}
	}
	c.seen[n] = struct{}{}
	return n
}

// providers bounds the provider names an instance reports. Its zero value
// is ready; it is safe for concurrent use.
type providers struct{ capped }

// name returns the dimension value for a provider name: a social
// provider's canonical spelling, else the capped name (see capped.value).
// Empty stays empty (not federated).
func (p *providers) name(n string) string {
	for _, s := range socialProviders {
		if strings.EqualFold(n, s) {
			return s
		}
	}
	return p.value(n)
}

// fromIdentities reads the provider of a federated user from Cognito's
// identities attribute, a JSON array as a string
// (`[{"providerName":"Google","providerType":"Google","primary":true,…}]`):
// the primary identity's, else the first. Absent or unreadable: "".
func (p *providers) fromIdentities(identities string) string {
	if identities == "" {
		return ""
	}
	var ids []struct {
		ProviderName string `json:"providerName"`
		Primary      any    `json:"primary"` // a bool or "true", depending on the source
	}
	if json.Unmarshal([]byte(identities), &ids) != nil || len(ids) == 0 {
		return ""
	}
	pick := ids[0]
	for _, id := range ids {
		if id.Primary == true || id.Primary == "true" {
			pick = id
			break
		}
	}
	return p.name(pick.ProviderName)
}

// fromUserName reads the provider of a PreSignUp_ExternalProvider sign-up
// from its user name, which Cognito forms as <provider name>_<id at the
// provider> (Google_1234…).
func (p *providers) fromUserName(userName string) string {
	name, _, ok := strings.Cut(userName, "_")
	if !ok {
		return ""
	}
	return p.name(name)
}
