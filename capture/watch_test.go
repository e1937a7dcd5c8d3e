package capture_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// watching runs a Watcher of src on st until the test ends; it waits for
// the start resync to be written.
type watching struct {
	t       *testing.T
	w       *capture.Watcher
	cancel  context.CancelFunc
	done    chan error
	mu      sync.Mutex
	batches []*capture.WatchBatch
}

func startWatch(t *testing.T, st store.Store, src capture.WatchSource) *watching {
	t.Helper()
	ws, ok := st.(capture.WatchStore)
	if !ok {
		t.Skip("the store keeps no live changes")
	}
	x := &watching{t: t, done: make(chan error, 1)}
	w, err := capture.NewWatcher(ws, src, capture.WatchOptions{FlushInterval: 50 * time.Millisecond,
		Source: capture.WatchSourceOptions{MaxWaitSeconds: 5},
		OnApply: func(b *capture.WatchBatch) {
			x.mu.Lock()
			x.batches = append(x.batches, b)
			x.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	x.w = w
	ctx, cancel := context.WithCancel(context.Background())
	x.cancel = cancel
	go func() { x.done <- w.Run(ctx) }()
	t.Cleanup(func() { x.stop() })
	x.waitIdle(capture.ResyncStart, 1)
	return x
}

func (x *watching) batchCount() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.batches)
}

// stop stops the watcher and returns Run's error.
func (x *watching) stop() error {
	if x.cancel == nil {
		return nil
	}
	x.cancel()
	x.cancel = nil
	select {
	case err := <-x.done:
		return err
	case <-time.After(30 * time.Second):
		x.t.Fatal("the watcher did not stop within 30 s")
	}
	return nil
}

// waitIdle waits until the watcher has done n resyncs for reason and has
// nothing pending.
func (x *watching) waitIdle(reason string, n int64) {
	x.t.Helper()
	waitFor(x.t, 20*time.Second, fmt.Sprintf("%d %q resyncs written", n, reason), func() bool {
		s := x.w.Stats()
		return s.Resyncs[reason] >= n && s.State == capture.WatchWatching && s.LagSeconds == 0
	})
}

func waitFor(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveEventsOf lists the vCenter's events of one kind and VM.
func eventsOf(t *testing.T, st store.Store, vc string, kind inventory.EventKind, vm string) []inventory.Event {
	t.Helper()
	p, err := st.ListEvents(context.Background(), &store.ListEventsParams{Vcenter: vc, VMID: vm, Kinds: []inventory.EventKind{kind}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return p.Events
}

// TestWatchMutations changes the simulator through the vSphere API while a
// watcher follows it: each change is in the latest state and appended as
// the right live event within 5 s; the hourly capture and Reconcile that
// follow leave the same lifecycle rows as a store that had no watcher, and
// every change recorded once.
func TestWatchMutations(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim, src, _ := simSource(t, "vc1", 0)
		ref := memstore.New(memstore.Options{}) // the same captures, no watcher
		both := func() *capture.Result {
			t.Helper()
			nextSecond(time.Now())
			at := time.Now()
			res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: at})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
				t.Fatal(err)
			}
			res2, err := capture.Capture(ctx, ref, src, capture.Options{SnapshotTime: at})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := capture.Reconcile(ctx, ref, src, res2, capture.ReconcileOptions{}); err != nil {
				t.Fatal(err)
			}
			return res
		}
		r0 := both()
		x := startWatch(t, st, src)
		if n := x.batchCount(); n != 0 {
			t.Fatalf("the start resync after a capture wrote %d batches, want none (nothing changed)", n)
		}

		var on []inventory.Sample
		for _, s := range r0.Samples {
			if s.PowerState == inventory.PoweredOn && !s.IsTemplate {
				on = append(on, s)
			}
		}
		if len(on) < 6 {
			t.Fatalf("%d powered-on VMs, want 6", len(on))
		}
		// Another host of the same cluster for on[2], another pool of the
		// same compute resource for on[3].
		hosts, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: "vc1"})
		if err != nil {
			t.Fatal(err)
		}
		var otherHost string
		for _, h := range hosts {
			if h.Cluster == on[2].Cluster && h.Name != on[2].Host && otherHost == "" {
				otherHost = h.Name
			}
		}
		var otherPool, otherPoolID string
		for _, k := range slices.Sorted(maps.Keys(sim.Pools())) {
			if strings.HasPrefix(k, on[3].Cluster+"/") && sim.Pools()[k] != on[3].ResourcePoolID && otherPool == "" {
				otherPool, otherPoolID = k, sim.Pools()[k]
			}
		}
		if otherHost == "" || otherPool == "" {
			t.Fatalf("no other host in %s (%q) or pool (%q)", on[2].Cluster, otherHost, otherPool)
		}

		type check struct {
			what   string
			kind   inventory.EventKind
			vm     string
			before map[string]string
			after  map[string]string
			state  func(*inventory.VM, error) bool
		}
		var checks []check
		mutate := func(c check, fn func() error) {
			t.Helper()
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", c.what, err)
			}
			began := time.Now() // the change is made when the call returns
			waitFor(t, liveDeadline, c.what+" in the latest state", func() bool {
				v, err := st.GetVM(ctx, &store.GetVMParams{Vcenter: "vc1", VMID: c.vm})
				return c.state(v, err)
			})
			waitFor(t, liveDeadline, c.what+" as a live event", func() bool { return len(eventsOf(t, st, "vc1", c.kind, c.vm)) > 0 })
			if d := time.Since(began); d > liveDeadline {
				t.Errorf("%s took %s", c.what, d)
			}
			checks = append(checks, c)
		}

		a := on[0]
		mutate(check{what: "power off " + a.VMID, kind: inventory.EventPower, vm: a.VMID,
			before: map[string]string{"power_state": "poweredOn"}, after: map[string]string{"power_state": "poweredOff"},
			state: func(v *inventory.VM, err error) bool { return err == nil && v.PowerState == inventory.PoweredOff }},
			func() error { return sim.PowerOff(ctx, a.VMID) })
		b := on[1]
		mutate(check{what: "reconfigure " + b.VMID, kind: inventory.EventResize, vm: b.VMID,
			before: map[string]string{"vcpu_count": fmt.Sprint(b.VCPUCount), "ram_mb": fmt.Sprint(b.RAMMB)},
			after:  map[string]string{"vcpu_count": fmt.Sprint(b.VCPUCount + 2), "ram_mb": fmt.Sprint(b.RAMMB * 2)},
			state: func(v *inventory.VM, err error) bool {
				return err == nil && v.VCPUCount == b.VCPUCount+2 && v.RAMMB == b.RAMMB*2
			}},
			func() error { return sim.Reconfigure(ctx, b.VMID, int32(b.VCPUCount+2), b.RAMMB*2) })
		c := on[2]
		mutate(check{what: "migrate " + c.VMID, kind: inventory.EventHostMove, vm: c.VMID,
			before: map[string]string{"host": c.Host}, after: map[string]string{"host": otherHost},
			state: func(v *inventory.VM, err error) bool { return err == nil && v.Host == otherHost }},
			func() error { return sim.MigrateHost(ctx, c.VMID, otherHost) })
		d := on[3]
		mutate(check{what: "move " + d.VMID + " to another pool", kind: inventory.EventPoolMove, vm: d.VMID,
			state: func(v *inventory.VM, err error) bool { return err == nil && v.ResourcePoolID == otherPoolID }},
			func() error { return sim.MovePool(ctx, d.VMID, otherPool) })
		e := on[4]
		newName := `renamed "<b>" é =1+1`
		mutate(check{what: "rename " + e.VMID, kind: inventory.EventRename, vm: e.VMID,
			before: map[string]string{"name": e.Name}, after: map[string]string{"name": newName},
			state: func(v *inventory.VM, err error) bool { return err == nil && v.Name == newName }},
			func() error { return sim.Rename(ctx, e.VMID, newName) })
		f := on[5]
		mutate(check{what: "destroy " + f.VMID, kind: inventory.EventDeleted, vm: f.VMID,
			state: func(v *inventory.VM, err error) bool { return errors.Is(err, store.ErrNotFound) }},
			func() error {
				if err := sim.PowerOff(ctx, f.VMID); err != nil {
					return err
				}
				return sim.DestroyVM(ctx, f.VMID)
			})
		// A created VM: its id is known once created.
		created, err := sim.CreateVM(ctx, vcsim.VMSpec{Name: "live-new", PowerOn: true})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		waitFor(t, liveDeadline, "the created VM in the latest state", func() bool {
			v, err := st.GetVM(ctx, &store.GetVMParams{Vcenter: "vc1", VMID: created})
			return err == nil && v.Name == "live-new" && v.PowerState == inventory.PoweredOn
		})
		waitFor(t, liveDeadline, "the created VM's live event", func() bool {
			return len(eventsOf(t, st, "vc1", inventory.EventCreated, created)) == 1
		})
		if d := time.Since(began); d > liveDeadline {
			t.Errorf("create took %s", d)
		}

		// Each live event: Live, with Reconcile's shape.
		for _, c := range checks {
			evs := eventsOf(t, st, "vc1", c.kind, c.vm)
			if len(evs) != 1 || !evs[0].Live {
				t.Fatalf("%s: events %+v, want one live", c.what, evs)
			}
			if c.before != nil && (!maps.Equal(evs[0].Before, c.before) || !maps.Equal(evs[0].After, c.after)) {
				t.Errorf("%s: %v → %v, want %v → %v", c.what, evs[0].Before, evs[0].After, c.before, c.after)
			}
		}

		// The hourly capture: same lifecycle rows as without the watcher,
		// and each change recorded once.
		x.waitIdle(capture.ResyncStart, 1)
		both()
		lcs := func(s store.Store) []inventory.Lifecycle {
			p, err := s.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: "vc1", Limit: 100000})
			if err != nil {
				t.Fatal(err)
			}
			return p.Lifecycles
		}
		got, want := lcs(st), lcs(ref)
		if len(got) != len(want) {
			t.Fatalf("%d lifecycle rows, %d without the watcher", len(got), len(want))
		}
		for i := range got {
			if g, w := got[i], want[i]; g.VMID != w.VMID || g.Deleted != w.Deleted || g.DeletionSource != w.DeletionSource ||
				!g.DeletionTime.Equal(w.DeletionTime) || !g.FirstSeen.Equal(w.FirstSeen) || !g.LastSeen.Equal(w.LastSeen) || g.Name != w.Name {
				t.Errorf("lifecycle %s: %+v, without the watcher %+v", g.VMID, g, w)
			}
		}
		// Every event of the reference store is in st exactly once (by
		// kind, VM and, but for created/deleted, before/after).
		all := func(s store.Store) []inventory.Event {
			p, err := s.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1", Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			return p.Events
		}
		key := func(e inventory.Event) string {
			if e.Kind == inventory.EventCreated || e.Kind == inventory.EventDeleted {
				return fmt.Sprintf("%s %s", e.Kind, e.VMID)
			}
			return fmt.Sprintf("%s %s %v %v", e.Kind, e.VMID, e.Before, e.After)
		}
		count := func(evs []inventory.Event) map[string]int {
			m := map[string]int{}
			for _, e := range evs {
				m[key(e)]++
			}
			return m
		}
		// The watcher may record more than the hourly net change (a VM
		// powered off, then destroyed: a live power event too), never
		// less, never twice, and its extra events are all live.
		stEv := all(st)
		gotEv, wantEv := count(stEv), count(all(ref))
		liveOnly := map[string]bool{}
		for _, e := range stEv {
			if _, ok := wantEv[key(e)]; !ok && !e.Live {
				t.Errorf("event %s (not live) is not in the store without the watcher", key(e))
			}
			liveOnly[key(e)] = e.Live
		}
		if !maps.Equal(gotEv, wantEv) {
			var lines []string
			for k := range gotEv {
				if gotEv[k] != wantEv[k] && (wantEv[k] != 0 || gotEv[k] != 1 || !liveOnly[k]) {
					lines = append(lines, fmt.Sprintf("%s: %d with the watcher, %d without", k, gotEv[k], wantEv[k]))
				}
			}
			for k := range wantEv {
				if _, ok := gotEv[k]; !ok {
					lines = append(lines, fmt.Sprintf("%s: missing with the watcher", k))
				}
			}
			sort.Strings(lines)
			if len(lines) > 0 {
				t.Fatalf("events differ:\n%s", strings.Join(lines, "\n"))
			}
		}
		if err := x.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// stateOf reads a vCenter's whole latest state.
