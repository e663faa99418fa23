package exporter

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestReadBody: the buffer grows with the bytes that arrive, not with the
// length a client announces.
func TestReadBody(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	tests := []struct {
		name     string
		r        io.Reader
		n        int64
		want     string
		wantErr  error
		maxCap   int
		oneAlloc bool
	}{
		{name: "announced 1 MiB, sent 1 byte", r: io.MultiReader(strings.NewReader("{"), iotest.ErrReader(io.ErrUnexpectedEOF)),
			n: 1 << 20, want: "{", wantErr: io.ErrUnexpectedEOF, maxCap: firstBodyBuffer},
		{name: "small, length known", r: strings.NewReader(`{"Type":"Notification"}`), n: 23, want: `{"Type":"Notification"}`, maxCap: 24},
		{name: "small, length unknown", r: strings.NewReader(`{}`), n: -1, want: `{}`, maxCap: firstBodyBuffer},
		{name: "empty", r: strings.NewReader(""), n: 0, want: "", maxCap: 1},
		{name: "large, in small reads", r: iotest.OneByteReader(strings.NewReader(big)), n: int64(len(big)), want: big, maxCap: len(big) * 5 / 4}, // size classes round up
		{name: "large, length unknown", r: iotest.HalfReader(strings.NewReader(big)), n: -1, want: big, maxCap: 2 * len(big)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBody(nil, tc.r, tc.n)
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, tc.want, string(got))
			require.LessOrEqual(t, cap(got), tc.maxCap)
		})
	}
}

// TestReadBodyIntoBuffer: a body that fits the buffer given (the handler's
// come from a pool) is read into it without allocating; a larger one
// grows into a new buffer.
func TestReadBodyIntoBuffer(t *testing.T) {
	var buf [firstBodyBuffer]byte
	small := []byte(`{"Type":"Notification"}`)
	r := bytes.NewReader(small)
	allocs := testing.AllocsPerRun(10, func() {
		r.Reset(small)
		got, err := readBody(buf[:0], r, int64(len(small)))
		if err != nil || !bytes.Equal(got, small) || &got[0] != &buf[0] {
			t.Fatalf("got %q, %v: want the body in the buffer given", got, err)
		}
	})
	require.Zero(t, allocs)

	big := bytes.Repeat([]byte("x"), 2*firstBodyBuffer)
	got, err := readBody(buf[:0], bytes.NewReader(big), -1)
	require.NoError(t, err)
	require.Equal(t, big, got)
}

func TestBodyError(t *testing.T) {
	tooLarge := httptest.NewRecorder()
	_, errTooLarge := io.ReadAll(http.MaxBytesReader(tooLarge, io.NopCloser(bytes.NewReader(make([]byte, 10))), 5))
	for _, tc := range []struct {
		name   string
		err    error
		reason string
		status int
	}{
		{"too large", errTooLarge, reasonTooLarge, http.StatusRequestEntityTooLarge},
		{"deadline", &os.PathError{Op: "read", Err: os.ErrDeadlineExceeded}, reasonBodyTimeout, http.StatusRequestTimeout},
		{"cut short", io.ErrUnexpectedEOF, reasonIncompleteBody, http.StatusBadRequest},
		{"reset", errors.New("connection reset by peer"), reasonIncompleteBody, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, status := bodyError(tc.err)
			require.Equal(t, tc.reason, reason)
			require.Equal(t, tc.status, status)
		})
	}
}
