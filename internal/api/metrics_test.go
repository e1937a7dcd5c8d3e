package api

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// metricsNow is the metrics tests' clock: a UTC hour.
var metricsNow = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

// metricsFixture is an API with a fixed clock over st holding one
// captured vCenter (hostile), a viewer token and a token scoped to
// another vCenter.
type metricsFixture struct {
	*fixture
	scoped string
	vm     inventory.VM
	hosts  []inventory.Host
	ds     []inventory.Datastore
}

func newMetricsFixture(t *testing.T, st store.Store) *metricsFixture {
	t.Helper()
	ctx := context.Background()
	captureTwice(t, st, hostile, 3, false)
	f := &fixture{st: st, tokens: map[Role]string{}}
	var ts Tokens
	secret, tok, err := NewToken("viewer", RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	f.tokens[RoleViewer], ts = secret, append(ts, tok)
	scoped, stok, err := NewToken("scoped", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	stok.Vcenters = []string{other}
	ts = append(ts, stok)
	f.api, err = New(Options{Store: st, Tokens: ts, Clock: func() time.Time { return metricsNow }})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	m := &metricsFixture{fixture: f, scoped: scoped}
	vms, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: hostile})
	if err != nil || len(vms.VMs) == 0 {
		t.Fatalf("VMs %v %v", vms, err)
	}
	m.vm = vms.VMs[0]
	if m.hosts, err = st.ListHosts(ctx, &store.ListHostsParams{Vcenter: hostile}); err != nil || len(m.hosts) < 2 {
		t.Fatalf("hosts %v %v", m.hosts, err)
	}
	if m.ds, err = st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: hostile}); err != nil || len(m.ds) == 0 {
		t.Fatalf("datastores %v %v", m.ds, err)
	}
	return m
}

// forMetricStores runs f on every backend that keeps metrics.
func forMetricStores(t *testing.T, f func(t *testing.T, st store.Store)) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		if _, ok := st.(store.MetricStore); !ok {
			t.Skipf("%T keeps no metrics (store.MetricStore)", st)
		}
		f(t, st)
	})
}

// want is a bucket computed in the test from the written values.
func want(start time.Time, vals []float64) inventory.MetricBucket {
	s := slices.Clone(vals)
	slices.Sort(s)
	var sum float64
	for _, v := range s {
		sum += v
	}
	rank := int(math.Ceil(0.95 * float64(len(s))))
	return inventory.MetricBucket{Start: start, Count: int64(len(s)), Avg: sum / float64(len(s)), Max: s[len(s)-1], Min: s[0], P95: s[rank-1]}
}

func sameBucket(a, b inventory.MetricBucket) bool {
	close := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Start.Equal(b.Start) && a.Count == b.Count && close(a.Avg, b.Avg) && close(a.Max, b.Max) && close(a.Min, b.Min) && close(a.P95, b.P95)
}

