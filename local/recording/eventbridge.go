package eventbridge

import (
	"fmt"
	"io"

	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/cogwatch/cogwatch/consumers/internal/recording"
)

// RecordTo returns a PutEventsFunc that sends nothing to EventBridge but
// writes each call's input as one JSON line to w, and accepts every entry.
// It is safe for concurrent use. The local stack uses it where no EventBridge
// emulator runs; Summarize reads the lines back.
func RecordTo(w io.Writer) PutEventsFunc {
	var n int // entries accepted so far; recording.Func serialises the answers
	return recording.Func[PutEventsFunc](w, "PutEvents", func(in *eb.PutEventsInput) *eb.PutEventsOutput {
		out := &eb.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
		for i := range in.Entries {
			n++
			out.Entries[i].EventId = ptr(fmt.Sprintf("recorded-%d", n))
		}
		return out
	})
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
	err := recording.Each(r, "PutEvents", 4*MaxCallBytes, func(in *eb.PutEventsInput) {
		s.Calls++
		s.Entries += len(in.Entries)
		for _, e := range in.Entries {
			s.ByDetailType[deref(e.DetailType)]++
		}
	})
	return s, err
}
