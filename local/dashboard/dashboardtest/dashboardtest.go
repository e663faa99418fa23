// Package dashboardtest loads the local dashboard page ([dashboard.LocalPage])
// in headless Chromium (Debian's package, installed by local/install.sh) for
// tests: what the page drew, what it logged to the console, a screenshot, and
// a check that the page drew what its data source served. The page's own
// test and the local stack's test both drive the page with it.
package dashboardtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/dashboard"
)

// Chromium finds Debian's chromium, failing the test when it is missing.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run `make deps-test` (local/install.sh --browser installs Debian's chromium as root)")
	return ""
}

// Card is one widget as the page drew it: its heading and the counts the
// page's script wrote to its data attributes.
type Card struct {
	Title   string   `json:"title"`
	Points  string   `json:"points"`
	Series  string   `json:"series"`
	Legends []Legend `json:"legends"`
}

// Legend is one series' item in a card's legend: its text, and the kind
// ("total" or "last") and value the page put in its data attributes.
type Legend struct {
	Text  string `json:"text"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Page is what a loaded page showed.
type Page struct {
	// Widgets and Drawn are the body's data-widgets and data-drawn: how
	// many widgets the page has and how many it drew a chart for.
	Widgets, Drawn string
	// Status is the page's status line.
	Status string
	// Now is the moment (Unix ms) of the data the page drew: fetch
	// series?…&now=Now, or call Snapshot at it, for exactly that data.
	Now int64
	// Lines counts the chart lines (one per series) in every SVG.
	Lines int
	Cards []Card
	// ScrollWidth and ClientWidth of the document: equal when the grid fits.
	ScrollWidth, ClientWidth int
	// Screenshot is the path of the full-page PNG.
	Screenshot string
	// Problems are the console errors and warnings, uncaught exceptions and
	// browser log errors seen while loading.
	Problems []string
}

// drawnPage is what Load reads of the page in one evaluation: the page
// redraws every few seconds, and separate reads could straddle a redraw.
type drawnPage struct {
	Drawn       string `json:"drawn"`
	Widgets     string `json:"widgets"`
	Now         string `json:"now"`
	Status      string `json:"status"`
	Lines       int    `json:"lines"`
	Cards       []Card `json:"cards"`
	ScrollWidth int    `json:"scrollWidth"`
	ClientWidth int    `json:"clientWidth"`
}

// Load opens url (the page, ending in "/") in headless Chromium, waits at
// most 30 s for the page to be ready (body[data-ready="1"]), reads what it
// drew and saves a full-page screenshot named name in
// $COGWATCH_SCREENSHOT_DIR, or in a temporary directory of the test. The
// whole browser lives at most 90 s and is gone when Load returns.
func Load(t testing.TB, url, name string) Page {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
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
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)),
	); err != nil {
		html, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.outerHTML.slice(0, 3000)`))
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the page never became ready: %v\nconsole: %q\npage: %s", err, problems, html)
	}
	drew, err := chromedp.Run(bctx, chromedp.Evaluate[drawnPage](`(() => {
		const b = document.body, d = document.documentElement;
		return {drawn: b.dataset.drawn, widgets: b.dataset.widgets, now: b.dataset.now,
			status: document.getElementById("status").textContent,
			lines: document.querySelectorAll("svg .line").length,
			cards: Array.from(document.querySelectorAll("section.card")).map(c => ({
				title: c.querySelector("h2").textContent, points: c.dataset.points, series: c.dataset.series,
				legends: Array.from(c.querySelectorAll(".legend .series")).map(l => ({text: l.textContent, kind: l.dataset.legend, value: l.dataset.value}))})),
			scrollWidth: d.scrollWidth, clientWidth: d.clientWidth};
	})()`))
	require.NoError(t, err)
	p := Page{Drawn: drew.Drawn, Widgets: drew.Widgets, Status: drew.Status, Lines: drew.Lines, Cards: drew.Cards,
		ScrollWidth: drew.ScrollWidth, ClientWidth: drew.ClientWidth}
	p.Now, err = strconv.ParseInt(drew.Now, 10, 64)
	require.NoError(t, err, "body[data-now]")
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)

	dir := os.Getenv("COGWATCH_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	p.Screenshot = filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p.Screenshot, png, 0o644))
	t.Logf("screenshot: %s (%d bytes); status: %s", p.Screenshot, len(png), p.Status)
	mu.Lock()
	defer mu.Unlock()
	p.Problems = append([]string(nil), problems...)
	return p
}

// RequireDrew fails unless the page drew what one of snaps served: the
// source's data as of the page's Now (series?…&now=Now, or Snapshot at
// that moment). It checks one card per widget, in order, with its series
// and points, one line per series, one chart per widget with data, and
// each series' legend: its kind (total or last) and value. It returns how
// many widgets had data.
func RequireDrew(t testing.TB, p Page, snaps ...dashboard.LocalSnapshot) int {
	t.Helper()
	require.NotEmpty(t, snaps)
	var diffs []string
	for _, snap := range snaps {
		diff, withData := compare(p, snap)
		if diff == "" {
			return withData
		}
		diffs = append(diffs, diff)
	}
	t.Fatalf("the page did not draw what the source served:\n%s", strings.Join(diffs, "\n"))
	return 0
}

// compare describes the first difference between the page and snap.
func compare(p Page, snap dashboard.LocalSnapshot) (string, int) {
	if p.Widgets != fmt.Sprint(len(snap.Widgets)) {
		return fmt.Sprintf("data-widgets %s, want %d", p.Widgets, len(snap.Widgets)), 0
	}
	if len(p.Cards) != len(snap.Widgets) {
		return fmt.Sprintf("%d cards, want %d", len(p.Cards), len(snap.Widgets)), 0
	}
	withData, served := 0, 0
	for i, w := range snap.Widgets {
		c := p.Cards[i]
		if !strings.HasPrefix(c.Title, w.Title) {
			return fmt.Sprintf("card %d is %q, want %q", i, c.Title, w.Title), 0
		}
		if c.Series != fmt.Sprint(len(w.Series)) {
			return fmt.Sprintf("%s: %s series, want %d", w.Title, c.Series, len(w.Series)), 0
		}
		points := 0
		for _, s := range w.Series {
			points += len(s.Points)
		}
		if c.Points != fmt.Sprint(points) {
			return fmt.Sprintf("%s: %s points, want %d", w.Title, c.Points, points), 0
		}
		if len(c.Legends) != len(w.Series) {
			return fmt.Sprintf("%s: %d legend items, want %d", w.Title, len(c.Legends), len(w.Series)), 0
		}
		for j, s := range w.Series {
			l := c.Legends[j]
			v, err := strconv.ParseFloat(l.Value, 64)
			if l.Kind != s.Legend || err != nil || v != s.Value || !strings.HasPrefix(l.Text, s.Label+" ("+s.Legend+" ") {
				return fmt.Sprintf("%s: legend %q (%s %s), want %s (%s %v)", w.Title, l.Text, l.Kind, l.Value, s.Label, s.Legend, s.Value), 0
			}
		}
		if len(w.Series) > 0 {
			withData++
		}
		served += len(w.Series)
	}
	if p.Drawn != fmt.Sprint(withData) {
		return fmt.Sprintf("data-drawn %s, want %d", p.Drawn, withData), 0
	}
	if p.Lines != served {
		return fmt.Sprintf("%d lines, want one per series: %d", p.Lines, served), 0
	}
	return "", withData
}
