package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// field is one JSON member of Event or Data, from its struct tag.
type field struct {
	name     string
	required bool // not omitempty: Marshal always writes it, Decode wants it
}

// fieldsOf lists the JSON members of a struct type, in field order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !t.Field(i).IsExported() {
			continue
		}
		fs = append(fs, field{name: name, required: !strings.Contains(opts, "omitempty")})
	}
	return fs
}

var members = sync.OnceValues(func() ([]field, []field) {
	return fieldsOf(reflect.TypeFor[Event]()), fieldsOf(reflect.TypeFor[Data]())
})

// checkMembers enforces what encoding/json lets pass: member names match
// exactly (encoding/json ignores case), appear once, are not null, and the
// required ones (the fields Marshal always writes) are present.
func checkMembers(b []byte) error {
	if !json.Valid(b) {
		var v any // for encoding/json's description of the syntax error
		err := json.Unmarshal(b, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return fmt.Errorf("event: decode: %w", err)
	}
	top, data := members()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	seenTop, seenData, err := scanObject(dec, "", top, data)
	if err != nil {
		return err
	}
	for i, f := range top {
		if f.required && !seenTop[i] {
			return missing(f.name)
		}
	}
	if seenData != nil {
		for i, f := range data {
			if f.required && !seenData[i] {
				return missing("data." + f.name)
			}
		}
	}
	return nil
}

// scanObject reads one object whose members are fields; the member "data"
// of the top level is scanned as an object of nested fields.
func scanObject(dec *json.Decoder, prefix string, fields, nested []field) (seen, seenNested []bool, err error) {
	if err := expectDelim(dec, '{', prefix); err != nil {
		return nil, nil, err
	}
	seen = make([]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("event: decode: %w", err)
		}
		key := tok.(string) // object keys are strings
		i := indexOf(fields, key)
		if i < 0 {
			// encoding/json's wording; the name is matched exactly here
			return nil, nil, fmt.Errorf("event: decode: json: unknown field %q", key)
		}
		if seen[i] {
			return nil, nil, fmt.Errorf("event: decode: duplicate field %q", prefix+key)
		}
		seen[i] = true
		if prefix == "" && key == "data" {
			if seenNested, _, err = scanObject(dec, "data.", nested, nil); err != nil {
				return nil, nil, err
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("event: decode: %w", err)
		}
		if string(raw) == "null" {
			return nil, nil, fmt.Errorf("event: decode: field %q is null", prefix+key)
		}
		if prefix == "" && key == "time" {
			// time.Time also takes forms RFC 3339 does not (a comma before
			// the fraction); the schema's pattern does not.
			var s string
			if json.Unmarshal(raw, &s) == nil && !isRFC3339(s) {
				return nil, nil, invalid("time", "%q is not an RFC 3339 date-time", s)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, fmt.Errorf("event: decode: %w", err)
	}
	return seen, seenNested, nil
}

func expectDelim(dec *json.Decoder, d json.Delim, prefix string) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("event: decode: %w", err)
	}
	if tok != d {
		what := "the event"
		if prefix != "" {
			what = "field " + strconvQuote(strings.TrimSuffix(prefix, "."))
		}
		return fmt.Errorf("event: decode: %s is not a JSON object", what)
	}
	return nil
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func indexOf(fields []field, key string) int {
	for i, f := range fields {
		if f.name == key {
			return i
		}
	}
	return -1
}
