package cloudwatch

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/envconf"
)

// PutMetricData limits (CloudWatch API reference, PutMetricData and MetricDatum).
const (
	// MaxDatumsPerCall is the most MetricData entries one call may carry.
	MaxDatumsPerCall = 1000
	// MaxValuesPerDatum is the most distinct values one datum's Values array may hold.
	MaxValuesPerDatum = 150
	// MaxDimensionsPerDatum is the most dimensions one datum may carry.
	MaxDimensionsPerDatum = 30
	// MaxRequestBytes bounds the serialized (uncompressed, Smithy RPC v2 CBOR)
	// request body. CloudWatch limits a request to 1 MB; this stays about 5%
	// under 1 MiB and under 1,000,000 bytes whichever way "MB" is read, and
	// applies before the SDK's gzip request compression, so it holds whether
	// the service measures the compressed or the uncompressed body.
	MaxRequestBytes = 1_000_000
	// MaxAge is how old a data point may be. CloudWatch accepts two weeks; the
	// margin covers the time between the check and the (retried) call.
	MaxAge = 14*24*time.Hour - 10*time.Minute
	// MaxAhead is how far in the future a data point may be. CloudWatch
	// accepts two hours; the margin is the same as MaxAge's.
	MaxAhead = 2*time.Hour - 10*time.Minute
)

// Config configures a Consumer. The zero value works: every zero field takes
// its value from DefaultConfig.
type Config struct {
	// Namespace receives the metrics. It must not be catalog.Namespace, where
	// the triggers' EMF lines already put the same metric names.
	Namespace string
	// MaxDatumsPerCall, MaxValuesPerDatum and MaxRequestBytes bound each call;
	// tests lower them, production keeps the service limits.
	MaxDatumsPerCall  int
	MaxValuesPerDatum int
	MaxRequestBytes   int
	// MaxAge and MaxAhead bound event time against Now; events outside are
	// batch item failures.
	MaxAge   time.Duration
	MaxAhead time.Duration
	// Retry bounds the retries of throttled calls.
	Retry awsretry.Policy
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// DefaultConfig holds every default in one place.
var DefaultConfig = Config{
	Namespace:         catalog.DeliveredNamespace,
	MaxDatumsPerCall:  MaxDatumsPerCall,
	MaxValuesPerDatum: MaxValuesPerDatum,
	MaxRequestBytes:   MaxRequestBytes,
	MaxAge:            MaxAge,
	MaxAhead:          MaxAhead,
	Retry:             sqsbatch.DefaultPolicy,
	Now:               time.Now,
}

func (o Config) withDefaults() Config {
	d := DefaultConfig
	if o.Namespace == "" {
		o.Namespace = d.Namespace
	}
	o.MaxDatumsPerCall = sqsbatch.Bound(o.MaxDatumsPerCall, MaxDatumsPerCall)
	o.MaxValuesPerDatum = sqsbatch.Bound(o.MaxValuesPerDatum, MaxValuesPerDatum)
	o.MaxRequestBytes = sqsbatch.Bound(o.MaxRequestBytes, MaxRequestBytes)
	if o.MaxAge <= 0 {
		o.MaxAge = d.MaxAge
	}
	if o.MaxAhead <= 0 {
		o.MaxAhead = d.MaxAhead
	}
	o.Retry = cmp.Or(o.Retry, d.Retry)
	if o.Now == nil {
		o.Now = d.Now
	}
	return o
}

// EnvNamespace names the environment variable that overrides the namespace.
// POWERTOOLS_METRICS_NAMESPACE is deliberately not read: a stack sets it for
// the triggers' EMF, and reusing it here would count every event twice.
const EnvNamespace = "COGWATCH_DELIVERED_NAMESPACE"

// Variables lists the variables LoadConfig reads (docs/configuration.md);
// logging's (internal/logging) and the SDK's (internal/awsconf) come on top.
var Variables = []envconf.Variable{
	{Name: EnvNamespace, Default: DefaultConfig.Namespace, Description: "Namespace of the consumer's metrics. 1–255 printable ASCII characters, not `AWS/…`, and never `" + catalog.Namespace + "`, where the triggers' EMF already writes them (the copy would count every event twice). POWERTOOLS_METRICS_NAMESPACE is deliberately not read: a stack sets it for the triggers."},
}

// LoadConfig reads the consumer's configuration from the environment, starting from
// DefaultConfig. Errors name the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	o := DefaultConfig
	if ns := getenv(EnvNamespace); ns != "" {
		o.Namespace = ns
	}
	if err := ValidNamespace(o.Namespace); err != nil {
		return Config{}, fmt.Errorf("%s: %w", EnvNamespace, err)
	}
	return o, nil
}

// ValidNamespace checks a namespace against CloudWatch's rules (1 to 255
// ASCII characters, no control characters, not starting with "AWS/") and
// refuses catalog.Namespace, which would double count.
func ValidNamespace(ns string) error {
	switch {
	case ns == "":
		return fmt.Errorf("empty namespace")
	case len(ns) > 255:
		return fmt.Errorf("namespace longer than 255 characters")
	case strings.HasPrefix(ns, "AWS/"):
		return fmt.Errorf("namespace %q starts with AWS/, which is reserved", ns)
	case ns == catalog.Namespace:
		return fmt.Errorf("namespace %q is where the triggers' EMF already writes these metrics; the consumer's copy would count every event twice", ns)
	}
	for _, r := range ns {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("namespace %q has a character that is not printable ASCII", ns)
		}
	}
	return nil
}
