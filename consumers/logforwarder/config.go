package logforwarder

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/envconf"
)

// PublishBatch limits (SNS API reference, PublishBatch).
const (
	// MaxEntriesPerCall is the most entries one PublishBatch call may carry.
	MaxEntriesPerCall = 10
	// MaxCallBytes bounds the summed message and attribute sizes of one call.
	MaxCallBytes = 256 * 1024
)

// Config configures a Forwarder. Zero fields take DefaultConfig's values.
type Config struct {
	// TopicARN is the user-event topic (USER_EVENTS_TOPIC_ARN).
	TopicARN string
	// Namespace is the namespace of the forwarder's EMF metrics
	// (POWERTOOLS_METRICS_NAMESPACE).
	Namespace string
	// MaxEntriesPerCall and MaxCallBytes bound each call; tests lower them.
	MaxEntriesPerCall int
	MaxCallBytes      int
	// Retry bounds the retries of throttled calls and entries.
	Retry awsretry.Policy
}

// DefaultConfig holds every default in one place.
var DefaultConfig = Config{
	Namespace:         catalog.Namespace,
	MaxEntriesPerCall: MaxEntriesPerCall,
	MaxCallBytes:      MaxCallBytes,
	Retry:             sqsbatch.DefaultPolicy,
}

func (o Config) withDefaults() Config {
	d := DefaultConfig
	if o.Namespace == "" {
		o.Namespace = d.Namespace
	}
	o.MaxEntriesPerCall = sqsbatch.Bound(o.MaxEntriesPerCall, MaxEntriesPerCall)
	o.MaxCallBytes = sqsbatch.Bound(o.MaxCallBytes, MaxCallBytes)
	o.Retry = cmp.Or(o.Retry, d.Retry)
	return o
}

// Variables lists the variables LoadConfig reads (docs/configuration.md);
// logging's (internal/logging) and the SDK's (internal/awsconf) come on top.
var Variables = []envconf.Variable{
	{Name: "USER_EVENTS_TOPIC_ARN", Description: "Required. ARN of the SNS topic the events recovered from the triggers' logs are published to (the triggers' own topic)."},
	{Name: "POWERTOOLS_METRICS_NAMESPACE", Default: DefaultConfig.Namespace, Description: "CloudWatch namespace of the forwarder's EMF metrics."},
}

// LoadConfig reads the forwarder's configuration from the environment, starting
// from DefaultConfig. Errors name the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	o := DefaultConfig
	o.TopicARN = strings.TrimSpace(getenv("USER_EVENTS_TOPIC_ARN"))
	if !awsconf.IsTopicARN(o.TopicARN) {
		return Config{}, fmt.Errorf("USER_EVENTS_TOPIC_ARN: %q is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>)", o.TopicARN)
	}
	if v := strings.TrimSpace(getenv("POWERTOOLS_METRICS_NAMESPACE")); v != "" {
		o.Namespace = v
	}
	return o, nil
}
