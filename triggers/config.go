package triggers

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/envconf"
	"github.com/cogwatch/cogwatch/internal/lambdaarn"
	"github.com/cogwatch/cogwatch/internal/logging"
	"github.com/cogwatch/cogwatch/triggers/disposable"
)

// MaxBudget is Cognito's limit: it abandons a trigger after 5 seconds (and
// retries). A budget must leave room below it.
const MaxBudget = 5 * time.Second

// MinHashKeyLength is the shortest COGWATCH_HASH_KEY accepted, in bytes.
const MinHashKeyLength = 16

// Config is the configuration of every trigger, read once from the
// environment at start. Its zero value is not valid: start from
// DefaultConfig.
type Config struct {
	// TopicARN is the SNS topic user events go to (USER_EVENTS_TOPIC_ARN).
	// Empty: events are not published; metrics still are.
	TopicARN string
	// Budget bounds the trigger's answer to Cognito, publishing included
	// (COGWATCH_TRIGGER_BUDGET). 0 < Budget < MaxBudget.
	Budget time.Duration
	// HashKey keys the HMAC-SHA256 email hash in events (COGWATCH_HASH_KEY).
	// Empty: events carry no hash.
	HashKey []byte
	// IncludeEmail puts the full email address in events
	// (COGWATCH_INCLUDE_EMAIL). Logs never carry it.
	IncludeEmail bool
	// ExtraDisposableDomains are also disposable, with their subdomains
	// (COGWATCH_EXTRA_DISPOSABLE_DOMAINS), normalised.
	ExtraDisposableDomains []string
	// AllowedDomains are never disposable, with their subdomains
	// (COGWATCH_ALLOWED_DOMAINS), normalised.
	AllowedDomains []string
	// Namespace is the EMF namespace (POWERTOOLS_METRICS_NAMESPACE).
	Namespace string
	// ServiceName is written on log lines and EMF documents as "service"
	// (POWERTOOLS_SERVICE_NAME). Optional.
	ServiceName string
	// LogLevel is the minimum log level (POWERTOOLS_LOG_LEVEL); Lambda's own
	// AWS_LAMBDA_LOG_LEVEL, when set, wins (see internal/logging).
	LogLevel slog.Level
	// EventSink is where user events go (COGWATCH_EVENT_SINK): SinkSNS
	// publishes each to TopicARN; SinkLog writes each to the function's log,
	// where the log forwarder picks it up, and makes no network call.
	EventSink Sink
	// Breaker guards the SNS publish (SinkSNS only).
	Breaker BreakerConfig
	// TokenEvents publishes a cogwatch.token.issued event per token set
	// (COGWATCH_TOKEN_EVENTS). Off by default: pre token generation runs on
	// every refresh; its metrics are always written.
	TokenEvents bool
	// SMSCountries are the country calling codes SMS are expected to go to
	// (COGWATCH_SMS_COUNTRIES, e.g. "1,44"); an SMS elsewhere counts in
	// SMSSentUnexpected. Empty: no SMS is unexpected.
	SMSCountries []string
	// Chain names, by LambdaConfig slot, the pool's own function a trigger
	// calls after its own work (COGWATCH_CHAIN_PRE_SIGN_UP, …; see
	// ChainSlots): an adopted pool's trigger, which keeps deciding.
	Chain map[string]string
}

// Sink names where a trigger sends its user events.
type Sink string

// The event sinks.
const (
	SinkSNS Sink = "sns"
	SinkLog Sink = "log"
)

// BreakerConfig configures the per-instance circuit breaker of the SNS
// publish; see docs/triggers.md.
type BreakerConfig struct {
	// Failures is how many publishes in a row must fail (an error or the
	// budget running out) to open the breaker (COGWATCH_BREAKER_FAILURES).
	// 0 turns the breaker off.
	Failures int
	// Cooldown is how long an open breaker skips SNS before it lets one
	// probe through (COGWATCH_BREAKER_COOLDOWN).
	Cooldown time.Duration
	// ProbeBudget bounds that probe, a single attempt
	// (COGWATCH_BREAKER_PROBE_BUDGET): the most an invocation waits on SNS
	// once the breaker has opened.
	ProbeBudget time.Duration
}

// MaxBreakerFailures and MaxBreakerCooldown bound the breaker's settings.
const (
	MaxBreakerFailures = 1000
	MaxBreakerCooldown = time.Hour
)

// DefaultConfig is the configuration with no environment variable set.
var DefaultConfig = Config{
	Budget:    3 * time.Second,
	Namespace: catalog.Namespace,
	LogLevel:  slog.LevelInfo,
	EventSink: SinkSNS,
	Breaker:   DefaultBreaker,
}

