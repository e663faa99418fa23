// Package catalog names every metric cogwatch emits, in one place, so the
// triggers' EMF lines, the CloudWatch consumer, the dashboards, the alarms and
// README's reference table cannot drift apart.
package catalog

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
	PublishFailures = "PublishFailures" // Count: events not published (error or budget), written to the log instead
	PublishSkipped  = "PublishSkipped"  // Count: events the open circuit breaker kept from SNS, written to the log instead
	ColdStarts      = "ColdStarts"      // Count: first invocation of an instance

	EventDecodeFailures = "EventDecodeFailures" // Count: Cognito events a trigger could not decode, answered unchanged

	ChainLatency  = "ChainLatency"  // Milliseconds: the call of the pool's own function a trigger chains
	ChainFailures = "ChainFailures" // Count: chained functions that could not be called or did not answer in time

	WarmupInstances     = "WarmupInstances"     // Count: distinct instances that answered a warm-up
	WarmupColdInstances = "WarmupColdInstances" // Count: of those, how many were cold
	WarmupErrors        = "WarmupErrors"        // Count: warm-up invocations that failed
	WarmupLatency       = "WarmupLatency"       // Milliseconds: slowest warm-up invocation of a target

	EventsForwarded = "EventsForwarded" // Count: events the log forwarder published from trigger logs
	ForwardFailures = "ForwardFailures" // Count: events the log forwarder could not publish or decode (the invocation fails, Lambda retries)
)

// Journeys: tokens, codes sent, federation (pre token generation and custom
// message triggers; federated sign-ups from pre sign-up).
const (
	DimTriggerSource = "TriggerSource" // Cognito's triggerSource: a fixed, documented set per trigger
	DimMedium        = "Medium"        // event.MediumEmail or event.MediumSMS
	DimCountryCode   = "CountryCode"   // an E.164 country calling code (at most 3 digits), or "unknown"
	DimProvider      = "Provider"      // an identity provider name, capped (see triggers.Providers)

	TokensIssued      = "TokensIssued"      // Count: token sets the pre token generation trigger saw, by source
	CodesSent         = "CodesSent"         // Count: messages with a code, by source and medium
	SMSSent           = "SMSSent"           // Count: of those, SMS, by source and destination country calling code
	SMSSentUnexpected = "SMSSentUnexpected" // Count: SMS to a country calling code outside COGWATCH_SMS_COUNTRIES
	FederatedSignUps  = "FederatedSignUps"  // Count: PreSignUp_ExternalProvider sign-ups, by provider
	FederatedSignIns  = "FederatedSignIns"  // Count: hosted sign-ins of federated users, by provider
)

// Journeys through the middleware around an adopter's own functions: user
// migration and custom auth challenges.
const (
	DimChallengeName = "ChallengeName" // a custom challenge's name, capped like Provider

	UsersMigrated     = "UsersMigrated"     // Count: users the migration handler returned, by source
	MigrationFailures = "MigrationFailures" // Count: migrations that failed, by source and reason
	ChallengesIssued  = "ChallengesIssued"  // Count: custom challenges created, by name
	ChallengesPassed  = "ChallengesPassed"  // Count: custom challenges answered correctly, by name
	ChallengesFailed  = "ChallengesFailed"  // Count: custom challenges answered wrongly, by name
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

	// TokenSets, CodeSets, SMSSets and ProviderSets are the journey
	// metrics' dimension sets; the triggers emit them with exactly these.
	TokenSets    = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}, {DimUserPoolID, DimTriggerSource}}
	CodeSets     = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}, {DimUserPoolID, DimTriggerSource, DimMedium}}
	SMSSets      = [][]string{{DimUserPoolID}, {DimUserPoolID, DimTriggerSource}, {DimUserPoolID, DimCountryCode}}
	ProviderSets = [][]string{{DimUserPoolID}, {DimUserPoolID, DimProvider}}

	// MigrationSets, MigrationFailureSets and ChallengeSets are the
	// middleware journeys' dimension sets.
	MigrationSets        = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}, {DimUserPoolID, DimTriggerSource}}
	MigrationFailureSets = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}, {DimUserPoolID, DimTriggerSource}, {DimUserPoolID, DimReason}}
	ChallengeSets        = [][]string{{DimUserPoolID}, {DimUserPoolID, DimClientID}, {DimUserPoolID, DimChallengeName}}
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
	{PublishFailures, Count, "user events a trigger failed to publish, written to its log for the log forwarder (the user still got through)", poolSets, []string{"triggers"}},
	{PublishSkipped, Count, "user events the open circuit breaker kept from SNS, written to the log for the log forwarder", poolSets, []string{"triggers"}},
	{ColdStarts, Count, "first invocations of a trigger instance", poolSets, []string{"triggers"}},
	{ChainLatency, Milliseconds, "time of the call of the pool's own function a trigger chains (adopted pools)", poolSets, []string{"triggers"}},
	{ChainFailures, Count, "chained functions a trigger could not call or that did not answer within the budget: the user got an error, as without cogwatch", poolSets, []string{"triggers"}},
	{EventDecodeFailures, Count, "Cognito events a trigger could not decode, answered unchanged (the user went on)", noDims, []string{"triggers"}},
	{WarmupInstances, Count, "distinct instances that answered a warm-up round", fnSets, []string{"warmers"}},
	{WarmupColdInstances, Count, "instances that were cold when warmed", fnSets, []string{"warmers"}},
	{WarmupErrors, Count, "warm-up invocations that failed", fnSets, []string{"warmers"}},
	{WarmupLatency, Milliseconds, "slowest warm-up invocation of a round", fnSets, []string{"warmers"}},
	{EventsForwarded, Count, "user events the log forwarder published to the topic from trigger logs", noDims, []string{"consumers/logforwarder"}},
	{ForwardFailures, Count, "user events the log forwarder could not publish or decode (the invocation fails: Lambda retries it, then sends it to the on-failure destination)", noDims, []string{"consumers/logforwarder"}},
}

