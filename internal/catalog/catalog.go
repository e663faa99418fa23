// Package catalog names every metric cogwatch emits, in one place, so the
// triggers' EMF lines, the CloudWatch consumer, the dashboards, the alarms and
// README's reference table cannot drift apart.
package catalog

import "github.com/cogwatch/cogwatch/event"

// Namespaces. The triggers write EMF into Namespace; the CloudWatch consumer
// writes the same metric names into DeliveredNamespace, so that the two never
// add up to a double count and their difference shows events lost between
// the trigger and its subscribers.
const (
	Namespace          = "Cogwatch"
	DeliveredNamespace = "Cogwatch/Delivered"
)

// Dimension names.
const (
	DimUserPoolID = "UserPoolId"
	DimClientID   = "ClientId"
	DimReason     = "Reason"
	DimFunction   = "FunctionName"
)

// Metric names.
const (
	SignUpAccepted     = "SignUpAccepted"
	SignUpRejected     = "SignUpRejected"
	SignUpAdminCreated = "SignUpAdminCreated" // admin-created users, which skip the domain check
	UserConfirmed      = "UserConfirmed"
	PasswordReset      = "PasswordReset"
	SignInAttempted    = "SignInAttempted"
	SignInSucceeded    = "SignInSucceeded"

	TriggerLatency  = "TriggerLatency"  // Milliseconds: the trigger's own work, publish included
	PublishLatency  = "PublishLatency"  // Milliseconds: the SNS Publish call
	PublishFailures = "PublishFailures" // Count: events not published (error or budget)
	ColdStarts      = "ColdStarts"      // Count: first invocation of an instance

	EventDecodeFailures = "EventDecodeFailures" // Count: Cognito events a trigger could not decode, answered unchanged

	ChainLatency  = "ChainLatency"  // Milliseconds: the call of the pool's own function a trigger chains
	ChainFailures = "ChainFailures" // Count: chained functions that could not be called or did not answer in time

	WarmupInstances     = "WarmupInstances"     // Count: distinct instances that answered a warm-up
	WarmupColdInstances = "WarmupColdInstances" // Count: of those, how many were cold
	WarmupErrors        = "WarmupErrors"        // Count: warm-up invocations that failed
	WarmupLatency       = "WarmupLatency"       // Milliseconds: slowest warm-up invocation of a target
)

// Unit is a CloudWatch unit name.
type Unit string

// The units cogwatch metrics use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Metric describes one metric.
type Metric struct {
	Name        string
	Unit        Unit
	Description string
	// Dimensions lists the dimension sets it is emitted with.
	Dimensions [][]string
	// Emitters are the cogwatch components that write it.
	Emitters []string
}

var (
	poolSets   = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}}
	reasonSets = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}, {DimUserPoolID, DimReason}}
	fnSets     = [][]string{{DimFunction}}
	noDims     = [][]string{{}} // the empty dimension set: one series per namespace
)

// Metrics lists every metric, in a stable order.
var Metrics = []Metric{
	{SignUpAccepted, Count, "sign-ups the pre sign-up trigger accepted", poolSets, []string{"triggers", "consumers/cloudwatch"}},
	{SignUpRejected, Count, "sign-ups the pre sign-up trigger rejected, by reason", reasonSets, []string{"triggers", "consumers/cloudwatch"}},
	{SignUpAdminCreated, Count, "users created by an administrator (no domain check)", poolSets, []string{"triggers"}},
	{UserConfirmed, Count, "users who confirmed their sign-up", poolSets, []string{"triggers", "consumers/cloudwatch"}},
	{PasswordReset, Count, "users who confirmed a forgotten-password reset", poolSets, []string{"triggers", "consumers/cloudwatch"}},
	{SignInAttempted, Count, "sign-ins that reached pre authentication", poolSets, []string{"triggers", "consumers/cloudwatch"}},
	{SignInSucceeded, Count, "sign-ins that reached post authentication", poolSets, []string{"triggers", "consumers/cloudwatch"}},
	{TriggerLatency, Milliseconds, "time a trigger spent before answering Cognito", poolSets, []string{"triggers", "consumers/cloudwatch"}},
	{PublishLatency, Milliseconds, "time of the SNS Publish call", poolSets, []string{"triggers"}},
	{PublishFailures, Count, "user events a trigger failed to publish (the user still got through)", poolSets, []string{"triggers"}},
	{ColdStarts, Count, "first invocations of a trigger instance", poolSets, []string{"triggers"}},
	{ChainLatency, Milliseconds, "time of the call of the pool's own function a trigger chains (adopted pools)", poolSets, []string{"triggers"}},
	{ChainFailures, Count, "chained functions a trigger could not call or that did not answer within the budget: the user got an error, as without cogwatch", poolSets, []string{"triggers"}},
	{EventDecodeFailures, Count, "Cognito events a trigger could not decode, answered unchanged (the user went on)", noDims, []string{"triggers"}},
	{WarmupInstances, Count, "distinct instances that answered a warm-up round", fnSets, []string{"warmers"}},
	{WarmupColdInstances, Count, "instances that were cold when warmed", fnSets, []string{"warmers"}},
	{WarmupErrors, Count, "warm-up invocations that failed", fnSets, []string{"warmers"}},
	{WarmupLatency, Milliseconds, "slowest warm-up invocation of a round", fnSets, []string{"warmers"}},
}

// ByName returns the metric called name.
func ByName(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// ForEvent returns the count metric of an event type.
func ForEvent(t event.Type) string {
	switch t {
	case event.SignUpAccepted:
		return SignUpAccepted
	case event.SignUpRejected:
		return SignUpRejected
	case event.UserConfirmed:
		return UserConfirmed
	case event.PasswordReset:
		return PasswordReset
	case event.SignInAttempted:
		return SignInAttempted
	case event.SignInSucceeded:
		return SignInSucceeded
	}
	return ""
}