// DefaultBreaker is the breaker with no variable set: three failures in a
// row open it, for 30 s, then one probe of at most 40 ms. An instance sees
// Cognito's traffic one invocation at a time, so three failures are three
// users who each waited the whole budget; a transient error rarely repeats
// three times in a row. The probe budget is short enough that no invocation
// after the breaker opened waits more than that on SNS, and long enough for
// a healthy SNS Publish in the same region, new connection included.
var DefaultBreaker = BreakerConfig{Failures: 3, Cooldown: 30 * time.Second, ProbeBudget: 40 * time.Millisecond}

// LogValue leaves the hash key out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("topicArn", c.TopicARN),
		slog.Duration("budget", c.Budget),
		slog.Bool("hashKey", len(c.HashKey) > 0),
		slog.Bool("includeEmail", c.IncludeEmail),
		slog.Int("extraDisposableDomains", len(c.ExtraDisposableDomains)),
		slog.Int("allowedDomains", len(c.AllowedDomains)),
		slog.String("namespace", c.Namespace),
		slog.String("service", c.ServiceName),
		slog.String("logLevel", c.LogLevel.String()),
		slog.String("eventSink", string(c.EventSink)),
		slog.Int("breakerFailures", c.Breaker.Failures),
		slog.Duration("breakerCooldown", c.Breaker.Cooldown),
		slog.Duration("breakerProbeBudget", c.Breaker.ProbeBudget),
		slog.Bool("tokenEvents", c.TokenEvents),
		slog.Any("smsCountries", c.SMSCountries),
		slog.Any("chain", c.Chain),
	)
}

// Variable documents one environment variable (the convention of every
// function: internal/envconf).
type Variable = envconf.Variable

// Variables lists every environment variable LoadConfig reads, in the order
// of docs/configuration.md (generated from it).
var Variables = []Variable{
	{Name: "USER_EVENTS_TOPIC_ARN", Default: "", Description: "ARN of the SNS topic user events are published to. Unset: events are not published (metrics still are)."},
	{Name: "COGWATCH_TRIGGER_BUDGET", Default: DefaultConfig.Budget.String(), Description: fmt.Sprintf("Go duration within which a trigger answers Cognito, publishing included; above 0 and below Cognito's 5s limit. A publish still running at the budget, or %d ms before the function's deadline if earlier, is abandoned and counted in PublishFailures.", Reserve.Milliseconds())},
	{Name: "COGWATCH_HASH_KEY", Default: "", Description: fmt.Sprintf("Key (at least %d bytes) of the email hash in events: hex HMAC-SHA256 of the lower-cased address. Unset: no hash.", MinHashKeyLength)},
	{Name: "COGWATCH_INCLUDE_EMAIL", Default: "false", Description: "`true` puts the full email address in events. Logs never carry it."},
	{Name: "COGWATCH_EXTRA_DISPOSABLE_DOMAINS", Default: "", Description: "Comma-separated domains rejected at sign-up as disposable, with their subdomains, besides the built-in list."},
	{Name: "COGWATCH_ALLOWED_DOMAINS", Default: "", Description: "Comma-separated domains never rejected as disposable, with their subdomains, whatever the lists say."},
	{Name: "POWERTOOLS_METRICS_NAMESPACE", Default: DefaultConfig.Namespace, Description: "CloudWatch namespace of the triggers' EMF metrics."},
	{Name: "POWERTOOLS_SERVICE_NAME", Default: "", Description: "Service name added to every log line and EMF document as `service`."},
	{Name: "POWERTOOLS_LOG_LEVEL", Default: "INFO", Description: "Minimum log level: DEBUG, INFO, WARN or ERROR. Lambda's AWS_LAMBDA_LOG_LEVEL wins when set."},
	{Name: "AWS_LAMBDA_LOG_LEVEL", Description: "Set by Lambda's advanced logging controls; wins over POWERTOOLS_LOG_LEVEL (TRACE logs as DEBUG, FATAL as ERROR)."},
	{Name: "COGWATCH_EVENT_SINK", Default: string(DefaultConfig.EventSink), Description: "Where user events go. `sns`: published to the topic, inside the budget, with the circuit breaker below. `log`: written to the function's log as one line each (`{\"cogwatch\":\"event\",…}`), no network call; the log forwarder publishes them to the topic. `log` refuses COGWATCH_INCLUDE_EMAIL=true: logs never carry an address."},
	{Name: "COGWATCH_BREAKER_FAILURES", Default: strconv.Itoa(DefaultBreaker.Failures), Description: fmt.Sprintf("Publishes failed in a row (errors or budget overruns) that open the instance's circuit breaker: SNS is then skipped and the events are written to the log instead (counted in PublishSkipped). 0 turns the breaker off; at most %d.", MaxBreakerFailures)},
	{Name: "COGWATCH_BREAKER_COOLDOWN", Default: DefaultBreaker.Cooldown.String(), Description: fmt.Sprintf("Go duration an open breaker skips SNS before it lets one publish through as a probe; success closes it, failure opens it again. Above 0, at most %s.", MaxBreakerCooldown)},
	{Name: "COGWATCH_BREAKER_PROBE_BUDGET", Default: DefaultBreaker.ProbeBudget.String(), Description: "Go duration bounding the probe (one attempt, no retry): the longest an invocation waits on SNS once the breaker has opened. Above 0, at most COGWATCH_TRIGGER_BUDGET."},
	{Name: "COGWATCH_TOKEN_EVENTS", Default: "false", Description: "`true` makes the pre token generation trigger publish a `cogwatch.token.issued` event per token set. Off by default: it runs on every token refresh, and a Publish costs $0.50 per million plus delivery; its EMF metrics are always written."},
	{Name: "COGWATCH_SMS_COUNTRIES", Default: "", Description: "Comma-separated country calling codes (`1,44`) SMS are expected to go to; the custom message trigger counts an SMS elsewhere in SMSSentUnexpected, which the SMS-pumping alarm weighs. Unset: none is unexpected."},
	{Name: "COGWATCH_CHAIN_PRE_SIGN_UP", Default: "", Description: "ARN (a version or alias allowed) of the pool's own pre sign-up function, called after cogwatch's checks with the same event; its response or error is the answer to Cognito. Set by the template for an adopted pool (docs/adopt.md)."},
	{Name: "COGWATCH_CHAIN_PRE_AUTHENTICATION", Default: "", Description: "The same for the pre authentication slot."},
	{Name: "COGWATCH_CHAIN_POST_AUTHENTICATION", Default: "", Description: "The same for the post authentication slot."},
	{Name: "COGWATCH_CHAIN_POST_CONFIRMATION", Default: "", Description: "The same for the post confirmation slot."},
	{Name: "COGWATCH_CHAIN_PRE_TOKEN_GENERATION", Default: "", Description: "The same for the pre token generation slot: the function gets the event version the pool sends (`PreTokenGenerationConfig.LambdaVersion`), and the claims and scopes its response overrides are what Cognito issues."},
	{Name: "COGWATCH_CHAIN_CUSTOM_MESSAGE", Default: "", Description: "The same for the custom message slot: the message and subject its response sets are what Cognito sends."},
}

