package benchreport

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Prices are AWS's public on-demand prices the cost model uses, as
// docs/cost.md lists them with their sources.
type Prices struct {
	Region, Date string
	// Per request and per GB-second (first tier, arm64).
	LambdaRequest, LambdaGBSecond float64
	// Per Publish or PublishBatch request; each 64 KB of payload is billed
	// as one request.
	SNSRequest float64
	// Per GB (10⁹ bytes) ingested, standard class.
	LogsGB float64
	// Per PutMetricData request.
	PutMetricData float64
	// What Cognito's Plus tier, needed for its own log export, costs per
	// monthly active user over Essentials.
	PlusPerMAU float64
}

// USEast1 are the prices of us-east-1 on the day they were read.
var USEast1 = Prices{
	Region: "us-east-1", Date: "2026-12-03",
	LambdaRequest: 0.20 / 1e6, LambdaGBSecond: 0.0000133334,
	SNSRequest: 0.50 / 1e6, LogsGB: 0.50, PutMetricData: 0.01 / 1000,
	PlusPerMAU: 0.005,
}

// Assumptions are the figures the model cannot measure without AWS.
type Assumptions struct {
	MemoryGB float64 // of a trigger and of the log forwarder
	// Billed duration of a trigger invocation: with a Publish round trip
	// in the region (the SNS sink, and the naive PutMetricData), and
	// without any network call (the log sink: Lambda's 1 ms minimum).
	NetworkDuration, LogSinkDuration time.Duration
	ForwarderBatch                   int           // events per log-forwarder invocation
	ForwarderDuration                time.Duration // billed per forwarder invocation
	ForwarderLogBytes                int           // the forwarder's own log per invocation (START, END, REPORT)
	CognitoLogBytes                  int           // Cognito's user-activity log per event
	SignInsPerMAU                    float64       // a month's sign-ins per active user
}

// DefaultAssumptions are the ones docs/cost.md states and argues.
var DefaultAssumptions = Assumptions{
	MemoryGB:        0.25,
	NetworkDuration: 20 * time.Millisecond, LogSinkDuration: time.Millisecond,
	ForwarderBatch: 10, ForwarderDuration: 30 * time.Millisecond, ForwarderLogBytes: 600,
	CognitoLogBytes: 1000, SignInsPerMAU: 10,
}

// Costs are the dollars per million journeys (sign-ins or sign-ups) of
// each way to get user events out of the triggers.
type Costs struct {
	SNS, Log, Naive, CognitoPlus float64
}

// snsChunk is the payload SNS bills as one request.
const snsChunk = 64 * 1024

// PerMillion prices a million journeys, each made of the invocations
// given (two per journey). perMAU is how many journeys a monthly active
// user makes: Cognito's export is priced per user, not per event.
func (p Prices) PerMillion(a Assumptions, journey []WireSize, perMAU float64) Costs {
	const million = 1e6
	n := million * float64(len(journey)) // invocations, one event each
	gbs := func(d time.Duration) float64 { return d.Seconds() * a.MemoryGB * p.LambdaGBSecond }
	logs := func(bytes float64) float64 { return bytes / 1e9 * p.LogsGB }

	var snsEMF, logLines, message float64
	for _, w := range journey {
		snsEMF += million * float64(w.SNSEMF)
		logLines += million * float64(w.LogEMF+w.LogEvent)
		message += float64(w.SNSMessage+w.SNSAttributes) / float64(len(journey))
	}
	publishes := n * math.Ceil(message/snsChunk)
	batches := n / float64(a.ForwarderBatch)
	batchRequests := batches * math.Ceil(message*float64(a.ForwarderBatch)/snsChunk)

	var c Costs
	c.SNS = n*p.LambdaRequest + n*gbs(a.NetworkDuration) + publishes*p.SNSRequest + logs(snsEMF)
	c.Log = n*p.LambdaRequest + n*gbs(a.LogSinkDuration) + batchRequests*p.SNSRequest + logs(logLines) +
		batches*(p.LambdaRequest+gbs(a.ForwarderDuration)) + logs(batches*float64(a.ForwarderLogBytes))
	c.Naive = n*p.LambdaRequest + n*gbs(a.NetworkDuration) + n*p.PutMetricData
	c.CognitoPlus = million/perMAU*p.PlusPerMAU + logs(n*float64(a.CognitoLogBytes))
	return c
}

// dollars prints a cost to the cent, with thousands separated.
func dollars(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	whole, cents, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return "$" + whole + "." + cents
}

// Journeys splits the measured invocations into one sign-in and one
// sign-up.
func Journeys(sizes []WireSize) (signIn, signUp []WireSize) {
	for _, w := range sizes {
		if strings.HasPrefix(w.Invocation, "sign-in") {
			signIn = append(signIn, w)
		} else {
			signUp = append(signUp, w)
		}
	}
	return signIn, signUp
}

func (r *Report) writeCost(b *strings.Builder) {
	if len(r.Wire) == 0 {
		return
	}
	p, a := USEast1, DefaultAssumptions
	fmt.Fprintf(b, "## What it costs to run: per million sign-ins and sign-ups\n\n")
	fmt.Fprintf(b, "Bytes each trigger invocation writes, measured from the real handlers (built as their mains build them, hash key and service name set, one invocation of each recorded fixture per sink); lines include their newline:\n\n")
	fmt.Fprintf(b, "| invocation | SNS sink: EMF line | SNS message + attributes | log sink: EMF line | log sink: event line |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, w := range r.Wire {
		fmt.Fprintf(b, "| %s | %d B | %d + %d B | %d B | %d B |\n", w.Invocation, w.SNSEMF, w.SNSMessage, w.SNSAttributes, w.LogEMF, w.LogEvent)
	}
	signIn, signUp := Journeys(r.Wire)
	in := p.PerMillion(a, signIn, a.SignInsPerMAU)
	up := p.PerMillion(a, signUp, 1)
	fmt.Fprintf(b, "\nThose bytes priced at %s's public prices of %s, with the assumptions docs/cost.md states (%.0f MB functions, %s billed per invocation with a network call and %s without, %d events per log-forwarder invocation, %.0f sign-ins per monthly active user; every user who signs up is active that month):\n\n",
		p.Region, p.Date, a.MemoryGB*1024, a.NetworkDuration, a.LogSinkDuration, a.ForwarderBatch, a.SignInsPerMAU)
	fmt.Fprintf(b, "| per million | SNS sink | log sink (+ forwarder) | one PutMetricData per event | Cognito Plus log export |\n| --- | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(b, "| sign-ins | %s | %s | %s | %s |\n", dollars(in.SNS), dollars(in.Log), dollars(in.Naive), dollars(in.CognitoPlus))
	fmt.Fprintf(b, "| sign-ups | %s | %s | %s | %s |\n\n", dollars(up.SNS), dollars(up.Log), dollars(up.Naive), dollars(up.CognitoPlus))
	r.note("Cost per million sign-ins (%s prices of %s, bytes measured): SNS sink %s, log sink %s, one PutMetricData per event %s, Cognito's Plus log export %s.",
		p.Region, p.Date, dollars(in.SNS), dollars(in.Log), dollars(in.Naive), dollars(in.CognitoPlus))
}