// TestMetricsAPI: /api/metrics answers the buckets of points the test
// wrote, with figures computed here (avg, max, min, nearest-rank p95), on
// the tier it names; the default range and step; combine=sum; keys;
// hostile IDs are only values.
func TestMetricsAPI(t *testing.T) {
	forMetricStores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newMetricsFixture(t, st)
		ms := st.(store.MetricStore)
		// The VM: one cpu.usage.pct point a minute over the last two
		// hours; the first hour i, the second 100 + 2i with a spike.
		start := metricsNow.Add(-2 * time.Hour)
		var pts []inventory.MetricPoint
		var h1, h2 []float64
		key := inventory.MetricKey{Vcenter: hostile, EntityType: inventory.EntityVM, EntityID: f.vm.ID, Metric: inventory.MetricCPUUsagePct}
		for i := range 120 {
			v := float64(i % 60)
			if i >= 60 {
				v = 100 + 2*float64(i-60)
				if i == 100 {
					v = 999.5
				}
			}
			pts = append(pts, inventory.MetricPoint{MetricKey: key, Time: start.Add(time.Duration(i) * time.Minute), Value: v})
			if i < 60 {
				h1 = append(h1, v)
			} else {
				h2 = append(h2, v)
			}
		}
		// Two hosts' cpu.usage.mhz every 5 minutes of the last hour.
		var hv [2][]float64
		for hi, h := range f.hosts[:2] {
			for i := range 12 {
				v := float64(1000*(hi+1) + 10*i)
				hv[hi] = append(hv[hi], v)
				pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: hostile, EntityType: inventory.EntityHost,
					EntityID: h.ID, Metric: inventory.MetricCPUUsageMHz}, Time: metricsNow.Add(-time.Hour + time.Duration(i)*5*time.Minute), Value: v})
			}
		}
		if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
			t.Fatal(err)
		}
		q := func(v url.Values) string { return "/api/metrics?" + v.Encode() }
		base := url.Values{"vcenter": {hostile}, "entity_type": {"vm"}, "entity_id": {f.vm.ID}, "metric": {"cpu.usage.pct"}}

		// Hour buckets over the two hours: the hour tier, computed from
		// the raw points (nothing rolled up yet).
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		v.Set("from", start.Format(time.RFC3339))
		v.Set("to", metricsNow.Format(time.RFC3339))
		v.Set("step", "1h")
		var ans MetricsAnswer
		f.get(t, RoleViewer, q(v), &ans)
		if ans.Tier != inventory.TierHour || ans.Step != 3600 || len(ans.Series) != 1 || len(ans.Series[0].Buckets) != 2 {
			t.Fatalf("1h buckets: %+v", ans)
		}
		for i, w := range []inventory.MetricBucket{want(start, h1), want(start.Add(time.Hour), h2)} {
			if got := ans.Series[0].Buckets[i]; !sameBucket(got, w) {
				t.Errorf("bucket %d: %+v, want %+v", i, got, w)
			}
		}
		// By hand: the first hour is 0..59: avg 29.5, p95 the 57th value, 56.
		if b := ans.Series[0].Buckets[0]; b.Avg != 29.5 || b.P95 != 56 || b.Max != 59 || b.Min != 0 || b.Count != 60 {
			t.Errorf("the first hour: %+v", b)
		}
		if b := ans.Series[0].Buckets[1]; b.Max != 999.5 || b.Min != 100 {
			t.Errorf("the second hour: %+v", b)
		}
		// The entity=type:id shorthand reads the same.
		sv := url.Values{"vcenter": {hostile}, "entity": {"vm:" + f.vm.ID}, "metric": {"cpu.usage.pct"},
			"from": {v.Get("from")}, "to": {v.Get("to")}, "step": {"1h"}}
		var short MetricsAnswer
		f.get(t, RoleViewer, q(sv), &short)
		if short.EntityType != "vm" || len(short.Series) != 1 || !reflect.DeepEqual(short.Series, ans.Series) {
			t.Errorf("entity=vm:%s: %+v, want the series of entity_type and entity_id", f.vm.ID, short)
		}
		if ans.Series[0].Vcenter != hostile || ans.Series[0].EntityID != f.vm.ID {
			t.Errorf("the series key: %+v", ans.Series[0].MetricKey)
		}

		// Defaults: to = now, from = to − 24 h, step 5m (288 buckets), raw.
		f.get(t, RoleViewer, q(base), &ans)
		if ans.Step != 300 || ans.Tier != inventory.TierRaw || !ans.To.Equal(metricsNow) || !ans.From.Equal(metricsNow.Add(-24*time.Hour)) {
			t.Fatalf("defaults: step %d tier %s from %s to %s", ans.Step, ans.Tier, ans.From, ans.To)
		}
		if len(ans.Series) != 1 || len(ans.Series[0].Buckets) != 24 {
			t.Fatalf("default buckets: %+v", ans.Series)
		}
		if w := want(start, h1[:5]); !sameBucket(ans.Series[0].Buckets[0], w) {
			t.Errorf("the first 5-minute bucket: %+v, want %+v", ans.Series[0].Buckets[0], w)
		}
		// A 7-day range without step: 1h steps, from moved to an hour, the hour tier.
		v = url.Values{}
		for k, x := range base {
			v[k] = x
		}
		v.Set("from", metricsNow.Add(-7*24*time.Hour+17*time.Minute).Format(time.RFC3339))
		f.get(t, RoleViewer, q(v), &ans)
		if ans.Step != 3600 || ans.Tier != inventory.TierHour || !ans.From.Equal(metricsNow.Add(-7*24*time.Hour)) {
			t.Errorf("7 days: step %d tier %s from %s", ans.Step, ans.Tier, ans.From)
		}
		// 1 year: 2-day steps on the day tier.
		v.Set("from", metricsNow.Add(-365*24*time.Hour).Format(time.RFC3339))
		f.get(t, RoleViewer, q(v), &ans)
		if ans.Step != 2*86400 || ans.Tier != inventory.TierDay {
			t.Errorf("1 year: step %d tier %s", ans.Step, ans.Tier)
		}

		// combine=sum over the two hosts: the sums of their hour buckets.
		hq := url.Values{"vcenter": {hostile}, "entity_type": {"host"}, "entity_id": {f.hosts[0].ID, f.hosts[1].ID},
			"metric": {"cpu.usage.mhz"}, "from": {metricsNow.Add(-time.Hour).Format(time.RFC3339)}, "step": {"3600"}, "combine": {"sum"}}
		f.get(t, RoleViewer, q(hq), &ans)
		w0, w1 := want(metricsNow.Add(-time.Hour), hv[0]), want(metricsNow.Add(-time.Hour), hv[1])
		sum := inventory.MetricBucket{Start: w0.Start, Count: w0.Count + w1.Count, Avg: w0.Avg + w1.Avg, Max: w0.Max + w1.Max, Min: w0.Min + w1.Min, P95: w0.P95 + w1.P95}
		if len(ans.Series) != 1 || ans.Series[0].EntityID != "" || len(ans.Series[0].Buckets) != 1 || !sameBucket(ans.Series[0].Buckets[0], sum) {
			t.Errorf("combine=sum: %+v, want %+v", ans.Series, sum)
		}
		// By hand: host 1 averages 1055, host 2 2055.
		if len(ans.Series) == 1 && len(ans.Series[0].Buckets) == 1 && ans.Series[0].Buckets[0].Avg != 3110 {
			t.Errorf("combine=sum avg %v, want 3110", ans.Series[0].Buckets[0].Avg)
		}
		hq.Del("combine")
		f.get(t, RoleViewer, q(hq), &ans)
		if len(ans.Series) != 2 {
			t.Errorf("two hosts without combine: %d series", len(ans.Series))
		}

		// Keys.
		var keys list[inventory.MetricKey]
		f.get(t, RoleViewer, "/api/metrics/keys?"+url.Values{"vcenter": {hostile}}.Encode(), &keys)
		if len(keys.Items) != 3 {
			t.Errorf("keys: %+v", keys.Items)
		}
		f.get(t, RoleViewer, "/api/metrics/keys?"+url.Values{"vcenter": {hostile}, "entity_type": {"vm"}, "entity_id": {f.vm.ID}}.Encode(), &keys)
		if len(keys.Items) != 1 || keys.Items[0] != key {
			t.Errorf("the VM's keys: %+v", keys.Items)
		}

		// Hostile IDs and names are only values: nothing matches, nothing breaks.
		for _, id := range []string{`'; DROP TABLE metric_points;--`, `<script>alert(1)</script>`, "=cmd|' /C calc'!A0", "☃ \u202e"} {
			hv := url.Values{"vcenter": {hostile}, "entity_type": {"vm"}, "entity_id": {id}, "metric": {"cpu.usage.pct"}}
			f.get(t, RoleViewer, q(hv), &ans)
			if len(ans.Series) != 0 {
				t.Errorf("entity_id %q: %+v", id, ans.Series)
			}
			f.get(t, RoleViewer, "/api/metrics/keys?"+url.Values{"vcenter": {id}}.Encode(), &keys)
			if len(keys.Items) != 0 {
				t.Errorf("vcenter %q: keys %+v", id, keys.Items)
			}
		}
		// The VM's points are still there.
		f.get(t, RoleViewer, q(base), &ans)
		if len(ans.Series) != 1 {
			t.Error("the VM's series went away")
		}
	})
}

