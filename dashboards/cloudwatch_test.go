package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/testutil"
)

var (
	idRE     = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	searchRE = regexp.MustCompile(`SEARCH\('\{([^}]*)\} MetricName="([^"]+)"((?: [A-Za-z]+="[^"]*")*)'`)
	refRE    = regexp.MustCompile(`\b([a-z][a-zA-Z0-9_]*)\b`)
)

// awsMetrics lists the AWS metrics widgets and alarms may read, by namespace.
var awsMetrics = map[string][]string{
	NSLambda:  {"Duration", "Errors", "Throttles", "Invocations", "ConcurrentExecutions"},
	NSSQS:     {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesSent"},
	NSSNS:     {"NumberOfNotificationsFailed", "NumberOfMessagesPublished", "NumberOfNotificationsDelivered"},
	NSCognito: {"SignUpSuccesses", "SignUpThrottles", "SignInSuccesses", "SignInThrottles", "TokenRefreshSuccesses", "TokenRefreshThrottles", "FederationSuccesses", "FederationThrottles"},
	NSUsage:   {"CallCount", "ThrottleCount"},
}

// checkMetric reports whether a metric read with the dimension names dims
// is one that cogwatch (the catalog) or AWS emits.
func checkMetric(ns, name string, dims []string) error {
	switch ns {
	case catalog.Namespace, catalog.DeliveredNamespace:
		m, ok := catalog.ByName(name)
		if !ok {
			return fmt.Errorf("%s/%s: not in internal/catalog", ns, name)
		}
		if ns == catalog.DeliveredNamespace && !slices.Contains(m.Emitters, "consumers/cloudwatch") {
			return fmt.Errorf("%s/%s: the CloudWatch consumer does not emit it", ns, name)
		}
		want := slices.Clone(dims)
		sort.Strings(want)
		for _, set := range m.Dimensions {
			got := slices.Clone(set)
			sort.Strings(got)
			if slices.Equal(got, want) {
				return nil
			}
		}
		return fmt.Errorf("%s/%s: dimension set %v is not emitted (catalog: %v)", ns, name, dims, m.Dimensions)
	}
	names, ok := awsMetrics[ns]
	if !ok {
		return fmt.Errorf("%s/%s: namespace is neither cogwatch's nor an allowed AWS one", ns, name)
	}
	if !slices.Contains(names, name) {
		return fmt.Errorf("%s/%s: not a metric AWS publishes there", ns, name)
	}
	return nil
}

// checkExpression checks the SEARCH expressions inside a metric-math
// expression and that every id it names is defined.
func checkExpression(expr string, defined map[string]bool) error {
	for _, m := range searchRE.FindAllStringSubmatch(expr, -1) {
		schema := strings.Split(m[1], ",")
		if err := checkMetric(schema[0], m[2], schema[1:]); err != nil {
			return fmt.Errorf("%s: %w", expr, err)
		}
	}
	if strings.Contains(expr, "SEARCH(") && !searchRE.MatchString(expr) {
		return fmt.Errorf("%s: SEARCH not in the {Namespace,Dims} MetricName=\"X\" form", expr)
	}
	outside := regexp.MustCompile(`'[^']*'`).ReplaceAllString(expr, "")
	for _, r := range refRE.FindAllString(outside, -1) {
		if !defined[r] {
			return fmt.Errorf("%s: id %q is not defined", expr, r)
		}
	}
	return nil
}

// checkBody parses a dashboard body and checks its shape and every metric it reads.
func checkBody(body []byte) error {
	var d struct {
		Start   string `json:"start"`
		Widgets []struct {
			Type          string `json:"type"`
			X, Y          int
			Width, Height int
			Properties    struct {
				Title   string  `json:"title"`
				Region  string  `json:"region"`
				Period  int     `json:"period"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	if !strings.HasPrefix(d.Start, "-P") {
		return fmt.Errorf("start %q is not an ISO 8601 duration back", d.Start)
	}
	if len(d.Widgets) == 0 {
		return fmt.Errorf("no widget")
	}
	taken := map[[2]int]string{}
	for _, w := range d.Widgets {
		p := w.Properties
		if w.Type != "metric" || p.Title == "" || p.Region == "" || p.Period <= 0 || len(p.Metrics) == 0 {
			return fmt.Errorf("widget %q: type, title, region, period and metrics are required", p.Title)
		}
		if w.X < 0 || w.Width <= 0 || w.X+w.Width > GridWidth || w.Height <= 0 {
			return fmt.Errorf("widget %q: x=%d width=%d does not fit the grid", p.Title, w.X, w.Width)
		}
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				if other, ok := taken[[2]int{x, y}]; ok {
					return fmt.Errorf("widget %q overlaps %q", p.Title, other)
				}
				taken[[2]int{x, y}] = p.Title
			}
		}
		defined := map[string]bool{}
		var exprs []string
		for _, line := range p.Metrics {
			opts, _ := line[len(line)-1].(map[string]any)
			if id, ok := opts["id"].(string); ok {
				if !idRE.MatchString(id) || defined[id] {
					return fmt.Errorf("widget %q: id %q is invalid or repeated", p.Title, id)
				}
				defined[id] = true
			}
			if e, ok := opts["expression"].(string); ok {
				exprs = append(exprs, e)
				continue
			}
			strs := make([]string, 0, len(line))
			for _, v := range line[:len(line)-1] {
				s, ok := v.(string)
				if !ok {
					return fmt.Errorf("widget %q: metric line %v has a non-string part", p.Title, line)
				}
				strs = append(strs, s)
			}
			if len(strs) < 2 || len(strs)%2 != 0 {
				return fmt.Errorf("widget %q: metric line %v is not namespace, name, dimension pairs", p.Title, line)
			}
			var dims []string
			for i := 2; i < len(strs); i += 2 {
				dims = append(dims, strs[i])
			}
			if err := checkMetric(strs[0], strs[1], dims); err != nil {
				return fmt.Errorf("widget %q: %w", p.Title, err)
			}
			if _, ok := opts["stat"].(string); !ok {
				return fmt.Errorf("widget %q: %s/%s has no stat", p.Title, strs[0], strs[1])
			}
		}
		for _, e := range exprs {
			if err := checkExpression(e, defined); err != nil {
				return fmt.Errorf("widget %q: %w", p.Title, err)
			}
		}
		if err := checkPeriod(p.Period, p.Metrics); err != nil {
			return fmt.Errorf("widget %q: %w", p.Title, err)
		}
	}
	return nil
}

var searchPeriodRE = regexp.MustCompile(`SEARCH\('\{([^,}]*)[^']*', '[^']*', (\d+)\)`)

// checkPeriod checks that a widget reading a metric AWS publishes every
// few minutes (publishedEvery) charts it at a period of whole intervals:
// finer periods show one point in five and a rate five times too high.
func checkPeriod(period int, lines [][]any) error {
	check := func(ns string, p int) error {
		every, ok := publishedEvery[ns]
		if !ok {
			return nil
		}
		if d := time.Duration(p) * time.Second; d < every || d%every != 0 {
			return fmt.Errorf("%s is published every %s, charted every %d s", ns, every, p)
		}
		return nil
	}
	for _, line := range lines {
		opts, _ := line[len(line)-1].(map[string]any)
		if e, ok := opts["expression"].(string); ok {
			for _, m := range searchPeriodRE.FindAllStringSubmatch(e, -1) {
				p, _ := strconv.Atoi(m[2])
				if err := check(m[1], p); err != nil {
					return err
				}
				if err := check(m[1], period); err != nil {
					return err
				}
			}
			continue
		}
		if ns, ok := line[0].(string); ok {
			if err := check(ns, period); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestDashboardBodies(t *testing.T) {
	t.Parallel()
	for _, d := range Dashboards() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			body, err := d.Body(nil)
			require.NoError(t, err)
			require.NoError(t, checkBody(body))
			require.Less(t, len(body), 100_000, "CloudWatch rejects bodies over 100 KB")
		})
	}
}

func TestDashboardsSpan(t *testing.T) {
	t.Parallel()
	require.Equal(t, "-P14D", Summary().Start, "summary covers two weeks")
	require.Equal(t, "-PT3H", Detail().Start, "detail covers hours")
	titles := func(d Dashboard) []string {
		var out []string
		for _, w := range d.Widgets {
			out = append(out, w.Title)
		}
		return out
	}
	// Every summary widget is also on the detail dashboard, so on-call never
	// loses a chart by drilling down.
	for _, title := range titles(Summary()) {
		require.Contains(t, titles(Detail()), title)
	}
}

func TestCheckBodyCatchesOrphans(t *testing.T) {
	t.Parallel()
	good, err := Detail().Body(nil)
	require.NoError(t, err)
	tests := []struct {
		name, from, to, want string
	}{
		{name: "metric not in the catalog", from: `"SignUpAccepted"`, to: `"SignUpsMaybe"`, want: "not in internal/catalog"},
		{name: "unknown namespace", from: `"AWS/SQS"`, to: `"AWS/Kinesis"`, want: "namespace is neither"},
		{name: "AWS metric that does not exist", from: `"ApproximateAgeOfOldestMessage"`, to: `"OldestMessageAge"`, want: "not a metric AWS publishes"},
		{name: "search over an unknown metric", from: `MetricName=\"SignUpRejected\"`, to: `MetricName=\"Rejections\"`, want: "not in internal/catalog"},
		{name: "dimension set never emitted", from: `"UserPoolId","${UserPool}",{"id":"m1"`, to: `"ClientId","${UserPool}",{"id":"m1"`, want: "dimension set"},
		{name: "expression over an undefined id", from: `"m1 - m2"`, to: `"m1 - m9"`, want: `id "m9" is not defined`},
		{name: "widget off the grid", from: `"x":16,"y":0,"width":8`, to: `"x":18,"y":0,"width":8`, want: "does not fit"},
		{name: "five-minute metric charted per minute", from: `"title":"Cognito quota use (AWS/Usage)"`, to: `"title":"Cognito quota use (AWS/Usage)","period":60`, want: "published every 5m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bad := strings.Replace(string(good), tc.from, tc.to, 1)
			require.NotEqual(t, string(good), bad, "the mutation must apply")
			err := checkBody([]byte(bad))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// alarmResources reads the alarms out of the generated template resources.
func alarmResources(t *testing.T) map[string]map[string]any {
	t.Helper()
	gen, err := TemplateResources()
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(gen, &doc))
	var res map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	}
	require.NoError(t, doc.Decode(&res))
	out := map[string]map[string]any{}
	for id, r := range res {
		if r.Type == "AWS::CloudWatch::Alarm" {
			out[id] = r.Properties
		}
	}
	return out
}

func TestAlarms(t *testing.T) {
	t.Parallel()
	res := alarmResources(t)
	require.Len(t, res, len(Alarms()))
	for _, a := range Alarms() {
		t.Run(a.LogicalID, func(t *testing.T) {
			t.Parallel()
			require.Contains(t, a.Description(), " Runbook: ")
			require.NotEmpty(t, a.Runbook)
			require.LessOrEqual(t, len(a.Description()), 1024, "AlarmDescription is at most 1024 characters")
			require.LessOrEqual(t, a.DatapointsToAlarm, a.EvaluationPeriods)
			for _, m := range a.Metrics {
				var dims []string
				for _, d := range m.Dims {
					dims = append(dims, d.Name)
				}
				require.NoError(t, checkMetric(m.Namespace, m.Name, dims))
			}
			defined := map[string]bool{}
			for _, m := range a.Metrics {
				defined[m.ID] = true
			}
			for _, e := range a.Exprs {
				require.NoError(t, checkExpression(e.Expression, defined))
			}
			if a.ReturnID == "" {
				require.Len(t, a.Metrics, 1)
			}
			props := res[a.LogicalID]
			require.NotNil(t, props)
			require.Equal(t, []any{OnCallTopic}, props["AlarmActions"], "pages go to the on-call topic")
			require.Equal(t, []any{OnCallTopic}, props["OKActions"])
		})
	}
}

func TestTheIssuesAlarmsExist(t *testing.T) {
	t.Parallel()
	var ids []string
	for _, a := range Alarms() {
		ids = append(ids, a.LogicalID)
	}
	for _, want := range []string{"TriggerLatencyAlarm", "TriggerErrorsAlarm", "ThrottlesAlarm", "PublishFailuresAlarm",
		"DeadLetterAlarm", "FailedSignInRatioAlarm", "RejectedSignUpSpikeAlarm", "QuotaUserAuthenticationAlarm"} {
		require.Contains(t, ids, want)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := Files(nil)
	require.NoError(t, err)
	for name, got := range files {
		testutil.Golden(t, filepath.Join("testdata", strings.ReplaceAll(name, "/", "_")+".golden"), got)
	}
}

func TestTemplateUpToDate(t *testing.T) {
	const path = "../template.yaml"
	if testutil.Update() {
		_, err := UpdateTemplate(path)
		require.NoError(t, err)
	}
	tmpl, err := os.ReadFile(path)
	require.NoError(t, err)
	gen, err := TemplateResources()
	require.NoError(t, err)
	want, err := ReplaceGenerated(tmpl, gen)
	require.NoError(t, err)
	if d := firstDiff(string(want), string(tmpl)); d != "" {
		t.Errorf("template.yaml's dashboards and alarms are out of date: run `go test ./dashboards -update` or `cogwatch dashboards render --template template.yaml`:\n%s", d)
	}
}

func TestReplaceGenerated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		err            error
	}{
		{name: "replaces between markers", in: "a\n" + BeginMarker + "\nold\n" + EndMarker + "\nb\n", want: "a\nNEW\nb\n"},
		{name: "no markers", in: "a\nb\n", err: ErrNoMarkers},
		{name: "end before begin", in: EndMarker + "\n" + BeginMarker + "\n", err: ErrNoMarkers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReplaceGenerated([]byte(tc.in), []byte("NEW\n"))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}
}

// TestUpdateTemplateWithoutMarkers: the refusal is ErrNoMarkers through the
// wrapping, and the file is left as it was.
func TestUpdateTemplateWithoutMarkers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "template.yaml")
	require.NoError(t, os.WriteFile(path, []byte("Resources: {}\n"), 0o644))
	changed, err := UpdateTemplate(path)
	require.ErrorIs(t, err, ErrNoMarkers)
	require.False(t, changed)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "Resources: {}\n", string(got))
}

func TestParamsFill(t *testing.T) {
	t.Parallel()
	p := Params{"UserPool": "eu-west-1_abc", "CloudWatchConsumerQueue.QueueName": "q1"}
	require.Equal(t, "eu-west-1_abc/q1/${AWS::Region}", p.Fill("${UserPool}/${CloudWatchConsumerQueue.QueueName}/${AWS::Region}"))
	require.Equal(t, []string{"UserPool", "AWS::Region"}, Placeholders("x${UserPool}y${AWS::Region}"))
	body, err := Summary().Body(p)
	require.NoError(t, err)
	require.NotContains(t, string(body), "${UserPool}")
	require.Contains(t, string(body), `"eu-west-1_abc"`)
}

// firstDiff describes the first line where want and got differ, or "".
func firstDiff(want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n- want: %s\n+ got:  %s", i+1, wl, gl)
		}
	}
	return "same lines, different bytes"
}

func TestDocsReference(t *testing.T) {
	const path = "../docs/dashboards.md"
	const begin, end = "<!-- BEGIN GENERATED by go test ./dashboards -update: do not edit by hand. -->\n", "<!-- END GENERATED -->"
	testutil.GoldenSection(t, path, begin, end, []byte(Reference()))
}
