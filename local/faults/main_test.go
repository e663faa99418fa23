package faults

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
)

// Totals over the whole suite, printed at the end.
var injected, checked atomic.Int64

// tally adds a test's figures to the totals and logs them.
func tally(t *testing.T, faults, events int) {
	t.Helper()
	injected.Add(int64(faults))
	checked.Add(int64(events))
	t.Logf("faults injected: %d, events checked: %d", faults, events)
}

func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Printf("fault suite: %d faults injected, %d events checked\n", injected.Load(), checked.Load())
	os.Exit(code)
}