func stateOf(t *testing.T, st store.Store, vc string) *inventory.State {
	t.Helper()
	ctx := context.Background()
	var s inventory.State
	p, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vc, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	s.VMs = p.VMs
	if s.Hosts, err = st.ListHosts(ctx, &store.ListHostsParams{Vcenter: vc}); err != nil {
		t.Fatal(err)
	}
	if s.Clusters, err = st.ListClusters(ctx, &store.ListClustersParams{Vcenter: vc}); err != nil {
		t.Fatal(err)
	}
	if s.Datastores, err = st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: vc}); err != nil {
		t.Fatal(err)
	}
	if s.Networks, err = st.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: vc}); err != nil {
		t.Fatal(err)
	}
	if s.ResourcePools, err = st.ListResourcePools(ctx, &store.ListResourcePoolsParams{Vcenter: vc}); err != nil {
		t.Fatal(err)
	}
	return &s
}

// sameState compares two states' rows, ignoring snapshot times; it returns
// the first difference.
func sameState(a, b *inventory.State) string {
	norm := func(s *inventory.State) *inventory.State {
		c := *s
		c.Details = inventory.Details{}
		c.VMs = slices.Clone(s.VMs)
		for i := range c.VMs {
			c.VMs[i].SnapshotTime = time.Time{}
			c.VMs[i].CreationTime = c.VMs[i].CreationTime.Truncate(time.Microsecond).UTC()
			slices.Sort(c.VMs[i].DatastoreIDs)
			slices.Sort(c.VMs[i].NetworkIDs)
			if len(c.VMs[i].Attributes) == 0 {
				c.VMs[i].Attributes = nil
			}
		}
		c.Hosts = slices.Clone(s.Hosts)
		for i := range c.Hosts {
			c.Hosts[i].SnapshotTime = time.Time{}
		}
		c.Clusters = slices.Clone(s.Clusters)
		for i := range c.Clusters {
			c.Clusters[i].SnapshotTime = time.Time{}
		}
		c.Datastores = slices.Clone(s.Datastores)
		for i := range c.Datastores {
			c.Datastores[i].SnapshotTime = time.Time{}
			slices.Sort(c.Datastores[i].HostIDs)
		}
		c.Networks = slices.Clone(s.Networks)
		for i := range c.Networks {
			c.Networks[i].SnapshotTime = time.Time{}
		}
		c.ResourcePools = slices.Clone(s.ResourcePools)
		for i := range c.ResourcePools {
			c.ResourcePools[i].SnapshotTime = time.Time{}
		}
		// The store lists by id as text, a retrieval by id number.
		slices.SortFunc(c.VMs, func(a, b inventory.VM) int { return strings.Compare(a.ID, b.ID) })
		slices.SortFunc(c.Hosts, func(a, b inventory.Host) int { return strings.Compare(a.ID, b.ID) })
		slices.SortFunc(c.Clusters, func(a, b inventory.Cluster) int { return strings.Compare(a.ID, b.ID) })
		slices.SortFunc(c.Datastores, func(a, b inventory.Datastore) int { return strings.Compare(a.ID, b.ID) })
		slices.SortFunc(c.Networks, func(a, b inventory.Network) int { return strings.Compare(a.ID, b.ID) })
		slices.SortFunc(c.ResourcePools, func(a, b inventory.ResourcePool) int { return strings.Compare(a.ID, b.ID) })
		return &c
	}
	x, y := norm(a), norm(b)
	diff := func(kind string, n, m int, eq func(i int) bool, id func(i int) string) string {
		if n != m {
			return fmt.Sprintf("%d %s, want %d", n, kind, m)
		}
		for i := range n {
			if !eq(i) {
				return fmt.Sprintf("%s %s differs", kind, id(i))
			}
		}
		return ""
	}
	for _, d := range []string{
		diff("VMs", len(x.VMs), len(y.VMs), func(i int) bool { return fmt.Sprintf("%+v", x.VMs[i]) == fmt.Sprintf("%+v", y.VMs[i]) },
			func(i int) string { return fmt.Sprintf("%+v vs %+v", x.VMs[i], y.VMs[i]) }),
		diff("hosts", len(x.Hosts), len(y.Hosts), func(i int) bool { return x.Hosts[i] == y.Hosts[i] },
			func(i int) string { return fmt.Sprintf("%+v vs %+v", x.Hosts[i], y.Hosts[i]) }),
		diff("clusters", len(x.Clusters), len(y.Clusters), func(i int) bool { return x.Clusters[i] == y.Clusters[i] },
			func(i int) string { return x.Clusters[i].ID }),
		diff("datastores", len(x.Datastores), len(y.Datastores), func(i int) bool {
			return fmt.Sprintf("%+v", x.Datastores[i]) == fmt.Sprintf("%+v", y.Datastores[i])
		}, func(i int) string { return fmt.Sprintf("%+v vs %+v", x.Datastores[i], y.Datastores[i]) }),
		diff("networks", len(x.Networks), len(y.Networks), func(i int) bool { return x.Networks[i] == y.Networks[i] },
			func(i int) string { return x.Networks[i].ID }),
		diff("pools", len(x.ResourcePools), len(y.ResourcePools), func(i int) bool { return x.ResourcePools[i] == y.ResourcePools[i] },
			func(i int) string { return x.ResourcePools[i].ID }),
	} {
		if d != "" {
			return d
		}
	}
	return ""
}

