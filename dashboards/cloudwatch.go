package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// GridWidth is the width of CloudWatch's dashboard grid.
const GridWidth = 24

// Body renders d as a CloudWatch dashboard body (the JSON that
// PutDashboard and AWS::CloudWatch::Dashboard take). Placeholders that p
// does not fill stay, for Fn::Sub.
func (d Dashboard) Body(p Params) ([]byte, error) {
	type widget struct {
		Type       string         `json:"type"`
		X          int            `json:"x"`
		Y          int            `json:"y"`
		Width      int            `json:"width"`
		Height     int            `json:"height"`
		Properties map[string]any `json:"properties"`
	}
	body := struct {
		Start          string   `json:"start"`
		PeriodOverride string   `json:"periodOverride"`
		Widgets        []widget `json:"widgets"`
	}{Start: d.Start, PeriodOverride: "inherit"}
	x, y, rowH := 0, 0, 0
	for _, w := range d.Widgets {
		if w.Width <= 0 || w.Width > GridWidth || w.Height <= 0 {
			return nil, fmt.Errorf("dashboard %s: widget %q: size %dx%d does not fit the %d-column grid", d.Name, w.Title, w.Width, w.Height, GridWidth)
		}
		if x+w.Width > GridWidth {
			x, y, rowH = 0, y+rowH, 0
		}
		props := map[string]any{
			"title":   w.Title,
			"region":  p.Fill(PRegion),
			"view":    "timeSeries",
			"stacked": w.Stacked,
			"period":  w.period(d.Period),
			"metrics": w.cloudWatchMetrics(w.period(d.Period), p),
			"yAxis":   map[string]any{"left": map[string]any{"label": w.Unit, "showUnits": false, "min": 0}},
		}
		if len(w.HLines) > 0 {
			var hs []map[string]any
			for _, h := range w.HLines {
				hs = append(hs, map[string]any{"label": h.Label, "value": h.Value})
			}
			props["annotations"] = map[string]any{"horizontal": hs}
		}
		body.Widgets = append(body.Widgets, widget{Type: "metric", X: x, Y: y, Width: w.Width, Height: w.Height, Properties: props})
		x += w.Width
		rowH = max(rowH, w.Height)
	}
	// One widget a line: short enough to review in template.yaml's diffs.
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"start\": %q, \"periodOverride\": %q, \"widgets\": [\n", body.Start, body.PeriodOverride)
	for i, w := range body.Widgets {
		line, err := marshal(w)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.Name, err)
		}
		buf.Write(line)
		if i < len(body.Widgets)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	return buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, without the final newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// cloudWatchMetrics renders a widget's "metrics" array: metric lines first
// (ids defined before the expressions that use them), then searches and
// expressions.
func (w Widget) cloudWatchMetrics(period int, p Params) [][]any {
	var out [][]any
	for _, m := range w.Metrics {
		line := []any{m.Namespace, m.Name}
		for _, d := range m.Dims {
			line = append(line, d.Name, p.Fill(d.Value))
		}
		opts := map[string]any{"stat": m.Stat}
		if m.ID != "" {
			opts["id"] = m.ID
		}
		if m.Label != "" {
			opts["label"] = m.Label
		}
		if m.Hidden {
			opts["visible"] = false
		}
		out = append(out, append(line, opts))
	}
	for _, s := range w.Searches {
		opts := map[string]any{"expression": s.searchExpr(period, p), "id": s.ID}
		if s.Label != "" {
			opts["label"] = s.Label
		}
		if s.Hidden {
			opts["visible"] = false
		}
		out = append(out, []any{opts})
	}
	for _, e := range w.Exprs {
		opts := map[string]any{"expression": e.Expression, "id": e.ID, "label": e.Label}
		if e.Hidden {
			opts["visible"] = false
		}
		out = append(out, []any{opts})
	}
	return out
}

// yaml helpers: ordered mappings and short-form intrinsics.

func ymap(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, ystr(kv[i].(string)), yval(kv[i+1]))
	}
	return n
}

func yseq(vs ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, v := range vs {
		n.Content = append(n.Content, yval(v))
	}
	return n
}

func ystr(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func yval(v any) *yaml.Node {
	switch v := v.(type) {
	case *yaml.Node:
		return v
	case string:
		if v == PUserPool {
			return poolID()
		}
		if ph := Placeholders(v); len(ph) == 1 && v == "${"+ph[0]+"}" && !strings.Contains(ph[0], "::") {
			if strings.Contains(ph[0], ".") {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!GetAtt", Value: ph[0]}
			}
			return yref(ph[0])
		}
		if strings.Contains(v, "${") {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!Sub", Value: v}
		}
		return ystr(v)
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
	case float64:
		if v == float64(int64(v)) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(v), 10)}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v, 'f', -1, 64)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	}
	panic(fmt.Sprintf("yval: %T", v))
}

func yref(name string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!Ref", Value: name} }

// The template's names for the user pool the dashboards and alarms watch:
// the stack's own (UserPool) unless it adopts an existing one
// (ExistingUserPoolId), as condition CreatesUserPool says.
const (
	CreatesUserPool    = "CreatesUserPool"
	ExistingUserPoolID = "ExistingUserPoolId"
	// poolVar is the Fn::Sub variable that holds the pool id in the
	// dashboard bodies.
	poolVar = "UserPoolId"
)

// poolID is the pool id in the template: !If [CreatesUserPool, !Ref
// UserPool, !Ref ExistingUserPoolId].
func poolID() *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!If", Style: yaml.FlowStyle,
		Content: []*yaml.Node{ystr(CreatesUserPool), yref("UserPool"), yref(ExistingUserPoolID)}}
}

