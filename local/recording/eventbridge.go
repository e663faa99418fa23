package recording

import (
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/cogwatch/cogwatch/consumers/eventbridge"
)

// PutEvents returns a PutEventsFunc that sends nothing to EventBridge but
// writes each call's input as one JSON line to w, and accepts every entry.
// It is safe for concurrent use. The local stack uses it where no EventBridge
// emulator runs; SummarizeEvents reads the lines back.
func PutEvents(w io.Writer) eventbridge.PutEventsFunc {
	var n int // entries accepted so far; Func serialises the answers
	return Func[eventbridge.PutEventsFunc](w, "PutEvents", func(in *eb.PutEventsInput) *eb.PutEventsOutput {
		out := &eb.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
		for i := range in.Entries {
			n++
			out.Entries[i].EventId = aws.String(fmt.Sprintf("recorded-%d", n))
		}
		return out
	})
}

// EventsSummary counts what a PutEvents file holds.
type EventsSummary struct {
	// Calls is the number of PutEvents calls.
	Calls int `json:"calls"`
	// Entries is the number of entries over all calls.
	Entries int `json:"entries"`
	// ByDetailType counts entries by detail-type (the event type).
	ByDetailType map[string]int `json:"byDetailType"`
}

// SummarizeEvents reads the JSON lines PutEvents wrote.
func SummarizeEvents(r io.Reader) (EventsSummary, error) {
	s := EventsSummary{ByDetailType: map[string]int{}}
	err := Each(r, "PutEvents", 4*eventbridge.MaxCallBytes, func(in *eb.PutEventsInput) {
		s.Calls++
		s.Entries += len(in.Entries)
		for _, e := range in.Entries {
			s.ByDetailType[aws.ToString(e.DetailType)]++
		}
	})
	return s, err
}