// TestWatchResyncs: a forced re-login and an injected collector fault
// (InvalidCollectorVersion: vcsim never raises it by itself) each make the
// watcher resync in full; a change made while the watcher was stopped is
// found by the start resync. After each, the latest state equals a fresh
// bulk retrieval, every change is recorded once, and a resync that finds
// nothing changed writes nothing.
func TestWatchResyncs(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim, src, logins := simSource(t, "vc1", 0)
		res := captureAndReconcile(t, st, src)
		x := startWatch(t, st, src)
		checkState := func(when string) {
			t.Helper()
			want, err := src.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameState(stateOf(t, st, "vc1"), want); d != "" {
				t.Fatalf("%s: the latest state differs from a bulk retrieval: %s", when, d)
			}
		}
		checkState("after the start resync")
		batches := x.batchCount()
		var on []string
		for _, s := range res.Samples {
			if s.PowerState == inventory.PoweredOn && !s.IsTemplate {
				on = append(on, s.VMID)
			}
		}

		// A forced re-login.
		before := logins.Load()
		if _, err := sim.ExpireSessions(ctx); err != nil {
			t.Fatal(err)
		}
		x.waitIdle(capture.ResyncRelogin, 1)
		if logins.Load() <= before {
			t.Fatal("no new login after the sessions expired")
		}
		if n := x.batchCount(); n != batches {
			t.Fatalf("a resync with nothing changed wrote %d batches", n-batches)
		}
		checkState("after the re-login")

		// An injected InvalidCollectorVersion on the watcher's next wait, and
		// a change (made through the registry: a task would wait on a
		// collector itself and take the fault): the watcher starts over
		// and the change is recorded once.
		inj := sim.InjectInvalidCollectorVersion(0)
		if err := sim.SetProperty("VirtualMachine", on[0], "runtime.powerState", types.VirtualMachinePowerStatePoweredOff); err != nil {
			t.Fatal(err)
		}
		x.waitIdle(capture.ResyncCollector, 1)
		if inj.Fired() != 1 {
			t.Fatalf("the fault fired %d times", inj.Fired())
		}
		waitFor(t, liveDeadline, "the power-off around the collector fault", func() bool {
			v, err := st.GetVM(ctx, &store.GetVMParams{Vcenter: "vc1", VMID: on[0]})
			return err == nil && v.PowerState == inventory.PoweredOff
		})
		checkState("after the collector fault")

		// Stopped, a VM is renamed and another destroyed: the next start's
		// resync records both, once.
		if err := x.stop(); err != nil {
			t.Fatal(err)
		}
		if err := sim.Rename(ctx, on[1], "renamed while nobody watched"); err != nil {
			t.Fatal(err)
		}
		if err := sim.PowerOff(ctx, on[2]); err != nil {
			t.Fatal(err)
		}
		if err := sim.DestroyVM(ctx, on[2]); err != nil {
			t.Fatal(err)
		}
		x = startWatch(t, st, src)
		checkState("after the restart")
		for _, c := range []struct {
			kind inventory.EventKind
			vm   string
		}{{inventory.EventPower, on[0]}, {inventory.EventRename, on[1]}, {inventory.EventDeleted, on[2]}} {
			evs := eventsOf(t, st, "vc1", c.kind, c.vm)
			if len(evs) != 1 || !evs[0].Live {
				t.Errorf("%s of %s: %+v, want one live event", c.kind, c.vm, evs)
			}
		}
		// Nothing else was recorded: the power-off of on[2] before it was
		// destroyed is not seen by a resync (it diffs states).
		p, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1", LiveOnly: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) != 3 {
			t.Errorf("%d live events, want 3: %+v", len(p.Events), p.Events)
		}
		if err := x.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// heldStore is a memstore whose ApplyChanges waits until release is
