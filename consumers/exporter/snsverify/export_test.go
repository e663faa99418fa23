package snsverify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
)

// ParseEncodingJSON is Parse with decodeEncodingJSON: the alternative to the
// hand-written decoder that the benchmarks measure beside it.
func ParseEncodingJSON(body []byte) (*Message, error) { return parse(body, decodeEncodingJSON) }

// VerifyEncodingJSON is Verify with decodeEncodingJSON.
func (v *Verifier) VerifyEncodingJSON(ctx context.Context, body []byte) (*Message, error) {
	return v.verifyBody(ctx, body, decodeEncodingJSON)
}

// decodeEncodingJSON is decode with encoding/json and the same strict member
// checks: its Decoder's tokens give the exact member names (Unmarshal into
// a struct would match "type" to Type, into a map would keep the last of a
// repeated member), and a known member's value must be a string token.
func decodeEncodingJSON(body []byte, m *Message) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return malformed("not a JSON object")
	}
	fields := m.fields()
	var seen [len(fieldNames)]bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed("invalid JSON: %v", err)
		}
		i := fieldIndex([]byte(tok.(string)))
		if i < 0 {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return malformed("invalid JSON: %v", err)
			}
			continue
		}
		if seen[i] {
			return malformed("field %s repeated", fieldNames[i])
		}
		seen[i] = true
		if tok, err = dec.Token(); err != nil {
			return malformed("invalid JSON: %v", err)
		}
		s, ok := tok.(string) // invalid UTF-8 replaced, not refused as decode does
		if !ok {
			return malformed("field %s is not a string", fieldNames[i])
		}
		*fields[i] = s
	}
	if _, err := dec.Token(); err != nil {
		return malformed("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("data after the JSON object")
	}
	return nil
}
