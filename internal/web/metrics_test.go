package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// utilGen is one written series: two points in each 10-minute slot of
// the last two hours, base + inc·i and base + inc·i + 10, so each
// 5-minute bucket holds two points (avg = base + inc·i + 5, max = … + 10).
type utilGen struct {
	et        inventory.EntityType
	id        string
	m         inventory.Metric
	base, inc float64
}

func (g utilGen) points(now time.Time) []inventory.MetricPoint {
	var pts []inventory.MetricPoint
	k := inventory.MetricKey{Vcenter: hostileVC, EntityType: g.et, EntityID: g.id, Metric: g.m}
	for i := range 12 {
		at := now.Add(-2*time.Hour + time.Duration(i)*10*time.Minute + time.Minute)
		v := g.base + g.inc*float64(i)
		pts = append(pts, inventory.MetricPoint{MetricKey: k, Time: at, Value: v}, inventory.MetricPoint{MetricKey: k, Time: at.Add(2 * time.Minute), Value: v + 10})
	}
	return pts
}

// latest is the newest 5-minute bucket's avg or max.
func (g utilGen) latest(stat string) float64 {
	v := g.base + g.inc*11
	if stat == "max" {
		return v + 10
	}
	return v + 5
}

// utilFixture is the pages over a memstore with utilisation points of the
// hostile VM, its host, cluster and first datastore, and daily capacity
// series of two more datastores.
type utilFixture struct {
	*fixture
	vm    inventory.VM
	ds    []inventory.Datastore
	gens  map[inventory.EntityType][]utilGen
	paths map[inventory.EntityType]string
	// capCluster is the cluster without utilisation points; capDays
	// the daily series written for ds[1]'s disk and capCluster's cpu.
	capCluster inventory.Cluster
	// clock is the pages' now (fixtureNow unless a test moves it).
	clock   time.Time
	capDays [2][]metrics.CapacityDay
}

