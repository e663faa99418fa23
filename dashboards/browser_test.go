package dashboards

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium finds Debian's chromium (installed by local/install.sh).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run `make deps` (local/install.sh installs Debian's chromium as root)")
	return ""
}

// TestLocalPageInChromium loads the local dashboard in headless Chromium
// against a live data source and checks that it draws every widget that has
// local data, with the points the source served, and logs no console error.
// The screenshot goes to the test's temp dir, or to $COGWATCH_SCREENSHOT_DIR.
func TestLocalPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := chromium(t)
	store := NewStore(nil, time.Hour)
	fill(t, store, 60, time.Now)
	params := Params{"UserPool": "local_pool"}
	srv := httptest.NewServer(LocalPage(store, params, nil))
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true), // the full-page screenshot is as wide as the layout
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 2400),
	}
	// The whole browser lives at most 90 s.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()

	var mu sync.Mutex
	var problems []string
	listener := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == "error" || e.Type == "warning" || e.Type == "assert" {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, fmt.Sprintf("exception: %s at %s:%d", e.ExceptionDetails.Text, e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber))
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL))
			}
		}
	}
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(listener))
	defer cancelBrowser()

	_, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err, "start chromium")
	wctx, cancelWait := context.WithTimeout(bctx, 30*time.Second)
	defer cancelWait()
	if err := chromedp.Do(wctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)),
	); err != nil {
		html, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.outerHTML.slice(0, 3000)`))
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the page never became ready: %v\nconsole: %q\npage: %s", err, problems, html)
	}
	body, err := chromedp.Run(bctx, chromedp.Attributes(chromedp.CSS("body")))
	require.NoError(t, err)
	drawn, widgets := body["data-drawn"], body["data-widgets"]
	status, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("status")))
	require.NoError(t, err)
	lines, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("svg .line").length`))
	require.NoError(t, err)
	cards, err := chromedp.Run(bctx, chromedp.Evaluate[[]map[string]string](`Array.from(document.querySelectorAll("section.card")).map(c => ({
		title: c.querySelector("h2").textContent, points: c.dataset.points, series: c.dataset.series}))`))
	require.NoError(t, err)
	overflow, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	require.NoError(t, err)
	require.LessOrEqual(t, overflow[0], overflow[1], "the grid fits the window: no horizontal scrolling")
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)

	dir := os.Getenv("COGWATCH_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "local-dashboard.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s (%d bytes); status: %s", shot, len(png), status)

	// What the page drew is what the source served.
	snap, err := Snapshot(t.Context(), store, params, Detail(), time.Now(), 15*time.Minute, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(len(Detail().Widgets)), widgets)
	require.Len(t, cards, len(snap.Widgets))
	withData, served := 0, 0
	for i, w := range snap.Widgets {
		require.True(t, strings.HasPrefix(cards[i]["title"], w.Title), "card %d is %q, want %q", i, cards[i]["title"], w.Title)
		require.Equal(t, fmt.Sprint(len(w.Series)), cards[i]["series"], w.Title)
		points := 0
		for _, s := range w.Series {
			points += len(s.Points)
		}
		require.Equal(t, fmt.Sprint(points), cards[i]["points"], w.Title)
		if len(w.Series) > 0 {
			withData++
		}
		served += len(w.Series)
	}
	require.GreaterOrEqual(t, withData, 5, "sign-ups, rejections, confirmations, sign-ins, ratio, latency at least")
	require.Equal(t, fmt.Sprint(withData), drawn)
	require.Equal(t, served, lines, "one line per series")
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, problems, "console errors")
}
