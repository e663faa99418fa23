package warmers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/envconf"
	"github.com/cogwatch/cogwatch/warmers/warmup"
)

// MaxInstances caps the instances a round keeps warm per target: a typo must
// not fan out into thousands of concurrent invocations.
const MaxInstances = 100

// Config is the warmer's configuration, read from the environment.
type Config struct {
	// Targets are warmed when the input names none (COGWATCH_WARM_TARGETS:
	// comma-separated function names, ARNs or name:alias, each optionally
	// followed by =N instances).
	Targets []Target
	// UserPoolID: warm the functions of this user pool's Lambda configuration
	// when the input names no targets (COGWATCH_WARM_USER_POOL_ID).
	UserPoolID string
	// Instances per target when a target does not say
	// (COGWATCH_WARM_CONCURRENCY).
	Instances int
	// Hold is how long after the fan-out starts every invocation holds
	// (COGWATCH_WARM_HOLD, a Go duration). Longer overlaps slower cold
	// starts; every held millisecond is billed N times.
	Hold time.Duration
	// Namespace of the EMF metrics (POWERTOOLS_METRICS_NAMESPACE).
	Namespace string
}

// DefaultConfig holds the defaults LoadConfig starts from.
var DefaultConfig = Config{Instances: 1, Hold: time.Second, Namespace: catalog.Namespace}

// Variables lists the variables LoadConfig reads (docs/configuration.md);
// logging's (internal/logging) and the SDK's (internal/awsconf) come on top.
var Variables = []envconf.Variable{
	{Name: "COGWATCH_WARM_TARGETS", Description: "Functions warmed when the schedule's input names none: comma-separated `function[=N]` (a name, an ARN or name:alias, N instances)."},
	{Name: "COGWATCH_WARM_USER_POOL_ID", Description: "Warm the functions this user pool's Lambda configuration names, when the input names no targets."},
	{Name: "COGWATCH_WARM_CONCURRENCY", Default: strconv.Itoa(DefaultConfig.Instances), Description: fmt.Sprintf("Instances per target when the target does not say (1–%d).", MaxInstances)},
	{Name: "COGWATCH_WARM_HOLD", Default: DefaultConfig.Hold.String(), Description: fmt.Sprintf("Go duration every warm-up invocation holds from the fan-out's start (1ms–%s); each held millisecond is billed N times.", warmup.MaxHold)},
	{Name: "POWERTOOLS_METRICS_NAMESPACE", Default: DefaultConfig.Namespace, Description: "CloudWatch namespace of the warmer's EMF metrics."},
}

// LoadConfig reads the configuration from getenv, starting from DefaultConfig.
// Errors name the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := DefaultConfig
	var errs []error
	if v := strings.TrimSpace(getenv("COGWATCH_WARM_CONCURRENCY")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxInstances {
			errs = append(errs, fmt.Errorf("COGWATCH_WARM_CONCURRENCY: %q is not a whole number from 1 to %d", v, MaxInstances))
		} else {
			c.Instances = n
		}
	}
	if v := strings.TrimSpace(getenv("COGWATCH_WARM_TARGETS")); v != "" {
		t, err := ParseTargets(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("COGWATCH_WARM_TARGETS: %w", err))
		}
		c.Targets = t
	}
	c.UserPoolID = strings.TrimSpace(getenv("COGWATCH_WARM_USER_POOL_ID"))
	if v := strings.TrimSpace(getenv("COGWATCH_WARM_HOLD")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > warmup.MaxHold {
			errs = append(errs, fmt.Errorf("COGWATCH_WARM_HOLD: %q is not a duration from 1ms to %s", v, warmup.MaxHold))
		} else {
			c.Hold = d
		}
	}
	if v := strings.TrimSpace(getenv("POWERTOOLS_METRICS_NAMESPACE")); v != "" {
		c.Namespace = v
	}
	return c, errors.Join(errs...)
}

// ParseTargets parses "fn-a=3,arn:aws:lambda:…:function:fn-b:live,fn-c=2".
// A target without =N has Instances 0: the round's default applies.
func ParseTargets(s string) ([]Target, error) {
	var out []Target
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, count, hasCount := strings.Cut(item, "=")
		t := Target{Function: strings.TrimSpace(name)}
		if t.Function == "" {
			return nil, fmt.Errorf("%q names no function", item)
		}
		if hasCount {
			n, err := strconv.Atoi(strings.TrimSpace(count))
			if err != nil || n < 1 || n > MaxInstances {
				return nil, fmt.Errorf("%q: instances must be a whole number from 1 to %d", item, MaxInstances)
			}
			t.Instances = n
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("no targets")
	}
	return out, nil
}
