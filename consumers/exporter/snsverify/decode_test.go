package snsverify_test

import (
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
)

// TestDecodersAgree: the encoding/json alternative the benchmarks measure
// reads every seed as the hand-written decoder does, so that the two are
// compared on the same work.
func TestDecodersAgree(t *testing.T) {
	for i, body := range seeds(t, newServer(t)) {
		want, wantErr := snsverify.Parse(body)
		got, err := snsverify.ParseEncodingJSON(body)
		if wantErr != nil {
			if utf8.Valid(body) {
				require.Error(t, err, "seed %d: %v", i, wantErr)
			}
			continue
		}
		require.NoError(t, err, "seed %d", i)
		require.Equal(t, want, got, "seed %d", i)
	}
}

// TestParseCopies: a parsed message shares no memory with its body, so that
// the exporter may reuse body buffers.
func TestParseCopies(t *testing.T) {
	for i, body := range seeds(t, newServer(t)) {
		m, err := snsverify.Parse(body)
		if err != nil {
			continue
		}
		want := fmt.Sprintf("%#v", *m) // a copy of every field's bytes
		for j := range body {
			body[j] = ' '
		}
		require.Equal(t, want, fmt.Sprintf("%#v", *m), "seed %d", i)
	}
}
