package metrics_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

var t1 = time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)

// clock is a settable Clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func connect(t testing.TB, sim *vcsim.Sim, clk *clock) *vsphere.Source {
	t.Helper()
	src, err := vsphere.New(context.Background(), sim.Endpoint("vc1"), vsphere.Options{
		Credentials: vsphere.Password(sim.Password), KeepAlive: -1, Clock: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close(context.Background()) })
	return src
}

// rawValues returns the raw points of one metric of the given entities
// in [from, to), by entity: the values and their count.
func rawValues(t *testing.T, st store.MetricStore, typ inventory.EntityType, ids []string, m inventory.Metric, from, to time.Time) map[string]inventory.MetricBucket {
	t.Helper()
	series, err := st.QueryMetrics(context.Background(), &store.QueryMetricsParams{
		Vcenter: "vc1", EntityType: typ, EntityIDs: ids, Metrics: []inventory.Metric{m},
		From: from, To: to, Step: to.Sub(from), Tier: inventory.TierRaw,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]inventory.MetricBucket{}
	for _, s := range series {
		if len(s.Buckets) != 1 {
			t.Fatalf("%v: %d buckets", s.MetricKey, len(s.Buckets))
		}
		out[s.EntityID] = s.Buckets[0]
	}
	return out
}

type truth struct {
	vms   []mo.VirtualMachine
	hosts []mo.HostSystem
	dss   []mo.Datastore
}

func readTruth(t *testing.T, sim *vcsim.Sim) *truth {
	t.Helper()
	ctx := context.Background()
	c, err := sim.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var tr truth
	for _, r := range []struct {
		kind  string
		props []string
		dst   any
	}{
		{"VirtualMachine", []string{"name", "summary", "config", "runtime"}, &tr.vms},
		{"HostSystem", []string{"summary", "runtime", "parent"}, &tr.hosts},
		{"Datastore", []string{"summary"}, &tr.dss},
	} {
		if err := v.Retrieve(ctx, []string{r.kind}, r.props, r.dst); err != nil {
			t.Fatal(err)
		}
	}
	return &tr
}

func (tr *truth) poweredOn() []string {
	var ids []string
	for _, vm := range tr.vms {
		if !vm.Config.Template && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			ids = append(ids, vm.Self.Value)
		}
	}
	return ids
}

