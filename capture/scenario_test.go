package capture_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// simSource starts a small vcsim and a govmomi Source for it that counts
// logins.
func simSource(t *testing.T, name string, pageSize int) (*vcsim.Sim, *vsphere.Source, *atomic.Int32) {
	t.Helper()
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 24, Seed: 7})
	var logins atomic.Int32
	src, err := vsphere.New(ctx, inventory.Endpoint{Name: name, URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}, vsphere.Options{
		PageSize: pageSize,
		Credentials: func(context.Context) (string, string, error) {
			logins.Add(1)
			return sim.Username, sim.Password, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(context.Background()) })
	return sim, src, &logins
}

// nextSecond waits until the wall clock is in a later second than t, so
// consecutive snapshots (stamped with the current time, like vcsim's
// events) get distinct snapshot times.
func nextSecond(t time.Time) {
	time.Sleep(time.Until(t.Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
}

func captureAndReconcile(t *testing.T, st store.Store, src capture.Source) *capture.Result {
	t.Helper()
	ctx := context.Background()
	res, err := capture.Capture(ctx, st, src, capture.Options{})
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return res
}

// TestScenarioOnSimulator drives a simulated vCenter through every mutation
// kind and checks the lifecycle rows and events Reconcile derives, on every
// backend.
func TestScenarioOnSimulator(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim, src, _ := simSource(t, "vc-sim", 0)
		res0 := captureAndReconcile(t, st, src)
		e := sim.Expected()
		if want := (inventory.ObjectCounts{VMs: e.VMs, Hosts: e.Hosts, Clusters: e.Clusters, Datastores: e.Datastores,
			Networks: e.Networks, ResourcePools: e.ResourcePools}); res0.Counts != want {
			t.Fatalf("counts %+v, simulator holds %+v", res0.Counts, want)
		}

		// Pick distinct, powered-on, non-template VMs for each mutation.
		byID := map[string]inventory.Sample{}
		var ids []string
		for _, s := range res0.Samples {
			if !s.IsTemplate && s.PowerState == inventory.PoweredOn {
				ids = append(ids, s.VMID)
				byID[s.VMID] = s
			}
		}
		sort.Strings(ids)
		if len(ids) < 6 {
			t.Fatalf("only %d powered-on VMs", len(ids))
		}
		power, resize, hostMove, poolMove, rename, destroy := byID[ids[0]], byID[ids[1]], byID[ids[2]], byID[ids[3]], byID[ids[4]], byID[ids[5]]

		// Another host in the same cluster, and another tier pool.
		state, err := src.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var newHost string
		for _, h := range state.Hosts {
			if h.Cluster == hostMove.Cluster && h.Name != hostMove.Host {
				newHost = h.Name
				break
			}
		}
		newPool := "Tin"
		if strings.HasSuffix(poolMove.ResourcePool, "/Tin") {
			newPool = "Gold"
		}
		newVCPU, newRAM := int32(resize.VCPUCount%16+1), resize.RAMMB+1024

		nextSecond(res0.SnapshotTime)
		for _, err := range []error{
			sim.PowerOff(ctx, power.VMID),
			sim.Reconfigure(ctx, resize.VMID, newVCPU, newRAM),
			sim.MigrateHost(ctx, hostMove.VMID, newHost),
			sim.MovePool(ctx, poolMove.VMID, poolMove.Cluster+"/"+newPool),
			sim.Rename(ctx, rename.VMID, "renamed-"+rename.Name),
			sim.DestroyVM(ctx, destroy.VMID),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		created, err := sim.CreateVM(ctx, vcsim.VMSpec{Name: "scenario-new", Pool: "Gold", VCPU: 2, MemoryMB: 2048})
		if err != nil {
			t.Fatal(err)
		}
		nextSecond(time.Now())
		res1 := captureAndReconcile(t, st, src)

		page, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc-sim", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Events {
			if !e.SnapshotTime.Equal(res1.SnapshotTime) {
				t.Errorf("event %s %s stamped %v, want the second snapshot %v", e.Kind, e.VMID, e.SnapshotTime, res1.SnapshotTime)
			}
			got = append(got, fmt.Sprintf("%s %s %v -> %v", e.Kind, e.VMID, e.Before, e.After))
		}
		sort.Strings(got)
		var moved inventory.Sample
		for _, x := range res1.Samples {
			if x.VMID == poolMove.VMID {
				moved = x
			}
		}
		if !strings.HasSuffix(moved.ResourcePool, "/"+newPool) || moved.ResourcePoolID == "" || moved.ResourcePoolID == poolMove.ResourcePoolID {
			t.Errorf("moved VM's pool %q (%s), want one ending /%s with a new id (was %s)", moved.ResourcePool, moved.ResourcePoolID, newPool, poolMove.ResourcePoolID)
		}
		want := []string{
			fmt.Sprintf("created %s map[] -> map[name:scenario-new]", created),
			fmt.Sprintf("host_move %s map[host:%s] -> map[host:%s]", hostMove.VMID, hostMove.Host, newHost),
			fmt.Sprintf("pool_move %s map[resource_pool:%s resource_pool_id:%s] -> map[resource_pool:%s resource_pool_id:%s]",
				poolMove.VMID, poolMove.ResourcePool, poolMove.ResourcePoolID, moved.ResourcePool, moved.ResourcePoolID),
			fmt.Sprintf("power %s map[power_state:poweredOn] -> map[power_state:poweredOff]", power.VMID),
			fmt.Sprintf("rename %s map[name:%s] -> map[name:renamed-%s]", rename.VMID, rename.Name, rename.Name),
			fmt.Sprintf("resize %s map[ram_mb:%d vcpu_count:%d] -> map[ram_mb:%d vcpu_count:%d]", resize.VMID, resize.RAMMB, resize.VCPUCount, newRAM, newVCPU),
		}
		// The deletion event carries the removal event's time, read back.
		del, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc-sim", VMID: destroy.VMID})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("deleted %s map[] -> map[deletion_source:event deletion_time:%s]", destroy.VMID, del.DeletionTime.Format(time.RFC3339)))
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("events:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}

		// Lifecycle rows: the destroyed VM by its removal event, the new VM by
		// its creation event, everyone else present since the baseline.
		if !del.Deleted || del.DeletionSource != inventory.SourceEvent || !del.DeletionTime.After(res0.SnapshotTime) || del.DeletionTime.After(res1.SnapshotTime) {
			t.Errorf("destroyed VM lifecycle: %+v", del)
		}
		nl, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc-sim", VMID: created})
		if err != nil {
			t.Fatal(err)
		}
		if nl.CreationSource != inventory.SourceEvent || !nl.CreationTime.After(res0.SnapshotTime) || !nl.FirstSeen.Equal(res1.SnapshotTime) || nl.Deleted {
			t.Errorf("created VM lifecycle: %+v", nl)
		}
		all := listAllLifecycles(t, st, "vc-sim")
		if len(all) != len(res0.Samples)+1 {
			t.Errorf("%d lifecycle rows, want %d", len(all), len(res0.Samples)+1)
		}
		for id, l := range all {
			if id == destroy.VMID || id == created {
				continue
			}
			if l.Deleted || !l.FirstSeen.Equal(res0.SnapshotTime) || !l.LastSeen.Equal(res1.SnapshotTime) {
				t.Errorf("%s: %+v", id, l)
			}
			if id == rename.VMID && l.Name != "renamed-"+rename.Name {
				t.Errorf("renamed VM lifecycle name %q", l.Name)
			}
		}
	})
}

// TestCaptureFailures checks what a failed capture leaves behind: an
// endpoint failing mid-retrieval and a store failing mid-write store
// nothing and mark no VM deleted; an expired session costs one re-login;
// re-running a capture for the same snapshot time changes nothing.
func TestCaptureFailures(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim, src, logins := simSource(t, "vc-f", 5) // small pages: retrieval spans many calls
		res0 := captureAndReconcile(t, st, src)
		baseline := storetest.Dump(t, st)

		// Endpoint failing mid-capture (a continuation page fails).
		nextSecond(res0.SnapshotTime)
		inj := sim.InjectNetworkFailure("ContinueRetrievePropertiesEx", 2, 0)
		_, err := capture.Capture(ctx, st, src, capture.Options{})
		var ce *capture.Error
		if !errors.As(err, &ce) || ce.Stage != capture.StageRetrieve {
			t.Fatalf("want a retrieve-stage *capture.Error, got %v", err)
		}
		if inj.Fired() == 0 {
			t.Fatal("fault never fired")
		}
		inj.Remove()
		if d := storetest.Diff(baseline, storetest.Dump(t, st)); d != "" {
			t.Fatalf("failed capture changed the store:\n%s", d)
		}

		// Store failing mid-write: the write's context dies after a few
		// checks, wherever the backend is in its transaction.
		failures := 0
		for n := 1; n <= 200; n++ {
			_, err := capture.Capture(ctx, failingWriter{st, n}, src, capture.Options{SnapshotTime: res0.SnapshotTime.Add(time.Minute)})
			if err == nil {
				break // the write got past every check
			}
			failures++
			if !errors.As(err, &ce) || ce.Stage != capture.StageWrite {
				t.Fatalf("n=%d: want a write-stage *capture.Error, got %v", n, err)
			}
			if d := storetest.Diff(baseline, storetest.Dump(t, st)); d != "" {
				t.Fatalf("n=%d: failed write left rows behind:\n%s", n, d)
			}
		}
		if failures == 0 {
			t.Fatal("the store never checked its context during WriteSnapshot")
		}
		t.Logf("%d failure points checked", failures)

		// Session expiry mid-capture: one re-login, the snapshot completes.
		before := logins.Load()
		na := sim.InjectNotAuthenticated("ContinueRetrievePropertiesEx", 1)
		res1, err := capture.Capture(ctx, st, src, capture.Options{})
		if err != nil {
			t.Fatalf("capture across session expiry: %v", err)
		}
		if na.Fired() != 1 || logins.Load()-before != 1 {
			t.Fatalf("fault fired %d times, %d re-logins; want 1 and 1", na.Fired(), logins.Load()-before)
		}
		if res1.Counts != res0.Counts {
			t.Fatalf("counts after re-login %+v, want %+v", res1.Counts, res0.Counts)
		}
		if _, err := capture.Reconcile(ctx, st, src, res1, capture.ReconcileOptions{}); err != nil {
			t.Fatal(err)
		}
		deleted := false
		for _, l := range listAllLifecycles(t, st, "vc-f") {
			deleted = deleted || l.Deleted
		}
		if deleted {
			t.Fatal("a VM was marked deleted though every VM is still present")
		}

		// Re-running the capture and reconcile for the same snapshot time
		// leaves every table as it was.
		after := storetest.Dump(t, st)
		res2, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: res1.SnapshotTime})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := capture.Reconcile(ctx, st, src, res2, capture.ReconcileOptions{}); err != nil {
			t.Fatal(err)
		}
		if d := storetest.Diff(after, storetest.Dump(t, st)); d != "" {
			t.Fatalf("re-capture changed the store:\n%s", d)
		}
	})
}

