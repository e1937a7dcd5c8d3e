package web

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
)

// capacitySorts are the capacity table's sort keys; "full" (soonest at
// 100 %, the reached ones first, those without a date last) is the
// default.
var capacitySorts = []string{"full", "-full", "name", "-name", "used", "-used", "growth", "-growth"}

// trendKey identifies a trend on the page (?chart=).
func trendKey(t metrics.CapacityTrend) string {
	return t.Vcenter + "/" + string(t.EntityType) + "/" + t.EntityID + "/" + t.Resource
}

// displayUnit is the unit a trend is shown in (MB as GB) and the factor.
func displayUnit(t metrics.CapacityTrend) (string, float64) {
	if t.Unit == "MB" {
		return "GB", 1.0 / 1024
	}
	return t.Unit, 1
}

// fullKey orders trends by when they reach 100 %: reached first (by
// used % descending), then by date, then those without a date.
func fullKey(t metrics.CapacityTrend) (rank int, at time.Time) {
	for _, th := range t.Forecast.Thresholds {
		if th.Pct != 100 {
			continue
		}
		switch {
		case th.Reached:
			return 0, time.Time{}
		case !th.Date.IsZero():
			return 1, th.Date
		}
	}
	return 2, time.Time{}
}

func compareFull(a, b metrics.CapacityTrend) int {
	ra, ta := fullKey(a)
	rb, tb := fullKey(b)
	switch {
	case ra != rb:
		return ra - rb
	case !ta.Equal(tb):
		return ta.Compare(tb)
	case a.Forecast.UsedPct != b.Forecast.UsedPct:
		if a.Forecast.UsedPct > b.Forecast.UsedPct {
			return -1
		}
		return 1
	}
	return strings.Compare(trendKey(a), trendKey(b))
}