// TestMetricsBadInput: each bad parameter is a 422 problem naming it.
func TestMetricsBadInput(t *testing.T) {
	f := newMetricsFixture(t, memstore.New(memstore.Options{}))
	ok := url.Values{"vcenter": {hostile}, "entity_type": {"vm"}, "entity_id": {"vm-1"}, "metric": {"cpu.usage.pct"}}
	with := func(set ...string) string {
		v := url.Values{}
		for k, x := range ok {
			v[k] = x
		}
		for i := 0; i < len(set); i += 2 {
			if set[i+1] == "" {
				v.Del(set[i])
			} else {
				v.Set(set[i], set[i+1])
			}
		}
		return "/api/metrics?" + v.Encode()
	}
	many := url.Values{}
	for k, x := range ok {
		many[k] = x
	}
	for i := range store.MaxMetricEntities + 1 {
		many.Add("entity_id", "v"+strconvI(int64(i)))
	}
	cases := []struct{ path, param string }{
		{with("entity_type", "planet"), "entity_type"},
		{with("entity", "vm:vm-1"), "entity"},
		{with("entity_type", "", "entity_id", "", "entity", "vm"), "entity"},
		{with("entity_type", "", "entity_id", "", "entity", "planet:x"), "entity_type"},
		{with("entity_type", ""), "entity_type"},
		{with("metric", "cpu usage!"), "metric"},
		{with("metric", strings.Repeat("m", 65)), "metric"},
		{with("metric", ""), "metric"},
		{with("entity_id", ""), "entity_id"},
		{with("vcenter", ""), "vcenter"},
		{with("from", "yesterday"), "from"},
		{with("to", "2026-13-01T00:00:00Z"), "to"},
		{with("from", "2026-03-20T12:00:00Z", "to", "2026-03-20T12:00:00Z"), "from"},
		{with("from", "2026-03-21T00:00:00Z", "to", "2026-03-20T00:00:00Z"), "from"},
		{with("step", "30s"), "step"},
		{with("step", "fortnight"), "step"},
		{with("step", "-5m"), "step"},
		{with("step", "90500ms"), "step"},
		{with("from", "2026-01-01T00:00:00Z", "step", "1m"), "step"},
		{with("step", "1h", "tier", "day"), "tier"},
		{with("from", "2026-03-19T12:30:00Z", "step", "1h", "tier", "hour"), "tier"},
		{with("tier", "weekly"), "tier"},
		{with("combine", "avg"), "combine"},
		{"/api/metrics?" + many.Encode(), "entity_id"},
		{"/api/metrics/keys?vcenter=x&entity_type=planet", "entity_type"},
		{"/api/metrics/keys?vcenter=x&entity_id=vm-1", "entity_type"},
		{"/api/capacity?entity_type=vm", "entity_type"},
		{"/api/capacity?days=0", "days"},
		{"/api/capacity?days=5000", "days"},
	}
	for _, c := range cases {
		resp, body := f.get(t, RoleViewer, c.path, nil)
		var p Problem
		_ = json.Unmarshal(body, &p)
		named := strings.Contains(p.Detail, c.param) || slices.ContainsFunc(p.InvalidParams, func(ip InvalidParam) bool { return ip.Name == c.param })
		if resp.StatusCode != 422 || !named || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%.200s: %d %.300s, want 422 naming %s", c.path, resp.StatusCode, body, c.param)
		}
	}
}

