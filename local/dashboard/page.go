package dashboard

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cogwatch/cogwatch/dashboards"
	"github.com/cogwatch/cogwatch/internal/metricmath"
)

//go:embed page.html
var localHTML []byte

// LocalWidget is one widget of the local page as its script receives it.
type LocalWidget struct {
	Title  string             `json:"title"`
	Unit   string             `json:"unit"`
	Width  int                `json:"width"`
	Height int                `json:"height"`
	HLines []dashboards.HLine `json:"hlines,omitempty"`
	Series []Series           `json:"series"`
	// Note says why a widget has no local data (AWS-only metrics, or
	// metric math with no local equivalent).
	Note string `json:"note,omitempty"`
}

// LocalSnapshot is the JSON the local page polls.
type LocalSnapshot struct {
	Dashboard string        `json:"dashboard"`
	Now       int64         `json:"now"`
	Since     int64         `json:"since"`
	StepMs    int64         `json:"stepMs"`
	Widgets   []LocalWidget `json:"widgets"`
}

// LocalPage serves the detail dashboard as a self-contained HTML page (no
// external script, style or font) at "/" and its live data as JSON at
// "/series?minutes=M&step=S": at most M minutes (default 15), fitted to the
// data by [Window], in steps of S seconds (default 10); "&now=T" (Unix
// milliseconds, not later than now) answers as of T, so that what the page
// drew at T can be fetched again.
// params fills the placeholders of dimension values (UserPool with the
// local pool's id, PreSignUpFunction with the local function's name, …);
// a dimension whose value stays a placeholder matches any value. The
// page's URLs are relative, so it can be mounted under a prefix with
// http.StripPrefix.
func LocalPage(src Source, params dashboards.Params, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
		_, _ = w.Write(localHTML)
	})
	mux.HandleFunc("GET /series", func(w http.ResponseWriter, r *http.Request) {
		minutes, step := 15, 10
		if v, err := strconv.Atoi(r.URL.Query().Get("minutes")); err == nil && v > 0 && v <= 24*60 {
			minutes = v
		}
		if v, err := strconv.Atoi(r.URL.Query().Get("step")); err == nil && v > 0 && v <= 3600 {
			step = v
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		at, stepD := now(), time.Duration(step)*time.Second
		if v, err := strconv.ParseInt(r.URL.Query().Get("now"), 10, 64); err == nil && v > 0 {
			if t := time.UnixMilli(v); t.Before(at) {
				at = t
			}
		}
		snap, err := Snapshot(ctx, src, params, dashboards.Detail(), at, Window(src, at, time.Duration(minutes)*time.Minute, stepD), stepD)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(snap)
	})
	return mux
}

// MinWindow is the shortest time span the local page shows.
const MinWindow = time.Minute

// Window returns the time span the local page shows at now: span, or less
// when src (a [Store]) holds nothing older, so that a stack up for two
// minutes is drawn across the chart rather than in the last pixels of a
// 15-minute axis; never less than MinWindow. Every sample src holds is
// inside it as long as it is younger than span.
func Window(src Source, now time.Time, span, step time.Duration) time.Duration {
	e, ok := src.(interface{ Earliest() (time.Time, bool) })
	if !ok {
		return span
	}
	first, ok := e.Earliest()
	if !ok {
		return min(span, MinWindow)
	}
	return min(span, max(now.Sub(first)+step, MinWindow))
}