// failingWriter hands the store a context that reports cancellation after
// n checks, so the write fails at an arbitrary point inside the backend.
type failingWriter struct {
	store.Store
	n int
}

func (f failingWriter) WriteSnapshot(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error) {
	return f.Store.WriteSnapshot(storetest.CountdownContext(ctx, f.n), p)
}

// TestPoolMoveToSameNamedPoolOfAnotherCluster (SEMANTICS §3): a VM
// migrated to a host of another cluster lands in that cluster's pool of
// the same name; that is a pool_move (the pool's id and full path
// change), recorded with both ids.
func TestPoolMoveToSameNamedPoolOfAnotherCluster(t *testing.T) {
	st := memstore.New(memstore.Options{})
	ctx := context.Background()
	sim, src, _ := simSource(t, "vc-sim", 0)
	res0 := captureAndReconcile(t, st, src)
	state, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mover inventory.Sample
	for _, x := range res0.Samples {
		if !x.IsTemplate && x.Cluster != "" && strings.HasSuffix(x.ResourcePool, "/Gold") {
			mover = x
			break
		}
	}
	var target string
	for _, h := range state.Hosts {
		if h.Cluster != "" && h.Cluster != mover.Cluster {
			target = h.Name
		}
	}
	if mover.VMID == "" || target == "" {
		t.Fatalf("no VM in a Gold pool (%+v) or no host in another cluster", mover)
	}
	nextSecond(res0.SnapshotTime)
	if err := sim.MigrateHost(ctx, mover.VMID, target); err != nil {
		t.Fatal(err)
	}
	res1 := captureAndReconcile(t, st, src)
	var moved inventory.Sample
	for _, x := range res1.Samples {
		if x.VMID == mover.VMID {
			moved = x
		}
	}
	if !strings.HasSuffix(moved.ResourcePool, "/Gold") || moved.ResourcePool == mover.ResourcePool || moved.ResourcePoolID == mover.ResourcePoolID {
		t.Fatalf("after the migration the VM is in %q (%s), want another cluster's Gold (was %q, %s)",
			moved.ResourcePool, moved.ResourcePoolID, mover.ResourcePool, mover.ResourcePoolID)
	}
	page, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc-sim", VMID: mover.VMID, Kinds: []inventory.EventKind{inventory.EventPoolMove}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Before["resource_pool_id"] != mover.ResourcePoolID ||
		page.Events[0].After["resource_pool_id"] != moved.ResourcePoolID || page.Events[0].After["resource_pool"] != moved.ResourcePool {
		t.Errorf("pool_move events = %+v, want one from %s to %s", page.Events, mover.ResourcePoolID, moved.ResourcePoolID)
	}
}

// TestDurationsIgnoreTheClock: a capture on a simulated clock (the demo's
// history, a test's fixed clock) still reports how long it really took, in
// its timings and its registry record.
func TestDurationsIgnoreTheClock(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	_, src, _ := simSource(t, "vc1", 0)
	fixed := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	res, err := capture.Capture(ctx, st, src, capture.Options{Clock: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Timings.Retrieve <= 0 || res.Timings.Total < res.Timings.Retrieve {
		t.Errorf("timings on a fixed clock: %+v, want the real elapsed time", res.Timings)
	}
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1", Kind: inventory.Hourly})
	if err != nil || len(recs) != 1 {
		t.Fatalf("registry: %v %d", err, len(recs))
	}
	if recs[0].Duration <= 0 {
		t.Errorf("registry duration on a fixed clock = %v, want the retrieval's real duration", recs[0].Duration)
	}
}
