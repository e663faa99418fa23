package event

import (
	"fmt"
	"strconv"

	"github.com/cogwatch/cogwatch/internal/jsonlex"
)

// The fast paths below read, in one pass and without reflection, the inputs
// they are sure about: a well-formed event or SNS envelope written the
// ordinary way (member names without escapes, no nulls, no repeated
// members, values of the right JSON kind). Anything else, and every error
// they cannot attribute with certainty, goes to the reference decoders
// (decodeStrict, fromSNSStrict), which define the result and the error
// message. So the fast paths change speed, never an outcome: fuzz_test.go
// and fast_test.go compare both on every input they try.

// decodeFast decodes b as Decode does. sure is false when b must be left
// to decodeStrict; otherwise e and err are what decodeStrict returns.
func decodeFast(b []byte) (e Event, sure bool, err error) {
	top, data := members()
	var seenTop, seenData uint64
	l := lexer{jsonlex.New(b)}
	l.WS()
	ok := l.Object(func(key []byte) bool {
		i := indexOfBytes(top, key)
		if i < 0 || seenTop&(1<<i) != 0 {
			return false
		}
		seenTop |= 1 << i
		var ok bool
		switch string(key) {
		case "specversion":
			e.SpecVersion, ok = l.known(SpecVersion)
		case "id":
			e.ID, ok = l.Text()
		case "source":
			e.Source, ok = l.Text()
		case "type":
			var s string
			s, ok = oneOf(&l, types)
			e.Type = Type(s)
		case "time":
			lit, special, sok := l.Str()
			// the strict scan's check, then encoding/json's call: the
			// literal (quotes included) to time.Time.UnmarshalJSON
			ok = sok && !special && isRFC3339(lit[1:len(lit)-1]) && e.Time.UnmarshalJSON(lit) == nil
		case "subject":
			e.Subject, ok = l.Text()
		case "datacontenttype":
			e.DataContentType, ok = l.known(ContentType)
		case "data":
			ok = l.Object(func(key []byte) bool {
				i := indexOfBytes(data, key)
				if i < 0 || seenData&(1<<i) != 0 {
					return false
				}
				seenData |= 1 << i
				return l.dataMember(&e.Data, i)
			})
		}
		return ok
	})
	if !ok || !l.End() {
		return Event{}, false, nil
	}
	// From here on decodeStrict would pass its scan and its decoding step:
	// the same checks, in the same order, give the same error.
	for i, f := range top {
		if f.required && seenTop&(1<<i) == 0 {
			return Event{}, true, missing(f.name)
		}
	}
	if seenTop&(1<<indexOf(top, "data")) != 0 {
		for i, f := range data {
			if f.required && seenData&(1<<i) == 0 {
				return Event{}, true, missing("data." + f.name)
			}
		}
	}
	if err := e.Validate(); err != nil {
		return Event{}, true, err
	}
	return e, true, nil
}

// dataMember reads the value of the Data member at index i of the Data
// members, which follow Data's field order.
func (l *lexer) dataMember(d *Data, i int) bool {
	switch i {
	case 0: // schemaVersion. encoding/json: strconv.ParseInt of the literal, else an error
		lit, ok := l.Num()
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(string(lit), 10, 64)
		d.SchemaVersion = int(n)
		return err == nil && int64(int(n)) == n
	case 10: // latencyMs. encoding/json: strconv.ParseFloat of the literal, else an error
		lit, ok := l.Num()
		if !ok {
			return false
		}
		var err error
		d.LatencyMs, err = strconv.ParseFloat(string(lit), 64)
		return err == nil
	}
	texts := [...]*string{1: &d.UserPoolID, &d.ClientID, &d.TriggerSource, &d.Region, &d.Sub,
		&d.EmailDomain, &d.EmailHash, &d.Email, &d.Reason, 11: &d.Provider, &d.Medium, &d.CountryCode, &d.ChallengeName}
	var ok bool
	*texts[i], ok = l.Text()
	return ok
}

func indexOfBytes(fields []field, key []byte) int {
	for i, f := range fields {
		if f.name == string(key) {
			return i
		}
	}
	return -1
}

