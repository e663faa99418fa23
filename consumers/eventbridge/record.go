package eventbridge

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// RecordTo returns a PutEventsFunc that sends nothing to EventBridge but
// writes each call's input as one JSON line to w, and accepts every entry.
// It is safe for concurrent use. The local stack uses it where no EventBridge
// emulator runs; Summarize reads the lines back.
func RecordTo(w io.Writer) PutEventsFunc {
	var mu sync.Mutex
	var n int
	return func(ctx context.Context, in *eb.PutEventsInput, _ ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		line, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("record PutEvents: %w", err)
		}
		line = append(line, '\n')
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.Write(line); err != nil {
			return nil, fmt.Errorf("record PutEvents: %w", err)
		}
		out := &eb.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
		for i := range in.Entries {
			n++
			out.Entries[i].EventId = ptr(fmt.Sprintf("recorded-%d", n))
		}
		return out, nil
	}
}

// Summary counts what a RecordTo file holds.
type Summary struct {
	// Calls is the number of PutEvents calls.
	Calls int `json:"calls"`
	// Entries is the number of entries over all calls.
	Entries int `json:"entries"`
	// ByDetailType counts entries by detail-type (the event type).
	ByDetailType map[string]int `json:"byDetailType"`
}

// Summarize reads the JSON lines RecordTo wrote.
func Summarize(r io.Reader) (Summary, error) {
	s := Summary{ByDetailType: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4*MaxCallBytes)
	for sc.Scan() {
		var in eb.PutEventsInput
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			return s, fmt.Errorf("summarize PutEvents record %d: %w", s.Calls+1, err)
		}
		s.Calls++
		s.Entries += len(in.Entries)
		for _, e := range in.Entries {
			s.ByDetailType[deref(e.DetailType)]++
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("summarize PutEvents records: %w", err)
	}
	return s, nil
}
