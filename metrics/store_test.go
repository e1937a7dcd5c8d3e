package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

const (
	hostileCluster = `<script>alert("c1")</script> ‘ü’`
	hostileDS      = `=cmd|' /C calc'!A0`
	hostileVM      = `=HYPERLINK("http://x","vm ☃ <b>")`
)

func writeState(t *testing.T, st *memstore.Store, vc string, at time.Time, s *inventory.State) {
	t.Helper()
	for i := range s.Clusters {
		s.Clusters[i].Vcenter, s.Clusters[i].SnapshotTime = vc, at
	}
	for i := range s.Datastores {
		s.Datastores[i].Vcenter, s.Datastores[i].SnapshotTime = vc, at
	}
	var samples []inventory.Sample
	for i := range s.VMs {
		s.VMs[i].Vcenter, s.VMs[i].SnapshotTime = vc, at
		if s.VMs[i].UUID == "" {
			s.VMs[i].UUID = "uuid-" + s.VMs[i].ID
		}
		samples = append(samples, s.VMs[i].Sample(at))
	}
	if _, err := st.WriteSnapshot(context.Background(), &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at, State: s, Samples: samples}); err != nil {
		t.Fatal(err)
	}
}

func point(vc string, typ inventory.EntityType, id string, m inventory.Metric, at time.Time, v float64) inventory.MetricPoint {
	return inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: typ, EntityID: id, Metric: m}, Time: at, Value: v}
}