func newUtilFixture(t *testing.T) *utilFixture {
	t.Helper()
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	f := &utilFixture{clock: fixtureNow}
	// The pages' clock (the API's stays at fixtureNow).
	f.fixture = newFixture(t, st, Options{Clock: func() time.Time { return f.clock }}, false)
	vm, err := st.GetVM(ctx, &store.GetVMParams{Vcenter: hostileVC, VMID: f.vmID[scriptName]})
	if err != nil {
		t.Fatal(err)
	}
	f.vm = *vm
	hosts, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: hostileVC, IDs: []string{vm.HostID}})
	if err != nil || len(hosts) != 1 || hosts[0].ClusterID == "" {
		t.Fatalf("the VM's host %v %v", hosts, err)
	}
	clusterID := hosts[0].ClusterID
	cs, err := st.ListClusters(ctx, &store.ListClustersParams{Vcenter: hostileVC})
	if err != nil || len(cs) < 2 {
		t.Fatalf("clusters %v %v", cs, err)
	}
	for _, c := range cs {
		if c.ID != clusterID {
			f.capCluster = c
		}
	}
	if f.ds, err = st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: hostileVC}); err != nil || len(f.ds) < 2 {
		t.Fatalf("datastores %v %v", f.ds, err)
	}
	f.gens = map[inventory.EntityType][]utilGen{
		inventory.EntityVM: {{inventory.EntityVM, vm.ID, inventory.MetricCPUUsageMHz, 1000, 50}, {inventory.EntityVM, vm.ID, inventory.MetricCPUUsagePct, 20, 1},
			{inventory.EntityVM, vm.ID, inventory.MetricMemUsagePct, 40, 0.5}},
		inventory.EntityHost: {{inventory.EntityHost, vm.HostID, inventory.MetricCPUUsageMHz, 5000, 100}, {inventory.EntityHost, vm.HostID, inventory.MetricCPUUsagePct, 30, 2},
			{inventory.EntityHost, vm.HostID, inventory.MetricMemUsagePct, 60, 1}},
		inventory.EntityCluster: {{inventory.EntityCluster, clusterID, inventory.MetricCPUUsageMHz, 10000, 100}, {inventory.EntityCluster, clusterID, inventory.MetricCPUCapacityMHz, 40000, 0},
			{inventory.EntityCluster, clusterID, inventory.MetricMemUsageMB, 204800, 1024}, {inventory.EntityCluster, clusterID, inventory.MetricMemCapacityMB, 524288, 0}},
		inventory.EntityDatastore: {{inventory.EntityDatastore, f.ds[0].ID, inventory.MetricDiskUsedGB, 500, 1}, {inventory.EntityDatastore, f.ds[0].ID, inventory.MetricDiskCapacityGB, 1000, 0},
			{inventory.EntityDatastore, f.ds[0].ID, inventory.MetricDiskUsedPct, 50, 0.1}},
	}
	vc := url.PathEscape(hostileVC)
	f.paths = map[inventory.EntityType]string{inventory.EntityVM: "/vms/" + vc + "/" + url.PathEscape(vm.ID),
		inventory.EntityHost: "/hosts/" + vc + "/" + url.PathEscape(vm.HostID), inventory.EntityCluster: "/clusters/" + vc + "/" + url.PathEscape(clusterID),
		inventory.EntityDatastore: "/datastores/" + vc + "/" + url.PathEscape(f.ds[0].ID)}
	var pts []inventory.MetricPoint
	for _, gs := range f.gens {
		for _, g := range gs {
			pts = append(pts, g.points(fixtureNow)...)
		}
	}
	// ds[1] grows 5 GB a day from 100 GB of 1,000, capCluster's cpu 20 MHz
	// a day from 300 MHz of 1,000, over the 10 days ending today.
	today := fixtureNow.Truncate(24 * time.Hour)
	for j, g := range []struct{ base, inc float64 }{{100, 5}, {300, 20}} {
		for d := range 10 {
			at := today.AddDate(0, 0, d-9)
			used := g.base + g.inc*float64(d)
			f.capDays[j] = append(f.capDays[j], metrics.CapacityDay{Day: at, Used: used, Capacity: 1000})
			k := inventory.MetricKey{Vcenter: hostileVC, EntityType: inventory.EntityDatastore, EntityID: f.ds[1].ID}
			usedM, capM := inventory.MetricDiskUsedGB, inventory.MetricDiskCapacityGB
			if j == 1 {
				k = inventory.MetricKey{Vcenter: hostileVC, EntityType: inventory.EntityCluster, EntityID: f.capCluster.ID}
				usedM, capM = inventory.MetricCPUUsageMHz, inventory.MetricCPUCapacityMHz
			}
			for _, p := range []struct {
				m inventory.Metric
				v float64
			}{{usedM, used}, {capM, 1000}} {
				k.Metric = p.m
				pts = append(pts, inventory.MetricPoint{MetricKey: k, Time: at.Add(time.Hour), Value: p.v})
			}
		}
	}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	return f
}

// figure is how the summary table shows a value.
func figure(v float64, units string) string { return num(v, 2) + " " + units }

