package recording

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/consumers/sqstest"
	"github.com/cogwatch/cogwatch/event"
)

// TestPutEventsAndSummarize runs the EventBridge consumer on recorded
// PutEvents: four concurrent batches of 12 events, 10 entries per call.
func TestPutEventsAndSummarize(t *testing.T) {
	var buf bytes.Buffer
	c := eventbridge.New(eventbridge.Config{}, PutEvents(&buf), nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			evs := make([]event.Event, 12)
			for i := range evs {
				evs[i] = userEvent(fmt.Sprintf("e%d-%d", g, i), event.Types()[i%6])
			}
			resp, err := c.Handle(t.Context(), sqstest.Batch(evs...))
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
		})
	}
	wg.Wait()
	s, err := SummarizeEvents(&buf)
	require.NoError(t, err)
	require.Equal(t, 8, s.Calls)
	require.Equal(t, 48, s.Entries)
	require.Equal(t, 8, s.ByDetailType["cogwatch.signup.accepted"])
}