// Snapshot queries src for every widget of d over the last span. Each
// series says what its legend shows (see [Series]): counts their total
// over the span, other statistics their last value; a percentile's label
// names it (p50, p99).
func Snapshot(ctx context.Context, src Source, params dashboards.Params, d dashboards.Dashboard, now time.Time, span, step time.Duration) (LocalSnapshot, error) {
	since := now.Add(-span).Truncate(step)
	snap := LocalSnapshot{Dashboard: d.Name, Now: now.UnixMilli(), Since: since.UnixMilli(), StepMs: step.Milliseconds()}
	for _, w := range d.Widgets {
		lw := LocalWidget{Title: w.Title, Unit: w.Unit, Width: w.Width, Height: w.Height, HLines: w.HLines, Series: []Series{}}
		byID := map[string]map[int64]float64{}
		var notes []string
		for _, m := range w.Metrics {
			q := Query{Namespace: m.Namespace, Name: m.Name, Stat: m.Stat, Since: since, Until: now, Step: step}
			for _, dm := range m.Dims {
				q.Schema = append(q.Schema, dm.Name)
				if v := params.Fill(dm.Value); !strings.Contains(v, "${") {
					q.Filters = append(q.Filters, dashboards.Dim{Name: dm.Name, Value: v})
				} else {
					q.GroupBy = append(q.GroupBy, dm.Name)
				}
			}
			ss, err := src.Query(ctx, q)
			if err != nil {
				return snap, err
			}
			one := sumSeries(ss, statLabel(m.Label, m.Stat))
			if m.ID != "" {
				byID[m.ID] = index(one)
			}
			if !m.Hidden && len(ss) > 0 {
				lw.Series = append(lw.Series, summarized(one, m.Stat, w.Unit))
			}
		}
		for _, s := range w.Searches {
			q := Query{Namespace: s.Namespace, Name: s.Name, Schema: s.Schema, Stat: s.Stat, Since: since, Until: now, Step: step}
			fixed := map[string]bool{}
			for _, f := range s.Filters {
				if v := params.Fill(f.Value); !strings.Contains(v, "${") {
					q.Filters = append(q.Filters, dashboards.Dim{Name: f.Name, Value: v})
					fixed[f.Name] = true
				}
			}
			for _, k := range s.Schema {
				if !fixed[k] {
					q.GroupBy = append(q.GroupBy, k)
				}
			}
			ss, err := src.Query(ctx, q)
			if err != nil {
				return snap, err
			}
			if s.Sum {
				ss = []Series{sumSeries(ss, s.Label)}
				if len(ss[0].Points) == 0 {
					ss = nil
				}
			}
			if len(ss) == 1 {
				byID[s.ID] = index(ss[0])
			}
			if !s.Hidden {
				for _, one := range ss {
					one.Label = statLabel(one.Label, s.Stat)
					lw.Series = append(lw.Series, summarized(one, s.Stat, w.Unit))
				}
			}
		}
		for _, e := range w.Exprs {
			ser := Series{Label: e.Label}
			for t := since; !t.After(now); t = t.Add(step) {
				ms := t.UnixMilli()
				vals := map[string]float64{}
				for id, pts := range byID {
					if v, ok := pts[ms]; ok {
						vals[id] = v
					}
				}
				v, ok, err := metricmath.Eval(e.Expression, vals)
				if err != nil {
					notes = append(notes, e.Label+": computed in CloudWatch only")
					ser.Points = nil
					break
				}
				if ok {
					ser.Points = append(ser.Points, Point{ms, v})
				}
			}
			if !e.Hidden && len(ser.Points) > 0 {
				lw.Series = append(lw.Series, summarized(ser, "", w.Unit))
			}
		}
		if len(lw.Series) == 0 && len(notes) == 0 {
			notes = append(notes, "no local data yet for these metrics")
		}
		lw.Note = strings.Join(notes, "; ")
		snap.Widgets = append(snap.Widgets, lw)
	}
	return snap, nil
}

// summarized returns s with its legend: the total of its points when they
// are counts (the Sum or SampleCount statistic, or metric math in a widget
// of counts), else its last point.
func summarized(s Series, stat, unit string) Series {
	if isCount(stat) || (stat == "" && unit == "Count") {
		s.Legend, s.Value = "total", 0
		for _, p := range s.Points {
			s.Value += p.V
		}
		return s
	}
	s.Legend, s.Value = "last", 0
	if len(s.Points) > 0 {
		s.Value = s.Points[len(s.Points)-1].V
	}
	return s
}

// statLabel names a percentile statistic in label ("presignup" →
// "presignup p99"), so that a widget's p50 and p99 lines of one function
// are told apart; other statistics are said by the widget's title.
func statLabel(label, stat string) string {
	p, ok := strings.CutPrefix(stat, "p")
	if _, err := strconv.ParseFloat(p, 64); !ok || err != nil || strings.Contains(label, stat) {
		return label
	}
	return strings.TrimSpace(label + " " + stat)
}

// sumSeries adds series up point by point (CloudWatch's SUM over a search).
func sumSeries(ss []Series, label string) Series {
	if len(ss) == 1 {
		out := ss[0]
		if label != "" {
			out.Label = label
		}
		return out
	}
	acc := map[int64]float64{}
	var order []int64
	for _, s := range ss {
		for _, p := range s.Points {
			if _, ok := acc[p.T]; !ok {
				order = append(order, p.T)
			}
			acc[p.T] += p.V
		}
	}
	out := Series{Label: label}
	for _, t := range order {
		out.Points = append(out.Points, Point{t, acc[t]})
	}
	sortPoints(out.Points)
	return out
}

func sortPoints(ps []Point) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].T < ps[j-1].T; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

func index(s Series) map[int64]float64 {
	m := make(map[int64]float64, len(s.Points))
	for _, p := range s.Points {
		m[p.T] = p.V
	}
	return m
}
