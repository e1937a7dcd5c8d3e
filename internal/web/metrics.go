package web

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
)

// metricRange is one choice of the utilisation charts' range picker.
type metricRange struct {
	Key, Label string
	Dur        time.Duration
}

// metricRanges are the range picker's choices; 24 h is the default.
var metricRanges = []metricRange{
	{"1h", "1 h", time.Hour}, {"24h", "24 h", 24 * time.Hour}, {"7d", "7 d", 7 * 24 * time.Hour},
	{"30d", "30 d", 30 * 24 * time.Hour}, {"1y", "1 y", 365 * 24 * time.Hour},
}

// ChartMetric says which bucket figure of which series a utilisation
// chart's Y series shows: the page script redraws the chart from
// /api/metrics with it.
type ChartMetric struct {
	Metric string `json:"metric"`
	// Stat is avg, max, min or p95.
	Stat string `json:"stat"`
	// Scale multiplies the figure (1/1024 shows MB as GB).
	Scale float64 `json:"scale"`
}

// chartSpec describes one utilisation chart of an entity page.
type chartSpec struct {
	id, title, units string
	series           []string
	metrics          []ChartMetric
}

func cm(m inventory.Metric, stat string, scale float64) ChartMetric {
	return ChartMetric{Metric: string(m), Stat: stat, Scale: scale}
}

// utilCharts are the utilisation charts of an entity type.
func utilCharts(et inventory.EntityType) []chartSpec {
	switch et {
	case inventory.EntityVM, inventory.EntityHost:
		return []chartSpec{
			{"util-cpu-mhz", "CPU used", "MHz", []string{"CPU MHz avg", "CPU MHz max"},
				[]ChartMetric{cm(inventory.MetricCPUUsageMHz, "avg", 1), cm(inventory.MetricCPUUsageMHz, "max", 1)}},
			{"util-pct", "CPU and memory used", "%", []string{"CPU % avg", "CPU % max", "Memory % avg", "Memory % max"},
				[]ChartMetric{cm(inventory.MetricCPUUsagePct, "avg", 1), cm(inventory.MetricCPUUsagePct, "max", 1),
					cm(inventory.MetricMemUsagePct, "avg", 1), cm(inventory.MetricMemUsagePct, "max", 1)}},
		}
	case inventory.EntityCluster:
		return []chartSpec{
			{"util-cpu", "CPU used vs capacity", "MHz", []string{"CPU used avg", "CPU used max", "CPU capacity"},
				[]ChartMetric{cm(inventory.MetricCPUUsageMHz, "avg", 1), cm(inventory.MetricCPUUsageMHz, "max", 1), cm(inventory.MetricCPUCapacityMHz, "avg", 1)}},
			{"util-mem", "Memory used vs capacity", "GB", []string{"Memory used avg", "Memory used max", "Memory capacity"},
				[]ChartMetric{cm(inventory.MetricMemUsageMB, "avg", 1.0/1024), cm(inventory.MetricMemUsageMB, "max", 1.0/1024), cm(inventory.MetricMemCapacityMB, "avg", 1.0/1024)}},
		}
	case inventory.EntityDatastore:
		return []chartSpec{
			{"util-space", "Space used vs capacity", "GB", []string{"Used avg", "Used max", "Capacity"},
				[]ChartMetric{cm(inventory.MetricDiskUsedGB, "avg", 1), cm(inventory.MetricDiskUsedGB, "max", 1), cm(inventory.MetricDiskCapacityGB, "avg", 1)}},
			{"util-space-pct", "Space used %", "%", []string{"Used % avg", "Used % max"},
				[]ChartMetric{cm(inventory.MetricDiskUsedPct, "avg", 1), cm(inventory.MetricDiskUsedPct, "max", 1)}},
		}
	}
	return nil
}

// utilView is the utilisation section of an entity page: the range
// picker, the charts, a table of the latest and peak figures, or the
// empty state.
type utilView struct {
	// Ranges are the picker's links; the current one is Current.
	Ranges  []utilRangeLink
	Current string
	Charts  []*Chart
	Summary *Table
	// Empty, when set, replaces the charts: why there is nothing to show.
	Empty string
}

// utilRangeLink is one range picker link: the page's URL with ?range=
// (no script) and the JSON read the script fetches instead.
type utilRangeLink struct {
	Key, Label, Href, API string
}

