package dashboards

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Reference renders the dashboards, alarms and alerting rules as the
// markdown reference of docs/dashboards.md.
func Reference() string {
	var b strings.Builder
	for _, d := range Dashboards() {
		fmt.Fprintf(&b, "### CloudWatch dashboard `<stack>-%s` (default range %s, period %d s)\n\n", d.Name, d.Start, d.Period)
		b.WriteString("| widget | reads |\n| --- | --- |\n")
		for _, w := range d.Widgets {
			reads := strings.Join(w.reads(), ", ")
			if p := w.period(d.Period); p != d.Period {
				reads += fmt.Sprintf(" (period %d s: Cognito publishes its metrics every 5 minutes)", p)
			}
			fmt.Fprintf(&b, "| %s | %s |\n", w.Title, reads)
		}
		b.WriteString("\n")
	}
	b.WriteString("### CloudWatch alarms (actions: the on-call topic)\n\n| alarm | fires when | runbook |\n| --- | --- | --- |\n")
	for _, a := range Alarms() {
		fmt.Fprintf(&b, "| `<stack>-%s` | %s | %s |\n", a.Name, a.Summary, a.Runbook)
	}
	b.WriteString("\n### Prometheus alerting rules (`prometheus/cogwatch.rules.yml`)\n\n| alert | for | severity | summary | runbook |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range PromRules() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Alert, r.For, r.Severity, strings.ReplaceAll(r.Summary, "|", "\\|"), r.Runbook)
	}
	return b.String()
}

// reads lists the namespace/metric names a widget reads, sorted, once each.
func (w Widget) reads() []string {
	seen := map[string]bool{}
	for _, m := range w.Metrics {
		seen["`"+m.Namespace+" "+m.Name+"`"] = true
	}
	for _, s := range w.Searches {
		seen["`"+s.Namespace+" "+s.Name+"`"] = true
	}
	out := slices.Sorted(maps.Keys(seen))
	if len(w.Exprs) > 0 {
		var es []string
		for _, e := range w.Exprs {
			es = append(es, "`"+e.Expression+"`")
		}
		out = append(out, "math: "+strings.Join(es, "; "))
	}
	return out
}