func TestCollect(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{})
	ctx := context.Background()
	tr := readTruth(t, sim)
	on := tr.poweredOn()
	// Chosen quickStats for every powered-on VM.
	for i, id := range on {
		if err := sim.SetVMQuickStats(id, types.VirtualMachineQuickStats{OverallCpuUsage: int32(500 + i), GuestMemoryUsage: int32(100 + i), UptimeSeconds: 3600}); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{now: t1}
	src := connect(t, sim, clk)
	st := memstore.New()

	res, err := metrics.Collect(ctx, src, st, metrics.CollectOptions{PerfBatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	wantEntities := map[inventory.EntityType]int{inventory.EntityHost: len(tr.hosts), inventory.EntityVM: len(on), inventory.EntityCluster: 2, inventory.EntityDatastore: len(tr.dss)}
	for typ, n := range wantEntities {
		if res.Entities[typ] != n {
			t.Errorf("%s entities %d, want %d", typ, res.Entities[typ], n)
		}
	}
	if res.Vcenter != "vc1" || !res.Time.Equal(t1) || len(res.Failures) != 0 || len(res.Counters) != 7 {
		t.Errorf("result %+v", res)
	}
	keys, err := st.ListMetricKeys(ctx, &store.ListMetricKeysParams{Vcenter: "vc1"})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, n := range res.PointsByType {
		sum += n
	}
	if len(keys) != res.Points || sum != res.Points {
		t.Errorf("%d series stored, %d points reported (%d by type)", len(keys), res.Points, sum)
	}
	// Stored values equal what the simulator reports.
	got := rawValues(t, st, inventory.EntityVM, on, inventory.MetricCPUUsageMHz, t1, t1.Add(time.Minute))
	for i, id := range on {
		if b := got[id]; b.Count != 1 || b.Avg != float64(500+i) {
			t.Errorf("VM %s cpu.usage.mhz %+v, want 1 point of %d", id, b, 500+i)
		}
	}
	var hostIDs []string
	for _, h := range tr.hosts {
		hostIDs = append(hostIDs, h.Self.Value)
	}
	gotH := rawValues(t, st, inventory.EntityHost, hostIDs, inventory.MetricMemUsageMB, t1, t1.Add(time.Minute))
	for _, h := range tr.hosts {
		if b := gotH[h.Self.Value]; b.Avg != float64(h.Summary.QuickStats.OverallMemoryUsage) {
			t.Errorf("host %s mem.usage.mb %v, want %d", h.Self.Value, b.Avg, h.Summary.QuickStats.OverallMemoryUsage)
		}
	}
	var dsIDs []string
	for _, ds := range tr.dss {
		dsIDs = append(dsIDs, ds.Self.Value)
	}
	gotD := rawValues(t, st, inventory.EntityDatastore, dsIDs, inventory.MetricDiskUsedPct, t1, t1.Add(time.Minute))
	for _, ds := range tr.dss {
		s := ds.Summary
		want := 100 * float64(s.Capacity-s.FreeSpace) / float64(s.Capacity)
		if b := gotD[ds.Self.Value]; math.Abs(b.Avg-want) > 1e-9 {
			t.Errorf("datastore %s disk.used.pct %v, want %v", ds.Self.Value, b.Avg, want)
		}
	}
	// The first collection's perf values, to check later that a failed
	// batch leaves them intact.
	wide := func() (time.Time, time.Time) {
		now := time.Now().UTC().Truncate(time.Hour)
		return now.Add(-2 * time.Hour), now.Add(2 * time.Hour)
	}
	perfOf := func() map[string]inventory.MetricBucket {
		from, to := wide()
		m := rawValues(t, st, inventory.EntityVM, on, inventory.MetricPerfCPUUsagePct, from, to)
		for id, b := range rawValues(t, st, inventory.EntityHost, hostIDs, inventory.MetricPerfCPUUsagePct, from, to) {
			m[id] = b
		}
		return m
	}
	perf1 := perfOf()
	if len(perf1) != len(on)+len(hostIDs) {
		t.Fatalf("perf.cpu.usage.pct of %d entities stored, want %d", len(perf1), len(on)+len(hostIDs))
	}

	// Second collection: the second QueryPerf call fails.
	t2 := t1.Add(5 * time.Minute)
	clk.Set(t2)
	inj := sim.InjectFault(vcsim.FaultRule{Method: "QueryPerf", After: 1, Times: 1, Type: simulator.FaultTypeCustom, Fault: &types.InvalidArgument{InvalidProperty: "querySpec"}})
	since := time.Now().Add(-time.Minute)
	rec := sim.RecordPerf()
	res2, err := metrics.Collect(ctx, src, st, metrics.CollectOptions{PerfBatchSize: 3, Since: since})
	rec.Stop()
	if inj.Fired() != 1 {
		t.Fatalf("fault fired %d times", inj.Fired())
	}
	var pe *metrics.PartialError
	var mf *capture.MetricFailure
	if !errors.As(err, &pe) || !errors.As(err, &mf) || res2 == nil {
		t.Fatalf("err %v (%T), result %v; want a *PartialError with the result", err, err, res2)
	}
	if len(pe.Failures) != 1 || len(mf.EntityIDs) == 0 || len(mf.EntityIDs) > 3 || len(mf.Counters) != 7 || pe.Vcenter != "vc1" {
		t.Fatalf("failures %+v", pe.Failures)
	}
	failed := map[string]bool{}
	for _, id := range mf.EntityIDs {
		failed[id] = true
	}
	// The quickStats of the second collection are all stored.
	got2 := rawValues(t, st, inventory.EntityVM, on, inventory.MetricCPUUsageMHz, t2, t2.Add(time.Minute))
	if len(got2) != len(on) {
		t.Errorf("cpu.usage.mhz of %d VMs at t2, want %d", len(got2), len(on))
	}
	// The first collection's points are intact.
	if again := rawValues(t, st, inventory.EntityVM, on, inventory.MetricCPUUsageMHz, t1, t1.Add(time.Minute)); len(again) != len(on) {
		t.Errorf("first collection: %d VMs left", len(again))
	}
	perf2 := perfOf()
	for id := range failed {
		if perf2[id] != perf1[id] {
			t.Errorf("%s of the failed batch: perf %+v, want the first collection's %+v", id, perf2[id], perf1[id])
		}
	}
	// The other batches' points are stored: for every entity the
	// simulator answered for, the point at its newest sample's time holds
	// the mean of the samples served after Since (cpu.usage.average is in
	// 1/100 %). A series with a zero value is skipped: govmomi's encoder
	// drops zeros, so the source leaves such a series out.
	cpuID := res2.Counters["cpu.usage.average"]
	checked := 0
	for _, q := range rec.Queries() {
		for _, r := range q.Result {
			em := r.(*types.PerfEntityMetric)
			for _, v := range em.Value {
				series := v.(*types.PerfMetricIntSeries)
				if series.Id.CounterId != cpuID || slices.Contains(series.Value, 0) {
					continue
				}
				var sum float64
				var n int
				var newest time.Time
				for i, x := range series.Value {
					if ts := em.SampleInfo[i].Timestamp; ts.After(since) {
						sum += float64(x) / 100
						n++
						newest = maxTime(newest, ts)
					}
				}
				if n == 0 {
					continue
				}
				typ := inventory.EntityVM
				if em.Entity.Type == "HostSystem" {
					typ = inventory.EntityHost
				}
				at := newest.UTC().Truncate(time.Second)
				got := rawValues(t, st, typ, []string{em.Entity.Value}, inventory.MetricPerfCPUUsagePct, at, at.Add(time.Minute))[em.Entity.Value]
				if got.Count != 1 || math.Abs(got.Avg-sum/float64(n)) > 1e-9 {
					t.Errorf("%s perf.cpu.usage.pct at %v: %+v, want one point of %v", em.Entity.Value, at, got, sum/float64(n))
				}
				checked++
			}
		}
	}
	if checked < len(on)+len(hostIDs)-3-2 { // the failed batch, and a few series with a zero
		t.Errorf("only %d of %d entities' perf points checked", checked, len(on)+len(hostIDs))
	}
	if res2.Points == 0 || res2.Entities[inventory.EntityVM] != len(on) {
		t.Errorf("second result %+v", res2)
	}
}

// badPoint is the vSphere source with one invalid point added to every
// collection.
type badPoint struct{ capture.MetricsSource }

func (b badPoint) CollectMetrics(ctx context.Context, p *capture.CollectMetricsParams) (*capture.MetricsCollection, error) {
	c, err := b.MetricsSource.CollectMetrics(ctx, p)
	if err != nil {
		return nil, err
	}
	c.Points = append(c.Points, inventory.MetricPoint{
		MetricKey: inventory.MetricKey{Vcenter: "vc1", EntityType: "bogus", EntityID: "x", Metric: inventory.MetricCPUUsageMHz},
		Time:      c.Time, Value: 1,
	})
	return c, nil
}

func TestCollectWriteFailureStoresNothing(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{})
	ctx := context.Background()
	clk := &clock{now: t1}
	src := connect(t, sim, clk)
	st := memstore.New()
	if _, err := metrics.Collect(ctx, src, st, metrics.CollectOptions{SkipPerf: true}); err != nil {
		t.Fatal(err)
	}
	before, err := st.MetricStats(ctx, &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(t1.Add(5 * time.Minute))
	res, err := metrics.Collect(ctx, badPoint{src}, st, metrics.CollectOptions{SkipPerf: true, BatchSize: 7})
	var ipe *store.InvalidParamsError
	if res != nil || !errors.As(err, &ipe) {
		t.Fatalf("result %v, err %v; want no result and the store's *InvalidParamsError", res, err)
	}
	after, err := st.MetricStats(ctx, &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if before.Series != after.Series || before.Tiers[0].Rows != after.Tiers[0].Rows || !after.Tiers[0].Newest.Equal(t1) {
		t.Errorf("stats before %+v, after %+v: the failed write stored something", before, after)
	}
}

func TestCollectOptions(t *testing.T) {
	st := memstore.New()
	if _, err := metrics.Collect(context.Background(), nil, st, metrics.CollectOptions{}); err == nil {
		t.Error("nil source accepted")
	}
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 1, Templates: -1})
	src := connect(t, sim, &clock{now: t1})
	var fe *inventory.FieldError
	if _, err := metrics.Collect(context.Background(), src, st, metrics.CollectOptions{BatchSize: -1}); !errors.As(err, &fe) || fe.Field != "batch_size" {
		t.Errorf("negative batch size: %v", err)
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
