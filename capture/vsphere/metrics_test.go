package vsphere_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// simTruth is what the simulator reports, read through govmomi.
type simTruth struct {
	vms   []mo.VirtualMachine
	hosts []mo.HostSystem
	dss   []mo.Datastore
}

func readTruth(t *testing.T, c *govmomi.Client) *simTruth {
	t.Helper()
	ctx := context.Background()
	m := view.NewManager(c.Client)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var tr simTruth
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "summary", "config", "runtime"}, &tr.vms); err != nil {
		t.Fatal(err)
	}
	if err := v.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "summary", "runtime", "parent"}, &tr.hosts); err != nil {
		t.Fatal(err)
	}
	if err := v.Retrieve(ctx, []string{"Datastore"}, []string{"summary"}, &tr.dss); err != nil {
		t.Fatal(err)
	}
	return &tr
}

// expectedQuickStats computes, from the simulator's own properties, the
// points a collection must hold (perf points aside).
func (tr *simTruth) expectedQuickStats(vcenter string) map[inventory.MetricKey]float64 {
	want := map[inventory.MetricKey]float64{}
	put := func(typ inventory.EntityType, id string, m inventory.Metric, v float64) {
		want[inventory.MetricKey{Vcenter: vcenter, EntityType: typ, EntityID: id, Metric: m}] = v
	}
	coreMHz := map[string]float64{}
	type sum struct{ cpu, cpuCap, mem, memCap float64 }
	clusters := map[string]*sum{}
	for _, h := range tr.hosts {
		hw := h.Summary.Hardware
		coreMHz[h.Self.Value] = float64(hw.CpuMhz)
		if h.Parent.Type == "ClusterComputeResource" && clusters[h.Parent.Value] == nil {
			clusters[h.Parent.Value] = &sum{}
		}
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
			continue
		}
		qs := h.Summary.QuickStats
		cpuCap := float64(hw.CpuMhz) * float64(hw.NumCpuCores)
		memCap := float64(hw.MemorySize) / 1024 / 1024
		id := h.Self.Value
		put(inventory.EntityHost, id, inventory.MetricCPUUsageMHz, float64(qs.OverallCpuUsage))
		put(inventory.EntityHost, id, inventory.MetricCPUCapacityMHz, cpuCap)
		put(inventory.EntityHost, id, inventory.MetricCPUUsagePct, 100*float64(qs.OverallCpuUsage)/cpuCap)
		put(inventory.EntityHost, id, inventory.MetricMemUsageMB, float64(qs.OverallMemoryUsage))
		put(inventory.EntityHost, id, inventory.MetricMemCapacityMB, memCap)
		put(inventory.EntityHost, id, inventory.MetricMemUsagePct, 100*float64(qs.OverallMemoryUsage)/memCap)
		put(inventory.EntityHost, id, inventory.MetricUptimeSeconds, float64(qs.Uptime))
		if cl := clusters[h.Parent.Value]; cl != nil {
			cl.cpu += float64(qs.OverallCpuUsage)
			cl.cpuCap += cpuCap
			cl.mem += float64(qs.OverallMemoryUsage)
			cl.memCap += memCap
		}
	}
	for id, cl := range clusters {
		put(inventory.EntityCluster, id, inventory.MetricCPUUsageMHz, cl.cpu)
		put(inventory.EntityCluster, id, inventory.MetricCPUCapacityMHz, cl.cpuCap)
		put(inventory.EntityCluster, id, inventory.MetricCPUUsagePct, 100*cl.cpu/cl.cpuCap)
		put(inventory.EntityCluster, id, inventory.MetricMemUsageMB, cl.mem)
		put(inventory.EntityCluster, id, inventory.MetricMemCapacityMB, cl.memCap)
		put(inventory.EntityCluster, id, inventory.MetricMemUsagePct, 100*cl.mem/cl.memCap)
	}
	for _, vm := range tr.vms {
		if vm.Config.Template || vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			continue
		}
		qs := vm.Summary.QuickStats
		id := vm.Self.Value
		hw := vm.Config.Hardware
		put(inventory.EntityVM, id, inventory.MetricCPUUsageMHz, float64(qs.OverallCpuUsage))
		put(inventory.EntityVM, id, inventory.MetricCPUUsagePct, 100*float64(qs.OverallCpuUsage)/(float64(hw.NumCPU)*coreMHz[vm.Runtime.Host.Value]))
		put(inventory.EntityVM, id, inventory.MetricMemUsageMB, float64(qs.GuestMemoryUsage))
		put(inventory.EntityVM, id, inventory.MetricMemUsagePct, 100*float64(qs.GuestMemoryUsage)/float64(hw.MemoryMB))
		put(inventory.EntityVM, id, inventory.MetricMemHostMB, float64(qs.HostMemoryUsage))
		put(inventory.EntityVM, id, inventory.MetricMemBalloonedMB, float64(qs.BalloonedMemory))
		put(inventory.EntityVM, id, inventory.MetricMemSwappedMB, float64(qs.SwappedMemory))
		put(inventory.EntityVM, id, inventory.MetricUptimeSeconds, float64(qs.UptimeSeconds))
	}
	for _, ds := range tr.dss {
		s := ds.Summary
		id := ds.Self.Value
		const gib = 1024 * 1024 * 1024
		put(inventory.EntityDatastore, id, inventory.MetricDiskCapacityGB, float64(s.Capacity)/gib)
		put(inventory.EntityDatastore, id, inventory.MetricDiskFreeGB, float64(s.FreeSpace)/gib)
		put(inventory.EntityDatastore, id, inventory.MetricDiskUsedGB, float64(s.Capacity-s.FreeSpace)/gib)
		put(inventory.EntityDatastore, id, inventory.MetricDiskUsedPct, 100*float64(s.Capacity-s.FreeSpace)/float64(s.Capacity))
		put(inventory.EntityDatastore, id, inventory.MetricDiskUncommittedGB, float64(s.Uncommitted)/gib)
	}
	return want
}

