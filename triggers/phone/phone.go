// Package phone finds the country calling code of a phone number with
// github.com/nyaruka/phonenumbers (a port of Google's libphonenumber).
//
// It is a package of its own because the library loads all of its
// metadata when the program starts (about 15–25 ms and 2.4 MB on the build
// machine): only the custom message function links it, so the other
// triggers' cold starts do not pay for it.
package phone

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// CountryCode returns the country calling code of an E.164 phone number
// ("+447700900123" → "44"), or "" when it does not parse. The number itself
// never leaves this function. Several countries share a code (+1: the US,
// Canada, American Samoa…; +44: the UK, Jersey…): the code is what a metric
// dimension can carry, one of at most a few hundred values.
func CountryCode(number string) string {
	n, err := phonenumbers.Parse(number, "ZZ") // ZZ: no default region, the number must start with +
	if err != nil || n.GetCountryCode() == 0 {
		return ""
	}
	return strconv.Itoa(int(n.GetCountryCode()))
}
