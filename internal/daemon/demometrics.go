package daemon

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
)

// demoMetricDays is how much utilisation history the demo makes up.
const demoMetricDays = 30

// The demo's utilisation model. vcsim keeps no past samples and reports
// VM quickStats of 0, so the demo makes up a plausible, reproducible load:
// each VM has a base CPU and memory use (most VMs idle, a few busy), a
// daily cycle peaking mid-afternoon, a slow growth (so clusters trend up)
// and noise; datastores fill at a steady rate of their own. The made-up
// history is written as raw hourly points, and the live collections read
// the same model through the simulator's quickStats.

// demoHash is a number in [0, 1) from a key.
func demoHash(parts ...string) float64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / (1 << 53)
}

// demoVMLoad is a VM's CPU and memory use (percent) at t, growing
// towards now.
func demoVMLoad(id string, now, t time.Time) (cpuPct, memPct float64) {
	r := demoHash(id, "base")
	base := 2 + 18*r // most VMs idle or light
	if r > 0.9 {
		base = 55 + 300*(r-0.9) // a few busy ones
	}
	mem := 25 + 60*demoHash(id, "mem")
	hour := float64(t.UTC().Hour()) + float64(t.UTC().Minute())/60
	cycle := 1 + 0.4*math.Sin(2*math.Pi*(hour-9)/24)
	growth := 1 - 0.004*max(0, now.Sub(t).Hours()/24) // 0.4 % a day
	noise := func(k string) float64 {
		return 2 * (demoHash(id, k, t.UTC().Truncate(5*time.Minute).Format(time.RFC3339)) - 0.5)
	}
	cpuPct = min(100, max(0, base*cycle*growth+3*noise("cpu")))
	memPct = min(100, max(0, mem*growth+2*noise("mem")))
	return cpuPct, memPct
}

// demoDatastoreUsedPct is a datastore's used percentage at t, given the
// percentage at now (from the simulator).
func demoDatastoreUsedPct(id string, nowPct float64, now, t time.Time) float64 {
	perDay := 0.05 + 0.45*demoHash(id, "fill") // 0.05–0.5 points a day
	days := now.Sub(t).Hours() / 24
	return min(100, max(0, nowPct-perDay*days+0.15*(demoHash(id, t.Format(time.RFC3339))-0.5)))
}

// demoPoints returns the made-up points of every entity at t.
func demoPoints(vc string, s *inventory.State, now, t time.Time) []inventory.MetricPoint {
	var out []inventory.MetricPoint
	add := func(et inventory.EntityType, id string, m inventory.Metric, v float64) {
		out = append(out, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: et, EntityID: id, Metric: m}, Time: t, Value: v})
	}
	type use struct{ cpu, cpuCap, mem, memCap float64 }
	// vcsim's hosts are small (a few GHz, a few GB) next to the VMs it
	// places on them, so a host's use follows the mean use of its VMs
	// rather than their sum: busy VMs make a busy host.
	type mean struct{ cpu, mem, n float64 }
	vmUse := map[string]*mean{}
	hostMHz := map[string]float64{}
	for _, h := range s.Hosts {
		hostMHz[h.ID] = float64(h.CPUMhz)
	}
	for _, v := range s.VMs {
		if v.IsTemplate || v.PowerState != inventory.PoweredOn {
			continue
		}
		cpuPct, memPct := demoVMLoad(v.ID, now, t)
		mhz := cpuPct / 100 * float64(v.VCPUCount) * hostMHz[v.HostID]
		add(inventory.EntityVM, v.ID, inventory.MetricCPUUsageMHz, math.Round(mhz))
		add(inventory.EntityVM, v.ID, inventory.MetricCPUUsagePct, cpuPct)
		add(inventory.EntityVM, v.ID, inventory.MetricMemUsagePct, memPct)
		add(inventory.EntityVM, v.ID, inventory.MetricMemUsageMB, math.Round(memPct/100*float64(v.RAMMB)))
		m := vmUse[v.HostID]
		if m == nil {
			m = &mean{}
			vmUse[v.HostID] = m
		}
		m.cpu, m.mem, m.n = m.cpu+cpuPct, m.mem+memPct, m.n+1
	}
	hosts := map[string]*use{}
	for _, h := range s.Hosts {
		u := &use{cpuCap: float64(h.CPUCores) * float64(h.CPUMhz), memCap: float64(h.MemoryMB)}
		cpuPct, memPct := 5.0, 15.0
		if m := vmUse[h.ID]; m != nil && m.n > 0 {
			cpuPct = min(98, 8+2.5*m.cpu/m.n)
			memPct = min(98, 15+0.7*m.mem/m.n)
		}
		u.cpu, u.mem = math.Round(u.cpuCap*cpuPct/100), math.Round(u.memCap*memPct/100)
		hosts[h.ID] = u
	}
	clusters := map[string]*use{}
	for _, h := range s.Hosts {
		u := hosts[h.ID]
		add(inventory.EntityHost, h.ID, inventory.MetricCPUUsageMHz, u.cpu)
		add(inventory.EntityHost, h.ID, inventory.MetricCPUCapacityMHz, u.cpuCap)
		add(inventory.EntityHost, h.ID, inventory.MetricCPUUsagePct, 100*u.cpu/u.cpuCap)
		add(inventory.EntityHost, h.ID, inventory.MetricMemUsageMB, u.mem)
		add(inventory.EntityHost, h.ID, inventory.MetricMemCapacityMB, u.memCap)
		add(inventory.EntityHost, h.ID, inventory.MetricMemUsagePct, 100*u.mem/u.memCap)
		if h.ClusterID == "" || h.ConnectionState != "connected" {
			continue
		}
		c := clusters[h.ClusterID]
		if c == nil {
			c = &use{}
			clusters[h.ClusterID] = c
		}
		c.cpu, c.cpuCap, c.mem, c.memCap = c.cpu+u.cpu, c.cpuCap+u.cpuCap, c.mem+u.mem, c.memCap+u.memCap
	}
	for id, c := range clusters {
		add(inventory.EntityCluster, id, inventory.MetricCPUUsageMHz, c.cpu)
		add(inventory.EntityCluster, id, inventory.MetricCPUCapacityMHz, c.cpuCap)
		add(inventory.EntityCluster, id, inventory.MetricCPUUsagePct, 100*c.cpu/c.cpuCap)
		add(inventory.EntityCluster, id, inventory.MetricMemUsageMB, c.mem)
		add(inventory.EntityCluster, id, inventory.MetricMemCapacityMB, c.memCap)
		add(inventory.EntityCluster, id, inventory.MetricMemUsagePct, 100*c.mem/c.memCap)
	}
	for _, d := range s.Datastores {
		if d.CapacityGB <= 0 {
			continue
		}
		pct := demoDatastoreUsedPct(d.ID, 100*(d.CapacityGB-d.FreeGB)/d.CapacityGB, now, t)
		used := d.CapacityGB * pct / 100
		add(inventory.EntityDatastore, d.ID, inventory.MetricDiskCapacityGB, d.CapacityGB)
		add(inventory.EntityDatastore, d.ID, inventory.MetricDiskUsedGB, used)
		add(inventory.EntityDatastore, d.ID, inventory.MetricDiskFreeGB, d.CapacityGB-used)
		add(inventory.EntityDatastore, d.ID, inventory.MetricDiskUsedPct, pct)
	}
	return out
}

