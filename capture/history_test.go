package capture_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// simUpdate sets properties of a simulator object through its registry,
// under the object's lock.
func simUpdate(sim *vcsim.Sim, ref types.ManagedObjectReference, changes ...types.PropertyChange) {
	m := sim.Model.Map()
	obj := m.Get(ref)
	ctx := &simulator.Context{Context: context.Background(), Map: m}
	m.WithLock(ctx, obj, func() { m.Update(ctx, obj, changes) })
}

// wantSimEntities checks that rows (history or latest state) hold what the
// simulator holds now: every host's usage and maintenance, every
// datastore's capacity, free and uncommitted space.
func wantSimEntities(t *testing.T, sim *vcsim.Sim, what string, hosts []inventory.Host, dss []inventory.Datastore) {
	t.Helper()
	m := sim.Model.Map()
	const gib = 1 << 30
	simHosts := m.All("HostSystem")
	if len(hosts) != len(simHosts) || len(hosts) == 0 {
		t.Fatalf("%s: %d hosts, the simulator has %d", what, len(hosts), len(simHosts))
	}
	for _, e := range simHosts {
		h := m.Get(e.Reference()).(*simulator.HostSystem)
		i := slices.IndexFunc(hosts, func(x inventory.Host) bool { return x.ID == h.Self.Value })
		if i < 0 {
			t.Errorf("%s: host %s missing", what, h.Self.Value)
			continue
		}
		qs := h.Summary.QuickStats
		got := hosts[i]
		if got.CPUUsageMHz != int64(qs.OverallCpuUsage) || got.MemoryUsageMB != int64(qs.OverallMemoryUsage) ||
			got.InMaintenance != h.Runtime.InMaintenanceMode {
			t.Errorf("%s: host %s usage %d MHz %d MB maintenance %v, the simulator has %d, %d, %v", what, got.ID,
				got.CPUUsageMHz, got.MemoryUsageMB, got.InMaintenance, qs.OverallCpuUsage, qs.OverallMemoryUsage, h.Runtime.InMaintenanceMode)
		}
	}
	simDS := m.All("Datastore")
	if len(dss) != len(simDS) || len(dss) == 0 {
		t.Fatalf("%s: %d datastores, the simulator has %d", what, len(dss), len(simDS))
	}
	for _, e := range simDS {
		d := m.Get(e.Reference()).(*simulator.Datastore)
		i := slices.IndexFunc(dss, func(x inventory.Datastore) bool { return x.ID == d.Self.Value })
		if i < 0 {
			t.Errorf("%s: datastore %s missing", what, d.Self.Value)
			continue
		}
		s, got := d.Summary, dss[i]
		if got.CapacityGB != float64(s.Capacity)/gib || got.FreeGB != float64(s.FreeSpace)/gib || got.UncommittedGB != float64(s.Uncommitted)/gib {
			t.Errorf("%s: datastore %s capacity %v free %v uncommitted %v GB, the simulator has %v, %v, %v", what, got.ID,
				got.CapacityGB, got.FreeGB, got.UncommittedGB, float64(s.Capacity)/gib, float64(s.FreeSpace)/gib, float64(s.Uncommitted)/gib)
		}
	}
}

