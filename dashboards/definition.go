package dashboards

import (
	"fmt"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// The AWS namespaces that widgets and alarms may read besides cogwatch's own.
const (
	NSLambda  = "AWS/Lambda"
	NSSQS     = "AWS/SQS"
	NSSNS     = "AWS/SNS"
	NSCognito = "AWS/Cognito"
	NSUsage   = "AWS/Usage"
)

// Placeholders of the template's resources, filled by Fn::Sub in
// template.yaml, by [Params] elsewhere.
const (
	PUserPool     = "${UserPool}"
	PTopicName    = "${UserEventsTopic.TopicName}"
	PRegion       = "${AWS::Region}"
	cognitoUsage  = "Cognito User Pools"
	triggerLimit  = 5000.0 // Cognito's trigger time-out, in ms
	triggerNearMs = 4000.0
	// cognitoPeriod is the interval, in seconds, at which Cognito publishes
	// its metrics (AWS/Cognito) and its quota usage (AWS/Usage).
	cognitoPeriod = 300
)

// minPeriods is the shortest period at which a namespace's metrics can be
// charted: how often AWS publishes them, when coarser than a minute.
var minPeriods = map[string]int{NSCognito: cognitoPeriod, NSUsage: cognitoPeriod}

// Function is a Lambda function of the stack as dashboards see it.
type Function struct {
	LogicalID string
	Label     string
	Trigger   bool // a Cognito trigger, bound by the 5-second limit
	Consumer  bool // an SQS consumer of the user-event topic
}

// Functions lists the functions the dashboards chart.
var Functions = []Function{
	{"PreSignUpFunction", "presignup", true, false},
	{"AuthenticationFunction", "authentication", true, false},
	{"PostConfirmationFunction", "postconfirmation", true, false},
	{"PreTokenGenerationFunction", "pretokengeneration", true, false},
	{"CustomMessageFunction", "custommessage", true, false},
	{"CloudWatchConsumerFunction", "cloudwatch-consumer", false, true},
	{"EventBridgeConsumerFunction", "eventbridge-consumer", false, true},
	{"WarmerFunction", "warmer", false, false},
	{"ApiFunction", "api", false, false},
}

// Queue is an SQS queue of the stack.
type Queue struct {
	LogicalID string
	Label     string
	DLQ       bool
}

// Queues lists the queues the dashboards chart.
var Queues = []Queue{
	{"CloudWatchConsumerQueue", "cloudwatch-consumer", false},
	{"EventBridgeConsumerQueue", "eventbridge-consumer", false},
	{"CloudWatchConsumerDLQ", "cloudwatch-consumer DLQ", true},
	{"EventBridgeConsumerDLQ", "eventbridge-consumer DLQ", true},
}

func fnName(f Function) string    { return "${" + f.LogicalID + "}" }
func queueName(q Queue) string    { return "${" + q.LogicalID + ".QueueName}" }
func pool() []Dim                 { return []Dim{{catalog.DimUserPoolID, PUserPool}} }
func lambdaDims(f Function) []Dim { return []Dim{{"FunctionName", fnName(f)}} }

func cog(id, name, stat, label string) Metric {
	return Metric{ID: id, Namespace: catalog.Namespace, Name: name, Dims: pool(), Stat: stat, Label: label}
}

func functions(pred func(Function) bool) []Function {
	var out []Function
	for _, f := range Functions {
		if pred(f) {
			out = append(out, f)
		}
	}
	return out
}

func triggers() []Function { return functions(func(f Function) bool { return f.Trigger }) }

// perFunction makes one AWS/Lambda line per function.
func perFunction(fs []Function, name, stat, idPrefix string) []Metric {
	out := make([]Metric, 0, len(fs))
	for i, f := range fs {
		id := ""
		if idPrefix != "" {
			id = fmt.Sprintf("%s%d", idPrefix, i+1)
		}
		out = append(out, Metric{ID: id, Namespace: NSLambda, Name: name, Dims: lambdaDims(f), Stat: stat, Label: f.Label})
	}
	return out
}

func cognitoSum(id, name, label string, hidden bool) Search {
	return Search{ID: id, Namespace: NSCognito, Name: name, Schema: []string{"UserPool", "UserPoolClient"},
		Filters: []Dim{{"UserPool", PUserPool}}, Stat: "Sum", Label: label, Sum: true, Hidden: hidden}
}

func usage(id, name, resource, label string) Metric {
	return Metric{ID: id, Namespace: NSUsage, Name: name, Stat: "Sum", Label: label, Dims: []Dim{
		{"Class", "None"}, {"Resource", resource}, {"Service", cognitoUsage}, {"Type", "API"}}}
}

// ev is a PromQL selector of the exporter's user-event counter.
func ev(t event.Type) string {
	return fmt.Sprintf(`sum(rate(cogwatch_user_events_total{type=%q,user_pool_id=~"$user_pool_id"}[$__rate_interval]))`, t)
}

// The widgets, each defined once.
var (
	wSignUps = Widget{Title: "Sign-ups", Width: 8, Height: 6, Unit: "Count",
		Metrics: []Metric{
			cog("", catalog.SignUpAccepted, "Sum", "accepted"),
			cog("", catalog.SignUpRejected, "Sum", "rejected"),
			cog("", catalog.SignUpAdminCreated, "Sum", "created by an administrator"),
		},
		Prom: []PromTarget{{ev(event.SignUpAccepted), "accepted"}, {ev(event.SignUpRejected), "rejected"}}}

	wRejected = Widget{Title: "Rejected sign-ups by reason", Width: 8, Height: 6, Unit: "Count", Stacked: true,
		Searches: []Search{{ID: "s1", Namespace: catalog.Namespace, Name: catalog.SignUpRejected,
			Schema: []string{catalog.DimReason, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"}},
		Prom: []PromTarget{{`sum by (reason) (rate(cogwatch_user_events_total{type="cogwatch.signup.rejected",user_pool_id=~"$user_pool_id"}[$__rate_interval]))`, "{{reason}}"}}}

	wConfirm = Widget{Title: "Confirmations and password resets", Width: 8, Height: 6, Unit: "Count",
		Metrics: []Metric{
			cog("", catalog.UserConfirmed, "Sum", "confirmed"),
			cog("", catalog.PasswordReset, "Sum", "password reset"),
		},
		Prom: []PromTarget{{ev(event.UserConfirmed), "confirmed"}, {ev(event.PasswordReset), "password reset"}}}

	wSignIns = Widget{Title: "Sign-ins: attempted, succeeded, failed", Width: 12, Height: 6, Unit: "Count",
		Metrics: []Metric{
			cog("m1", catalog.SignInAttempted, "Sum", "attempted"),
			cog("m2", catalog.SignInSucceeded, "Sum", "succeeded"),
		},
		Exprs: []Expr{{ID: "e1", Expression: "m1 - m2", Label: "failed"}},
		Prom: []PromTarget{
			{ev(event.SignInAttempted), "attempted"},
			{ev(event.SignInSucceeded), "succeeded"},
			{ev(event.SignInAttempted) + " - " + ev(event.SignInSucceeded), "failed"},
		}}

	wFailRatio = Widget{Title: "Failed sign-in ratio", Width: 12, Height: 6, Unit: "%",
		Metrics: []Metric{
			{ID: "m1", Namespace: catalog.Namespace, Name: catalog.SignInAttempted, Dims: pool(), Stat: "Sum", Hidden: true},
			{ID: "m2", Namespace: catalog.Namespace, Name: catalog.SignInSucceeded, Dims: pool(), Stat: "Sum", Hidden: true},
		},
		Exprs:  []Expr{{ID: "e1", Expression: "100 * (m1 - m2) / m1", Label: "failed %"}},
		HLines: []HLine{{"alarm", 30}},
		Prom: []PromTarget{{"100 * (" + ev(event.SignInAttempted) + " - " + ev(event.SignInSucceeded) +
			") / " + ev(event.SignInAttempted), "failed %"}}}

	wCognito = Widget{Title: "Cognito's own counts (AWS/Cognito) beside cogwatch's", Width: 12, Height: 6, Unit: "Count",
		Searches: []Search{
			cognitoSum("c1", "SignUpSuccesses", "Cognito sign-ups", false),
			cognitoSum("c2", "SignInSuccesses", "Cognito sign-ins", false),
			cognitoSum("c3", "TokenRefreshSuccesses", "Cognito token refreshes", false),
		},
		Metrics: []Metric{
			cog("", catalog.SignUpAccepted, "Sum", "cogwatch sign-ups accepted"),
			cog("", catalog.SignInSucceeded, "Sum", "cogwatch sign-ins succeeded"),
		}}

	wCognitoThrottles = Widget{Title: "Cognito throttles", Width: 12, Height: 6, Unit: "Count",
		Searches: []Search{
			cognitoSum("t1", "SignUpThrottles", "sign-up throttles", false),
			cognitoSum("t2", "SignInThrottles", "sign-in throttles", false),
			cognitoSum("t3", "TokenRefreshThrottles", "token refresh throttles", false),
		}}

	wQuota = Widget{Title: "Cognito quota use (AWS/Usage)", Width: 12, Height: 6, Unit: "%",
		Metrics: []Metric{
			withHidden(usage("u1", "CallCount", "UserAuthentication", "")),
			withHidden(usage("u2", "CallCount", "UserCreation", "")),
			withHidden(usage("u3", "CallCount", "UserAccountRecovery", "")),
		},
		Exprs: []Expr{
			{ID: "q1", Expression: "100 * u1 / PERIOD(u1) / SERVICE_QUOTA(u1)", Label: "UserAuthentication %"},
			{ID: "q2", Expression: "100 * u2 / PERIOD(u2) / SERVICE_QUOTA(u2)", Label: "UserCreation %"},
			{ID: "q3", Expression: "100 * u3 / PERIOD(u3) / SERVICE_QUOTA(u3)", Label: "UserAccountRecovery %"},
		},
		HLines: []HLine{{"alarm", 80}}}

	wUsageCalls = Widget{Title: "Cognito API calls and throttles by category (AWS/Usage)", Width: 12, Height: 6, Unit: "Count",
		Searches: []Search{
			{ID: "a1", Namespace: NSUsage, Name: "CallCount", Schema: []string{"Class", "Resource", "Service", "Type"},
				Filters: []Dim{{"Service", cognitoUsage}, {"Type", "API"}}, Stat: "Sum"},
			{ID: "a2", Namespace: NSUsage, Name: "ThrottleCount", Schema: []string{"Class", "Resource", "Service", "Type"},
				Filters: []Dim{{"Service", cognitoUsage}, {"Type", "API"}}, Stat: "Sum"},
		}}

	wDuration = Widget{Title: "Trigger duration p50 / p99 against Cognito's 5-second limit", Width: 12, Height: 6, Unit: "ms",
		Metrics: append(append(
			perFunction(triggers(), "Duration", "p50", "d"),
			perFunction(triggers(), "Duration", "p99", "p")...),
			cog("", catalog.TriggerLatency, "p99", "cogwatch TriggerLatency p99")),
		HLines: []HLine{{"Cognito's limit", triggerLimit}, {"alarm", triggerNearMs}},
		Prom: []PromTarget{
			{`histogram_quantile(0.5, sum by (le) (rate(cogwatch_trigger_latency_seconds_bucket{user_pool_id=~"$user_pool_id"}[$__rate_interval]))) * 1000`, "p50"},
			{`histogram_quantile(0.99, sum by (le) (rate(cogwatch_trigger_latency_seconds_bucket{user_pool_id=~"$user_pool_id"}[$__rate_interval]))) * 1000`, "p99"},
		}}

	wErrors = Widget{Title: "Errors per function", Width: 8, Height: 6, Unit: "Count",
		Metrics: perFunction(functions(func(Function) bool { return true }), "Errors", "Sum", "")}

	wThrottles = Widget{Title: "Throttles per function", Width: 8, Height: 6, Unit: "Count",
		Metrics: perFunction(functions(func(Function) bool { return true }), "Throttles", "Sum", "")}

	wCold = Widget{Title: "Cold starts", Width: 8, Height: 6, Unit: "Count",
		Metrics: append([]Metric{cog("", catalog.ColdStarts, "Sum", "trigger cold starts (all triggers)")},
			warmerPer(catalog.WarmupColdInstances, "Sum", "cold when warmed: ")...)}

	wWarmups = Widget{Title: "Warm-ups: instances kept warm, errors", Width: 12, Height: 6, Unit: "Count",
		Metrics: append(warmerPer(catalog.WarmupInstances, "Maximum", "warm: "),
			warmerPer(catalog.WarmupErrors, "Sum", "errors: ")...)}

	wPublish = Widget{Title: "User-event publish failures and SNS deliveries", Width: 12, Height: 6, Unit: "Count",
		Metrics: []Metric{
			cog("", catalog.PublishFailures, "Sum", "trigger publish failures"),
			cog("", catalog.PublishSkipped, "Sum", "skipped by the open breaker (to the log)"),
			{Namespace: NSSNS, Name: "NumberOfNotificationsFailed", Dims: []Dim{{"TopicName", PTopicName}}, Stat: "Sum", Label: "SNS deliveries failed"},
			{Namespace: NSSNS, Name: "NumberOfMessagesPublished", Dims: []Dim{{"TopicName", PTopicName}}, Stat: "Sum", Label: "published"},
		},
		Prom: []PromTarget{
			{`sum(rate(cogwatch_exporter_sns_messages_received_total[$__rate_interval]))`, "received by exporter"},
			{`sum by (reason) (rate(cogwatch_exporter_sns_messages_rejected_total[$__rate_interval]))`, "rejected: {{reason}}"},
			{`sum(rate(cogwatch_exporter_sns_messages_duplicates_total[$__rate_interval]))`, "duplicates"},
			{`sum by (reason) (rate(cogwatch_exporter_sns_messages_failed_total[$__rate_interval]))`, "failed: {{reason}}"},
		}}

	wPublishLatency = Widget{Title: "SNS publish latency inside the trigger budget", Width: 12, Height: 6, Unit: "ms",
		Metrics: []Metric{
			cog("", catalog.PublishLatency, "p50", "publish p50"),
			cog("", catalog.PublishLatency, "p99", "publish p99"),
			cog("", catalog.PublishLatency, "Maximum", "publish max"),
		}}

	wConsumers = Widget{Title: "Consumer errors, and events delivered vs emitted", Width: 12, Height: 6, Unit: "Count",
		Metrics: append(perFunction(functions(func(f Function) bool { return f.Consumer }), "Errors", "Sum", "ce"),
			cog("", catalog.SignInSucceeded, "Sum", "sign-ins emitted"),
			Metric{Namespace: catalog.DeliveredNamespace, Name: catalog.SignInSucceeded, Dims: pool(), Stat: "Sum", Label: "sign-ins delivered"})}

	wDepth = queueWidget("Queue depth", "ApproximateNumberOfMessagesVisible", "Maximum", "Count", false)
	wAge   = queueWidget("Age of oldest message", "ApproximateAgeOfOldestMessage", "Maximum", "Seconds", false)
	wDLQ   = queueWidget("DLQ depth", "ApproximateNumberOfMessagesVisible", "Maximum", "Count", true)
)

func withHidden(m Metric) Metric { m.Hidden = true; return m }

func warmerPer(name, stat, prefix string) []Metric {
	var out []Metric
	for _, f := range triggers() {
		out = append(out, Metric{Namespace: catalog.Namespace, Name: name, Dims: []Dim{{catalog.DimFunction, fnName(f)}},
			Stat: stat, Label: prefix + f.Label})
	}
	return out
}

func queueWidget(title, name, stat, unit string, dlq bool) Widget {
	w := Widget{Title: title, Width: 8, Height: 6, Unit: unit}
	for _, q := range Queues {
		if q.DLQ == dlq {
			w.Metrics = append(w.Metrics, Metric{Namespace: NSSQS, Name: name, Dims: []Dim{{"QueueName", queueName(q)}}, Stat: stat, Label: q.Label})
		}
	}
	return w
}

// The journeys' widgets: tokens, codes and SMS, federation.
var (
	wTokens = Widget{Title: "Tokens issued by source (pre token generation)", Width: 8, Height: 6, Unit: "Count", Stacked: true,
		Searches: []Search{{ID: "s1", Namespace: catalog.Namespace, Name: catalog.TokensIssued,
			Schema: []string{catalog.DimTriggerSource, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"}},
		Prom: []PromTarget{{ev(event.TokenIssued), "tokens issued (COGWATCH_TOKEN_EVENTS only)"}}}

	wCodes = Widget{Title: "Codes sent by source and medium (custom message)", Width: 8, Height: 6, Unit: "Count", Stacked: true,
		Searches: []Search{{ID: "s1", Namespace: catalog.Namespace, Name: catalog.CodesSent,
			Schema: []string{catalog.DimMedium, catalog.DimTriggerSource, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"}},
		Prom: []PromTarget{{ev(event.CodeSent), "codes sent"}}}

	wSMS = Widget{Title: "SMS by destination country calling code", Width: 8, Height: 6, Unit: "Count",
		Metrics: []Metric{cog("", catalog.SMSSentUnexpected, "Sum", "to an unexpected country (COGWATCH_SMS_COUNTRIES)")},
		Searches: []Search{{ID: "s1", Namespace: catalog.Namespace, Name: catalog.SMSSent,
			Schema: []string{catalog.DimCountryCode, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"}}}

	wFederated = Widget{Title: "Federated sign-ups and hosted sign-ins by identity provider", Width: 24, Height: 6, Unit: "Count",
		Searches: []Search{
			{ID: "s1", Namespace: catalog.Namespace, Name: catalog.FederatedSignUps,
				Schema: []string{catalog.DimProvider, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
			{ID: "s2", Namespace: catalog.Namespace, Name: catalog.FederatedSignIns,
				Schema: []string{catalog.DimProvider, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
		}}
)

// The middleware journeys' widgets: user migration and custom auth
// challenges, from adopters' own functions wrapped with triggers.Wrap. Empty
// on a pool without them.
var (
	wMigrations = Widget{Title: "User migrations: migrated by source, failures by reason (wrapped migration trigger)", Width: 12, Height: 6, Unit: "Count",
		Searches: []Search{
			{ID: "s1", Namespace: catalog.Namespace, Name: catalog.UsersMigrated,
				Schema: []string{catalog.DimTriggerSource, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
			{ID: "s2", Namespace: catalog.Namespace, Name: catalog.MigrationFailures,
				Schema: []string{catalog.DimReason, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
		},
		Prom: []PromTarget{
			{ev(event.UserMigrated), "migrated"},
			{`sum by (reason) (rate(cogwatch_user_events_total{type="cogwatch.migration.failed",user_pool_id=~"$user_pool_id"}[$__rate_interval]))`, "failed: {{reason}}"},
		}}

	wChallenges = Widget{Title: "Custom auth challenges by name: issued, passed, failed (wrapped challenge triggers)", Width: 12, Height: 6, Unit: "Count",
		Searches: []Search{
			{ID: "s1", Namespace: catalog.Namespace, Name: catalog.ChallengesIssued,
				Schema: []string{catalog.DimChallengeName, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
			{ID: "s2", Namespace: catalog.Namespace, Name: catalog.ChallengesPassed,
				Schema: []string{catalog.DimChallengeName, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
			{ID: "s3", Namespace: catalog.Namespace, Name: catalog.ChallengesFailed,
				Schema: []string{catalog.DimChallengeName, catalog.DimUserPoolID}, Filters: pool(), Stat: "Sum"},
		},
		Prom: []PromTarget{
			{`sum by (result, challenge_name) (rate(cogwatch_auth_challenges_total{user_pool_id=~"$user_pool_id"}[$__rate_interval]))`, "{{result}}: {{challenge_name}}"},
		}}
)

// Summary is the two-week dashboard: how users fare and whether cogwatch keeps up.
func Summary() Dashboard {
	return Dashboard{Name: "summary", Start: "-P14D", Period: 3600, Widgets: []Widget{
		wSignUps, wRejected, wConfirm,
		wSignIns, wFailRatio,
		wCognito, wQuota,
		wDuration, wErrors.withWidth(12),
		wPublish, wDLQ.withWidth(12),
		wTokens, wCodes, wSMS, wFederated,
		wMigrations, wChallenges,
	}}
}

// Detail is the hours-long dashboard on-call opens from a page.
func Detail() Dashboard {
	return Dashboard{Name: "detail", Start: "-PT3H", Period: 60, Widgets: []Widget{
		wSignUps, wRejected, wConfirm,
		wSignIns, wFailRatio,
		wCognito, wCognitoThrottles,
		wQuota, wUsageCalls,
		wDuration, wPublishLatency,
		wPublish, wConsumers,
		wErrors, wThrottles, wCold,
		wWarmups.withWidth(24),
		wDepth, wAge, wDLQ,
		wTokens, wCodes, wSMS, wFederated,
		wMigrations, wChallenges,
	}}
}

// Dashboards lists every CloudWatch dashboard.
func Dashboards() []Dashboard { return []Dashboard{Summary(), Detail()} }

func (w Widget) withWidth(n int) Widget { w.Width = n; return w }