// isRFC3339 reports whether s has the schema's date-time form:
// ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$
func isRFC3339[S ~string | ~[]byte](s S) bool {
	const form = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(form)+1 {
		return false
	}
	for i := range len(form) {
		if form[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != form[i] {
			return false
		}
	}
	i := len(form)
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return false
		}
		i = j
	}
	zone := s[i:]
	switch {
	case len(zone) == 1:
		return zone[0] == 'Z'
	case len(zone) == 6:
		return (zone[0] == '+' || zone[0] == '-') && isDigit(zone[1]) && isDigit(zone[2]) &&
			zone[3] == ':' && isDigit(zone[4]) && isDigit(zone[5])
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// fromSNSFast decodes body as FromSNS does. sure is false when body must be
// left to fromSNSStrict; otherwise the results are fromSNSStrict's.
func fromSNSFast(body []byte) (e Event, env Envelope, sure bool, err error) {
	var seen uint16
	var message []byte // env.Message's bytes
	l := lexer{jsonlex.New(body)}
	l.WS()
	ok := l.Object(func(key []byte) bool {
		i := envelopeMember(key)
		switch {
		case i < 0: // ignored by encoding/json: any valid value
			return l.Skip(maxSkipDepth)
		case i == memberNone: // specversion, or a name encoding/json would match to a field ignoring case
			return false
		case seen&(1<<i) != 0:
			return false
		}
		seen |= 1 << i
		var ok bool
		switch i {
		case 0:
			env.Type, ok = l.known("Notification")
		case 4:
			if message, ok = l.StrValue(); ok {
				env.Message = string(message)
			}
		case 6:
			env.SignatureVersion, ok = oneOf(&l, []string{"1", "2"})
		case 10:
			env.MessageAttributes, ok = l.attributes()
		default:
			texts := [...]*string{1: &env.MessageID, &env.TopicArn, &env.Subject, 5: &env.Timestamp,
				7: &env.Signature, &env.SigningCertURL, &env.UnsubscribeURL}
			*texts[i], ok = l.Text()
		}
		return ok
	})
	if !ok || !l.End() {
		// A raw event, perhaps. decodeFast is sure only of an object
		// whose members are all event members, so without "Type": then
		// fromSNSStrict calls Decode too.
		e, sure, err := decodeFast(body)
		return e, Envelope{}, sure, err
	}
	if seen&1 == 0 { // no "Type": fromSNSStrict decodes body as an event
		e, sure, err := decodeFast(body)
		return e, Envelope{}, sure, err
	}
	if env.Type != "Notification" {
		return Event{}, env, true, fmt.Errorf("%w: %q", ErrNotNotification, env.Type)
	}
	if e, sure, err = decodeFast(message); !sure {
		e, err = decodeStrict([]byte(env.Message))
	}
	return e, env, true, err
}

// envelopeNames are the members of Envelope, in the order fromSNSFast
// numbers them.
var envelopeNames = [...]string{
	"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
	"SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes",
}

// memberNone marks a member name that fromSNSFast leaves to fromSNSStrict.
const memberNone = 100

// envelopeMember returns the index of key in envelopeNames, memberNone for
// specversion and for names that match an envelope member only ignoring
// case (encoding/json would fill that member), else -1.
func envelopeMember(key []byte) int {
	if string(key) == "specversion" {
		return memberNone
	}
	for i, n := range envelopeNames {
		if string(key) == n {
			return i
		}
	}
	for _, n := range envelopeNames {
		if len(key) == len(n) && equalFoldASCII(key, n) {
			return memberNone
		}
	}
	return -1
}

// equalFoldASCII: key (ASCII, as object keys here are) equals n ignoring
// ASCII case.
func equalFoldASCII(key []byte, n string) bool {
	for i := range len(n) {
		a, b := key[i], n[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// attributes reads MessageAttributes: an object of {"Type":..,"Value":..}
// objects, each member exactly once.
func (l *lexer) attributes() (map[string]MessageAttribute, bool) {
	m := make(map[string]MessageAttribute, 4)
	ok := l.Object(func(key []byte) bool {
		if _, dup := m[string(key)]; dup {
			return false
		}
		var a MessageAttribute
		var seen uint8
		ok := l.Object(func(k []byte) bool {
			var ok bool
			switch string(k) {
			case "Type":
				ok = seen&1 == 0
				seen |= 1
				if ok {
					a.Type, ok = l.known("String")
				}
			case "Value":
				ok = seen&2 == 0
				seen |= 2
				if ok {
					a.Value, ok = l.Text()
				}
			}
			return ok
		})
		if ok {
			m[string(key)] = a
		}
		return ok
	})
	return m, ok
}