// TestMetricsScopeAndCapability: a token scoped to another vCenter gets
// 404 and none of the data; a store without metrics answers 501.
func TestMetricsScopeAndCapability(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	f := newMetricsFixture(t, st)
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: []inventory.MetricPoint{{MetricKey: inventory.MetricKey{Vcenter: hostile,
		EntityType: inventory.EntityDatastore, EntityID: f.ds[0].ID, Metric: inventory.MetricDiskUsedGB}, Time: metricsNow.Add(-time.Hour), Value: 123.25}}}); err != nil {
		t.Fatal(err)
	}
	mq := "/api/metrics?" + url.Values{"vcenter": {hostile}, "entity_type": {"datastore"}, "entity_id": {f.ds[0].ID}, "metric": {"disk.used.gb"}}.Encode()
	var ans MetricsAnswer
	f.get(t, RoleViewer, mq, &ans)
	if len(ans.Series) != 1 || ans.Series[0].Buckets[0].Avg != 123.25 {
		t.Fatalf("the unscoped viewer: %+v", ans.Series)
	}
	var capAns CapacityAnswer
	f.get(t, RoleViewer, "/api/capacity", &capAns)
	if len(capAns.Trends) == 0 {
		t.Fatal("the unscoped viewer sees no capacity trends")
	}
	for _, p := range []string{mq, "/api/metrics/keys?vcenter=" + url.QueryEscape(hostile), "/api/capacity?vcenter=" + url.QueryEscape(hostile)} {
		resp, raw := f.callAs(t, f.scoped, http.MethodGet, p, nil, nil)
		if resp.StatusCode != 404 || bytes.Contains(raw, []byte("123.25")) || bytes.Contains(raw, []byte(f.ds[0].ID)) {
			t.Errorf("GET %s as the scoped token: %d %s", p, resp.StatusCode, raw)
		}
	}
	resp, raw := f.callAs(t, f.scoped, http.MethodGet, "/api/capacity", nil, nil)
	if resp.StatusCode != 200 || bytes.Contains(raw, []byte(f.ds[0].Name)) || bytes.Contains(raw, []byte(`"entity_id"`)) {
		t.Errorf("GET /api/capacity as the scoped token: %d %.300s", resp.StatusCode, raw)
	}

	g := newMetricsFixture(t, struct{ store.Store }{memstore.New(memstore.Options{})})
	for _, p := range []string{mq, "/api/metrics/keys?vcenter=x", "/api/capacity"} {
		resp, raw := g.get(t, RoleViewer, p, nil)
		if resp.StatusCode != 501 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s without metrics: %d %s", p, resp.StatusCode, raw)
		}
	}
}

