package eventbridge

import (
	"cmp"
	"fmt"
	"regexp"

	"github.com/cogwatch/cogwatch/consumers/internal/sqsbatch"
	"github.com/cogwatch/cogwatch/internal/awsretry"
	"github.com/cogwatch/cogwatch/internal/envconf"
)

// PutEvents limits (EventBridge API reference, PutEvents).
const (
	// MaxEntriesPerCall is the most entries one PutEvents call may carry.
	MaxEntriesPerCall = 10
	// MaxCallBytes bounds the summed entry sizes of one call: EventBridge
	// wants them less than 256 KiB.
	MaxCallBytes = 256 * 1024
	// Source is the source of every entry.
	Source = "cogwatch"
	// timeBytes is what the Time field counts for in an entry's size.
	timeBytes = 14
)

// EnvBusName names the environment variable that selects the event bus.
const EnvBusName = "COGWATCH_EVENT_BUS_NAME"

// Variables lists the variables LoadConfig reads (docs/configuration.md);
// logging's (internal/logging) and the SDK's (internal/awsconf) come on top.
var Variables = []envconf.Variable{
	{Name: EnvBusName, Default: DefaultConfig.BusName, Description: "Event bus the events are put on, by name or ARN."},
}

// Config configures a Consumer. The zero value works: every zero field takes
// its value from DefaultConfig.
type Config struct {
	// BusName is the event bus, by name or ARN.
	BusName string
	// MaxEntriesPerCall and MaxCallBytes bound each call; tests lower them.
	MaxEntriesPerCall int
	MaxCallBytes      int
	// Retry bounds the retries of throttled calls and entries.
	Retry awsretry.Policy
}

// DefaultConfig holds every default in one place.
var DefaultConfig = Config{
	BusName:           "default",
	MaxEntriesPerCall: MaxEntriesPerCall,
	MaxCallBytes:      MaxCallBytes,
	Retry:             sqsbatch.DefaultPolicy,
}

func (o Config) withDefaults() Config {
	d := DefaultConfig
	if o.BusName == "" {
		o.BusName = d.BusName
	}
	o.MaxEntriesPerCall = sqsbatch.Bound(o.MaxEntriesPerCall, MaxEntriesPerCall)
	o.MaxCallBytes = sqsbatch.Bound(o.MaxCallBytes, MaxCallBytes)
	o.Retry = cmp.Or(o.Retry, d.Retry)
	return o
}

// busName is the EventBusName pattern of a PutEvents entry.
var busName = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[/.\-_A-Za-z0-9]+$`)

// LoadConfig reads the consumer's configuration from the environment, starting from
// DefaultConfig. Errors name the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	o := DefaultConfig
	if v := getenv(EnvBusName); v != "" {
		o.BusName = v
	}
	if len(o.BusName) > 1600 || !busName.MatchString(o.BusName) {
		return Config{}, fmt.Errorf("%s: %q is neither an event bus name nor an event bus ARN", EnvBusName, o.BusName)
	}
	return o, nil
}