// TestCaptureWritesEntityHistory: a capture writes its snapshot's host,
// cluster and datastore rows as history with the simulator's values
// (quickStats usage, uncommitted space), and a later capture after a host
// entered maintenance and usage changed leaves the earlier snapshot's rows
// as they were.
func TestCaptureWritesEntityHistory(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		eh, ok := st.(store.EntityHistory)
		if !ok {
			t.Skip("the store keeps no entity history")
		}
		ctx := context.Background()
		sim, src, _ := simSource(t, "vc1", 0)
		m := sim.Model.Map()
		host := m.All("HostSystem")[0].Reference()
		ds := m.All("Datastore")[0].Reference()
		simUpdate(sim, host,
			types.PropertyChange{Name: "summary.quickStats.overallCpuUsage", Val: int32(1234)},
			types.PropertyChange{Name: "summary.quickStats.overallMemoryUsage", Val: int32(5678)})
		simUpdate(sim, ds, types.PropertyChange{Name: "summary.uncommitted", Val: int64(3 << 30)})

		s1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		if _, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: s1}); err != nil {
			t.Fatal(err)
		}
		asOf := func(at time.Time) *store.EntityRows {
			t.Helper()
			r, err := eh.EntitiesAsOf(ctx, &store.EntitiesAsOfParams{Vcenter: "vc1", At: at})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		first := asOf(s1.Add(30 * time.Minute))
		wantSimEntities(t, sim, "history of the first capture", first.Hosts, first.Datastores)
		latest, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: "vc1"})
		if err != nil {
			t.Fatal(err)
		}
		latestDS, err := st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: "vc1"})
		if err != nil {
			t.Fatal(err)
		}
		wantSimEntities(t, sim, "latest state", latest, latestDS)
		i := slices.IndexFunc(first.Hosts, func(h inventory.Host) bool { return h.ID == host.Value })
		j := slices.IndexFunc(first.Datastores, func(d inventory.Datastore) bool { return d.ID == ds.Value })
		if i < 0 || first.Hosts[i].CPUUsageMHz != 1234 || first.Hosts[i].MemoryUsageMB != 5678 || first.Hosts[i].InMaintenance {
			t.Fatalf("history of host %s: %+v, want 1234 MHz, 5678 MB, not in maintenance", host.Value, first.Hosts)
		}
		if j < 0 || first.Datastores[j].UncommittedGB != 3 {
			t.Fatalf("history of datastore %s: %+v, want 3 GB uncommitted", ds.Value, first.Datastores)
		}
		nClusters := len(m.All("ClusterComputeResource"))
		if len(first.Clusters) != nClusters || nClusters == 0 {
			t.Errorf("history: %d clusters, the simulator has %d", len(first.Clusters), nClusters)
		}

		// The host enters maintenance, usage and uncommitted change.
		simUpdate(sim, host,
			types.PropertyChange{Name: "runtime.inMaintenanceMode", Val: true},
			types.PropertyChange{Name: "summary.quickStats.overallCpuUsage", Val: int32(99)})
		simUpdate(sim, ds, types.PropertyChange{Name: "summary.uncommitted", Val: int64(7 << 30)})
		s2 := s1.Add(time.Hour)
		if _, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: s2}); err != nil {
			t.Fatal(err)
		}
		second := asOf(s2)
		wantSimEntities(t, sim, "history of the second capture", second.Hosts, second.Datastores)
		if h := second.Hosts[slices.IndexFunc(second.Hosts, func(h inventory.Host) bool { return h.ID == host.Value })]; !h.InMaintenance || h.CPUUsageMHz != 99 {
			t.Errorf("second snapshot's host %s: maintenance %v, %d MHz, want true, 99", h.ID, h.InMaintenance, h.CPUUsageMHz)
		}
		again := asOf(s2.Add(-time.Second))
		if d := first.Hosts[i]; again.Hosts[i] != d || again.Datastores[j].UncommittedGB != 3 {
			t.Errorf("the first snapshot's rows changed after a later capture: host %+v, want %+v; datastore uncommitted %v, want 3",
				again.Hosts[i], d, again.Datastores[j].UncommittedGB)
		}
		if len(again.Snapshots) != 1 || !again.Snapshots[0].SnapshotTime.Equal(s1) {
			t.Errorf("as of just before the second capture: snapshots %v, want the first", again.Snapshots)
		}
	})
}

// historyFails is a memstore whose entity history writes fail.
type historyFails struct{ *memstore.Store }

func (historyFails) WriteEntityHistory(context.Context, *store.WriteEntityHistoryParams) error {
	return errors.New("history is down")
}

// TestCaptureHistoryFailureStoresNothing: the history rows are written
// first, so a failed history write fails the capture at StageHistory with
// nothing of the snapshot stored (a retry captures it whole).
func TestCaptureHistoryFailureStoresNothing(t *testing.T) {
	ctx := context.Background()
	st := historyFails{memstore.New()}
	_, src, _ := simSource(t, "vc1", 0)
	_, err := capture.Capture(ctx, st, src, capture.Options{})
	var ce *capture.Error
	if !errors.As(err, &ce) || ce.Stage != capture.StageHistory || !capture.IsRetryable(err) {
		t.Fatalf("Capture with failing history: %v, want a retryable *capture.Error at StageHistory", err)
	}
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1"})
	if err != nil || len(recs) != 0 {
		t.Fatalf("registry after a failed history write: %v %v, want nothing", recs, err)
	}
	if hosts, _ := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: "vc1"}); len(hosts) != 0 {
		t.Errorf("latest state after a failed history write: %d hosts, want none", len(hosts))
	}
}
