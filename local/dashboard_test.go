package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/local"
	"github.com/cogwatch/cogwatch/local/dashboard"
	"github.com/cogwatch/cogwatch/local/dashboard/dashboardtest"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// TestDashboardShowsLiveData runs a small simulation on the stack, then reads
// the dashboard page and its data over HTTP, as the page's script does, and
// checks that the charts' series count exactly what was done: the triggers'
// EMF lines (sign-ups, rejections by reason, confirmations, sign-ins, the
// warm-ups), the CloudWatch consumer's PutMetricData calls (delivered) and
// the stack's own AWS/Lambda, AWS/SNS and AWS/SQS measurements.
func TestDashboardShowsLiveData(t *testing.T) {
	s := start(t, local.Options{WarmInterval: time.Hour, VisibilityTimeout: 5 * time.Second})
	e := s.Endpoints()
	require.Equal(t, e.Lambda+local.DashboardPath, e.Dashboard)

	r := simulateAndDrain(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	sum, err := s.Summary(ctx)
	require.NoError(t, err)

	disposable, invalid := r.SignUp[simulate.Disposable], r.SignUp[simulate.Invalid]
	rejectedDisposable := disposable.Failed["UserLambdaValidationException"]
	rejectedInvalid := invalid.Failed["UserLambdaValidationException"]
	require.Positive(t, r.Accepted())
	require.Positive(t, rejectedDisposable+rejectedInvalid)
	require.Positive(t, r.SignInRight.Succeeded)

	// The page: self-contained HTML, also reached without the trailing slash.
	page := get(t, e.Dashboard)
	require.Equal(t, "text/html; charset=utf-8", page.Header.Get("Content-Type"))
	require.Contains(t, page.body, "<script")
	require.Equal(t, page.body, get(t, strings.TrimSuffix(e.Dashboard, "/")).body, "/dashboard redirects to the page")

	// Its data, as the page polls it.
	snap := series(t, e.Dashboard)
	require.Len(t, snap.Widgets, len(dashboards.Detail().Widgets))
	total := func(widget, label string) float64 {
		t.Helper()
		for _, w := range snap.Widgets {
			if w.Title != widget {
				continue
			}
			for _, s := range w.Series {
				if s.Label == label {
					require.NotEmpty(t, s.Points, "%s: %s", widget, label)
					n := 0.0
					for _, p := range s.Points {
						n += p.V
					}
					if s.Legend == "total" {
						require.Equal(t, n, s.Value, "%s: %s: the legend's total is the line's", widget, label)
					} else {
						require.Equal(t, s.Points[len(s.Points)-1].V, s.Value, "%s: %s: the legend's last value is where the line ends", widget, label)
					}
					return n
				}
			}
			var labels []string
			for _, s := range w.Series {
				labels = append(labels, s.Label)
			}
			t.Fatalf("widget %q has no series %q, only %q (note %q)", widget, label, labels, w.Note)
		}
		t.Fatalf("no widget %q", widget)
		return 0
	}

	// all sums every series of a widget, by label.
	all := func(widget string) map[string]float64 {
		t.Helper()
		for _, w := range snap.Widgets {
			if w.Title == widget {
				out := map[string]float64{}
				for _, s := range w.Series {
					for _, p := range s.Points {
						out[s.Label] += p.V
					}
				}
				return out
			}
		}
		t.Fatalf("no widget %q", widget)
		return nil
	}

	// The window fits the data: it starts before the first sample, not 15
	// minutes back.
	require.Less(t, snap.Now-snap.Since, (15 * time.Minute).Milliseconds())

	// From the triggers' EMF lines, read as CloudWatch Logs would.
	require.Equal(t, float64(r.Accepted()), total("Sign-ups", "accepted"))
	require.Equal(t, float64(rejectedDisposable+rejectedInvalid), total("Sign-ups", "rejected"))
	if rejectedDisposable > 0 {
		require.Equal(t, float64(rejectedDisposable), total("Rejected sign-ups by reason", event.ReasonDisposableDomain))
	}
	if rejectedInvalid > 0 {
		require.Equal(t, float64(rejectedInvalid), total("Rejected sign-ups by reason", event.ReasonInvalidEmail))
	}
	require.Equal(t, float64(r.Confirm.Succeeded), total("Confirmations and password resets", "confirmed"))
	require.Positive(t, r.ConfirmForgotPassword.Succeeded)
	require.Equal(t, float64(r.ConfirmForgotPassword.Succeeded), total("Confirmations and password resets", "password reset"))
	// The journeys, by trigger source.
	tokens := all("Tokens issued by source (pre token generation)")
	require.Len(t, tokens, 2, "%v", tokens)
	require.Equal(t, float64(r.SignInRight.Succeeded), sumWhere(tokens, "TokenGeneration_Authentication"), "%v", tokens)
	require.Equal(t, float64(r.Refresh.Succeeded), sumWhere(tokens, "TokenGeneration_RefreshTokens"), "%v", tokens)
	codes := all("Codes sent by source and medium (custom message)")
	require.Len(t, codes, 2, "%v", codes)
	require.Equal(t, float64(r.Accepted()), sumWhere(codes, "CustomMessage_SignUp"), "%v", codes)
	require.Equal(t, float64(r.ForgotPassword.Succeeded), sumWhere(codes, "CustomMessage_ForgotPassword"), "%v", codes)
	require.Equal(t, float64(r.Accepted()+r.ForgotPassword.Succeeded), sumWhere(codes, "email"), "%v: every code by email here", codes)
	require.Equal(t, float64(r.SignInRight.Succeeded), total("Sign-ins: attempted, succeeded, failed", "succeeded"))
	require.Equal(t, float64(r.SignInRight.Succeeded), total("Consumer errors, and events delivered vs emitted", "sign-ins emitted"))
	// The warmer's run at start, by function (Maximum per step: 2 each).
	require.Equal(t, 2.0, total("Warm-ups: instances kept warm, errors", "warm: presignup"))
	require.Zero(t, total("Warm-ups: instances kept warm, errors", "errors: presignup"))
	// Every publish succeeded: the failure series is all zeros.
	require.Zero(t, total("User-event publish failures and SNS deliveries", "trigger publish failures"))

	// From the CloudWatch consumer's PutMetricData calls.
	require.Positive(t, sum.PutMetricData.Calls)
	require.Equal(t, float64(r.SignInRight.Succeeded), total("Consumer errors, and events delivered vs emitted", "sign-ins delivered"))

	// AWS/Lambda, as the Lambda host measures it: a rejected sign-up is the
	// pre sign-up trigger's error; no other function failed or throttled.
	require.Equal(t, float64(rejectedDisposable+rejectedInvalid), total("Errors per function", "presignup"))
	for _, f := range []string{"authentication", "postconfirmation", "cloudwatch-consumer", "eventbridge-consumer"} {
		require.Zero(t, total("Errors per function", f), f)
		require.Zero(t, total("Throttles per function", f), f)
	}
	require.Zero(t, total("Consumer errors, and events delivered vs emitted", "cloudwatch-consumer"))
	require.Positive(t, total("Trigger duration p50 / p99 against Cognito's 5-second limit", "postconfirmation p50"))
	require.Positive(t, total("Trigger duration p50 / p99 against Cognito's 5-second limit", "postconfirmation p99"))

	// AWS/SNS: every event the topic delivered to the stack's own queue.
	events := 0
	for _, n := range local.Expected(r) {
		events += n
	}
	require.Equal(t, float64(events), total("User-event publish failures and SNS deliveries", "published"))
	// AWS/SQS, sampled at start and every 10 s: each queue has a depth series
	// (its value depends on when the sampler ran, before or during the
	// simulation, so only its presence is checked), and nothing ever reached
	// a dead-letter queue.
	for _, q := range []string{"cloudwatch-consumer", "eventbridge-consumer"} {
		require.GreaterOrEqual(t, total("Queue depth", q), 0.0, q)
		require.Zero(t, total("DLQ depth", q+" DLQ"), q)
	}

	// Widgets that only AWS fills say so instead of drawing nothing.
	var drawn []string
	for _, w := range snap.Widgets {
		if len(w.Series) == 0 {
			require.NotEmpty(t, w.Note, w.Title)
			continue
		}
		drawn = append(drawn, fmt.Sprintf("%s (%d series)", w.Title, len(w.Series)))
	}
	t.Logf("%d of %d widgets drawn from live data: %s", len(drawn), len(snap.Widgets), strings.Join(drawn, "; "))
}

// sumWhere sums the series whose label contains part.
func sumWhere(series map[string]float64, part string) float64 {
	n := 0.0
	for label, v := range series {
		if strings.Contains(label, part) {
			n += v
		}
	}
	return n
}

// TestDashboardInChromium loads the page from the live stack in headless
// Chromium after a small simulation: it becomes ready, draws a chart for
// every widget with live data (one line per series, the points served),
// and logs no console error. The screenshot goes to the test's temp dir, or
// to $COGWATCH_SCREENSHOT_DIR (local-stack-dashboard.png).
func TestDashboardInChromium(t *testing.T) {
	dashboardtest.Chromium(t)
	s := start(t, local.Options{WarmInterval: time.Hour, VisibilityTimeout: 5 * time.Second})
	e := s.Endpoints()
	simulateAndDrain(t, s)

	page := dashboardtest.Load(t, e.Dashboard, "local-stack-dashboard.png")
	withData := dashboardtest.RequireDrew(t, page, seriesAt(t, e.Dashboard, page.Now))
	require.GreaterOrEqual(t, withData, 14, "sign-ups, rejections, confirmations, sign-ins, durations, publishes, consumers, errors, throttles, cold starts, warm-ups, queues")
	require.LessOrEqual(t, page.ScrollWidth, page.ClientWidth, "the grid fits the window: no horizontal scrolling")
	require.Empty(t, page.Problems, "console errors")
	t.Logf("drawn: %s of %s widgets, %d lines", page.Drawn, page.Widgets, page.Lines)
}

// simulateAndDrain signs up 12 users (some with disposable or invalid
// addresses, some first signing in with a wrong password) and waits until
// the consumers have handled every event.
func simulateAndDrain(t *testing.T, s *local.Stack) *simulate.Result {
	t.Helper()
	e := s.Endpoints()
	r, err := simulate.Run(t.Context(), s.Cognito(), simulate.Options{
		Users: 12, Seed: 3, ClientID: e.ClientID, UserPoolID: e.UserPoolID,
		ConfirmationCode: local.DefaultConfirmationCode,
		Disposable:       0.25, Invalid: 0.25, WrongPassword: 0.5,
	})
	require.NoError(t, err)
	require.Zero(t, r.Unexpected(), "%+v", r)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Drain(ctx))
	return r
}

// series fetches the page's data as its script does.
func series(t *testing.T, page string) dashboard.LocalSnapshot {
	t.Helper()
	return seriesAt(t, page, 0)
}

// seriesAt fetches the page's data as of now (Unix ms; 0: now), as it was
// when the page drew it.
func seriesAt(t *testing.T, page string, now int64) dashboard.LocalSnapshot {
	t.Helper()
	u := page + "series?minutes=15&step=10"
	if now > 0 {
		u += fmt.Sprintf("&now=%d", now)
	}
	data := get(t, u)
	require.Equal(t, "application/json", data.Header.Get("Content-Type"))
	var snap dashboard.LocalSnapshot
	require.NoError(t, json.Unmarshal([]byte(data.body), &snap))
	return snap
}

type response struct {
	Header http.Header
	body   string
}

// get fetches u and requires a 200.
func get(t *testing.T, u string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, b)
	return response{resp.Header, string(b)}
}
