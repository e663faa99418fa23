package dashboards_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/dashboards/dashboardstest"
)

// TestLocalPageInChromium loads the local dashboard in headless Chromium
// against a live data source and checks that it draws every widget that has
// local data, with the points the source served, and logs no console error.
// The screenshot goes to the test's temp dir, or to $COGWATCH_SCREENSHOT_DIR.
func TestLocalPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	store := dashboards.NewStore(nil, time.Hour)
	dashboards.Fill(t, store, 60, time.Now)
	params := dashboards.Params{"UserPool": "local_pool"}
	srv := httptest.NewServer(dashboards.LocalPage(store, params, nil))
	defer srv.Close()
	snapshot := func() dashboards.LocalSnapshot {
		snap, err := dashboards.Snapshot(t.Context(), store, params, dashboards.Detail(), time.Now(), 15*time.Minute, 10*time.Second)
		require.NoError(t, err)
		return snap
	}

	before := snapshot()
	page := dashboardstest.Load(t, srv.URL+"/", "local-dashboard.png")
	require.LessOrEqual(t, page.ScrollWidth, page.ClientWidth, "the grid fits the window: no horizontal scrolling")
	// What the page drew is what the source served.
	withData := dashboardstest.RequireDrew(t, page, before, snapshot())
	require.GreaterOrEqual(t, withData, 5, "sign-ups, rejections, confirmations, sign-ins, ratio, latency at least")
	require.Empty(t, page.Problems, "console errors")
}