// TestUtilisationPages: the VM, host, cluster and datastore pages show
// the written points' latest and peak figures, range links that work
// without script, and the bucket width of the range; an entity without
// points says none were collected.
func TestUtilisationPages(t *testing.T) {
	f := newUtilFixture(t)
	c := client(t)
	for et, path := range f.paths {
		res, body := fetch(t, c, http.MethodGet, f.srv.URL+path, nil, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if !strings.Contains(body, `id="utilisation"`) || !strings.Contains(body, "buckets of 5m (raw tier)") {
			t.Errorf("%s: no utilisation section on the 24 h range", path)
		}
		for _, sp := range utilCharts(et) {
			for i, m := range sp.metrics {
				var g *utilGen
				for j := range f.gens[et] {
					if string(f.gens[et][j].m) == m.Metric {
						g = &f.gens[et][j]
					}
				}
				if g == nil {
					t.Fatalf("%s: no points written for %s", path, m.Metric)
				}
				// The latest bucket is also the peak (the series grow).
				v := g.latest(m.Stat) * m.Scale
				row := "<td class=\"\">" + html.EscapeString(sp.series[i]) + "</td><td class=\"num\">" + figure(v, sp.units) + "</td><td class=\"num\">" + figure(v, sp.units) + "</td>"
				if !strings.Contains(body, row) {
					t.Errorf("%s: lacks the row %s", path, row)
				}
			}
		}
		for _, r := range metricRanges {
			if !strings.Contains(body, `data-range="`+r.Key+`"`) || !strings.Contains(body, html.EscapeString("range="+r.Key+"#utilisation")) {
				t.Errorf("%s: no %s range link", path, r.Key)
			}
		}
		if strings.Contains(body, "<script>window.__xss") || strings.Contains(body, "<i>x</i>") {
			t.Errorf("%s: a hostile name is not escaped", path)
		}
	}
	// Without script: ?range=7d is hourly buckets on the hour tier; the VM's
	// first hour holds slots 0–5: avg 1000 + 50·2.5 + 5 = 1,130, peak max 1,260 …
	// the newest hour (slots 6–11) avg 1,430, max 1,560.
	_, body := fetch(t, c, http.MethodGet, f.srv.URL+f.paths[inventory.EntityVM]+"?range=7d", nil, nil)
	for _, want := range []string{"buckets of 1h (hour tier)", `aria-current="true">7 d</a>`,
		"<td class=\"\">CPU MHz avg</td><td class=\"num\">1,430 MHz</td><td class=\"num\">1,430 MHz</td>",
		"<td class=\"\">CPU MHz max</td><td class=\"num\">1,560 MHz</td><td class=\"num\">1,560 MHz</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("?range=7d lacks %s", want)
		}
	}
	// A range without points: empty charts, never null data.
	f.clock = fixtureNow.Add(24 * time.Hour)
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+f.paths[inventory.EntityVM]+"?range=1h", nil, nil)
	f.clock = fixtureNow
	if !strings.Contains(body, "No metrics in the last 1 h") || strings.Contains(body, `"x":null`) || !strings.Contains(body, `"x":[]`) {
		t.Error("a range without points is not an empty chart with a note")
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+f.paths[inventory.EntityVM]+"?range=1y", nil, nil)
	if !strings.Contains(body, "buckets of 2d (day tier)") {
		t.Error("?range=1y is not 2-day buckets on the day tier")
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+f.paths[inventory.EntityVM]+"?range=%3Cscript%3E", nil, nil)
	if !strings.Contains(body, "buckets of 5m (raw tier)") {
		t.Error("a hostile range is not the default 24 h")
	}
	// An entity without points.
	other := "/vms/" + url.PathEscape(hostileVC) + "/" + url.PathEscape(f.vmID[quoteName])
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+other, nil, nil)
	if !strings.Contains(body, "No metrics were collected for this VM yet") || strings.Contains(body, `data-chart="chart-util-cpu-mhz"`) {
		t.Error("a VM without points does not say none were collected")
	}
}

