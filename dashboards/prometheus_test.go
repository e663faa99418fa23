package dashboards

import (
	"encoding/json"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/event"
)

// exporterMetrics are the series cogwatch-exporter exposes (the histogram's
// _bucket, _sum and _count included), named by the exporter's own constants,
// plus Prometheus' own up.
var exporterMetrics = []string{
	exporter.MetricUserEvents,
	exporter.MetricTriggerLatency + "_bucket", exporter.MetricTriggerLatency + "_sum", exporter.MetricTriggerLatency + "_count",
	exporter.MetricReceived, exporter.MetricRejected, exporter.MetricFailed, exporter.MetricDuplicates,
	exporter.MetricConfirmed, exporter.MetricOverflow, exporter.MetricChallenges,
	exporter.MetricSQSReceived, exporter.MetricSQSErrors, exporter.MetricSQSAbandoned,
	"up",
}

// promMetrics parses expr with Prometheus' own parser and returns the
// metric names it selects.
func promMetrics(t *testing.T, expr string) []string {
	t.Helper()
	// Grafana's variables, as Grafana substitutes them before querying.
	expr = strings.NewReplacer("$__rate_interval", "5m", "$user_pool_id", ".*").Replace(expr)
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	require.NoError(t, err, expr)
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	require.NotEmpty(t, names, expr)
	return names
}

func TestRulesParseWithPrometheus(t *testing.T) {
	t.Parallel()
	content, err := RulesFile()
	require.NoError(t, err)
	groups, errs := rulefmt.Parse(content, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	require.Empty(t, errs)
	require.Len(t, groups.Groups, 1)
	require.Len(t, groups.Groups[0].Rules, len(PromRules()))
	for _, r := range groups.Groups[0].Rules {
		require.NotEmpty(t, r.Alert)
		require.NotEmpty(t, r.Annotations["runbook"], r.Alert)
		require.NotEmpty(t, r.Annotations["summary"], r.Alert)
		require.Contains(t, []string{"page", "ticket"}, r.Labels["severity"], r.Alert)
		for _, name := range promMetrics(t, r.Expr) {
			require.Contains(t, exporterMetrics, name, "rule %s reads a metric the exporter does not expose", r.Alert)
		}
	}
}

func TestRulefmtRejectsBadRules(t *testing.T) {
	t.Parallel()
	// The check above is only worth something if the parser refuses bad rules.
	bad := []byte("groups:\n- name: x\n  rules:\n  - alert: Broken\n    expr: sum(rate(cogwatch_user_events_total[5m])\n")
	_, errs := rulefmt.Parse(bad, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	require.NotEmpty(t, errs)
}

// TestGrafanaDatasourceVariable checks that the dashboard chooses its
// Prometheus data source through a template variable, so Grafana can
// provision it from a file as it is (file provisioning does not resolve
// the UI import's __inputs): every panel, target and query variable names
// the variable, which comes first in templating.list.
func TestGrafanaDatasourceVariable(t *testing.T) {
	t.Parallel()
	raw, err := Grafana()
	require.NoError(t, err)
	type ds struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	var d struct {
		Inputs     []any `json:"__inputs"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Query      any    `json:"query"`
				Datasource *ds    `json:"datasource"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title      string `json:"title"`
			Datasource ds     `json:"datasource"`
			Targets    []struct {
				Datasource ds `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	require.Nil(t, d.Inputs, "no __inputs: nothing to fill in on import")
	vars := d.Templating.List
	require.NotEmpty(t, vars)
	first := vars[0]
	require.Equal(t, "datasource", first.Type, "the first variable picks the data source")
	require.Equal(t, "prometheus", first.Query, "of the Prometheus type")
	ref := ds{Type: "prometheus", UID: "${" + first.Name + "}"}
	require.NotEmpty(t, d.Panels)
	for _, p := range d.Panels {
		require.Equal(t, ref, p.Datasource, "panel %q", p.Title)
		for _, tg := range p.Targets {
			require.Equal(t, ref, tg.Datasource, "panel %q", p.Title)
		}
	}
	for _, v := range vars[1:] {
		if v.Datasource != nil {
			require.Equal(t, ref, *v.Datasource, "variable %s", v.Name)
		}
	}
}

func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	raw, err := Grafana()
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			GridPos struct{ X, Y, W, H int }
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	require.Equal(t, "cogwatch", d.UID)
	var want []string
	for _, w := range Detail().Widgets {
		if len(w.Prom) > 0 {
			want = append(want, w.Title)
		}
	}
	require.GreaterOrEqual(t, len(want), 5)
	require.Len(t, d.Panels, len(want))
	for i, p := range d.Panels {
		require.Equal(t, want[i], p.Title, "panels follow the CloudWatch widgets' order")
		require.Equal(t, "timeseries", p.Type)
		require.LessOrEqual(t, p.GridPos.X+p.GridPos.W, GridWidth)
		require.NotEmpty(t, p.Targets)
		for _, tg := range p.Targets {
			for _, name := range promMetrics(t, tg.Expr) {
				require.True(t, slices.Contains(exporterMetrics, name), "panel %q reads %s, which the exporter does not expose", p.Title, name)
			}
		}
	}
}

// TestPromTypeLabels checks that every type="…" the rules and panels select
// is an event type the exporter counts.
func TestPromTypeLabels(t *testing.T) {
	t.Parallel()
	rules, err := RulesFile()
	require.NoError(t, err)
	graf, err := Grafana()
	require.NoError(t, err)
	found := 0
	for _, m := range regexp.MustCompile(`type=\\?"([^"\\]*)\\?"`).FindAllStringSubmatch(string(rules)+string(graf), -1) {
		require.True(t, event.Type(m[1]).Valid(), "type=%q is not an event type", m[1])
		found++
	}
	require.Greater(t, found, 10)
}
