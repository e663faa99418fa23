package localstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cogwatch/cogwatch/consumers/cloudwatch"
	"github.com/cogwatch/cogwatch/consumers/eventbridge"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/eventsource"
	"github.com/cogwatch/cogwatch/internal/lambdahost"
)

// Summary is what went through the stack.
type Summary struct {
	// Events counts the user events the topic delivered, by type; Rejections
	// counts rejected sign-ups by reason; NoClientID the events without an
	// app client id; Malformed the messages that were no user event.
	Events     map[event.Type]int `json:"events"`
	Rejections map[string]int     `json:"rejections"`
	NoClientID int                `json:"noClientId"`
	Malformed  int                `json:"malformed"`
	// Functions counts each function's invocations on the Lambda host.
	Functions map[string]lambdahost.Stats `json:"functions"`
	// Queues counts each event-source mapping's work.
	Queues map[string]eventsource.Stats `json:"queues"`
	// DeadLetters counts the messages in each consumer's dead-letter queue.
	DeadLetters map[string]int `json:"deadLetters"`
	// PutMetricData is what the CloudWatch consumer would have sent.
	PutMetricData cloudwatch.Summary `json:"putMetricData"`
	// PutEvents is what the EventBridge consumer would have sent.
	PutEvents eventbridge.Summary `json:"putEvents"`
	// Exporter holds the exporter's cogwatch_* samples by series, when it runs.
	Exporter map[string]float64 `json:"exporter,omitempty"`
}

// Drain waits until every queue the stack polls is empty and nothing is in
// flight (a batching window included), or ctx ends.
func (s *Stack) Drain(ctx context.Context) error {
	quiet := 0
	for {
		busy, err := s.inFlight(ctx)
		if err != nil {
			return err
		}
		if busy == 0 {
			quiet++
			if quiet >= 3 { // stable across the pollers' next receive
				return nil
			}
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain: %d messages still in flight: %w", busy, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Stack) inFlight(ctx context.Context) (int, error) {
	n := s.sub.busy() // event lines on their way to the log forwarder
	for name := range s.pollers {
		q := s.queues[name]
		c, err := s.depth(ctx, q.url)
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

func (s *Stack) depth(ctx context.Context, url string) (int, error) {
	out, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
		v, err := strconv.Atoi(out.Attributes[k])
		if err != nil {
			return 0, fmt.Errorf("queue depth: %s=%q", k, out.Attributes[k])
		}
		n += v
	}
	return n, nil
}

// Summary reads the counts of every stage. Call Drain first for final figures.
func (s *Stack) Summary(ctx context.Context) (Summary, error) {
	var sum Summary
	sum.Events, sum.Rejections, sum.NoClientID, sum.Malformed = s.tap.counts()
	sum.Functions = map[string]lambdahost.Stats{}
	for _, n := range s.host.Names() {
		sum.Functions[n] = s.host.Stats(n)
	}
	sum.Queues = map[string]eventsource.Stats{}
	sum.DeadLetters = map[string]int{}
	for name, p := range s.pollers {
		sum.Queues[name] = p.Stats()
		if q := s.queues[name]; q.dlqURL != "" {
			n, err := s.depth(ctx, q.dlqURL)
			if err != nil {
				return sum, err
			}
			sum.DeadLetters[name] = n
		}
	}
	if s.sub != nil {
		_, sum.DeadLetters[LogForwarderFunction] = s.LogSubscription()
	}
	var err error
	if err = summarize(filepath.Join(s.dir, PutMetricDataFile), &sum.PutMetricData, cloudwatch.Summarize); err != nil {
		return sum, err
	}
	if err = summarize(filepath.Join(s.dir, PutEventsFile), &sum.PutEvents, eventbridge.Summarize); err != nil {
		return sum, err
	}
	if sum.Exporter, err = s.scrapeExporter(ctx); err != nil {
		return sum, err
	}
	return sum, nil
}

func summarize[T any](path string, into *T, f func(io.Reader) (T, error)) error {
	r, err := os.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	*into, err = f(r)
	return err
}

// Print writes the summary for people.
func (sum Summary) Print(w io.Writer) {
	fmt.Fprintln(w, "User events published to SNS, by type:")
	for _, t := range event.Types() {
		fmt.Fprintf(w, "  %-28s %d\n", t, sum.Events[t])
	}
	if len(sum.Rejections) > 0 {
		fmt.Fprintln(w, "Rejected sign-ups, by reason:")
		for _, r := range sortedKeys(sum.Rejections) {
			fmt.Fprintf(w, "  %-28s %d\n", r, sum.Rejections[r])
		}
	}
	if sum.NoClientID > 0 || sum.Malformed > 0 {
		fmt.Fprintf(w, "Events without a clientId: %d; messages that were no user event: %d\n", sum.NoClientID, sum.Malformed)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Lambda host\tinvocations\terrors\ttimeouts\twarm-ups\tenvironments")
	for _, n := range sortedKeys(sum.Functions) {
		st := sum.Functions[n]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", n, st.Invocations, st.Errors, st.Timeouts, st.Warmups, st.Environments)
	}
	_ = tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Queues (event-source mappings)\treceived\tinvocations\tdeleted\tretained\tdead-lettered")
	for _, n := range sortedKeys(sum.Queues) {
		st := sum.Queues[n]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", n, st.Received, st.Invocations, st.Deleted, st.Retained, sum.DeadLetters[n])
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "CloudWatch PutMetricData (recorded): %d calls, %d datums\n", sum.PutMetricData.Calls, sum.PutMetricData.Datums)
	if len(sum.PutMetricData.Samples) > 0 {
		fmt.Fprintf(w, "  %-28s %-8s %s\n", "metric", "events", "samples over all dimension sets")
	}
	for _, n := range sortedKeys(sum.PutMetricData.Samples) {
		fmt.Fprintf(w, "  %-28s %-8g %g\n", n, sum.PutMetricData.PerPool[n], sum.PutMetricData.Samples[n])
	}
	fmt.Fprintf(w, "EventBridge PutEvents (recorded): %d calls, %d entries\n", sum.PutEvents.Calls, sum.PutEvents.Entries)
	if len(sum.Exporter) > 0 {
		fmt.Fprintln(w, "Prometheus exporter (scraped /metrics, series other than zero, pool and client ids summed):")
		for _, n := range sortedKeys(sum.Exporter) {
			if sum.Exporter[n] != 0 {
				fmt.Fprintf(w, "  %s %g\n", n, sum.Exporter[n])
			}
		}
	}
}

func sortedKeys[V any, K ~string](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int { return strings.Compare(string(a), string(b)) })
	return keys
}