// TestCapacityAPI: /api/capacity's trend of a datastore whose used space
// grows 5 GB a day equals metrics.FitForecast on the written days, and
// its dates are those computed by hand.
func TestCapacityAPI(t *testing.T) {
	forMetricStores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newMetricsFixture(t, st)
		ms := st.(store.MetricStore)
		ds := f.ds[0]
		today := metricsNow.Truncate(24 * time.Hour)
		first := today.AddDate(0, 0, -9)
		var pts []inventory.MetricPoint
		var days []metrics.CapacityDay
		for d := range 10 {
			at := first.AddDate(0, 0, d)
			used := 100 + 5*float64(d)
			days = append(days, metrics.CapacityDay{Day: at, Used: used, Capacity: 1000})
			for _, p := range []struct {
				m inventory.Metric
				v float64
			}{{inventory.MetricDiskUsedGB, used}, {inventory.MetricDiskCapacityGB, 1000}} {
				// Two points a day whose mean is the day's figure.
				for _, off := range []float64{-1, 1} {
					pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: hostile, EntityType: inventory.EntityDatastore,
						EntityID: ds.ID, Metric: p.m}, Time: at.Add(time.Hour + time.Duration(off+1)*time.Hour), Value: p.v + off})
				}
			}
		}
		if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
			t.Fatal(err)
		}
		var ans CapacityAnswer
		f.get(t, RoleViewer, "/api/capacity?"+url.Values{"vcenter": {hostile}, "entity_type": {"datastore"}, "days": {"30"}}.Encode(), &ans)
		if !ans.Now.Equal(metricsNow) || ans.Days != 30 {
			t.Errorf("now %s days %d", ans.Now, ans.Days)
		}
		var tr *metrics.CapacityTrend
		for i := range ans.Trends {
			if ans.Trends[i].EntityID == ds.ID {
				tr = &ans.Trends[i]
			}
			if ans.Trends[i].EntityType != inventory.EntityDatastore {
				t.Errorf("entity_type=datastore listed %+v", ans.Trends[i])
			}
		}
		if tr == nil {
			t.Fatalf("no trend of %s: %+v", ds.ID, ans.Trends)
		}
		if tr.Name != ds.Name || tr.Resource != metrics.ResourceDisk || tr.Unit != "GB" || len(tr.Days) != 10 {
			t.Fatalf("trend %+v", tr)
		}
		wantF := metrics.FitForecast(days, metrics.ForecastOptions{})
		gotJ, _ := json.Marshal(tr.Forecast)
		wantJ, _ := json.Marshal(wantF)
		if !bytes.Equal(gotJ, wantJ) {
			t.Errorf("forecast %s\nwant     %s", gotJ, wantJ)
		}
		// By hand: used = 100 + 5x from the first day; 800 GB at x = 140,
		// 900 at 160, 1000 at 180; used today 145 of 1000.
		if math.Abs(tr.Forecast.SlopePerDay-5) > 1e-9 || math.Abs(tr.Forecast.UsedPct-14.5) > 1e-9 || tr.Forecast.Confidence != metrics.ConfidenceHigh {
			t.Errorf("forecast %+v", tr.Forecast)
		}
		for i, x := range []int{140, 160, 180} {
			if th := tr.Forecast.Thresholds; len(th) != 3 || th[i].Reached || !th[i].Date.Equal(first.AddDate(0, 0, x)) {
				t.Errorf("threshold %d: %+v, want %s", i, th, first.AddDate(0, 0, x))
			}
		}
	})
}