// closed, so a test can look at the watcher while a batch is being
// written.
type heldStore struct {
	*memstore.Store
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *heldStore) ApplyChanges(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
	h.once.Do(func() { close(h.entered) })
	<-h.release
	return h.Store.ApplyChanges(ctx, p)
}

// TestWatchStateWhileWriting: while the start resync's differences are
// being written the watcher says "resyncing" and counts their lag; it
// says "watching" with no lag only once they are committed (a caller
// waiting for "watching" then reads the whole state).
func TestWatchStateWhileWriting(t *testing.T) {
	_, src, _ := simSource(t, "vc1", 0)
	st := &heldStore{Store: memstore.New(), entered: make(chan struct{}), release: make(chan struct{})}
	w, err := capture.NewWatcher(st, src, capture.WatchOptions{FlushInterval: 10 * time.Millisecond,
		Source: capture.WatchSourceOptions{MaxWaitSeconds: 5}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	release := sync.OnceFunc(func() { close(st.release) })
	defer func() {
		cancel()
		release()
		<-done
	}()
	select {
	case <-st.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the start resync was not written within 20 s")
	}
	time.Sleep(20 * time.Millisecond)
	s := w.Stats()
	if s.State != capture.WatchResyncing || s.LagSeconds <= 0 || s.Applied != 0 {
		t.Fatalf("while the resync is written: state %q, lag %v s, applied %d; want resyncing, a lag, nothing applied",
			s.State, s.LagSeconds, s.Applied)
	}
	release()
	waitFor(t, 10*time.Second, "watching", func() bool { return w.Stats().State == capture.WatchWatching })
	s = w.Stats()
	page, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: "vc1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.LagSeconds != 0 || s.Applied == 0 || len(page.VMs) == 0 {
		t.Fatalf("once watching: lag %v s, applied %d, %d VMs stored", s.LagSeconds, s.Applied, len(page.VMs))
	}
}
