package triggers

import (
	"context"
	"log/slog"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// Custom message trigger sources: why Cognito is sending a message.
const (
	CustomMessageSignUp              = "CustomMessage_SignUp"
	CustomMessageAdminCreateUser     = "CustomMessage_AdminCreateUser"
	CustomMessageResendCode          = "CustomMessage_ResendCode"
	CustomMessageForgotPassword      = "CustomMessage_ForgotPassword"
	CustomMessageUpdateUserAttribute = "CustomMessage_UpdateUserAttribute"
	CustomMessageVerifyUserAttribute = "CustomMessage_VerifyUserAttribute"
	CustomMessageAuthentication      = "CustomMessage_Authentication"
)

// MessageSources lists the custom message trigger sources cogwatch counts;
// the TriggerSource dimension of CodesSent and SMSSent takes no other value.
var MessageSources = []string{CustomMessageSignUp, CustomMessageAdminCreateUser, CustomMessageResendCode,
	CustomMessageForgotPassword, CustomMessageUpdateUserAttribute, CustomMessageVerifyUserAttribute, CustomMessageAuthentication}

// CountryUnknown is the CountryCode dimension of an SMS whose number does
// not parse.
const CountryUnknown = "unknown"

// CustomMessage is the custom message trigger, as an observer: it counts
// every code Cognito sends by trigger source and medium, and every SMS by
// the destination's country calling code (never the number), publishes
// cogwatch.code.sent, and answers with the event as Cognito sent it, so
// Cognito sends its own default message. It never fails the user. It is
// safe for concurrent use.
type CustomMessage struct {
	base
	countryCode CountryCodeFunc
}

// NewCustomMessage returns the custom message trigger; see NewPreSignUp
// for the other arguments. countryCode finds an SMS destination's country
// calling code (phone.CountryCode); nil counts every SMS as CountryUnknown.
func NewCustomMessage(cfg Config, publish PublishFunc, metrics *emf.Writer, log *slog.Logger, countryCode CountryCodeFunc) *CustomMessage {
	if countryCode == nil {
		countryCode = func(string) string { return "" }
	}
	return &CustomMessage{base: newBase(cfg, publish, metrics, log), countryCode: countryCode}
}

// Handle counts and publishes one message and returns ev unchanged. The
// error is always nil.
func (c *CustomMessage) Handle(ctx context.Context, ev events.CognitoEventUserPoolsCustomMessage) (events.CognitoEventUserPoolsCustomMessage, error) {
	str := func(k string) string { s, _ := ev.Request.UserAttributes[k].(string); return s }
	_ = c.handle(ctx, journeyEvent{
		header:        header{TriggerSource: ev.TriggerSource, Region: ev.Region, UserPoolID: ev.UserPoolID, ClientID: ev.CallerContext.ClientID},
		user:          user{Email: str("email"), Sub: str("sub"), UserName: ev.UserName, Identities: str("identities")},
		Phone:         str("phone_number"),
		CodeParameter: ev.Request.CodeParameter,
		SMSMessage:    ev.Response.SMSMessage,
	}, nil)
	return ev, nil
}

// handle counts and publishes one message after running next (the pool's
// own logic), whose error it returns: Cognito then sends no message. The
// counts and the event are the same either way: Cognito reached the
// trigger, and the medium is what Cognito meant to use.
func (c *CustomMessage) handle(ctx context.Context, e journeyEvent, n next) error {
	inv := c.begin(ctx, e.header, e.user)
	if !slices.Contains(MessageSources, e.TriggerSource) {
		err := inv.run(n) // the pool's own logic handles what cogwatch does not
		inv.unknown()
		return err
	}
	err := inv.run(n)
	d := inv.data()
	d.Medium = Medium(e.Phone, e.CodeParameter, e.SMSMessage)
	inv.m.SetDimension(catalog.DimTriggerSource, e.TriggerSource)
	inv.m.SetDimension(catalog.DimMedium, d.Medium)
	_ = inv.m.PutWithDimensions(catalog.CodesSent, 1, emf.Count, catalog.CodeSets...)
	if d.Medium == event.MediumSMS {
		if d.CountryCode = c.countryCode(e.Phone); !isCallingCode(d.CountryCode) {
			d.CountryCode = "" // whatever the function says, the dimension stays bounded
		}
		cc := d.CountryCode
		if cc == "" {
			cc = CountryUnknown
		}
		inv.m.SetDimension(catalog.DimCountryCode, cc)
		_ = inv.m.PutWithDimensions(catalog.SMSSent, 1, emf.Count, catalog.SMSSets...)
		unexpected := 0.0
		if len(c.cfg.SMSCountries) > 0 && !slices.Contains(c.cfg.SMSCountries, d.CountryCode) {
			unexpected = 1
		}
		// Written with every SMS, 0 or 1, so the SMS-pumping alarm's
		// expression always has both terms when an SMS went out.
		_ = inv.m.PutWithDimensions(catalog.SMSSentUnexpected, unexpected, emf.Count, []string{catalog.DimUserPoolID})
	}
	inv.publishEvent(event.CodeSent, d)
	inv.finish(string(event.CodeSent), slog.String("medium", d.Medium), slog.String("countryCode", d.CountryCode))
	return err
}

// Invoke implements lambda.Handler: it reads the fields of a custom
// message event it uses and answers with the payload it received, byte for
// byte: response.smsMessage, emailMessage and emailSubject stay what
// Cognito set, so its default message goes out. An unknown trigger source
// or an event it cannot decode is answered unchanged too (the latter
// counted in EventDecodeFailures). The error is nil.
//
// With a chained function (SetChain), Invoke calls it with the same payload
// and answers with its response, whose smsMessage, emailMessage and
// emailSubject Cognito sends, or with its error (*ChainedError) unchanged,
// or ErrChainUnavailable; an event cogwatch cannot decode goes to it too.
func (c *CustomMessage) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	decode := func(payload []byte) (journeyEvent, error) { return decodeJourney(payload, true) }
	return invoke(ctx, &c.base, "custommessage", payload, decode, c.handle)
}