// OnCallTopic is the logical id of the on-call SNS topic alarms notify.
const OnCallTopic = "OnCallTopic"

// resource renders one alarm as a CloudFormation resource.
func (a Alarm) resource() *yaml.Node {
	var threshold any = a.Threshold
	if a.ThresholdParameter != "" {
		threshold = yref(a.ThresholdParameter)
	}
	props := ymap(
		"AlarmName", "${AWS::StackName}-"+a.Name,
		"AlarmDescription", a.Description(),
		"ActionsEnabled", true,
		"AlarmActions", yseq(yref(OnCallTopic)),
		"OKActions", yseq(yref(OnCallTopic)),
		"ComparisonOperator", a.Comparison,
		"Threshold", threshold,
		"EvaluationPeriods", a.EvaluationPeriods,
		"DatapointsToAlarm", a.DatapointsToAlarm,
		"TreatMissingData", a.TreatMissingData,
	)
	if a.ReturnID == "" {
		m := a.Metrics[0]
		dims := yseq()
		for _, d := range m.Dims {
			dims.Content = append(dims.Content, ymap("Name", d.Name, "Value", d.Value))
		}
		statKey := "Statistic"
		if strings.HasPrefix(m.Stat, "p") {
			statKey = "ExtendedStatistic"
		}
		props.Content = append(props.Content, ymap("Namespace", m.Namespace, "MetricName", m.Name, "Dimensions", dims,
			statKey, m.Stat, "Period", a.Period).Content...)
	} else {
		ms := yseq()
		for _, m := range a.Metrics {
			dims := yseq()
			for _, d := range m.Dims {
				dims.Content = append(dims.Content, ymap("Name", d.Name, "Value", d.Value))
			}
			ms.Content = append(ms.Content, ymap("Id", m.ID,
				"MetricStat", ymap("Metric", ymap("Namespace", m.Namespace, "MetricName", m.Name, "Dimensions", dims),
					"Period", a.Period, "Stat", m.Stat),
				"ReturnData", false))
		}
		for _, e := range a.Exprs {
			// Math takes the period of the metrics it reads: no Period of its own.
			ms.Content = append(ms.Content, ymap("Id", e.ID, "Expression", e.Expression, "Label", e.Label, "ReturnData", e.ID == a.ReturnID))
		}
		props.Content = append(props.Content, ymap("Metrics", ms).Content...)
	}
	return ymap("Type", "AWS::CloudWatch::Alarm", "Properties", props)
}

// Template markers around the generated part of template.yaml.
const (
	BeginMarker = "  # BEGIN GENERATED by `cogwatch dashboards render` from dashboards/: do not edit by hand."
	EndMarker   = "  # END GENERATED"
)

// ErrNoMarkers is why ReplaceGenerated and UpdateTemplate refuse a template:
// it lacks BeginMarker and EndMarker, in that order.
var ErrNoMarkers = errors.New("generated-part markers not found")

// TemplateResources renders the dashboards and alarms as CloudFormation
// resources, indented as template.yaml's Resources entries, markers included.
func TemplateResources() ([]byte, error) {
	res := ymap()
	for _, d := range Dashboards() {
		body, err := d.Body(Params{"UserPool": "${" + poolVar + "}"})
		if err != nil {
			return nil, err
		}
		id := strings.ToUpper(d.Name[:1]) + d.Name[1:] + "Dashboard"
		sub := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!Sub", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(body), Style: yaml.LiteralStyle},
			ymap(poolVar, poolID()),
		}}
		res.Content = append(res.Content, ystr(id), ymap("Type", "AWS::CloudWatch::Dashboard", "Properties", ymap(
			"DashboardName", "${AWS::StackName}-"+d.Name,
			"DashboardBody", sub,
		)))
	}
	for _, a := range Alarms() {
		res.Content = append(res.Content, ystr(a.LogicalID), a.resource())
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(res); err != nil {
		return nil, fmt.Errorf("render template resources: %w", err)
	}
	var out bytes.Buffer
	out.WriteString(BeginMarker + "\n")
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if line != "\n" {
			out.WriteString("  ")
		}
		out.WriteString(line)
	}
	out.WriteString(EndMarker + "\n")
	return out.Bytes(), nil
}

// ReplaceGenerated returns template with the part between the markers
// replaced by generated (markers included). It fails when the markers are
// missing, so a template never silently loses its dashboards.
func ReplaceGenerated(template, generated []byte) ([]byte, error) {
	begin := bytes.Index(template, []byte(BeginMarker))
	end := bytes.Index(template, []byte(EndMarker))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("template: %w: %q … %q", ErrNoMarkers, strings.TrimSpace(BeginMarker), strings.TrimSpace(EndMarker))
	}
	end += len(EndMarker)
	if end < len(template) && template[end] == '\n' {
		end++
	}
	out := append([]byte{}, template[:begin]...)
	out = append(out, generated...)
	return append(out, template[end:]...), nil
}
