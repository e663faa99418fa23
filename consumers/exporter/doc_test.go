package exporter_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/testutil"
)

const docPath = "../../docs/exporter.md"

// metricsTable renders every metric family the exporter registers (after
// events that give each a series) from the registry itself.
func metricsTable(t *testing.T) string {
	f := newFixture(t, func(o *exporter.Options) { o.MaxPools = 1 })
	for _, pool := range []string{"us-east-1_a", "us-east-1_b"} {
		ev := strings.ReplaceAll(userEvent(t, pool, event.SignUpRejected, "c", event.ReasonInvalidEmail, 1), "us-east-1_AbC123", pool)
		require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(f.sns.Notification(f.topic, ev, f.now, "2"))))
	}
	ch := journeyEvent(t, "c1", event.ChallengeIssued, "", "CAPTCHA") // the challenge counter has a series only then
	require.Equal(t, http.StatusOK, f.post(t, snstest.Marshal(f.sns.Notification(f.topic, ch, f.now, "2"))))
	mfs, err := f.reg.Gather()
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("| Metric | Type | Labels | Description |\n| --- | --- | --- | --- |\n")
	for _, mf := range mfs {
		var labels []string
		for _, l := range mf.GetMetric()[0].GetLabel() {
			labels = append(labels, "`"+l.GetName()+"`")
		}
		slices.Sort(labels)
		typ := strings.ToLower(dto.MetricType_name[int32(mf.GetType())])
		b.WriteString("| `" + mf.GetName() + "` | " + typ + " | " + strings.Join(labels, ", ") + " | " +
			strings.ReplaceAll(mf.GetHelp(), "|", "\\|") + " |\n")
	}
	return b.String()
}

func TestMetricsDoc(t *testing.T) {
	testutil.GoldenSection(t, docPath, "<!-- metrics:begin", "<!-- metrics:end", []byte(metricsTable(t)))
}
