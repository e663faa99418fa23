package local

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

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/local/dashboard"
	"github.com/cogwatch/cogwatch/local/eventsource"
	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/local/recording"
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
	// Sources counts the events by Cognito trigger source: the journeys
	// (a sign-in's tokens and a refresh's, a sign-up's code and a reset's);
	// Media counts cogwatch.code.sent by medium.
	Sources map[string]int `json:"sources"`
	Media   map[string]int `json:"media"`
	// MigrationFailures counts cogwatch.migration.failed by reason.
	MigrationFailures map[string]int `json:"migrationFailures,omitempty"`
	// EMF sums the triggers' own count metrics (namespace Cogwatch, the
	// [UserPoolId] set) by name, as CloudWatch would extract them from the
	// functions' logs: the metrics that exist even when no event is
	// published (pre token generation without token events).
	EMF map[string]float64 `json:"emf"`
	// Functions counts each function's invocations on the Lambda host.
	Functions map[string]lambdahost.Stats `json:"functions"`
	// Queues counts each event-source mapping's work.
	Queues map[string]eventsource.Stats `json:"queues"`
	// DeadLetters counts the messages in each consumer's dead-letter queue.
	DeadLetters map[string]int `json:"deadLetters"`
	// PutMetricData is what the CloudWatch consumer would have sent.
	PutMetricData recording.MetricDataSummary `json:"putMetricData"`
	// PutEvents is what the EventBridge consumer would have sent.
	PutEvents recording.EventsSummary `json:"putEvents"`
	// Exporter holds the exporter's cogwatch_* samples by series, when it runs.
	Exporter map[string]float64 `json:"exporter,omitempty"`
	// PullExporters holds each pull-mode replica's cogwatch_* samples, as
	// Exporter; PullDeadLetters the messages in their dead-letter queue.
	PullExporters   []map[string]float64 `json:"pullExporters,omitempty"`
	PullDeadLetters int                  `json:"pullDeadLetters,omitempty"`
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
	if s.pullQueue.url != "" {
		c, err := s.depth(ctx, s.pullQueue.url)
		if err != nil {
			return 0, err
		}
		n += c
	}
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
	s.tap.counts(&sum)
	var err error
	if sum.EMF, err = s.emfCounts(ctx); err != nil {
		return sum, err
	}
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
	if err = summarize(filepath.Join(s.dir, PutMetricDataFile), &sum.PutMetricData, recording.SummarizeMetricData); err != nil {
		return sum, err
	}
	if err = summarize(filepath.Join(s.dir, PutEventsFile), &sum.PutEvents, recording.SummarizeEvents); err != nil {
		return sum, err
	}
	if sum.Exporter, err = s.scrapeExporter(ctx); err != nil {
		return sum, err
	}
	if sum.PullExporters, err = s.scrapePullExporters(ctx); err != nil {
		return sum, err
	}
	if s.pullQueue.dlqURL != "" {
		if sum.PullDeadLetters, err = s.depth(ctx, s.pullQueue.dlqURL); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// emfMetrics are the trigger metrics EMF sums: each event type's count,
// and the SMS among the codes sent.
func emfMetrics() []string {
	var names []string
	for _, t := range event.Types() {
		names = append(names, catalog.ForEvent(t))
	}
	return append(names, catalog.SMSSent)
}

// emfCounts sums each of emfMetrics over the whole run, in the [UserPoolId]
// set (one sample per invocation), from the EMF lines the page's store read.
func (s *Stack) emfCounts(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	since, ok := s.metrics.Earliest()
	if !ok {
		return out, nil
	}
	until := time.Now()
	for _, name := range emfMetrics() {
		series, err := s.metrics.Query(ctx, dashboard.Query{
			Namespace: catalog.Namespace, Name: name, Schema: []string{catalog.DimUserPoolID}, Stat: "Sum",
			Since: since, Until: until, Step: until.Sub(since) + time.Second, // one step: the whole run
		})
		if err != nil {
			return nil, fmt.Errorf("EMF %s: %w", name, err)
		}
		for _, ser := range series {
			for _, p := range ser.Points {
				out[name] += p.V
			}
		}
	}
	return out, nil
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

// FailedSignIns returns the failed sign-ins the events count, as on AWS:
// cogwatch.signin.attempted (pre authentication) minus
// cogwatch.signin.succeeded (post authentication). ok is false when no
// attempt was seen: cognito-local calls no pre authentication trigger, so
// locally the events cannot count them.
func (sum Summary) FailedSignIns() (n int, ok bool) {
	attempted := sum.Events[event.SignInAttempted]
	if attempted == 0 {
		return 0, false
	}
	return attempted - sum.Events[event.SignInSucceeded], true
}

// Print writes the summary for people. Where two figures differ by design
// (per-set samples, batches, confirmations beside notifications), a note
// says why, so that every count can be reconciled with another.
func (sum Summary) Print(w io.Writer) {
	fmt.Fprintln(w, "User events published to SNS, by type:")
	total := 0
	for _, t := range event.Types() {
		fmt.Fprintf(w, "  %-28s %d\n", t, sum.Events[t])
		total += sum.Events[t]
	}
	fmt.Fprintf(w, "  %-28s %d\n", "all", total)
	if len(sum.Rejections) > 0 {
		fmt.Fprintf(w, "Rejected sign-ups, by reason (adding up to the %d %s):\n", sum.Events[event.SignUpRejected], event.SignUpRejected)
		for _, r := range sortedKeys(sum.Rejections) {
			fmt.Fprintf(w, "  %-28s %d\n", r, sum.Rejections[r])
		}
	}
	if n := sum.Events[event.MigrationFailed]; n > 0 {
		fmt.Fprintf(w, "Failed migrations, by reason (adding up to the %d %s): %s\n", n, event.MigrationFailed, joinCounts(sum.MigrationFailures))
	}
	if n, ok := sum.FailedSignIns(); ok {
		fmt.Fprintf(w, "Failed sign-ins, from the events (attempted − succeeded): %d − %d = %d\n",
			sum.Events[event.SignInAttempted], sum.Events[event.SignInSucceeded], n)
	} else {
		fmt.Fprintf(w, "Failed sign-ins, from the events (attempted − succeeded): not countable here: cognito-local calls no pre\n"+
			"  authentication trigger, so there is no %s event to subtract the %d succeeded from\n", event.SignInAttempted, sum.Events[event.SignInSucceeded])
	}
	if len(sum.Sources) > 0 {
		fmt.Fprintln(w, "User events by Cognito trigger source (the journeys):")
		for _, src := range sortedKeys(sum.Sources) {
			fmt.Fprintf(w, "  %-40s %d\n", src, sum.Sources[src])
		}
	}
	if n := sum.Events[event.CodeSent]; n > 0 {
		fmt.Fprintf(w, "Codes sent by medium (adding up to the %d %s): %s\n", n, event.CodeSent, joinCounts(sum.Media))
	}
	if len(sum.EMF) > 0 {
		fmt.Fprintln(w, "The triggers' EMF counts (namespace Cogwatch, [UserPoolId] set) beside the events:")
		for _, t := range event.Types() {
			name := catalog.ForEvent(t)
			v, n := sum.EMF[name], sum.Events[t]
			if v == 0 && n == 0 {
				continue
			}
			mark := "="
			if v != float64(n) {
				mark = "≠"
			}
			fmt.Fprintf(w, "  %-28s %5g %s %d %s\n", name, v, mark, n, t)
		}
		if sum.Events[event.CodeSent] > 0 {
			fmt.Fprintf(w, "  %-28s %5g (SMS among the codes: %d by the events' medium)\n", catalog.SMSSent, sum.EMF[catalog.SMSSent], sum.Media[event.MediumSMS])
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
	fmt.Fprintf(w, "  note: a rejected sign-up is the pre sign-up trigger's error (%s %d = %d rejected); warm-ups are answered\n"+
		"  before the handler and not counted as invocations; cognito-local calls AuthenticationFunction after sign-ins only,\n"+
		"  PostConfirmationFunction after confirmations and password resets, PreTokenGenerationFunction for sign-ins and\n"+
		"  refreshes, CustomMessageFunction for each code it sends, UserMigrationFunction (the demo adopter's, in the\n"+
		"  middleware) for each password sign-in of a user it does not have; a failed migration is that function's error\n",
		"PreSignUpFunction", sum.Functions["PreSignUpFunction"].Errors, sum.Events[event.SignUpRejected])
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Queues (event-source mappings)\treceived\tinvocations\tdeleted\tretained\tdead-lettered")
	for _, n := range sortedKeys(sum.Queues) {
		st := sum.Queues[n]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", n, st.Received, st.Invocations, st.Deleted, st.Retained, sum.DeadLetters[n])
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "  note: each queue receives every event once (%d); its function is invoked once per batch\n", total)
	fmt.Fprintf(w, "CloudWatch PutMetricData (recorded): %d calls, %d datums\n", sum.PutMetricData.Calls, sum.PutMetricData.Datums)
	if len(sum.PutMetricData.Samples) > 0 {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  metric\tevents\tdimension sets\tsamples")
		for _, n := range sortedKeys(sum.PutMetricData.Samples) {
			events, samples := sum.PutMetricData.PerPool[n], sum.PutMetricData.Samples[n]
			sets := "-"
			if events > 0 {
				sets = fmt.Sprintf("× %g", samples/events)
			}
			fmt.Fprintf(tw, "  %s\t%g\t%s\t%g\n", n, events, sets, samples)
		}
		_ = tw.Flush()
		fmt.Fprintln(w, "  note: a datum is written once per dimension set ([UserPoolId], [UserPoolId, ClientId], and for\n"+
			"  rejections and failed migrations [UserPoolId, Reason]); events count the [UserPoolId] set: compare\n"+
			"  them with the events above (TriggerLatency: one per event of every type)")
	}
	fmt.Fprintf(w, "EventBridge PutEvents (recorded): %d calls, %d entries (one per event)\n", sum.PutEvents.Calls, sum.PutEvents.Entries)
	if len(sum.Exporter) > 0 {
		fmt.Fprintln(w, "Prometheus exporter (scraped /metrics, series other than zero, pool and client ids summed):")
		for _, n := range sortedKeys(sum.Exporter) {
			v := sum.Exporter[n]
			if v == 0 {
				continue
			}
			if n == exporter.MetricReceived {
				// Received counts every POST from SNS: the subscription's
				// confirmation request too, not only notifications.
				confirmations := sum.Exporter[exporter.MetricConfirmed]
				plural := "s"
				if confirmations == 1 {
					plural = ""
				}
				fmt.Fprintf(w, "  %s %g (%g notifications + %g subscription confirmation%s)\n", n, v, v-confirmations, confirmations, plural)
				continue
			}
			fmt.Fprintf(w, "  %s %g\n", n, v)
		}
	}
	sum.printPull(w, total)
}

// printPull writes what the pull-mode replicas counted, beside the events
// published: their sum is what equals it.
func (sum Summary) printPull(w io.Writer, published int) {
	if len(sum.PullExporters) == 0 {
		return
	}
	fmt.Fprintf(w, "Pull-mode exporters (%d replicas on %s, scraped /metrics):\n", len(sum.PullExporters), PullQueue)
	var counted float64
	for i, m := range sum.PullExporters {
		var events, abandoned float64
		for k, v := range m {
			switch name, _, _ := strings.Cut(k, "{"); name {
			case exporter.MetricUserEvents:
				events += v
			case exporter.MetricSQSAbandoned:
				abandoned += v
			}
		}
		counted += events
		fmt.Fprintf(w, "  replica %d: %g user events, %g duplicates, %g messages abandoned (left for their next receiver)\n",
			i, events, m[exporter.MetricSQSDups], abandoned)
	}
	fmt.Fprintf(w, "  sum over the replicas: %g (events published: %d); dead-lettered: %d\n", counted, published, sum.PullDeadLetters)
}

// joinCounts renders counts as "a=1 b=2", sorted by key.
func joinCounts(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any, K ~string](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int { return strings.Compare(string(a), string(b)) })
	return keys
}
