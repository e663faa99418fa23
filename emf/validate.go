package emf

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Limits the writer enforces.
const (
	MaxMetrics             = 100       // metrics per document (the specification's MetricDefinition limit)
	MaxValues              = 100       // values of one metric in one document
	MaxDimensions          = 30        // dimension names in one dimension set
	MaxNameLength          = 255       // bytes of a namespace, metric name or dimension name
	MaxDimensionValueBytes = 1024      // bytes of a dimension value
	MaxDocumentBytes       = 128 << 10 // bytes of one line; CloudWatch Logs takes 256 KiB and more
)

// Errors, wrapped with the offending name: match them with errors.Is.
var (
	ErrNamespace = errors.New("invalid namespace")
	ErrName      = errors.New("invalid metric name")
	ErrDimension = errors.New("invalid dimension")
	ErrUnit      = errors.New("invalid unit")
	ErrValue     = errors.New("invalid value")
	ErrProperty  = errors.New("invalid property")
	ErrConflict  = errors.New("name already used in this document")
	ErrDropped   = errors.New("no dimension set has all its values")
	ErrTooLarge  = errors.New("too large for one document")
)

// reservedKey is the metadata member; no metric, dimension or property may use it.
const reservedKey = "_aws"

// maxValue is the largest magnitude CloudWatch accepts (2^360); minValue the
// smallest non-zero one (2^-360).
var (
	maxValue = math.Ldexp(1, 360)
	minValue = math.Ldexp(1, -360)
)

func checkNamespace(ns string) error {
	if ns == "" {
		return fmt.Errorf("emf: Options.Namespace: %w: empty", ErrNamespace)
	}
	if len(ns) > MaxNameLength {
		return fmt.Errorf("emf: Options.Namespace: %w: %d bytes, the limit is %d", ErrNamespace, len(ns), MaxNameLength)
	}
	if strings.HasPrefix(ns, "AWS/") {
		return fmt.Errorf("emf: Options.Namespace: %w: %q: AWS/ is reserved for AWS services", ErrNamespace, ns)
	}
	blank := true
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == '/', c == '#', c == ':':
			blank = false
		case c == ' ':
		default:
			return fmt.Errorf("emf: Options.Namespace: %w: %q: only letters, digits, spaces and . - _ / # : are allowed", ErrNamespace, ns)
		}
	}
	if blank {
		return fmt.Errorf("emf: Options.Namespace: %w: blank", ErrNamespace)
	}
	return nil
}

// checkText checks the rules CloudWatch applies to metric names, dimension
// names and dimension values: 1 to max bytes of printable ASCII, not blank.
// It returns a reason, or "" when s is valid.
func checkText(s string, max int) string {
	if s == "" {
		return "empty"
	}
	if len(s) > max {
		return fmt.Sprintf("%d bytes, the limit is %d", len(s), max)
	}
	blank := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "only printable ASCII is allowed"
		}
		if c != ' ' {
			blank = false
		}
	}
	if blank {
		return "blank"
	}
	if s == reservedKey {
		return "reserved"
	}
	return ""
}

func checkMetricName(name string) error {
	if why := checkText(name, MaxNameLength); why != "" {
		return fmt.Errorf("emf: metric %q: %w: %s", name, ErrName, why)
	}
	return nil
}

func checkDimensionName(name string) error {
	why := checkText(name, MaxNameLength)
	if why == "" && name[0] == ':' {
		why = "must not start with a colon"
	}
	if why != "" {
		return fmt.Errorf("emf: dimension %q: %w: name %s", name, ErrDimension, why)
	}
	return nil
}

func checkDimensionValue(name, value string) error {
	if why := checkText(value, MaxDimensionValueBytes); why != "" && why != "reserved" {
		return fmt.Errorf("emf: dimension %q: %w: value %s", name, ErrDimension, why)
	}
	return nil
}

func checkSets(sets [][]string) error {
	for _, set := range sets {
		if len(set) > MaxDimensions {
			return fmt.Errorf("emf: dimension set %q: %w: %d dimensions, the limit is %d", set, ErrDimension, len(set), MaxDimensions)
		}
		for i, name := range set {
			if err := checkDimensionName(name); err != nil {
				return err
			}
			for _, prev := range set[:i] {
				if prev == name {
					return fmt.Errorf("emf: dimension set %q: %w: %q twice", set, ErrDimension, name)
				}
			}
		}
	}
	return nil
}

func checkValue(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("emf: metric %q: %w: %v", name, ErrValue, v)
	}
	if a := math.Abs(v); a > maxValue || (a != 0 && a < minValue) {
		return fmt.Errorf("emf: metric %q: %w: %v is outside CloudWatch's range 2^-360..2^360", name, ErrValue, v)
	}
	return nil
}

func checkUnit(name string, u Unit) error {
	if u != "" && !u.Valid() {
		return fmt.Errorf("emf: metric %q: %w: %q", name, ErrUnit, string(u))
	}
	return nil
}