// LoadConfig reads the configuration from getenv (os.Getenv in a Lambda),
// starting from DefaultConfig. An error names the variable at fault and
// never echoes a secret.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := DefaultConfig
	var errs []error
	fail := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}

	if v := strings.TrimSpace(getenv("USER_EVENTS_TOPIC_ARN")); v != "" {
		if !awsconf.IsTopicARN(v) {
			fail("USER_EVENTS_TOPIC_ARN", "%q is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>)", v)
		}
		c.TopicARN = v
	}
	if v := strings.TrimSpace(getenv("COGWATCH_TRIGGER_BUDGET")); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			fail("COGWATCH_TRIGGER_BUDGET", "%q is not a Go duration such as 3s or 2500ms", v)
		case d <= 0:
			fail("COGWATCH_TRIGGER_BUDGET", "%s is not above 0", v)
		case d >= MaxBudget:
			fail("COGWATCH_TRIGGER_BUDGET", "%s is not below Cognito's %s limit", v, MaxBudget)
		default:
			c.Budget = d
		}
	}
	if v := getenv("COGWATCH_HASH_KEY"); v != "" {
		if len(v) < MinHashKeyLength {
			fail("COGWATCH_HASH_KEY", "%d bytes is too short, use at least %d", len(v), MinHashKeyLength)
		}
		c.HashKey = []byte(v)
	}
	if v := strings.TrimSpace(getenv("COGWATCH_INCLUDE_EMAIL")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("COGWATCH_INCLUDE_EMAIL", "%q is not true or false", v)
		}
		c.IncludeEmail = b
	}
	for _, name := range []string{"COGWATCH_EXTRA_DISPOSABLE_DOMAINS", "COGWATCH_ALLOWED_DOMAINS"} {
		domains, err := domainList(getenv(name))
		if err != nil {
			fail(name, "%w", err)
		}
		if name == "COGWATCH_ALLOWED_DOMAINS" {
			c.AllowedDomains = domains
		} else {
			c.ExtraDisposableDomains = domains
		}
	}
	if v := strings.TrimSpace(getenv("POWERTOOLS_METRICS_NAMESPACE")); v != "" {
		if err := checkNamespace(v); err != nil {
			fail("POWERTOOLS_METRICS_NAMESPACE", "%q %w", v, err)
		}
		c.Namespace = v
	}
	// Parsed here once, and the logger built from it (see fromEnv).
	lc, err := logging.LoadConfig(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.ServiceName, c.LogLevel = lc.Service, lc.Level
	switch v := Sink(strings.ToLower(strings.TrimSpace(getenv("COGWATCH_EVENT_SINK")))); v {
	case "":
	case SinkSNS, SinkLog:
		c.EventSink = v
	default:
		fail("COGWATCH_EVENT_SINK", "%q is not sns or log", string(v))
	}
	if c.EventSink == SinkLog && c.IncludeEmail {
		fail("COGWATCH_EVENT_SINK", "log writes events to the log, which never carries an address: unset COGWATCH_INCLUDE_EMAIL or use sns")
	}
	if v := strings.TrimSpace(getenv("COGWATCH_BREAKER_FAILURES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxBreakerFailures {
			fail("COGWATCH_BREAKER_FAILURES", "%q is not a whole number from 0 to %d", v, MaxBreakerFailures)
		} else {
			c.Breaker.Failures = n
		}
	}
	if d, ok := duration(getenv, "COGWATCH_BREAKER_COOLDOWN", fail); ok {
		if d > MaxBreakerCooldown {
			fail("COGWATCH_BREAKER_COOLDOWN", "%s is above %s", d, MaxBreakerCooldown)
		} else {
			c.Breaker.Cooldown = d
		}
	}
	if d, ok := duration(getenv, "COGWATCH_BREAKER_PROBE_BUDGET", fail); ok {
		c.Breaker.ProbeBudget = d
	}
	if c.Breaker.ProbeBudget > c.Budget {
		fail("COGWATCH_BREAKER_PROBE_BUDGET", "%s is above the trigger budget %s", c.Breaker.ProbeBudget, c.Budget)
	}
	if v := strings.TrimSpace(getenv("COGWATCH_TOKEN_EVENTS")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("COGWATCH_TOKEN_EVENTS", "%q is not true or false", v)
		}
		c.TokenEvents = b
	}
	for cc := range strings.SplitSeq(getenv("COGWATCH_SMS_COUNTRIES"), ",") {
		cc = strings.TrimPrefix(strings.TrimSpace(cc), "+")
		if cc == "" {
			continue
		}
		if !isCallingCode(cc) {
			fail("COGWATCH_SMS_COUNTRIES", "%q is not a country calling code such as 44", cc)
			continue
		}
		c.SMSCountries = append(c.SMSCountries, cc)
	}
	for _, cs := range ChainSlots {
		v := strings.TrimSpace(getenv(cs.Variable))
		if v == "" {
			continue
		}
		if _, err := lambdaarn.Parse(v); err != nil {
			fail(cs.Variable, "%w", err)
			continue
		}
		if c.Chain == nil {
			c.Chain = map[string]string{}
		}
		c.Chain[cs.Slot] = v
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// duration reads a positive Go duration from the variable name; ok is
// false when it is unset or bad (then reported through fail).
func duration(getenv func(string) string, name string, fail func(string, string, ...any)) (time.Duration, bool) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		fail(name, "%q is not a Go duration such as 30s or 40ms", v)
	case d <= 0:
		fail(name, "%s is not above 0", v)
	default:
		return d, true
	}
	return 0, false
}

// domainList parses a comma-separated list of domain names.
func domainList(v string) ([]string, error) {
	var out []string
	for d := range strings.SplitSeq(v, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		n, err := disposable.Normalize(d)
		if err != nil || !strings.Contains(n, ".") {
			return nil, fmt.Errorf("%q is not a domain name", d)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkNamespace applies CloudWatch's namespace rules (the emf package
// enforces the same).
func checkNamespace(ns string) error {
	if len(ns) > 255 {
		return errors.New("is longer than 255 bytes")
	}
	if strings.HasPrefix(ns, "AWS/") {
		return errors.New("starts with AWS/, which is reserved for AWS services")
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(" .-_/#:", c) >= 0) {
			return errors.New("may only contain letters, digits, spaces and . - _ / # : characters")
		}
	}
	return nil
}
