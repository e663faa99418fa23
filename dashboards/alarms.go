package dashboards

import (
	"strings"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/catalog"
)

// Alarms lists the CloudWatch alarms that page on-call. Each one's actions go
// to the on-call topic; each description ends with a runbook line.
func Alarms() []Alarm {
	trig := triggers()
	p99 := perFunction(trig, "Duration", "p99", "m")
	errs := perFunction(trig, "Errors", "Sum", "m")
	all := functions(func(Function) bool { return true })
	thr := perFunction(all, "Throttles", "Sum", "m")
	consumerErrs := perFunction(functions(func(f Function) bool { return f.Consumer }), "Errors", "Sum", "m")
	var dlqs []Metric
	for _, q := range Queues {
		if q.DLQ {
			dlqs = append(dlqs, Metric{ID: "m" + itoa(len(dlqs)+1), Namespace: NSSQS, Name: "ApproximateNumberOfMessagesVisible",
				Dims: []Dim{{"QueueName", queueName(q)}}, Stat: "Maximum"})
		}
	}
	return []Alarm{
		{
			LogicalID: "TriggerLatencyAlarm", Name: "trigger-p99-near-limit",
			Summary: "A Cognito trigger's p99 duration is above 4 s, near Cognito's 5-second limit: users may see sign-up or sign-in time-outs.",
			Runbook: "open the detail dashboard's trigger duration widget; if PublishLatency is high, SNS is slow (the budget should cap it: check COGWATCH_TRIGGER_BUDGET); if cold starts rose, check the warmer's WarmupErrors; for VPC-attached triggers check NAT/VPC endpoints.",
			Metrics: hide(p99), Exprs: []Expr{{ID: "e1", Expression: "MAX([" + ids(p99) + "])", Label: "slowest trigger p99 (ms)"}}, ReturnID: "e1",
			Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3, Threshold: triggerNearMs, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "TriggerErrorsAlarm", Name: "trigger-errors",
			Summary: "A Cognito trigger returned errors: Cognito shows the user a failure for every one.",
			Runbook: "query the trigger's log group in Logs Insights for level=ERROR and the err key; a bad deploy is the usual cause: roll back with the pipeline.",
			Metrics: hide(errs), Exprs: sumOf(errs, "trigger errors"), ReturnID: "e1",
			Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 0, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "ThrottlesAlarm", Name: "function-throttles",
			Summary: "A cogwatch function is throttled by Lambda: triggers throttled means users fail to sign up or in.",
			Runbook: "check the account's concurrent executions (AWS/Lambda ConcurrentExecutions) and reserved concurrency of the function on the errors/throttles widgets; raise the account quota or reserve concurrency for the triggers.",
			Metrics: hide(thr), Exprs: sumOf(thr, "throttles"), ReturnID: "e1",
			Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 0, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "PublishFailuresAlarm", Name: "publish-failures",
			Summary: "Triggers fail to publish user events to SNS (users still get through, but subscribers miss events).",
			Runbook: "look for the publish error code in the triggers' logs (key err); AuthorizationError/KMS means the role or key policy changed; throttling means raise the SNS Publish quota.",
			Metrics: []Metric{cog("", catalog.PublishFailures, "Sum", "")},
			Period:  300, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 0, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "BreakerOpenAlarm", Name: "sns-breaker-open",
			Summary: "Triggers have skipped SNS for 15 minutes: their circuit breaker stays open, and user events go to their logs instead (recovered only if the log forwarder is deployed).",
			Runbook: "read the publish error codes in the triggers' logs (code key) and SNS's health; if the log forwarder is not deployed, deploy it (LogForwarder=true) or replay the {\"cogwatch\":\"event\"} lines; see docs/triggers.md.",
			Metrics: []Metric{cog("", catalog.PublishSkipped, "Sum", "")},
			Period:  300, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 0, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "ConsumerErrorsAlarm", Name: "consumer-errors",
			Summary: "An SQS consumer of the user-event topic fails: its messages are retried and end in its DLQ.",
			Runbook: "read the consumer's log group for err; PutMetricData/PutEvents access errors mean the role changed; after a fix, redrive the DLQ from the SQS console.",
			Metrics: hide(consumerErrs), Exprs: sumOf(consumerErrs, "consumer errors"), ReturnID: "e1",
			Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 0, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "DeadLetterAlarm", Name: "dlq-not-empty",
			Summary: "A dead-letter queue holds messages: user events were not delivered to a consumer.",
			Runbook: "inspect a message in the DLQ (SQS console, poll), fix the consumer, then start a DLQ redrive to the source queue.",
			Metrics: hide(dlqs), Exprs: sumOf(dlqs, "messages in DLQs"), ReturnID: "e1",
			Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 0, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "FailedSignInRatioAlarm", Name: "failed-signin-ratio",
			Summary: "More than 30 % of sign-in attempts fail (at least 20 attempts in 5 minutes): a credential-stuffing attack or a broken client.",
			Runbook: "split the failures by ClientId on the detail dashboard; if one client, check its release; if spread out, enable Cognito threat protection / WAF rate rules on the user pool.",
			Metrics: []Metric{
				withHidden(cog("m1", catalog.SignInAttempted, "Sum", "")),
				withHidden(cog("m2", catalog.SignInSucceeded, "Sum", "")),
			},
			Exprs:    []Expr{{ID: "e1", Expression: "IF(m1 >= 20, 100 * (m1 - m2) / m1, 0)", Label: "failed sign-in %"}},
			ReturnID: "e1", Period: 300, EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 30, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		{
			LogicalID: "RejectedSignUpSpikeAlarm", Name: "rejected-signup-spike",
			Summary: "Pre sign-up rejects many sign-ups: a bot wave with disposable addresses, or a validation rule that rejects real users.",
			Runbook: "open 'Rejected sign-ups by reason'; disposable_domain spikes are bots (consider WAF); invalid_email or a new reason after a deploy means roll back.",
			Metrics: []Metric{cog("", catalog.SignUpRejected, "Sum", "")}, ThresholdParameter: "RejectedSignUpThreshold",
			Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 50, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		},
		smsPumpingAlarm(),
		migrationCrashAlarm(),
		quotaAlarm("QuotaUserAuthenticationAlarm", "quota-user-authentication", "UserAuthentication"),
		quotaAlarm("QuotaUserCreationAlarm", "quota-user-creation", "UserCreation"),
	}
}

// SMSPumpingWeight is how much more an SMS to a country outside
// COGWATCH_SMS_COUNTRIES weighs than one to an expected country in the
// SMS-pumping alarm: toll fraud goes to countries the product has no users in.
const SMSPumpingWeight = 10

// smsPumpingAlarm pages on an SMS burst, the shape of SMS pumping (toll
// fraud: bots trigger sign-up, resend-code or forgot-password SMS to
// premium numbers): in five minutes, every SMS counts 1 and one to an
// unexpected country SMSPumpingWeight, against SMSPumpingThreshold. The
// custom message trigger writes SMSSent and SMSSentUnexpected (0 or 1)
// with every SMS, so both terms are there whenever an SMS went out.
func smsPumpingAlarm() Alarm {
	return Alarm{
		LogicalID: "SMSPumpingAlarm", Name: "sms-pumping",
		Summary: "An SMS burst: in 5 minutes, SMS sent plus 10 times those to countries outside COGWATCH_SMS_COUNTRIES pass the threshold. SMS pumping (toll fraud through sign-up, resend-code or forgot-password codes) costs money per message.",
		Runbook: "open 'SMS by destination country calling code' and 'Codes sent by source and medium'; if one unexpected country or ResendCode/ForgotPassword dominates, block it: Cognito threat protection, WAF rate rules on the pool, SNS SMS country restrictions or spend limit; then review the clients sending them.",
		Metrics: []Metric{
			withHidden(cog("m1", catalog.SMSSentUnexpected, "Sum", "")),
			withHidden(cog("m2", catalog.SMSSent, "Sum", "")),
		},
		Exprs:    []Expr{{ID: "e1", Expression: itoa(SMSPumpingWeight) + " * m1 + m2", Label: "SMS pumping score"}},
		ReturnID: "e1", ThresholdParameter: "SMSPumpingThreshold",
		Period: 300, EvaluationPeriods: 2, DatapointsToAlarm: 1, Threshold: 100, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
	}
}

// migrationCrashAlarm pages when the adopter's wrapped user migration
// function crashes or runs out of time, as opposed to saying no (reason
// rejected: unknown user or wrong password, which is normal traffic): the
// users of the old directory cannot sign in or reset their password.
func migrationCrashAlarm() Alarm {
	reason := func(id, r string) Metric {
		m := cog(id, catalog.MigrationFailures, "Sum", "")
		m.Dims = append(m.Dims[:1:1], Dim{catalog.DimReason, r})
		return withHidden(m)
	}
	return Alarm{
		LogicalID: "MigrationCrashAlarm", Name: "migration-crashes",
		Summary:  "The wrapped user migration function panicked or ran out of time more than 3 times in 5 minutes: users of the old directory cannot sign in or reset their password.",
		Runbook:  "open 'User migrations' on the detail dashboard; read the migration function's log for the panic or the slow call to the old directory (Cognito waits 5 s); fix or roll back the function.",
		Metrics:  []Metric{reason("m1", event.ReasonMigrationPanic), reason("m2", event.ReasonMigrationTimeout)},
		Exprs:    []Expr{{ID: "e1", Expression: "FILL(m1, 0) + FILL(m2, 0)", Label: "migrations crashed or timed out"}},
		ReturnID: "e1",
		Period:   300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 3, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
	}
}

// quotaAlarm pages when a Cognito API category runs near its quota. Cognito
// publishes CallCount every five minutes, so the alarm reads five-minute
// periods (one datapoint each; a shorter period holds the whole interval's
// calls in one point and nothing in the others), computes the rate per
// second of that period, and pages on two breaching periods out of three:
// ten minutes above the threshold.
func quotaAlarm(id, name, category string) Alarm {
	return Alarm{
		LogicalID: id, Name: name,
		Summary: "Cognito's " + category + " API category runs above 80 % of its requests-per-second quota in two of three 5-minute periods (Cognito publishes its usage every 5 minutes): requests will be throttled.",
		Runbook: "see 'Cognito API calls and throttles by category' for the caller; cache tokens and reduce admin calls, or request a quota increase in Service Quotas (Amazon Cognito User Pools, " + category + ").",
		Metrics: []Metric{withHidden(usage("m1", "CallCount", category, ""))},
		Exprs:   []Expr{{ID: "e1", Expression: "100 * m1 / PERIOD(m1) / SERVICE_QUOTA(m1)", Label: category + " quota use %"}}, ReturnID: "e1",
		Period: cognitoPeriod, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 80, Comparison: "GreaterThanThreshold", TreatMissingData: "notBreaching",
	}
}

func hide(ms []Metric) []Metric {
	out := make([]Metric, len(ms))
	for i, m := range ms {
		m.Hidden = true
		m.Label = ""
		out[i] = m
	}
	return out
}

// sumOf is the alarm expression "e1" adding up ms, labelled label.
func sumOf(ms []Metric, label string) []Expr {
	return []Expr{{ID: "e1", Expression: strings.ReplaceAll(ids(ms), ",", " + "), Label: label}}
}

func ids(ms []Metric) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.ID
	}
	return strings.Join(s, ",")
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// PromRules lists the Prometheus alerting rules over cogwatch-exporter's metrics.
func PromRules() []PromRule {
	att := `sum by (user_pool_id) (rate(cogwatch_user_events_total{type="cogwatch.signin.attempted"}[10m]))`
	suc := `sum by (user_pool_id) (rate(cogwatch_user_events_total{type="cogwatch.signin.succeeded"}[10m]))`
	return []PromRule{
		{
			Alert: "CogwatchFailedSignInRatioHigh", For: "10m", Severity: "page",
			Expr:    "(" + att + " - " + suc + ") / " + att + " > 0.3 and " + att + " * 600 >= 20",
			Summary: "More than 30 % of sign-ins fail in user pool {{ $labels.user_pool_id }}",
			Runbook: "split failures by client_id in Grafana; one client: check its release; spread out: enable Cognito threat protection or WAF rate rules.",
		},
		{
			Alert: "CogwatchRejectedSignUpSpike", For: "5m", Severity: "page",
			Expr:    `sum by (user_pool_id) (increase(cogwatch_user_events_total{type="cogwatch.signup.rejected"}[5m])) > 50`,
			Summary: "More than 50 sign-ups rejected in 5 minutes in user pool {{ $labels.user_pool_id }}",
			Runbook: "group by reason: disposable_domain means bots; a new reason after a deploy means roll back.",
		},
		{
			Alert: "CogwatchCodeSentBurst", For: "5m", Severity: "ticket",
			Expr:    `sum by (user_pool_id) (increase(cogwatch_user_events_total{type="cogwatch.code.sent"}[5m])) > 100`,
			Summary: "More than 100 codes sent in 5 minutes in user pool {{ $labels.user_pool_id }}: a possible SMS-pumping burst",
			Runbook: "the exporter counts codes by type only: open the CloudWatch dashboard's SMS-by-country and codes-by-source widgets; block the country or client with WAF or Cognito threat protection.",
		},
		{
			Alert: "CogwatchMigrationCrashes", For: "1m", Severity: "page",
			Expr:    `sum by (user_pool_id) (increase(cogwatch_user_events_total{type="cogwatch.migration.failed",reason=~"panic|timeout"}[5m])) > 3`,
			Summary: "The wrapped user migration function crashed or timed out more than 3 times in 5 minutes in user pool {{ $labels.user_pool_id }}",
			Runbook: "reason panic: read the migration function's log; timeout: the old directory answers too slowly for Cognito's 5 s; fix or roll back the function. Rejections (unknown user, wrong password) are not counted here.",
		},
		{
			Alert: "CogwatchTriggerLatencyNearLimit", For: "5m", Severity: "page",
			Expr:    `histogram_quantile(0.99, sum by (le, user_pool_id) (rate(cogwatch_trigger_latency_seconds_bucket[5m]))) > 4`,
			Summary: "Trigger p99 latency above 4 s (Cognito gives up at 5 s) in user pool {{ $labels.user_pool_id }}",
			Runbook: "check SNS publish latency and cold starts on the CloudWatch detail dashboard; check the warmer.",
		},
		{
			Alert: "CogwatchExporterRejectsMessages", For: "10m", Severity: "ticket",
			Expr:    `sum by (reason) (rate(cogwatch_exporter_sns_messages_rejected_total[5m])) > 0`,
			Summary: "cogwatch-exporter rejects SNS messages ({{ $labels.reason }})",
			Runbook: "signature: check --sns.topic-arn and the certificate host allow-list; decode: a producer sends a bad event version.",
		},
		{
			Alert: "CogwatchExporterFailing", For: "10m", Severity: "page",
			Expr:    `sum by (reason) (rate(cogwatch_exporter_sns_messages_failed_total[5m])) > 0`,
			Summary: "cogwatch-exporter answers SNS with 5xx ({{ $labels.reason }}): SNS retries, then drops the messages",
			Runbook: "cert_fetch: the exporter cannot reach the SNS signing-certificate host; overload: scale it out; confirm: the subscription confirmation URL is unreachable.",
		},
		{
			Alert: "CogwatchExporterPullFailing", For: "10m", Severity: "page",
			Expr:    `sum(rate(cogwatch_exporter_sqs_errors_total{operation="receive"}[5m])) > 0 and sum(rate(cogwatch_exporter_sqs_messages_received_total[5m])) == 0`,
			Summary: "cogwatch-exporter in pull mode cannot receive from its SQS queue: events wait in the queue, uncounted",
			Runbook: "check the exporter's IAM role (sqs:ReceiveMessage, sqs:DeleteMessage, kms:Decrypt on the queue's key) and its --sqs.queue-url; nothing is lost until the queue's retention period ends.",
		},
		{
			Alert: "CogwatchExporterPullLosses", For: "0m", Severity: "ticket",
			Expr:    `sum(increase(cogwatch_exporter_sqs_messages_abandoned_total{reason="delete_unconfirmed"}[15m])) > 0`,
			Summary: "cogwatch-exporter could not confirm some SQS deletes in the last 15 minutes: its counts may miss as many events as it abandoned with reason delete_unconfirmed",
			Runbook: "a delete answered after the visibility timeout or not at all: check the exporter's network to SQS and its CPU; raise --sqs.visibility-timeout if batches run slow. The CloudWatch consumer's Cogwatch/Delivered counts are the reference.",
		},
		{
			Alert: "CogwatchExporterNoMessages", For: "30m", Severity: "ticket",
			Expr:    `sum(rate(cogwatch_exporter_sns_messages_received_total[30m])) == 0`,
			Summary: "cogwatch-exporter received no SNS message for 30 minutes",
			Runbook: "check the topic's HTTPS subscription is Confirmed and the exporter's endpoint is reachable from SNS; quiet hours may be normal for small pools.",
		},
		{
			Alert: "CogwatchExporterDown", For: "5m", Severity: "page",
			Expr:    `up{job="cogwatch-exporter"} == 0`,
			Summary: "Prometheus cannot scrape cogwatch-exporter {{ $labels.instance }}",
			Runbook: "check the exporter's process and its --web.config.file TLS settings; SNS retries deliveries for a while, so restart soon.",
		},
	}
}