func sortTrends(ts []metrics.CapacityTrend, key string) {
	desc := strings.HasPrefix(key, "-")
	var cmp func(a, b metrics.CapacityTrend) int
	switch strings.TrimPrefix(key, "-") {
	case "name":
		cmp = func(a, b metrics.CapacityTrend) int {
			if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
				return c
			}
			return strings.Compare(trendKey(a), trendKey(b))
		}
	case "used":
		cmp = func(a, b metrics.CapacityTrend) int {
			if c := cmpFloat(a.Forecast.UsedPct, b.Forecast.UsedPct); c != 0 {
				return c
			}
			return strings.Compare(trendKey(a), trendKey(b))
		}
	case "growth":
		cmp = func(a, b metrics.CapacityTrend) int {
			if c := cmpFloat(growthPct(a), growthPct(b)); c != 0 {
				return c
			}
			return strings.Compare(trendKey(a), trendKey(b))
		}
	default:
		cmp = compareFull
	}
	slices.SortStableFunc(ts, func(a, b metrics.CapacityTrend) int {
		if desc {
			return cmp(b, a)
		}
		return cmp(a, b)
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// growthPct is a trend's growth per day as a share of its latest
// capacity (percentage points per day), comparable across units.
func growthPct(t metrics.CapacityTrend) float64 {
	if len(t.Days) == 0 || t.Days[len(t.Days)-1].Capacity <= 0 {
		return 0
	}
	return 100 * t.Forecast.SlopePerDay / t.Days[len(t.Days)-1].Capacity
}

// thresholdCell says when a trend reaches pct.
func (p *page) thresholdCell(t metrics.CapacityTrend, pct int) Cell {
	for _, th := range t.Forecast.Thresholds {
		if th.Pct != pct {
			continue
		}
		switch {
		case th.Reached:
			return badge("reached", "danger")
		case !th.Date.IsZero():
			return text(th.Date.UTC().Format(time.DateOnly))
		}
	}
	return Cell{Text: "–", Title: "not within the forecast horizon, or no growth"}
}

func confidenceCell(f metrics.Forecast) Cell {
	switch f.Confidence {
	case metrics.ConfidenceHigh:
		return badge("high", "success")
	case metrics.ConfidenceLow:
		return badge("low", "warning")
	}
	return badge(orDash(f.Confidence), "neutral")
}

func trendHref(t metrics.CapacityTrend) string {
	if t.EntityType == inventory.EntityDatastore {
		return entityHref("datastores", t.Vcenter, t.EntityID)
	}
	return entityHref("clusters", t.Vcenter, t.EntityID)
}

func (s *Server) capacity(p *page) error {
	in := p.r.URL.Query()
	q := url.Values{}
	if v := strings.TrimSpace(in.Get("vcenter")); v != "" {
		q.Set("vcenter", v)
	}
	if et := in.Get("entity_type"); et == "cluster" || et == "datastore" {
		q.Set("entity_type", et)
	}
	days := 90
	if d, err := strconv.Atoi(in.Get("days")); err == nil && d >= 7 && d <= 730 {
		days = d
	}
	q.Set("days", strconv.Itoa(days))
	var ans api.CapacityAnswer
	err := p.get("/api/capacity", q, &ans)
	if isStatus(err, 501) {
		return p.ok(sectionsPage(p, "Capacity", []Section{{Intro: "This server's store keeps no metrics, so there are no capacity trends."}}))
	}
	if err != nil {
		return err
	}
	sortKey := in.Get("sort")
	if !slices.Contains(capacitySorts, sortKey) {
		sortKey = "full"
	}
	sortTrends(ans.Trends, sortKey)

	tq := url.Values{}
	for k, v := range q {
		if k != "days" || days != 90 {
			tq[k] = v
		}
	}
	t := &Table{Label: "Capacity of clusters and datastores", Path: "/capacity", Query: tq, Sort: sortKey,
		Empty: "No clusters or datastores with capacity metrics yet: they appear once metrics collection has run (see docs/metrics.md).",
		Cols: []Col{{"Name", "name", false}, {Title: "vCenter"}, {Title: "Resource"}, {"Used", "used", true}, {"Growth per day", "growth", true},
			{Title: "80 %"}, {Title: "90 %"}, {"100 %", "full", false}, {Title: "Confidence"}, {Title: "Why"}, {Title: "Chart"}}}
	chartKey := in.Get("chart")
	var sel *metrics.CapacityTrend
	for i, tr := range ans.Trends {
		unit, scale := displayUnit(tr)
		key := trendKey(tr)
		if sel == nil && len(tr.Days) > 0 && (chartKey == "" || chartKey == key) {
			sel = &ans.Trends[i]
		}
		cq := p.r.URL.Query()
		cq.Set("chart", key)
		cq.Del("msg")
		res := tr.Resource
		if tr.EntityType == inventory.EntityDatastore {
			res = "datastore " + res
		}
		t.Rows = append(t.Rows, Row{Key: key, Cells: []Cell{link(tr.Name, trendHref(tr)), text(tr.Vcenter), text(res),
			numCell(num(tr.Forecast.UsedPct, 1) + " %"), numCell(signed(tr.Forecast.SlopePerDay*scale) + " " + unit),
			p.thresholdCell(tr, 80), p.thresholdCell(tr, 90), p.thresholdCell(tr, 100), confidenceCell(tr.Forecast),
			text(tr.Forecast.Reason), link("Chart", "/capacity?"+cq.Encode()+"#capacity-chart")}})
	}
	if chartKey != "" && sel == nil {
		for i := range ans.Trends {
			if len(ans.Trends[i].Days) > 0 {
				sel = &ans.Trends[i]
				break
			}
		}
	}
	typeOpts := []Option{{"", "Clusters and datastores"}, {"cluster", "Clusters"}, {"datastore", "Datastores"}}
	fs := []Filter{
		{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "entity_type", Label: "Kind", Value: q.Get("entity_type"), Options: typeOpts},
		{Name: "days", Label: "Days of history", Value: strconv.Itoa(days), Type: "number"},
	}
	secs := []Section{{Intro: "Daily average used against capacity of each cluster (CPU, memory) and datastore (disk) over the last " +
		strconv.Itoa(days) + " days, with a straight line fitted to the last 30 days: growth per day and the days it reaches 80, 90 and 100 % " +
		"of the latest capacity (within 2 years). Confidence is high with at least 7 days and a good fit (R² ≥ 0.7). See docs/metrics.md.",
		Filters: fs, FilterAction: "/capacity", FilterSort: in.Get("sort"), Table: t}}
	if sel != nil {
		secs = append(secs, Section{Title: "Used vs capacity: " + sel.Name + " (" + sel.Resource + ")", Charts: []*Chart{capacityChart(*sel)}})
	}
	return p.ok(sectionsPage(p, "Capacity", secs))
}

// signed formats a growth with its sign.
func signed(v float64) string {
	if v > 0 {
		return "+" + num(v, 2)
	}
	return num(v, 2)
}

// capacityChart is a trend's daily used and capacity with the forecast's
// fitted line: the least-squares line passes through the mean day and
// mean used of the fit's window (FitForecast's default 30 days) with
// slope SlopePerDay; it is drawn to the 100 % date (at most a year on).
func capacityChart(t metrics.CapacityTrend) *Chart {
	unit, scale := displayUnit(t)
	c := &Chart{ID: "capacity", Title: t.Name + " " + t.Resource, Desc: unit + ", daily averages and the fitted line",
		Units: unit, Series: []string{"Used", "Capacity", "Fitted line"}, X: []int64{}, Y: [][]*float64{{}, {}, {}}, Dash: []bool{false, false, true}}
	if len(t.Days) == 0 {
		return c
	}
	latest := t.Days[len(t.Days)-1].Day
	first := latest.Add(-time.Duration(metrics.DefaultForecastWindow-1) * 24 * time.Hour)
	var sx, sy float64
	n := 0
	for _, d := range t.Days {
		if !d.Day.Before(first) && !math.IsNaN(d.Used) {
			sx += d.Day.Sub(first).Hours() / 24
			sy += d.Used
			n++
		}
	}
	fit := t.Forecast.Points >= 2 && n > 0 && t.Forecast.Confidence != metrics.ConfidenceNone
	line := func(at time.Time) *float64 {
		x := at.Sub(first).Hours() / 24
		return fp((sy/float64(n) + t.Forecast.SlopePerDay*(x-sx/float64(n))) * scale)
	}
	for _, d := range t.Days {
		c.X = append(c.X, d.Day.Unix())
		c.Y[0] = append(c.Y[0], fp(d.Used*scale))
		c.Y[1] = append(c.Y[1], fp(d.Capacity*scale))
		if fit && !d.Day.Before(first) {
			c.Y[2] = append(c.Y[2], line(d.Day))
		} else {
			c.Y[2] = append(c.Y[2], nil)
		}
	}
	if fit {
		end := latest.Add(90 * 24 * time.Hour)
		for _, th := range t.Forecast.Thresholds {
			if th.Pct == 100 && !th.Date.IsZero() {
				end = th.Date
			}
		}
		if end.After(latest.Add(365 * 24 * time.Hour)) {
			end = latest.Add(365 * 24 * time.Hour)
		}
		if end.After(latest) {
			// The latest capacity carries on to where the line meets it.
			c.X = append(c.X, end.Unix())
			c.Y[0] = append(c.Y[0], nil)
			c.Y[1] = append(c.Y[1], fp(t.Days[len(t.Days)-1].Capacity*scale))
			c.Y[2] = append(c.Y[2], line(end))
		}
	}
	return c
}