// TestCapacityPage: the capacity page lists each trend's forecast as
// metrics.FitForecast computes it on the written days, soonest full
// first, and draws the chosen trend with its fitted line.
func TestCapacityPage(t *testing.T) {
	f := newUtilFixture(t)
	c := client(t)
	res, body := fetch(t, c, http.MethodGet, f.srv.URL+"/capacity", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("/capacity: %d %s", res.StatusCode, body)
	}
	keys := [2]string{hostileVC + "/datastore/" + f.ds[1].ID + "/disk", hostileVC + "/cluster/" + f.capCluster.ID + "/cpu"}
	names := [2]string{f.ds[1].Name, f.capCluster.Name}
	units := [2]string{"GB", "MHz"}
	var pos [2]int
	for j, days := range f.capDays {
		fc := metrics.FitForecast(days, metrics.ForecastOptions{})
		i := strings.Index(body, `data-key="`+html.EscapeString(keys[j])+`"`)
		if i < 0 {
			t.Fatalf("no row for %s", keys[j])
		}
		pos[j] = i
		row := body[i : i+strings.Index(body[i:], "</tr>")]
		want := []string{html.EscapeString(names[j]), num(fc.UsedPct, 1) + " %", signed(fc.SlopePerDay) + " " + units[j], html.EscapeString(fc.Reason), ">" + fc.Confidence + "<"}
		for _, th := range fc.Thresholds {
			want = append(want, th.Date.Format(time.DateOnly))
		}
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("row of %s lacks %q:\n%s", keys[j], w, row)
			}
		}
	}
	// By hand: the cluster's cpu reaches 1,000 MHz on day 35 after its
	// first, the datastore 1,000 GB on day 180: the cluster is listed first.
	if pos[1] > pos[0] {
		t.Error("the trend full sooner is not listed first")
	}
	first := fixtureNow.Truncate(24*time.Hour).AddDate(0, 0, -9)
	if !strings.Contains(body, first.AddDate(0, 0, 35).Format(time.DateOnly)) || !strings.Contains(body, first.AddDate(0, 0, 180).Format(time.DateOnly)) {
		t.Error("the 100 % dates are not the hand-computed ones")
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/capacity?sort=-full", nil, nil)
	a := strings.Index(body, html.EscapeString(keys[0]))
	b := strings.Index(body, html.EscapeString(keys[1]))
	if a < 0 || b < 0 || a > b {
		t.Error("sort=-full does not list the later one first")
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/capacity?entity_type=datastore", nil, nil)
	if strings.Contains(body, html.EscapeString(keys[1])) || !strings.Contains(body, html.EscapeString(keys[0])) {
		t.Error("entity_type=datastore does not keep only datastores")
	}
	// The chart of ds[1]: used, capacity and the fitted line (through
	// day 4.5 at 122.5 with slope 5), drawn to the 100 % date.
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/capacity?chart="+url.QueryEscape(keys[0]), nil, nil)
	tr := metrics.CapacityTrend{Name: f.ds[1].Name, Resource: "disk", Unit: "GB", Days: f.capDays[0], Forecast: metrics.FitForecast(f.capDays[0], metrics.ForecastOptions{})}
	ch := capacityChart(tr)
	if len(ch.X) != 11 || *ch.Y[2][0] != 100 || *ch.Y[2][9] != 145 || *ch.Y[2][10] != 1000 || ch.Y[0][10] != nil {
		t.Errorf("fitted line %v %v", ch.X, ch.Y[2])
	}
	if !strings.Contains(body, "Used vs capacity: "+html.EscapeString(f.ds[1].Name)) || !strings.Contains(body, `"series":["Used","Capacity","Fitted line"]`) {
		t.Error("the capacity page does not chart the chosen trend")
	}
	// A trend without days (capCluster's memory) is never charted: the
	// chart falls back to the first trend with days, and no chart has
	// null data (uPlot throws on it).
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/capacity?chart="+url.QueryEscape(hostileVC+"/cluster/"+f.capCluster.ID+"/memory"), nil, nil)
	if strings.Contains(body, `"x":null`) || !strings.Contains(body, "Used vs capacity: ") {
		t.Error("a trend without days is charted with null data, or nothing is charted")
	}
}

// TestBrowserUtilisation: in chromium, the VM page's utilisation charts
// draw (legend values at the newest bucket equal the written points'
// figures), the range picker fetches the new range's buckets (from and
// step in the request) and redraws without reloading, and the capacity
// page lists FitForecast's dates soonest full first and draws its chart;
// axe finds nothing serious, hostile names stay inert and the pages hold
// at 390 px.
func TestBrowserUtilisation(t *testing.T) {
	chromium(t)
	f := newUtilFixture(t)
	for _, w := range []int{1280, 390} {
		t.Run(strconv.Itoa(w), func(t *testing.T) {
			b := newBrowser(t, w, 844)
			b.run("viewport", chromedp.EmulateViewport(int64(w), 844))
			b.open(f.srv.URL + f.paths[inventory.EntityVM])
			var n int
			b.eval(`document.querySelectorAll("[data-util] [data-chart] canvas").length`, &n)
			if n != 2 {
				t.Fatalf("%d utilisation charts drawn, want 2", n)
			}
			legend := func() []string {
				var out []string
				b.eval(`(() => { const el = document.querySelector('[data-chart="chart-util-cpu-mhz"]'), u = el._plot, i = u.data[0].length - 1;
					u.setCursor({left: u.valToPos(u.data[0][i], "x"), top: 10});
					return Array.from(el.querySelectorAll(".u-legend .u-series .u-value")).slice(1).map(e => e.textContent); })()`, &out)
				return out
			}
			if got := legend(); !slices.Equal(got, []string{"1,555 MHz", "1,560 MHz"}) {
				t.Errorf("legend at the newest bucket: %q, want 1,555 and 1,560 MHz", got)
			}
			b.hostileInert("VM page", w)
			if w > 1000 {
				for _, v := range b.axe() {
					t.Errorf("VM page: axe: %s", v)
				}
			}
			b.clean("VM page")

			// The range picker: 7 d is hourly buckets from now − 7 d.
			var marker bool
			b.eval(`window.__noReload = true`, &marker)
			b.run("click 7 d", chromedp.Click(chromedp.CSS(`[data-util] a[data-range="7d"]`)),
				poll(`document.querySelector("[data-util] a[aria-current]").dataset.range === "7d"`, 20*time.Second))
			var st struct {
				Same     bool        `json:"same"`
				Search   string      `json:"search"`
				Requests []string    `json:"requests"`
				Data     [][]float64 `json:"data"`
				Current  string      `json:"current"`
				Row      []string    `json:"row"`
			}
			b.eval(`(() => { const u = document.querySelector('[data-chart="chart-util-cpu-mhz"]')._plot;
				return {same: window.__noReload === true, search: location.search,
					requests: performance.getEntriesByType("resource").map(e => e.name).filter(n => n.includes("/live/json/metrics")),
					data: u.data.map(a => Array.from(a)), current: document.querySelector("[data-util] a[aria-current]").dataset.range,
					row: Array.from(document.querySelectorAll("[data-util] .table-wrap tbody tr:first-child td")).map(td => td.textContent)}; })()`, &st)
			from := fixtureNow.Add(-7 * 24 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
			if !st.Same || !strings.Contains(st.Search, "range=7d") || st.Current != "7d" {
				t.Errorf("after 7 d: reloaded %v, search %q, current %q", !st.Same, st.Search, st.Current)
			}
			if len(st.Requests) != 1 || !strings.Contains(st.Requests[0], "step=3600") || !strings.Contains(st.Requests[0], "from="+url.QueryEscape(from)) {
				t.Errorf("the 7 d request: %q, want step=3600 and from=%s", st.Requests, from)
			}
			// By hand: the two hours' avg 1,130 and 1,430, max 1,260 and 1,560.
			want := [][]float64{{float64(fixtureNow.Add(-2 * time.Hour).Unix()), float64(fixtureNow.Add(-time.Hour).Unix())}, {1130, 1430}, {1260, 1560}}
			if len(st.Data) != 3 || !slices.Equal(st.Data[0], want[0]) || !slices.Equal(st.Data[1], want[1]) || !slices.Equal(st.Data[2], want[2]) {
				t.Errorf("the redrawn chart: %v, want %v", st.Data, want)
			}
			if !slices.Equal(st.Row, []string{"CPU MHz avg", "1,430 MHz", "1,430 MHz"}) {
				t.Errorf("the redrawn figures: %q", st.Row)
			}
			if got := legend(); !slices.Equal(got, []string{"1,430 MHz", "1,560 MHz"}) {
				t.Errorf("legend after 7 d: %q", got)
			}
			b.clean("range picker")

			// The capacity page.
			b.open(f.srv.URL + "/capacity")
			var rows [][]string
			b.eval(`Array.from(document.querySelectorAll("main tbody tr")).slice(0, 2).map(r => [r.dataset.key, r.cells[5].textContent, r.cells[6].textContent, r.cells[7].textContent])`, &rows)
			keys := []string{hostileVC + "/cluster/" + f.capCluster.ID + "/cpu", hostileVC + "/datastore/" + f.ds[1].ID + "/disk"}
			for i, j := range []int{1, 0} {
				fc := metrics.FitForecast(f.capDays[j], metrics.ForecastOptions{})
				want := []string{keys[i]}
				for _, th := range fc.Thresholds {
					want = append(want, th.Date.Format(time.DateOnly))
				}
				if i >= len(rows) || !slices.Equal(rows[i], want) {
					t.Errorf("capacity row %d: %q, want %q", i, rows, want)
				}
			}
			b.eval(`document.querySelectorAll('[data-chart="chart-capacity"] canvas').length`, &n)
			if n != 1 {
				t.Error("the capacity chart is not drawn")
			}
			b.hostileInert("capacity page", w)
			if w > 1000 {
				for _, v := range b.axe() {
					t.Errorf("capacity page: axe: %s", v)
				}
			}
			b.clean("capacity page")
		})
	}
}