// demoState reads the stored latest state of the demo's endpoint.
func demoLatestState(ctx context.Context, st store.InventoryState, vc string) (*inventory.State, error) {
	s := &inventory.State{}
	cursor := ""
	for {
		pg, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vc, Cursor: cursor, Limit: 5000})
		if err != nil {
			return nil, err
		}
		s.VMs = append(s.VMs, pg.VMs...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	var err error
	if s.Hosts, err = st.ListHosts(ctx, &store.ListHostsParams{Vcenter: vc}); err != nil {
		return nil, err
	}
	if s.Datastores, err = st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: vc}); err != nil {
		return nil, err
	}
	return s, nil
}

// seedDemoMetrics writes demoMetricDays of made-up hourly utilisation up
// to end (a data dir that holds series already keeps them) and rolls it
// up. It returns the number of points written.
func seedDemoMetrics(ctx context.Context, st store.Store, vc string, end time.Time) (int, error) {
	ms, ok := st.(store.MetricStore)
	if !ok {
		return 0, nil
	}
	stats, err := ms.MetricStats(ctx, &store.MetricStatsParams{Vcenter: vc})
	if err != nil {
		return 0, err
	}
	if stats.Series > 0 {
		return 0, nil
	}
	s, err := demoLatestState(ctx, st, vc)
	if err != nil {
		return 0, err
	}
	end = end.UTC().Truncate(time.Hour)
	n := 0
	var batch []inventory.MetricPoint
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: batch})
		n += len(batch)
		batch = batch[:0]
		return err
	}
	for t := end.Add(-demoMetricDays * 24 * time.Hour); !t.After(end); t = t.Add(time.Hour) {
		batch = append(batch, demoPoints(vc, s, end, t)...)
		if len(batch) >= 50000 {
			if err := flush(); err != nil {
				return n, fmt.Errorf("demo metrics: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("demo metrics: %w", err)
	}
	if _, err := metrics.Rollup(ctx, ms, end); err != nil {
		return n, err
	}
	return n, nil
}

// setDemoQuickStats gives the simulator's powered-on VMs and its hosts
// the quickStats of the demo's model at t, for the live collections.
func setDemoQuickStats(sim *vcsim.Sim, s *inventory.State, t time.Time) error {
	pts := demoPoints("", s, t, t)
	vm := map[string]map[inventory.Metric]float64{}
	host := map[string]map[inventory.Metric]float64{}
	for _, p := range pts {
		var m map[string]map[inventory.Metric]float64
		switch p.EntityType {
		case inventory.EntityVM:
			m = vm
		case inventory.EntityHost:
			m = host
		default:
			continue
		}
		if m[p.EntityID] == nil {
			m[p.EntityID] = map[inventory.Metric]float64{}
		}
		m[p.EntityID][p.Metric] = p.Value
	}
	for _, v := range s.VMs {
		x := vm[v.ID]
		if x == nil {
			continue
		}
		if err := sim.SetVMQuickStats(v.ID, types.VirtualMachineQuickStats{
			OverallCpuUsage: int32(x[inventory.MetricCPUUsageMHz]), OverallCpuDemand: int32(x[inventory.MetricCPUUsageMHz]),
			GuestMemoryUsage: int32(x[inventory.MetricMemUsageMB]), HostMemoryUsage: int32(float64(v.RAMMB) * 0.8),
			UptimeSeconds: int32(86400 + int(demoHash(v.ID, "up")*1e6)), GuestHeartbeatStatus: types.ManagedEntityStatusGreen,
		}); err != nil {
			return err
		}
	}
	for id, x := range host {
		if err := sim.SetHostQuickStats(id, types.HostListSummaryQuickStats{
			OverallCpuUsage: int32(x[inventory.MetricCPUUsageMHz]), OverallMemoryUsage: int32(x[inventory.MetricMemUsageMB]),
			Uptime: int32(30 * 86400),
		}); err != nil {
			return err
		}
	}
	return nil
}