func isPerf(m inventory.Metric) bool { return strings.HasPrefix(string(m), "perf.") }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// comparePoints checks the non-perf points against want, exactly one
// point per key.
func comparePoints(t *testing.T, got []inventory.MetricPoint, want map[inventory.MetricKey]float64, at time.Time) {
	t.Helper()
	seen := map[inventory.MetricKey]bool{}
	for _, p := range got {
		if isPerf(p.Metric) {
			continue
		}
		if seen[p.MetricKey] {
			t.Errorf("two points for %+v", p.MetricKey)
		}
		seen[p.MetricKey] = true
		w, ok := want[p.MetricKey]
		switch {
		case !ok:
			t.Errorf("unexpected point %+v = %v", p.MetricKey, p.Value)
		case !near(p.Value, w):
			t.Errorf("%+v = %v, want %v", p.MetricKey, p.Value, w)
		}
		if !p.Time.Equal(at) {
			t.Errorf("%+v at %v, want the collection time %v", p.MetricKey, p.Time, at)
		}
	}
	for k, v := range want {
		if !seen[k] {
			t.Errorf("missing point %+v (want %v)", k, v)
		}
	}
}

func TestCollectMetricsQuickStats(t *testing.T) {
	sim := newSim(t, vcsim.Options{})
	ctx := context.Background()
	hostile := `=cmd|' /C calc'!A0 "vm" <script>alert(1)</script> ü 名前`
	hid, err := sim.CreateVM(ctx, vcsim.VMSpec{Name: "hostile", VCPU: 2, MemoryMB: 2048, PowerOn: true})
	if err != nil {
		t.Fatal(err)
	}
	// vcsim makes a directory of a new VM's name: rename it afterwards.
	if err := sim.Rename(ctx, hid, hostile); err != nil {
		t.Fatal(err)
	}
	// Chosen quickStats on the hostile VM and on every third VM.
	chosen := map[string]types.VirtualMachineQuickStats{
		hid: {OverallCpuUsage: 1234, GuestMemoryUsage: 512, HostMemoryUsage: 1900, BalloonedMemory: 64, SwappedMemory: 32, UptimeSeconds: 86400},
	}
	for i, ref := range sim.VMRefs() {
		if i%3 == 0 && ref != hid {
			chosen[ref] = types.VirtualMachineQuickStats{OverallCpuUsage: int32(100 + i), GuestMemoryUsage: int32(200 + i), HostMemoryUsage: int32(300 + i), BalloonedMemory: int32(i), SwappedMemory: int32(2 * i), UptimeSeconds: int32(1000 + i)}
		}
	}
	for ref, qs := range chosen {
		if err := sim.SetVMQuickStats(ref, qs); err != nil {
			t.Fatal(err)
		}
	}
	// One host disconnected: it leaves its cluster's sums.
	if err := sim.SetHostConnectionState("DC0_C0_H1", types.HostSystemConnectionStateDisconnected); err != nil {
		t.Fatal(err)
	}
	// Small pages: several pages per kind, the VMs in several chunks.
	src, _ := open(t, sim, vsphere.Options{KeepAlive: -1, PageSize: 5})
	col, err := src.CollectMetrics(ctx, &capture.CollectMetricsParams{SkipPerf: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Failures) != 0 {
		t.Fatalf("failures: %v", col.Failures)
	}
	if !col.Time.Equal(fixedNow) {
		t.Errorf("time %v, want %v", col.Time, fixedNow)
	}
	c, err := sim.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr := readTruth(t, c)
	comparePoints(t, col.Points, tr.expectedQuickStats("vc1"), fixedNow)

	// The chosen values came through (not only the read-back).
	byKey := map[inventory.MetricKey]float64{}
	for _, p := range col.Points {
		if p.Vcenter != "vc1" {
			t.Fatalf("point of %q", p.Vcenter)
		}
		byKey[p.MetricKey] = p.Value
	}
	key := func(typ inventory.EntityType, id string, m inventory.Metric) inventory.MetricKey {
		return inventory.MetricKey{Vcenter: "vc1", EntityType: typ, EntityID: id, Metric: m}
	}
	if v := byKey[key(inventory.EntityVM, hid, inventory.MetricCPUUsageMHz)]; v != 1234 {
		t.Errorf("hostile VM cpu.usage.mhz = %v, want 1234", v)
	}
	if v := byKey[key(inventory.EntityVM, hid, inventory.MetricMemUsagePct)]; v != 25 {
		t.Errorf("hostile VM mem.usage.pct = %v, want 25 (512 of 2048 MB)", v)
	}
	var powered, off, templates, hosts int
	for _, vm := range tr.vms {
		_, has := byKey[key(inventory.EntityVM, vm.Self.Value, inventory.MetricUptimeSeconds)]
		switch {
		case vm.Config.Template:
			templates++
			if has {
				t.Errorf("template %s has points", vm.Name)
			}
		case vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn:
			powered++
			if qs, ok := chosen[vm.Self.Value]; ok && byKey[key(inventory.EntityVM, vm.Self.Value, inventory.MetricMemSwappedMB)] != float64(qs.SwappedMemory) {
				t.Errorf("VM %s swapped = %v, want %d", vm.Name, byKey[key(inventory.EntityVM, vm.Self.Value, inventory.MetricMemSwappedMB)], qs.SwappedMemory)
			}
		default:
			off++
			if has {
				t.Errorf("powered-off VM %s has points", vm.Name)
			}
		}
	}
	for _, h := range tr.hosts {
		if _, has := byKey[key(inventory.EntityHost, h.Self.Value, inventory.MetricCPUUsageMHz)]; has {
			hosts++
			if h.Summary.QuickStats.OverallCpuUsage == 0 {
				t.Errorf("host %s: quickStats read back as 0", h.Name)
			}
		} else if h.Runtime.ConnectionState == types.HostSystemConnectionStateConnected {
			t.Errorf("connected host %s has no points", h.Name)
		}
	}
	if powered == 0 || off == 0 || templates == 0 || hosts != len(tr.hosts)-1 {
		t.Errorf("the inventory should have powered-on, powered-off VMs, templates and one disconnected host: %d, %d, %d, %d of %d hosts", powered, off, templates, hosts, len(tr.hosts))
	}
}

// perfExpect computes, from the samples the simulator served (recorded),
// the perf points a collection must hold.
func perfExpect(t *testing.T, c *govmomi.Client, queries []vcsim.PerfQuery, since time.Time, cpus map[string]float64) map[inventory.MetricKey]inventory.MetricPoint {
	t.Helper()
	byKey, err := performance.NewManager(c.Client).CounterInfoByKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	metricOf := map[string]inventory.Metric{
		"cpu.usage.average": inventory.MetricPerfCPUUsagePct, "cpu.ready.summation": inventory.MetricPerfCPUReadyPct,
		"mem.usage.average": inventory.MetricPerfMemUsagePct, "disk.usage.average": inventory.MetricPerfDiskUsageKBps,
		"net.usage.average": inventory.MetricPerfNetUsageKBps, "datastore.totalReadLatency.average": inventory.MetricPerfDatastoreReadLatencyMs,
		"datastore.totalWriteLatency.average": inventory.MetricPerfDatastoreWriteLatencyMs,
	}
	want := map[inventory.MetricKey]inventory.MetricPoint{}
	for _, q := range queries {
		for _, r := range q.Result {
			em := r.(*types.PerfEntityMetric)
			typ := inventory.EntityVM
			if em.Entity.Type == "HostSystem" {
				typ = inventory.EntityHost
			}
			for _, s := range em.Value {
				series := s.(*types.PerfMetricIntSeries)
				if slices.Contains(series.Value, 0) {
					// govmomi's encoder drops zero values from a
					// series (xml omitempty), so the client cannot
					// place the others and leaves the series out.
					continue
				}
				name := byKey[series.Id.CounterId].Name()
				m, ok := metricOf[name]
				if !ok {
					t.Fatalf("queried counter %d (%s) is not one of ours", series.Id.CounterId, name)
				}
				var sum float64
				var n int
				var newest time.Time
				for i, v := range series.Value {
					ts := em.SampleInfo[i].Timestamp
					if v < 0 || (!since.IsZero() && !ts.After(since)) {
						continue
					}
					x := float64(v)
					switch m {
					case inventory.MetricPerfCPUUsagePct, inventory.MetricPerfMemUsagePct:
						x = x / 100
					case inventory.MetricPerfCPUReadyPct:
						x = x / (float64(em.SampleInfo[i].Interval) * 1000) * 100 / cpus[em.Entity.Value]
					}
					sum += x
					n++
					if ts.After(newest) {
						newest = ts
					}
				}
				if n == 0 {
					continue
				}
				k := inventory.MetricKey{Vcenter: "vc1", EntityType: typ, EntityID: em.Entity.Value, Metric: m}
				if old, ok := want[k]; ok && old.Value >= sum/float64(n) {
					continue // the highest instance
				}
				want[k] = inventory.MetricPoint{MetricKey: k, Time: newest.UTC().Truncate(time.Second), Value: sum / float64(n)}
			}
		}
	}
	return want
}

func comparePerf(t *testing.T, got []inventory.MetricPoint, want map[inventory.MetricKey]inventory.MetricPoint) {
	t.Helper()
	n := 0
	for _, p := range got {
		if !isPerf(p.Metric) {
			continue
		}
		n++
		w, ok := want[p.MetricKey]
		if !ok {
			t.Errorf("unexpected perf point %+v", p.MetricKey)
			continue
		}
		if !near(p.Value, w.Value) || !p.Time.Equal(w.Time) {
			t.Errorf("%+v = %v at %v, want %v at %v", p.MetricKey, p.Value, p.Time, w.Value, w.Time)
		}
	}
	if n != len(want) {
		t.Errorf("%d perf points, want %d", n, len(want))
	}
}

// cpuCounts returns the vCPUs of every VM and the cores of every host.
func (tr *simTruth) cpuCounts() map[string]float64 {
	m := map[string]float64{}
	for _, vm := range tr.vms {
		m[vm.Self.Value] = float64(vm.Config.Hardware.NumCPU)
	}
	for _, h := range tr.hosts {
		m[h.Self.Value] = float64(h.Summary.Hardware.NumCpuCores)
	}
	return m
}

func (tr *simTruth) perfEntities() (hosts, vms int) {
	for _, vm := range tr.vms {
		if !vm.Config.Template && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			vms++
		}
	}
	return len(tr.hosts), vms
}

