// Package goawstest gives tests the goaws of their test binary (package
// goaws: the local SNS and SQS on loopback), started on first use.
//
// goaws keeps its topics and queues in package variables, so one server runs
// per process: every test of a binary shares it, makes its own topics and
// queues, and the server ends with the process. It is test support, linked
// into no binary.
package goawstest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/goaws"
)

var (
	mu     sync.Mutex
	server *goaws.Server
)

// Server returns the test binary's goaws, starting it on first use. It skips
// the test under -short, as every emulator-backed test does.
func Server(t testing.TB) *goaws.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts goaws (skipped under -short)")
	}
	mu.Lock()
	defer mu.Unlock()
	if server == nil {
		s, err := goaws.Start(goaws.Options{})
		require.NoError(t, err)
		server = s
	}
	return server
}
