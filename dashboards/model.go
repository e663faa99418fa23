package dashboards

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Dim is one dimension of a metric. Value may hold CloudFormation-style
// placeholders such as "${UserPool}", filled by [Params] or by Fn::Sub.
type Dim struct {
	Name  string
	Value string
}

// Metric is one CloudWatch metric read by a widget or an alarm.
type Metric struct {
	// ID names the metric in metric math ("m1"); empty for plain lines.
	ID        string
	Namespace string
	Name      string
	Dims      []Dim
	// Stat is a CloudWatch statistic: Sum, Average, Maximum, Minimum,
	// SampleCount or a percentile such as p99.
	Stat  string
	Label string
	// Hidden keeps the metric out of the chart (it only feeds an expression).
	Hidden bool
}

// Search is a CloudWatch SEARCH expression over one metric name and one
// dimension schema: one line per value of the dimensions in Schema that
// Filters leaves open (the rejection reasons, the app clients, ...).
type Search struct {
	ID        string
	Namespace string
	Name      string
	// Schema is the full, exact dimension set of the metric.
	Schema []string
	// Filters fixes some of Schema's dimensions.
	Filters []Dim
	Stat    string
	Label   string
	// Sum adds the lines up into one (SUM(SEARCH(...))).
	Sum    bool
	Hidden bool
}

// Expr is a metric-math expression over the IDs of a widget's metrics.
type Expr struct {
	ID         string
	Expression string
	Label      string
	Hidden     bool
}

// HLine is a horizontal annotation, such as Cognito's 5-second limit.
type HLine struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// PromTarget is one PromQL query of a widget's Grafana panel.
type PromTarget struct {
	Expr   string
	Legend string
}

// Widget is one chart.
type Widget struct {
	Title string
	// Width and Height on the 24-column grid.
	Width, Height int
	// Unit labels the left axis ("Count", "ms", "%").
	Unit     string
	Metrics  []Metric
	Searches []Search
	Exprs    []Expr
	HLines   []HLine
	Stacked  bool
	// Prom is the widget's equivalent over cogwatch-exporter's metrics, for
	// Grafana; empty when the exporter has no such data.
	Prom []PromTarget
}

// period is the widget's period on a dashboard whose default is
// dashPeriod: the default, lengthened to a multiple of how often AWS
// publishes the metrics it reads (five minutes for Cognito), since a finer
// period shows one point in five, each an interval's sum.
func (w Widget) period(dashPeriod int) int {
	p := dashPeriod
	for _, ns := range w.namespaces() {
		if every, ok := minPeriods[ns]; ok && p%every != 0 {
			p = (p/every + 1) * every
		}
	}
	return p
}

// namespaces lists the namespaces the widget reads.
func (w Widget) namespaces() []string {
	var out []string
	for _, m := range w.Metrics {
		out = append(out, m.Namespace)
	}
	for _, s := range w.Searches {
		out = append(out, s.Namespace)
	}
	return out
}

// Dashboard is a set of widgets laid out left to right, top to bottom.
type Dashboard struct {
	// Name is appended to the stack name ("summary" → "<stack>-summary").
	Name string
	// Start is the default time range, an ISO 8601 duration back from now.
	Start string
	// Period is the default period of every metric, in seconds.
	Period  int
	Widgets []Widget
}

// Alarm is one CloudWatch alarm. Either Metric is set (a plain alarm on one
// metric) or Metrics/Searches/Exprs with ReturnID naming the expression
// compared to Threshold.
type Alarm struct {
	// LogicalID is the alarm's CloudFormation logical id.
	LogicalID string
	// Name is appended to the stack name.
	Name string
	// Summary says what is wrong; Runbook says what to do first.
	Summary, Runbook string

	Metrics  []Metric
	Exprs    []Expr
	ReturnID string

	Period             int
	EvaluationPeriods  int
	DatapointsToAlarm  int
	Threshold          float64
	Comparison         string // GreaterThanThreshold, GreaterThanOrEqualToThreshold, ...
	TreatMissingData   string // notBreaching, breaching, missing, ignore
	ThresholdParameter string // a template parameter that overrides Threshold
}

// Description is the alarm's AlarmDescription: what is wrong, then the
// runbook line on-call reads from the page.
func (a Alarm) Description() string {
	return a.Summary + " Runbook: " + a.Runbook
}

// PromRule is one Prometheus alerting rule.
type PromRule struct {
	Alert       string
	Expr        string
	For         string
	Severity    string
	Summary     string
	Runbook     string
	Description string
}

// Params fills the placeholders of dimension values ("${UserPool}" →
// "eu-west-1_AbC"). A placeholder without a value stays as it is, ready for
// CloudFormation's Fn::Sub.
type Params map[string]string

// Fill returns s with the placeholders that p knows replaced.
func (p Params) Fill(s string) string {
	if len(p) == 0 || !strings.Contains(s, "${") {
		return s
	}
	for _, k := range slices.Sorted(maps.Keys(p)) {
		s = strings.ReplaceAll(s, "${"+k+"}", p[k])
	}
	return s
}

// Placeholders lists the ${...} names in s, in order of appearance.
func Placeholders(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, s[i+2:i+j])
		s = s[i+j+1:]
	}
}

// searchExpr renders a Search as CloudWatch's SEARCH(...) text.
func (s Search) searchExpr(period int, p Params) string {
	schema := append([]string{s.Namespace}, s.Schema...)
	var b strings.Builder
	fmt.Fprintf(&b, "SEARCH('{%s} MetricName=\"%s\"", strings.Join(schema, ","), s.Name)
	for _, f := range s.Filters {
		fmt.Fprintf(&b, " %s=\"%s\"", f.Name, p.Fill(f.Value))
	}
	fmt.Fprintf(&b, "', '%s', %d)", s.Stat, period)
	if s.Sum {
		return "SUM(" + b.String() + ")"
	}
	return b.String()
}