func TestCapacityTrends(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 20, 15, 30, 0, 0, time.UTC)
	today := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -9) // 10 days: first .. today
	st := memstore.New()
	writeState(t, st, "vc1", now, &inventory.State{
		Clusters:   []inventory.Cluster{{ID: "domain-c1", Name: hostileCluster}, {ID: "domain-c2", Name: "empty"}},
		Datastores: []inventory.Datastore{{ID: "datastore-1", Name: hostileDS, CapacityGB: 1000}},
	})
	writeState(t, st, "vc2", now, &inventory.State{Clusters: []inventory.Cluster{{ID: "domain-c9", Name: "other"}}})

	// Two points a day, at 03:00 and 09:00; the expected days are the
	// hand-computed day averages.
	var pts []inventory.MetricPoint
	var wantCPU, wantMem, wantDisk, wantC9 []metrics.CapacityDay
	for d := 0; d < 10; d++ {
		day := first.AddDate(0, 0, d)
		a, b := day.Add(3*time.Hour), day.Add(9*time.Hour)
		fd := float64(d)
		capMHz := 10000.0
		if d >= 5 {
			capMHz = 20000 // a host added on day 5
		}
		pts = append(pts,
			point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricCPUUsageMHz, a, 1000+100*fd),
			point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricCPUUsageMHz, b, 1200+100*fd),
			point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricCPUCapacityMHz, a, capMHz),
			point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricCPUCapacityMHz, b, capMHz),
			point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricMemUsageMB, a, 4000+50*fd),
			point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricMemUsageMB, b, 4100+50*fd),
			point("vc1", inventory.EntityDatastore, "datastore-1", inventory.MetricDiskUsedGB, a, 500+10*fd),
			point("vc1", inventory.EntityDatastore, "datastore-1", inventory.MetricDiskUsedGB, b, 500+10*fd),
			point("vc1", inventory.EntityDatastore, "datastore-1", inventory.MetricDiskCapacityGB, a, 1000),
			point("vc2", inventory.EntityCluster, "domain-c9", inventory.MetricCPUUsageMHz, a, 1),
			point("vc2", inventory.EntityCluster, "domain-c9", inventory.MetricCPUCapacityMHz, a, 2),
		)
		wantCPU = append(wantCPU, metrics.CapacityDay{Day: day, Used: 1100 + 100*fd, Capacity: capMHz})
		wantDisk = append(wantDisk, metrics.CapacityDay{Day: day, Used: 500 + 10*fd, Capacity: 1000})
		wantC9 = append(wantC9, metrics.CapacityDay{Day: day, Used: 1, Capacity: 2})
		if d != 2 { // no memory capacity on day 2: the day is left out
			pts = append(pts, point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricMemCapacityMB, a, 8000))
			wantMem = append(wantMem, metrics.CapacityDay{Day: day, Used: 4050 + 50*fd, Capacity: 8000})
		}
	}
	// A point before the range and one after Now's day are not read.
	pts = append(pts,
		point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricCPUUsageMHz, first.Add(-time.Hour), 1e6),
		point("vc1", inventory.EntityCluster, "domain-c1", inventory.MetricCPUUsageMHz, today.AddDate(0, 0, 1), 1e6))
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	// The day tier is rolled up to yesterday: today comes from raw.
	if _, err := st.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierDay, From: first.AddDate(0, 0, -1), To: today}); err != nil {
		t.Fatal(err)
	}

	got, err := metrics.CapacityTrends(ctx, st, &metrics.CapacityParams{Now: now, Days: 10})
	if err != nil {
		t.Fatal(err)
	}
	trend := func(vc string, typ inventory.EntityType, id, name, res, unit string, days []metrics.CapacityDay) metrics.CapacityTrend {
		return metrics.CapacityTrend{Vcenter: vc, EntityType: typ, EntityID: id, Name: name, Resource: res, Unit: unit,
			Days: days, Forecast: metrics.FitForecast(days, metrics.ForecastOptions{})}
	}
	want := []metrics.CapacityTrend{
		trend("vc1", inventory.EntityCluster, "domain-c1", hostileCluster, "cpu", "MHz", wantCPU),
		trend("vc1", inventory.EntityCluster, "domain-c1", hostileCluster, "memory", "MB", wantMem),
		trend("vc1", inventory.EntityCluster, "domain-c2", "empty", "cpu", "MHz", nil),
		trend("vc1", inventory.EntityCluster, "domain-c2", "empty", "memory", "MB", nil),
		trend("vc1", inventory.EntityDatastore, "datastore-1", hostileDS, "disk", "GB", wantDisk),
		trend("vc2", inventory.EntityCluster, "domain-c9", "other", "cpu", "MHz", wantC9),
		trend("vc2", inventory.EntityCluster, "domain-c9", "other", "memory", "MB", nil),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("trends (-want +got):\n%s", diff)
	}
	// By hand: cpu grows 100 MHz a day exactly; 80 % of the latest
	// capacity (16000) at 1100 + 100·x = 16000, x = 149 days after first.
	f := got[0].Forecast
	if f.Confidence != "high" || f.SlopePerDay != 100 || f.R2 != 1 || !f.Thresholds[0].Date.Equal(first.AddDate(0, 0, 149)) {
		t.Errorf("cpu forecast = %+v", f)
	}
	if got[2].Forecast.Confidence != "none" || got[2].Forecast.Reason != "no data" {
		t.Errorf("cluster without metrics: %+v", got[2].Forecast)
	}

	// Filters, the Days window and Clock.
	for _, c := range []struct {
		p    metrics.CapacityParams
		want []metrics.CapacityTrend
	}{
		{metrics.CapacityParams{Now: now, Days: 10, Vcenter: "vc2"}, want[5:]},
		{metrics.CapacityParams{Now: now, Days: 10, EntityType: inventory.EntityDatastore}, want[4:5]},
		{metrics.CapacityParams{Clock: func() time.Time { return now }, Days: 10, Vcenter: "vc1", EntityID: "domain-c1"}, want[:2]},
		{metrics.CapacityParams{Now: now, Days: 3, Vcenter: "vc1", EntityType: inventory.EntityDatastore},
			[]metrics.CapacityTrend{trend("vc1", inventory.EntityDatastore, "datastore-1", hostileDS, "disk", "GB", wantDisk[7:])}},
	} {
		got, err := metrics.CapacityTrends(ctx, st, &c.p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", c.p, diff)
		}
	}
	// The default 90 days hold the same ten.
	got, err = metrics.CapacityTrends(ctx, st, &metrics.CapacityParams{Now: now, Vcenter: "vc1", EntityType: inventory.EntityDatastore})
	if err != nil || len(got) != 1 || !cmp.Equal(got[0].Days, wantDisk) {
		t.Errorf("default days: %v %+v", err, got)
	}

	for _, p := range []*metrics.CapacityParams{
		nil, {Days: 10}, {Now: now, Days: -1}, {Now: now, Days: metrics.MaxCapacityDays + 1}, {Now: now, EntityType: inventory.EntityVM},
	} {
		_, err := metrics.CapacityTrends(ctx, st, p)
		var pe *metrics.ParamError
		if !errors.As(err, &pe) || !errors.Is(err, metrics.ErrInvalidParams) {
			t.Errorf("%+v: err = %v, want a *ParamError", p, err)
		}
	}
}

