package dashboards

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestRulesFire runs promtool's rule unit tests on the committed rules
// file: each alert below fires on a synthetic series shaped as the exporter
// writes it, and stays quiet on normal traffic.
func TestRulesFire(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool")
	}
	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool is missing: run make deps as root, or apt-get install prometheus")
	rules, err := filepath.Abs(filepath.Join("..", "prometheus", "cogwatch.rules.yml"))
	require.NoError(t, err)
	byName := map[string]PromRule{}
	for _, r := range PromRules() {
		byName[r.Alert] = r
	}
	firing := func(alert string, labels map[string]string) []map[string]any {
		r := byName[alert]
		require.NotEmpty(t, r.Alert, "no rule %s", alert)
		l := map[string]string{"service": "cogwatch", "severity": r.Severity}
		for k, v := range labels {
			l[k] = v
		}
		summary := r.Summary // as Prometheus expands its label templates
		for k, v := range labels {
			summary = strings.ReplaceAll(summary, "{{ $labels."+k+" }}", v)
		}
		return []map[string]any{{"exp_labels": l, "exp_annotations": map[string]string{"summary": summary, "runbook": r.Runbook}}}
	}
	type check struct {
		EvalTime  string           `yaml:"eval_time"`
		Alertname string           `yaml:"alertname"`
		ExpAlerts []map[string]any `yaml:"exp_alerts"`
	}
	type series struct{ Series, Values string }
	type unit struct {
		Interval    string   `yaml:"interval"`
		InputSeries []series `yaml:"input_series"`
		Alerts      []check  `yaml:"alert_rule_test"`
	}
	tests := []unit{
		{ // A delete left unconfirmed: a ticket, at once.
			Interval: "1m",
			InputSeries: []series{
				{`cogwatch_exporter_sqs_messages_abandoned_total{reason="delete_unconfirmed",instance="a"}`, "0 0 0 0 3 3 3"},
				{`cogwatch_exporter_sqs_messages_abandoned_total{reason="expired",instance="b"}`, "0 5 10 15 20 25 30"},
			},
			Alerts: []check{
				{EvalTime: "3m", Alertname: "CogwatchExporterPullLosses"},
				{EvalTime: "6m", Alertname: "CogwatchExporterPullLosses", ExpAlerts: firing("CogwatchExporterPullLosses", nil)},
			},
		},
		{ // Expired batches come back to another replica: no loss, no alert.
			Interval: "1m",
			InputSeries: []series{
				{`cogwatch_exporter_sqs_messages_abandoned_total{reason="expired"}`, "0+4x30"},
				{`cogwatch_exporter_sqs_messages_abandoned_total{reason="delete_unconfirmed"}`, "0x30"},
			},
			Alerts: []check{{EvalTime: "30m", Alertname: "CogwatchExporterPullLosses"}},
		},
		{ // Receives failing and nothing received for 10 minutes: a page;
			// receives failing now and then while messages flow: quiet.
			Interval: "1m",
			InputSeries: []series{
				{`cogwatch_exporter_sqs_errors_total{operation="receive"}`, "0+2x30"},
				{`cogwatch_exporter_sqs_messages_received_total`, "100x30"},
			},
			Alerts: []check{
				{EvalTime: "10m", Alertname: "CogwatchExporterPullFailing"},
				{EvalTime: "20m", Alertname: "CogwatchExporterPullFailing", ExpAlerts: firing("CogwatchExporterPullFailing", nil)},
			},
		},
		{
			Interval: "1m",
			InputSeries: []series{
				{`cogwatch_exporter_sqs_errors_total{operation="receive"}`, "0 1 1 1 2 2 2 2 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3"},
				{`cogwatch_exporter_sqs_messages_received_total`, "0+50x30"},
			},
			Alerts: []check{{EvalTime: "25m", Alertname: "CogwatchExporterPullFailing"}},
		},
		{ // SMS pumping, as the exporter sees it: a burst of codes.
			Interval: "1m",
			InputSeries: []series{
				{`cogwatch_user_events_total{type="cogwatch.code.sent",reason="",user_pool_id="p"}`, "0+5x10 50+60x20"},
			},
			Alerts: []check{
				{EvalTime: "10m", Alertname: "CogwatchCodeSentBurst"},
				{EvalTime: "25m", Alertname: "CogwatchCodeSentBurst", ExpAlerts: firing("CogwatchCodeSentBurst", map[string]string{"user_pool_id": "p"})},
			},
		},
	}
	b, err := yaml.Marshal(map[string]any{"rule_files": []string{rules}, "evaluation_interval": "1m", "tests": tests})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "cogwatch.rules.test.yml")
	require.NoError(t, os.WriteFile(file, b, 0o644))
	out, err := exec.CommandContext(t.Context(), promtool, "test", "rules", file).CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, b)
	require.True(t, strings.Contains(string(out), "SUCCESS"), "%s", out)
}
