package dashboard_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/local/dashboard"
	"github.com/cogwatch/cogwatch/local/dashboard/dashboardtest"
)

// TestLocalPageInChromium loads the local dashboard in headless Chromium
// against a live data source and checks that it draws every widget that has
// local data, with the points the source served, and logs no console error.
// The screenshot goes to the test's temp dir, or to $COGWATCH_SCREENSHOT_DIR.
func TestLocalPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	store := dashboard.NewStore(nil, time.Hour)
	dashboard.Fill(t, store, 60, time.Now)
	params := dashboards.Params{"UserPool": "local_pool"}
	srv := httptest.NewServer(dashboard.LocalPage(store, params, nil))
	defer srv.Close()
	snapshot := func(at time.Time) dashboard.LocalSnapshot {
		snap, err := dashboard.Snapshot(t.Context(), store, params, dashboards.Detail(), at, dashboard.Window(store, at, 15*time.Minute, 10*time.Second), 10*time.Second)
		require.NoError(t, err)
		return snap
	}

	page := dashboardtest.Load(t, srv.URL+"/", "local-dashboard.png")
	require.LessOrEqual(t, page.ScrollWidth, page.ClientWidth, "the grid fits the window: no horizontal scrolling")
	// What the page drew is what the source served at that moment.
	withData := dashboardtest.RequireDrew(t, page, snapshot(time.UnixMilli(page.Now)))
	require.GreaterOrEqual(t, withData, 5, "sign-ups, rejections, confirmations, sign-ins, ratio, latency at least")
	require.Empty(t, page.Problems, "console errors")
}
