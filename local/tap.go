package local

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogwatch/cogwatch/event"
)

// tap counts the user events the topic delivered to a queue of the stack's
// own: the SNS stage of the pipeline, independent of every consumer.
type tap struct {
	mu        sync.Mutex
	byType    map[event.Type]int
	byReason  map[string]int
	migration map[string]int // cogwatch.migration.failed by reason
	bySource  map[string]int // by Cognito trigger source: which journey
	byMedium  map[string]int // cogwatch.code.sent by medium
	noClient  int            // events without a clientId (PostConfirmation after admin confirmation)
	malformed int
	delays    []time.Duration // from each event's time to its receipt here
}

func newTap() *tap {
	return &tap{byType: map[event.Type]int{}, byReason: map[string]int{}, migration: map[string]int{}, bySource: map[string]int{}, byMedium: map[string]int{}}
}

func (t *tap) invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range ev.Records {
		e, _, err := event.FromSNS([]byte(r.Body))
		if err != nil {
			t.malformed++
			continue
		}
		t.delays = append(t.delays, time.Since(e.Time))
		t.byType[e.Type]++
		if e.Type == event.SignUpRejected {
			t.byReason[e.Data.Reason]++
		}
		if e.Type == event.MigrationFailed {
			t.migration[e.Data.Reason]++
		}
		t.bySource[e.Data.TriggerSource]++
		if e.Type == event.CodeSent {
			t.byMedium[e.Data.Medium]++
		}
		if e.Data.ClientID == "" {
			t.noClient++
		}
	}
	return []byte(`{}`), nil
}

func (t *tap) counts(sum *Summary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sum.Events, sum.Rejections, sum.NoClientID, sum.Malformed = maps.Clone(t.byType), maps.Clone(t.byReason), t.noClient, t.malformed
	sum.Sources, sum.Media = maps.Clone(t.bySource), maps.Clone(t.byMedium)
	sum.MigrationFailures = maps.Clone(t.migration)
}