// metricsQuery is the /api/metrics query of a range: to is now, from is
// to − the range moved back to the default step (so rollup tiers serve
// it), step the API's default for the range.
func metricsQuery(now time.Time, rng time.Duration, vc string, et inventory.EntityType, id string, specs []chartSpec) url.Values {
	to := now.UTC().Truncate(time.Second)
	step := api.DefaultMetricStep(rng)
	from := to.Add(-rng).Truncate(step)
	q := url.Values{"vcenter": {vc}, "entity_type": {string(et)}, "entity_id": {id},
		"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "step": {strconv.FormatInt(int64(step/time.Second), 10)}}
	var ms []string
	for _, s := range specs {
		for _, m := range s.metrics {
			if !slices.Contains(ms, m.Metric) {
				ms = append(ms, m.Metric)
			}
		}
	}
	q["metric"] = ms
	return q
}

// utilSection builds the utilisation section of an entity's page.
func (p *page) utilSection(et inventory.EntityType, vc, id, noun string) (Section, error) {
	specs := utilCharts(et)
	cur := metricRanges[1]
	if k := p.r.URL.Query().Get("range"); k != "" {
		if i := slices.IndexFunc(metricRanges, func(r metricRange) bool { return r.Key == k }); i >= 0 {
			cur = metricRanges[i]
		}
	}
	now := p.s.o.Clock()
	v := &utilView{Current: cur.Key}
	for _, r := range metricRanges {
		q := p.r.URL.Query()
		q.Set("range", r.Key)
		q.Del("msg")
		q.Del("error")
		v.Ranges = append(v.Ranges, utilRangeLink{Key: r.Key, Label: r.Label, Href: p.r.URL.Path + "?" + q.Encode() + "#utilisation",
			API: "/live/json/metrics?" + metricsQuery(now, r.Dur, vc, et, id, specs).Encode()})
	}
	sec := Section{Title: "Utilisation", Body: utilPanel(v)}
	var ans api.MetricsAnswer
	err := p.get("/api/metrics", metricsQuery(now, cur.Dur, vc, et, id, specs), &ans)
	switch {
	case isStatus(err, 501):
		v.Empty = "This server's store keeps no metrics, so there are no utilisation charts."
		return sec, nil
	case err != nil:
		return sec, err
	}
	if len(ans.Series) == 0 {
		var keys list[inventory.MetricKey]
		if err := p.get("/api/metrics/keys", url.Values{"vcenter": {vc}, "entity_type": {string(et)}, "entity_id": {id}}, &keys); err != nil {
			return sec, err
		}
		if len(keys.Items) == 0 {
			v.Empty = "No metrics were collected for this " + noun + " yet. The daemon collects them every few minutes when metrics " +
				"collection is enabled for its vCenter (see docs/metrics.md); it is disabled, has not run since this " + noun +
				" appeared, or does not measure it."
			return sec, nil
		}
		v.Empty = "No metrics in the last " + cur.Label + ": the newest points are older. Choose a longer range."
	}
	v.Charts, v.Summary = utilCharts2(specs, ans)
	return sec, nil
}

// utilCharts2 fills the charts and the summary table from an answer.
func utilCharts2(specs []chartSpec, ans api.MetricsAnswer) ([]*Chart, *Table) {
	byMetric := map[string]inventory.MetricSeries{}
	for _, s := range ans.Series {
		byMetric[string(s.Metric)] = s
	}
	sum := &Table{Label: "Latest and peak figures", Cols: []Col{{Title: "Series"}, {Title: "Latest", Num: true}, {Title: "Peak in range", Num: true}},
		Empty: "No points in this range."}
	var charts []*Chart
	for _, sp := range specs {
		c := &Chart{ID: sp.id, Title: sp.title, Desc: sp.units + ", " + tierText(ans), Units: sp.units, Series: sp.series, Metrics: sp.metrics,
			Y: make([][]*float64, len(sp.metrics))}
		for _, m := range sp.metrics {
			c.Dash = append(c.Dash, m.Stat == "max")
		}
		var xs []int64
		for _, m := range sp.metrics {
			for _, b := range byMetric[m.Metric].Buckets {
				xs = append(xs, b.Start.Unix())
			}
		}
		slices.Sort(xs)
		c.X = slices.Compact(xs)
		if c.X == nil {
			c.X = []int64{} // uPlot needs arrays, never null
		}
		for i, m := range sp.metrics {
			c.Y[i] = make([]*float64, len(c.X))
			var last, peak *float64
			for _, b := range byMetric[m.Metric].Buckets {
				val := stat(b, m.Stat) * m.Scale
				j, _ := slices.BinarySearch(c.X, b.Start.Unix())
				c.Y[i][j] = fp(val)
				last = fp(val)
				if peak == nil || val > *peak {
					peak = fp(val)
				}
			}
			if last != nil {
				sum.Rows = append(sum.Rows, Row{Key: sp.id + "-" + strconv.Itoa(i), Cells: []Cell{text(sp.series[i]),
					numCell(num(*last, 2) + " " + sp.units), numCell(num(*peak, 2) + " " + sp.units)}})
			}
		}
		charts = append(charts, c)
	}
	return charts, sum
}

// tierText says what the buckets are.
func tierText(ans api.MetricsAnswer) string {
	step := time.Duration(ans.Step) * time.Second
	s := step.String()
	if step%(24*time.Hour) == 0 {
		s = strconv.Itoa(int(step/(24*time.Hour))) + "d"
	}
	s = trimDuration(s)
	return "buckets of " + s + " (" + string(ans.Tier) + " tier)"
}

// trimDuration drops the zero minutes and seconds of a duration's text
// ("1h0m0s" → "1h").
func trimDuration(s string) string {
	for _, suf := range []string{"0s", "0m"} {
		if len(s) > len(suf) && s[len(s)-len(suf):] == suf && s[len(s)-len(suf)-1] >= 'a' {
			s = s[:len(s)-len(suf)]
		}
	}
	return s
}

// stat is one figure of a bucket.
func stat(b inventory.MetricBucket, s string) float64 {
	switch s {
	case "max":
		return b.Max
	case "min":
		return b.Min
	case "p95":
		return b.P95
	}
	return b.Avg
}