// journeyMetrics are appended to Metrics: they came with the pre token
// generation and custom message triggers.
var journeyMetrics = []Metric{
	{TokensIssued, Count, "token sets issued (pre token generation), by trigger source: sign-in, hosted UI, refresh, new password, device", TokenSets, []string{"triggers", "consumers/cloudwatch"}},
	{CodesSent, Count, "messages carrying a code or temporary password (custom message), by trigger source and medium", CodeSets, []string{"triggers", "consumers/cloudwatch"}},
	{SMSSent, Count, "of those, SMS, by trigger source and destination country calling code (never the number)", SMSSets, []string{"triggers"}},
	{SMSSentUnexpected, Count, "SMS to a country calling code outside COGWATCH_SMS_COUNTRIES (only when it is set)", poolSets[:1], []string{"triggers"}},
	{FederatedSignUps, Count, "sign-ups through an external identity provider, by provider", ProviderSets, []string{"triggers"}},
	{FederatedSignIns, Count, "hosted-UI sign-ins of federated users, by provider", ProviderSets, []string{"triggers"}},
}

// middlewareMetrics are appended after journeyMetrics: the middleware
// writes them around an adopter's user migration and custom auth challenge
// functions.
var middlewareMetrics = []Metric{
	{UsersMigrated, Count, "users the adopter's migration function brought into the pool (middleware), by trigger source: sign-in or forgot password", MigrationSets, []string{"triggers", "consumers/cloudwatch"}},
	{MigrationFailures, Count, "migrations that failed (middleware), by trigger source and reason: rejected (unknown user or wrong password), no_attributes, timeout, panic", MigrationFailureSets, []string{"triggers", "consumers/cloudwatch"}},
	{ChallengesIssued, Count, "custom auth challenges created (middleware), by challenge name", ChallengeSets, []string{"triggers", "consumers/cloudwatch"}},
	{ChallengesPassed, Count, "custom auth challenges answered correctly (middleware), by challenge name", ChallengeSets, []string{"triggers", "consumers/cloudwatch"}},
	{ChallengesFailed, Count, "custom auth challenges answered wrongly (middleware), by challenge name", ChallengeSets, []string{"triggers", "consumers/cloudwatch"}},
}

func init() { Metrics = append(append(Metrics, journeyMetrics...), middlewareMetrics...) }

// ByName returns the metric called name.
func ByName(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// ForEvent returns the count metric of an event type (an event.Type, such
// as "cogwatch.signin.succeeded"), or "" for a type it does not know. It
// takes any string type so that the catalog, a leaf, need not import event;
// its test holds the mapping against event's own constants.
func ForEvent[T ~string](t T) string {
	switch string(t) {
	case "cogwatch.signup.accepted":
		return SignUpAccepted
	case "cogwatch.signup.rejected":
		return SignUpRejected
	case "cogwatch.user.confirmed":
		return UserConfirmed
	case "cogwatch.password.reset":
		return PasswordReset
	case "cogwatch.signin.attempted":
		return SignInAttempted
	case "cogwatch.signin.succeeded":
		return SignInSucceeded
	case "cogwatch.token.issued":
		return TokensIssued
	case "cogwatch.code.sent":
		return CodesSent
	case "cogwatch.user.migrated":
		return UsersMigrated
	case "cogwatch.migration.failed":
		return MigrationFailures
	case "cogwatch.challenge.issued":
		return ChallengesIssued
	case "cogwatch.challenge.passed":
		return ChallengesPassed
	case "cogwatch.challenge.failed":
		return ChallengesFailed
	}
	return ""
}
