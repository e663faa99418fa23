package benchreport

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPerMillion checks the model's arithmetic on sizes priced by hand.
func TestPerMillion(t *testing.T) {
	inv := WireSize{SNSEMF: 500, SNSMessage: 600, SNSAttributes: 100, LogEMF: 400, LogEvent: 600}
	c := USEast1.PerMillion(DefaultAssumptions, []WireSize{inv, inv}, 10)
	// 2 M invocations: requests $0.40; 2 M × 20 ms × 0.25 GB = 10,000 GB-s.
	assert.InDelta(t, 0.40+0.133334+1.00+0.50, c.SNS, 1e-6, "requests, duration, 2 M Publish, 1 GB of EMF")
	// 200,000 PublishBatch of 7,000 B (one request each), 2 GB of lines,
	// 200,000 forwarder invocations of 30 ms and 600 B of log.
	assert.InDelta(t, 0.40+0.0066667+0.10+1.00+0.04+0.02+0.06, c.Log, 1e-6)
	assert.InDelta(t, 0.40+0.133334+20.00, c.Naive, 1e-6)
	assert.InDelta(t, 500+1.00, c.CognitoPlus, 1e-6, "100,000 MAU on Plus, 2 GB of Cognito's log")

	big := inv
	big.SNSMessage = 70_000 // two 64 KB chunks: two requests each
	c2 := USEast1.PerMillion(DefaultAssumptions, []WireSize{big, big}, 10)
	assert.InDelta(t, c.SNS+1.00, c2.SNS, 1e-6)
	// A batch of 10 is 701,000 B: eleven requests instead of one.
	assert.InDelta(t, c.Log+10*0.10, c2.Log, 1e-6)
}

func TestDollars(t *testing.T) {
	for v, want := range map[float64]string{0: "$0.00", 1.716: "$1.72", 20.533: "$20.53", 501: "$501.00", 5001.5: "$5,001.50", 1234567: "$1,234,567.00"} {
		assert.Equal(t, want, dollars(v), "%v", v)
	}
}

// TestCostDocMeasured keeps docs/cost.md true to the code: its bytes are
// what the triggers write today, and its dollars what the model makes of
// them.
// latencyDigits is how far a measured line length may move between runs.
const latencyDigits = 12

func TestCostDocMeasured(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	sizes, err := MeasureWire(context.Background(), root)
	require.NoError(t, err)
	require.Len(t, sizes, 4)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "cost.md"))
	require.NoError(t, err)
	for _, w := range sizes {
		t.Logf("%+v", w)
		row := regexp.MustCompile(`(?m)^\| ` + w.Invocation + ` \|.*$`).FindString(string(doc))
		require.NotEmpty(t, row, "docs/cost.md has no bytes row for %s", w.Invocation)
		got := regexp.MustCompile(`\d+`).FindAllString(strings.TrimPrefix(row, "| "+w.Invocation), -1)
		require.Len(t, got, 5, "docs/cost.md bytes of %s: SNS EMF, message, attributes, log EMF, event line", w.Invocation)
		for i, measured := range []int{w.SNSEMF, w.SNSMessage, w.SNSAttributes, w.LogEMF, w.LogEvent} {
			documented, _ := strconv.Atoi(got[i])
			// Latencies are written as measured: a line's length moves by
			// a few digits from one invocation to the next.
			assert.InDelta(t, measured, documented, latencyDigits, "docs/cost.md bytes of %s, column %d", w.Invocation, i+1)
		}
	}
	signIn, signUp := Journeys(sizes)
	a := DefaultAssumptions
	for name, c := range map[string]Costs{
		"sign-ins": USEast1.PerMillion(a, signIn, a.SignInsPerMAU),
		"sign-ups": USEast1.PerMillion(a, signUp, 1),
	} {
		row := regexp.MustCompile(`(?m)^\| \*\*per million ` + name + `\*\* \|.*$`).FindString(string(doc))
		require.NotEmpty(t, row, "docs/cost.md has no total row for %s", name)
		got := regexp.MustCompile(`\*\*(\$[\d,.]+)`).FindAllStringSubmatch(row, -1)
		require.Len(t, got, 4, "docs/cost.md, per million %s: four sinks", name)
		for i, model := range []float64{c.SNS, c.Log, c.Naive, c.CognitoPlus} {
			documented, err := strconv.ParseFloat(strings.NewReplacer("$", "", ",", "").Replace(got[i][1]), 64)
			require.NoError(t, err)
			assert.InEpsilon(t, model, documented, 0.01, "docs/cost.md, per million %s, column %d: the model says %s", name, i+1, dollars(model))
		}
	}
}
