package daemon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vmware/govmomi/vim25/types"
	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestMetricsCollector runs the daemon's metrics collection of a
// simulated vCenter into a SQLite file: the VM quickStats the simulator
// serves are stored, the rollups follow, a failing QueryPerf batch leaves
// a partial (stored) collection counted in /metrics, and the cleanup
// prunes raw points past their retention once rolled up.
func TestMetricsCollector(t *testing.T) {
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "metrics-" + t.Name()})
	st, kr := sqliteAndKeyring(t, t.TempDir())
	liveEndpoint(t, st, kr, sim, "vc1")
	op, err := Opener(kr, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sess := newSessions(st, op)
	t.Cleanup(func() { sess.close(context.Background()) })
	// Every powered-on VM gets quickStats of its own.
	want := map[string]float64{}
	for i, vm := range sim.VMRefs() {
		_ = sim.PowerOn(ctx, vm) // fails for a VM already on
		mhz := int32(100 * (i + 1))
		if err := sim.SetVMQuickStats(vm, types.VirtualMachineQuickStats{OverallCpuUsage: mhz, GuestMemoryUsage: 256}); err != nil {
			t.Fatal(err)
		}
		want[vm] = float64(mhz)
	}
	if len(want) == 0 {
		t.Fatal("no powered-on VM")
	}
	prom := NewMetrics()
	now := time.Now().UTC()
	c := &metricsCollector{st: st, sess: sess, cfg: config.Default().Metrics, clock: func() time.Time { return now },
		log: zap.NewNop(), prom: prom, since: map[string]time.Time{}}
	stored := 0
	c.stored = func() { stored++ } // the daemon's: triggers an alert evaluation
	if err := c.collect(ctx, "vc1"); err != nil {
		t.Fatalf("collect: %v", err)
	}
	if stored != 1 {
		t.Errorf("the collection told %d times that it stored points, want 1", stored)
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	series, err := st.QueryMetrics(ctx, &store.QueryMetricsParams{Vcenter: "vc1", EntityType: inventory.EntityVM, EntityIDs: ids,
		Metrics: []inventory.Metric{inventory.MetricCPUUsageMHz}, From: now.Add(-time.Hour), To: now.Add(time.Hour), Step: 2 * time.Hour, Tier: inventory.TierRaw})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != len(want) {
		t.Fatalf("%d VM series, want %d", len(series), len(want))
	}
	for _, s := range series {
		if len(s.Buckets) != 1 || s.Buckets[0].Max != want[s.EntityID] {
			t.Errorf("%s: %+v, want %v MHz", s.EntityID, s.Buckets, want[s.EntityID])
		}
	}
	if got := testutil.ToFloat64(prom.metricRuns.WithLabelValues("vc1", "ok")); got != 1 {
		t.Errorf("ok collections %v, want 1", got)
	}
	if c.since["vc1"].IsZero() {
		t.Error("the collection time is not remembered for the next one")
	}
	// The rollup followed: the hour tier is at the current hour.
	stats, err := st.MetricStats(ctx, &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range stats.Tiers {
		if tr.Tier == inventory.TierHour && !tr.Watermark.Equal(now.Truncate(time.Hour)) {
			t.Errorf("hour watermark %s, want %s", tr.Watermark, now.Truncate(time.Hour))
		}
	}

	// A failing QueryPerf: the collection is partial, its points stored.
	inj := sim.InjectFault(vcsim.FaultRule{Method: "QueryPerf"})
	points := testutil.ToFloat64(prom.metricPoints.WithLabelValues("vc1"))
	if err := c.collect(ctx, "vc1"); err != nil {
		t.Fatalf("a partial collection is not an error of the job: %v", err)
	}
	inj.Remove()
	if stored != 2 {
		t.Errorf("after the partial collection: told %d times, want 2", stored)
	}
	if got := testutil.ToFloat64(prom.metricRuns.WithLabelValues("vc1", "partial")); got != 1 {
		t.Errorf("partial collections %v, want 1", got)
	}
	if got := testutil.ToFloat64(prom.metricPoints.WithLabelValues("vc1")); got <= points {
		t.Errorf("the partial collection stored no points (%v then %v)", points, got)
	}
	if n := testutil.ToFloat64(prom.metricFailures.WithLabelValues("vc1")); n < 1 {
		t.Errorf("failed parts %v, want at least 1", n)
	}
	rec := httptest.NewRecorder()
	prom.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, w := range []string{`vinventory_metric_collections_total{endpoint="vc1",result="partial"} 1`, `vinventory_metric_points_written_total{endpoint="vc1"}`} {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}

	// Cleanup, 8 days later: the raw points (rolled up) are pruned.
	later := now.Add(8 * 24 * time.Hour)
	a := &App{Config: config.Default(), Store: st, Logger: zap.NewNop(), Clock: func() time.Time { return later }}
	if err := a.pruneMetrics(ctx); err != nil {
		t.Fatal(err)
	}
	stats, err = st.MetricStats(ctx, &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range stats.Tiers {
		switch tr.Tier {
		case inventory.TierRaw:
			if tr.Rows != 0 {
				t.Errorf("%d raw points left after their retention", tr.Rows)
			}
		case inventory.TierHour:
			if tr.Rows == 0 {
				t.Error("the hourly rollups were pruned with the raw points")
			}
		}
	}
}