func TestCollectMetricsPerf(t *testing.T) {
	sim := newSim(t, vcsim.Options{})
	ctx := context.Background()
	c, err := sim.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr := readTruth(t, c)
	nh, nv := tr.perfEntities()
	// Counter resolution reads PerformanceManager.perfCounter with
	// RetrieveProperties, which nothing else of a collection calls.
	resolves := sim.InjectFault(vcsim.FaultRule{Method: "RetrieveProperties", ObjectType: "PropertyCollector", SlowOnly: true})
	src, _ := open(t, sim, vsphere.Options{KeepAlive: -1})

	for round, since := range []time.Time{{}, time.Now().Add(-70 * time.Second)} {
		rec := sim.RecordPerf()
		col, err := src.CollectMetrics(ctx, &capture.CollectMetricsParams{PerfBatchSize: 2, Since: since})
		rec.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if len(col.Failures) != 0 {
			t.Fatalf("failures: %v", col.Failures)
		}
		if len(col.Counters) != len(vsphere.PerfCounterNames()) {
			t.Errorf("counters %v", col.Counters)
		}
		qs := rec.Queries()
		if want := (nh+1)/2 + (nv+1)/2; len(qs) != want {
			t.Errorf("round %d: %d QueryPerf calls, want %d (batches of 2 over %d hosts and %d VMs)", round, len(qs), want, nh, nv)
		}
		entities := map[string]bool{}
		for _, q := range qs {
			if len(q.Specs) > 2 {
				t.Errorf("a QueryPerf call of %d entities", len(q.Specs))
			}
			for _, s := range q.Specs {
				entities[s.Entity.Value] = true
				if s.IntervalId != 20 || s.MaxSample != 15 {
					t.Errorf("spec interval %d, max sample %d", s.IntervalId, s.MaxSample)
				}
				switch {
				case since.IsZero() && s.StartTime != nil:
					t.Errorf("start time %v without Since", s.StartTime)
				case !since.IsZero() && (s.StartTime == nil || !s.StartTime.Equal(since)):
					t.Errorf("start time %v, want Since %v", s.StartTime, since)
				}
			}
		}
		if len(entities) != nh+nv {
			t.Errorf("%d entities queried, want %d", len(entities), nh+nv)
		}
		want := perfExpect(t, c, qs, since, tr.cpuCounts())
		if len(want) == 0 {
			t.Fatal("the simulator served no samples")
		}
		comparePerf(t, col.Points, want)
		if !since.IsZero() {
			for _, p := range col.Points {
				if isPerf(p.Metric) && !p.Time.After(since.Add(-time.Second)) {
					t.Errorf("perf point %+v at %v, not after Since %v", p.MetricKey, p.Time, since)
				}
			}
		}
	}
	if n := resolves.Seen(); n != 1 {
		t.Errorf("counter ids resolved %d times in one session, want 1", n)
	}
	// A new session resolves them again, once.
	if _, err := sim.ExpireSessions(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := src.CollectMetrics(ctx, &capture.CollectMetricsParams{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := resolves.Seen(); n != 2 {
		t.Errorf("counter ids resolved %d times over two sessions, want 2", n)
	}
}

func TestCollectMetricsFailingBatch(t *testing.T) {
	sim := newSim(t, vcsim.Options{})
	ctx := context.Background()
	c, err := sim.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr := readTruth(t, c)
	src, _ := open(t, sim, vsphere.Options{KeepAlive: -1})
	inj := sim.InjectFault(vcsim.FaultRule{Method: "QueryPerf", After: 2, Times: 1, Type: simulator.FaultTypeCustom, Fault: &types.InvalidArgument{InvalidProperty: "querySpec"}})
	rec := sim.RecordPerf()
	col, err := src.CollectMetrics(ctx, &capture.CollectMetricsParams{PerfBatchSize: 3})
	rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if inj.Fired() != 1 {
		t.Fatalf("fault fired %d times", inj.Fired())
	}
	if len(col.Failures) != 1 {
		t.Fatalf("failures %v, want one", col.Failures)
	}
	f := col.Failures[0]
	if len(f.EntityIDs) == 0 || len(f.EntityIDs) > 3 || !slices.Equal(f.Counters, vsphere.PerfCounterNames()) {
		t.Errorf("failure names %v entities, counters %v", f.EntityIDs, f.Counters)
	}
	if !strings.Contains(f.Error(), f.EntityIDs[0]) || !strings.Contains(f.Error(), "cpu.usage.average") {
		t.Errorf("failure message %q names neither entity nor counter", f.Error())
	}
	var fe interface{ Fault() types.BaseMethodFault }
	if !errors.As(f.Err, &fe) {
		t.Errorf("failure error %v does not carry the fault", f.Err)
	}
	failed := map[string]bool{}
	for _, id := range f.EntityIDs {
		failed[id] = true
	}
	// The other batches' points are all there, the failed ones' none.
	comparePerf(t, col.Points, perfExpect(t, c, rec.Queries(), time.Time{}, tr.cpuCounts()))
	for _, p := range col.Points {
		if isPerf(p.Metric) && failed[p.EntityID] {
			t.Errorf("perf point for failed entity %s", p.EntityID)
		}
	}
	comparePoints(t, col.Points, tr.expectedQuickStats("vc1"), fixedNow)
}

func TestCollectMetricsCounterNotServed(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 4, Templates: -1})
	ctx := context.Background()
	c, err := sim.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pm mo.PerformanceManager
	pmRef := *c.ServiceContent.PerfManager
	if err := c.RetrieveOne(ctx, pmRef, []string{"perfCounter"}, &pm); err != nil {
		t.Fatal(err)
	}
	served := slices.DeleteFunc(slices.Clone(pm.PerfCounter), func(ci types.PerfCounterInfo) bool { return ci.Name() == "net.usage.average" })
	if len(served) != len(pm.PerfCounter)-1 {
		t.Fatalf("%d of %d counters left", len(served), len(pm.PerfCounter))
	}
	if err := sim.SetProperty("PerformanceManager", pmRef.Value, "perfCounter", served); err != nil {
		t.Fatal(err)
	}
	src, _ := open(t, sim, vsphere.Options{KeepAlive: -1})
	col, err := src.CollectMetrics(ctx, &capture.CollectMetricsParams{})
	if err != nil {
		t.Fatal(err)
	}
	// One failure per entity type, all of that type.
	if len(col.Failures) != 2 {
		t.Fatalf("failures %v", col.Failures)
	}
	for i, typ := range []inventory.EntityType{inventory.EntityHost, inventory.EntityVM} {
		f := col.Failures[i]
		if f.EntityType != typ || len(f.EntityIDs) != 0 || !slices.Equal(f.Counters, []string{"net.usage.average"}) || !errors.Is(&f, vsphere.ErrCounterNotServed) {
			t.Errorf("failure %d: %+v", i, f)
		}
	}
	if _, ok := col.Counters["net.usage.average"]; ok || len(col.Counters) != 6 {
		t.Errorf("counters %v", col.Counters)
	}
	perf := map[inventory.Metric]int{}
	for _, p := range col.Points {
		if isPerf(p.Metric) {
			perf[p.Metric]++
		}
	}
	if perf[inventory.MetricPerfNetUsageKBps] != 0 || perf[inventory.MetricPerfCPUUsagePct] == 0 {
		t.Errorf("perf points per metric %v", perf)
	}
}
