package event

import (
	"encoding/json"
	"errors"
	"fmt"
)

// LogFilterPattern is the CloudWatch Logs subscription filter pattern that
// selects the log lines carrying a user event (see AppendLogLine) among a
// trigger's log lines and EMF documents.
const LogFilterPattern = `{ $.cogwatch = "event" }`

// ErrNotLogLine is returned by ParseLogLine for a line that carries no user
// event: not a JSON object, or without "cogwatch":"event".
var ErrNotLogLine = errors.New(`event: not a user-event log line ({"cogwatch":"event",…})`)

// AppendLogLine appends to dst the log line that carries an event instead of
// an SNS message, and returns the extended slice:
//
//	{"cogwatch":"event","event":<body>}
//	{"cogwatch":"event","spill":"BreakerOpen","event":<body>}
//
// body is the event as Marshal encodes it (the SNS message body). spill, when
// not empty, says why an event meant for SNS went to the log instead (a
// failure code such as BreakerOpen or BudgetExceeded); it must be a short
// code of letters and digits. The line ends with a newline.
func AppendLogLine(dst []byte, body []byte, spill string) []byte {
	dst = append(dst, `{"cogwatch":"event",`...)
	if spill != "" {
		dst = append(dst, `"spill":"`...)
		dst = append(dst, spill...)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"event":`...)
	dst = append(dst, body...)
	return append(dst, "}\n"...)
}

// logLine is what ParseLogLine reads of a line. Other members (a timestamp
// or level a log pipeline adds) are ignored.
type logLine struct {
	Cogwatch string          `json:"cogwatch"`
	Spill    string          `json:"spill"`
	Event    json.RawMessage `json:"event"`
}

// ParseLogLine reads a line written by AppendLogLine (a trailing newline is
// allowed) and decodes its event strictly, as Decode does. It returns
// ErrNotLogLine for a line that is not a user-event line, and an error that
// names what is wrong (never quoting the event, which may hold an address)
// for a user-event line whose event is missing or invalid.
func ParseLogLine(line []byte) (e Event, spill string, err error) {
	var l logLine
	if err := json.Unmarshal(line, &l); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return Event{}, "", ErrNotLogLine
		}
		// A JSON object whose members have other types: a user-event line
		// only if it says so.
		var probe struct {
			Cogwatch json.RawMessage `json:"cogwatch"`
		}
		if json.Unmarshal(line, &probe) != nil || string(probe.Cogwatch) != `"event"` {
			return Event{}, "", ErrNotLogLine
		}
		return Event{}, "", fmt.Errorf("event: log line: %w", err)
	}
	if l.Cogwatch != "event" {
		return Event{}, "", ErrNotLogLine
	}
	if len(l.Event) == 0 || string(l.Event) == "null" {
		return Event{}, l.Spill, missing("event")
	}
	e, err = Decode(l.Event)
	if err != nil {
		return Event{}, l.Spill, err
	}
	return e, l.Spill, nil
}