func TestRightSizeStore(t *testing.T) {
	ctx := context.Background()
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 8) // 192 hours
	st := memstore.New()
	writeState(t, st, "vc1", to, &inventory.State{VMs: []inventory.VM{
		{ID: "vm-1", Name: hostileVM, Cluster: hostileCluster, VCPUCount: 4, RAMMB: 8192},
		{ID: "vm-2", Name: "busy", Cluster: "c", VCPUCount: 2, RAMMB: 2048},
		{ID: "vm-3", Name: "template", VCPUCount: 2, RAMMB: 2048, IsTemplate: true},
		{ID: "vm-4", Name: "silent", VCPUCount: 1, RAMMB: 1024},
	}})
	writeState(t, st, "vc2", to, &inventory.State{VMs: []inventory.VM{{ID: "vm-9", Name: "idle", VCPUCount: 8, RAMMB: 16384}}})

	var pts []inventory.MetricPoint
	vm := func(vc, id string, m inventory.Metric, at time.Time, v float64) {
		pts = append(pts, point(vc, inventory.EntityVM, id, m, at, v))
	}
	for h := 0; h < 192; h++ {
		hour := from.Add(time.Duration(h) * time.Hour)
		base := float64(h%24) / 2
		for k, at := range []time.Time{hour, hour.Add(20 * time.Minute), hour.Add(40 * time.Minute)} {
			// vm-1's hourly average is (h mod 24)/2 + 1.
			vm("vc1", "vm-1", inventory.MetricCPUUsagePct, at, base+float64(k))
			vm("vc1", "vm-1", inventory.MetricMemUsagePct, at, 40+10*float64(k)) // avg 50
			vm("vc1", "vm-2", inventory.MetricCPUUsagePct, at, 90)
			vm("vc1", "vm-2", inventory.MetricMemUsagePct, at, 30)
			vm("vc1", "vm-3", inventory.MetricCPUUsagePct, at, 99)
			vm("vc1", "vm-3", inventory.MetricMemUsagePct, at, 99)
			if h < 168 {
				vm("vc2", "vm-9", inventory.MetricCPUUsagePct, at, 5)
				vm("vc2", "vm-9", inventory.MetricMemUsagePct, at, 5)
			}
		}
	}
	// Outside [From, To): would make vm-2 idle if read.
	for i := 1; i <= 200; i++ {
		vm("vc1", "vm-2", inventory.MetricCPUUsagePct, from.Add(-time.Duration(i)*time.Minute), 0)
		vm("vc1", "vm-2", inventory.MetricCPUUsagePct, to.Add(time.Duration(i-1)*time.Minute), 0)
	}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	// The first half is rolled up to the hour tier, the rest read raw.
	if _, err := st.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierHour, From: from.Add(-24 * time.Hour), To: from.AddDate(0, 0, 4)}); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{0, 1} {
		got, err := metrics.RightSize(ctx, st, &metrics.RightSizeParams{From: from.Add(10 * time.Minute), To: to.Add(-10 * time.Minute), BatchSize: batch})
		if err != nil {
			t.Fatal(err)
		}
		// From is truncated to 00:00 and To rounded up to the period's
		// end: the same 192 hours. vm-1: 24 hourly values 1..12.5 eight
		// times each; rank ceil(0.95·192) = 183 is in the 23rd value's
		// ranks (177..184): 22/2 + 1 = 12 → low, ceil(4·12/60) = 1 vCPU.
		// vm-2: ceil(2·90/60) = 3 vCPUs. vm-9: 168 hours at 5 %, idle:
		// ceil(8·5/60) = 1 vCPU, ceil(16·5/60) = 2 GB.
		want := []metrics.RightSizing{
			{Vcenter: "vc1", VMID: "vm-1", Name: hostileVM, Cluster: hostileCluster, VCPUs: 4, RAMMB: 8192, CPUHours: 192, MemHours: 192, DataDays: 8,
				CPUP95Pct: 12, MemP95Pct: 50, CPULevel: "low", MemLevel: "ok", Verdict: "oversized", FitVCPUs: 1, FitRAMGB: 8},
			{Vcenter: "vc1", VMID: "vm-2", Name: "busy", Cluster: "c", VCPUs: 2, RAMMB: 2048, CPUHours: 192, MemHours: 192, DataDays: 8,
				CPUP95Pct: 90, MemP95Pct: 30, CPULevel: "high", MemLevel: "ok", Verdict: "undersized", FitVCPUs: 3, FitRAMGB: 2},
			{Vcenter: "vc1", VMID: "vm-4", Name: "silent", VCPUs: 1, RAMMB: 1024, Verdict: "insufficient data"},
			{Vcenter: "vc2", VMID: "vm-9", Name: "idle", VCPUs: 8, RAMMB: 16384, CPUHours: 168, MemHours: 168, DataDays: 7,
				CPUP95Pct: 5, MemP95Pct: 5, CPULevel: "low", MemLevel: "low", Verdict: "idle", FitVCPUs: 1, FitRAMGB: 2},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("batch %d (-want +got):\n%s", batch, diff)
		}
	}
	got, err := metrics.RightSize(ctx, st, &metrics.RightSizeParams{Vcenter: "vc2", From: from, To: to, Options: metrics.RightSizeOptions{MinDays: 8}})
	if err != nil || len(got) != 1 || got[0].Verdict != "insufficient data" {
		t.Errorf("MinDays 8: %v %+v", err, got)
	}
	for _, p := range []*metrics.RightSizeParams{
		nil, {From: from}, {From: to, To: from}, {From: from, To: from.Add(10001 * time.Hour)},
		{From: from, To: to, Options: metrics.RightSizeOptions{LowPct: 90}},
		{From: from, To: to, Options: metrics.RightSizeOptions{TargetPct: -1}},
	} {
		_, err := metrics.RightSize(ctx, st, p)
		if !errors.Is(err, metrics.ErrInvalidParams) {
			t.Errorf("%+v: err = %v", p, err)
		}
	}
}
