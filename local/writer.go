package local

import (
	"io"
	"sync"
)

// lockedWriter serialises writes from concurrent execution environments, so
// that log lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
