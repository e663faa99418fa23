package exporter

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
)

// firstBodyBuffer is the most a body buffer holds before bytes arrive to fill
// it: an SNS notification of a cogwatch event is 2–3 KiB.
const firstBodyBuffer = 4 << 10

// bodyBuffers recycles buffers of firstBodyBuffer bytes for bodies: most
// bodies fit one, and a client that sends slowly holds no more than it
// would hold with a new buffer. A body is done with once verified: the
// verified message shares no memory with it.
var bodyBuffers = sync.Pool{New: func() any { return new([firstBodyBuffer]byte) }}

// readBody reads a request body into buf, or into a new buffer if buf has no
// room, that grows as bytes arrive, so that a client announcing a large
// Content-Length and sending little holds little memory. r must be bounded
// already (http.MaxBytesReader); n is the announced length, or -1. On error
// it returns what it read.
func readBody(buf []byte, r io.Reader, n int64) ([]byte, error) {
	if cap(buf) == 0 {
		size := int64(firstBodyBuffer)
		if n >= 0 && n < size {
			size = n + 1 // room to read the EOF without growing
		}
		buf = make([]byte, 0, size)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			grow := len(buf) // doubles, but not far past the announced length
			if n > int64(len(buf)) && n+1-int64(len(buf)) < int64(grow) {
				grow = int(n + 1 - int64(len(buf)))
			}
			buf = slices.Grow(buf, max(grow, 512))
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// bodyError classifies an error reading a body: every one is the client's.
func bodyError(err error) (reason string, status int) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return reasonTooLarge, http.StatusRequestEntityTooLarge
	}
	netErr, isNet := errors.AsType[net.Error](err)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), isNet && netErr.Timeout():
		return reasonBodyTimeout, http.StatusRequestTimeout
	default:
		return reasonIncompleteBody, http.StatusBadRequest
	}
}
