package vsphere_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// watching runs src.Watch in the background until the test ends and
// returns its recorder and a function that stops it and returns Watch's
// error.
func watching(t *testing.T, src *vsphere.Source, o *capture.WatchSourceOptions) (*capturetest.WatchRecorder, func() error) {
	t.Helper()
	rec := capturetest.NewWatchRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := src.Watch(ctx, o, rec.Record)
		if ctx.Err() == nil {
			t.Errorf("Watch returned early: %v", err)
		}
		done <- err
	}()
	var (
		stopped bool
		err     error
	)
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Watch did not return within 10s of its context's end")
			}
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return rec, stop
}

// sameState fails the test unless got (a Full update's State) equals a
// fresh retrieval without detail, SnapshotTime ignored.
func sameState(t *testing.T, src *vsphere.Source, got inventory.State) {
	t.Helper()
	want, err := src.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want.Details = inventory.Details{}
	got.Details = inventory.Details{}
	clearTimes(want)
	clearTimes(&got)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"VMs", got.VMs, want.VMs}, {"hosts", got.Hosts, want.Hosts}, {"clusters", got.Clusters, want.Clusters},
		{"datastores", got.Datastores, want.Datastores}, {"networks", got.Networks, want.Networks},
		{"pools", got.ResourcePools, want.ResourcePools},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("Full update %s differ from Retrieve:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
	if len(want.VMs) == 0 || len(want.Hosts) == 0 {
		t.Fatalf("empty inventory: %d VMs, %d hosts", len(want.VMs), len(want.Hosts))
	}
}

func clearTimes(st *inventory.State) {
	for i := range st.VMs {
		st.VMs[i].SnapshotTime = time.Time{}
	}
	for i := range st.Hosts {
		st.Hosts[i].SnapshotTime = time.Time{}
	}
	for i := range st.Clusters {
		st.Clusters[i].SnapshotTime = time.Time{}
	}
	for i := range st.Datastores {
		st.Datastores[i].SnapshotTime = time.Time{}
	}
	for i := range st.Networks {
		st.Networks[i].SnapshotTime = time.Time{}
	}
	for i := range st.ResourcePools {
		st.ResourcePools[i].SnapshotTime = time.Time{}
	}
}

func vmIDs(us []*capture.WatchUpdate) []string {
	var ids []string
	for _, u := range us {
		for _, v := range u.State.VMs {
			ids = append(ids, v.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

const within = 5 * time.Second

// must fails the test on a mutation helper's error.
func must(t *testing.T) func(capturetest.Mutation, error) capturetest.Mutation {
	return func(m capturetest.Mutation, err error) capturetest.Mutation {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
}

// waitDump waits for an update as WaitFor does and shows the updates seen
// when none matches.
func waitDump(t *testing.T, rec *capturetest.WatchRecorder, mark int, timeout time.Duration, pred func(*capture.WatchUpdate) bool) *capture.WatchUpdate {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	u, err := rec.Wait(ctx, mark, pred)
	if err != nil {
		for _, u := range rec.Since(mark) {
			t.Logf("update: full=%v removed=%v VMs=%+v", u.Full, u.Removed, u.State.VMs)
		}
		t.Fatal(err)
	}
	return u
}

// TestWatchMutations: every mutation kind reaches fn as the changed row (or
// a removal) and nothing else is sent: a sentinel power change of another
// VM closes each window, and every update before it holds only the
// mutated VM (a datastore's free space may change with a create or
// destroy).
func TestWatchMutations(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 8, Templates: -1, Seed: 3, Pools: []string{"Gold"}})
	src, _ := open(t, sim, vsphere.Options{})
	rec, stop := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 1})
	full := rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))
	sameState(t, src, full.State)

	vms := sim.VMRefs()
	sentinel := vms[len(vms)-1]
	var hostOther string
	byHost := map[string]string{}
	for _, h := range full.State.Hosts {
		byHost[h.ID] = h.Name
	}
	row := func(id string) inventory.VM {
		i := slices.IndexFunc(full.State.VMs, func(v inventory.VM) bool { return v.ID == id })
		if i < 0 {
			t.Fatalf("%s not in the Full update", id)
		}
		return full.State.VMs[i]
	}
	target := vms[0]
	sentinelOn := row(sentinel).PowerState == "poweredOn"
	for _, h := range full.State.Hosts {
		if h.ID != row(target).HostID && h.Cluster != "" && h.Cluster != row(target).Cluster {
			hostOther = h.Name
		}
	}
	if hostOther == "" {
		t.Fatal("no host in another cluster")
	}
	// last returns the newest row sent for a VM.
	last := func(id string) inventory.VM {
		us := rec.Since(0)
		for _, u := range slices.Backward(us) {
			if i := slices.IndexFunc(u.State.VMs, func(v inventory.VM) bool { return v.ID == id }); i >= 0 {
				return u.State.VMs[i]
			}
		}
		t.Fatalf("no row for %s", id)
		return inventory.VM{}
	}
	hostile := "web-<script>alert(1)</script> \"q\" =cmd ü"

	var created string
	steps := []struct {
		name   string
		mutate func() capturetest.Mutation
	}{
		{"power off", func() capturetest.Mutation {
			return must(t)(capturetest.Power(context.Background(), sim, target, false))
		}},
		{"power on", func() capturetest.Mutation {
			return must(t)(capturetest.Power(context.Background(), sim, target, true))
		}},
		{"reconfigure", func() capturetest.Mutation {
			return must(t)(capturetest.Reconfigure(context.Background(), sim, target, 7, 7168))
		}},
		{"rename", func() capturetest.Mutation {
			return must(t)(capturetest.Rename(context.Background(), sim, target, hostile))
		}},
		{"relocate host", func() capturetest.Mutation {
			return must(t)(capturetest.Relocate(context.Background(), sim, target, hostOther))
		}},
		{"move pool", func() capturetest.Mutation {
			pool := "Gold"
			if strings.HasSuffix(last(target).ResourcePool, "/Gold") {
				pool = "Resources"
			}
			return must(t)(capturetest.Move(context.Background(), sim, target, pool))
		}},
		{"create", func() capturetest.Mutation {
			m := must(t)(capturetest.Create(context.Background(), sim, vcsim.VMSpec{Name: "live-new", VCPU: 3, MemoryMB: 3072}))
			created = m.ID
			return m
		}},
		{"destroy", func() capturetest.Mutation { return must(t)(capturetest.Destroy(context.Background(), sim, target)) }},
	}
	for _, step := range steps {
		mark := rec.Mark()
		m := step.mutate()
		got := waitDump(t, rec, mark, within, m.Seen)
		if m.Removed {
			if len(got.Removed) != 1 || got.Removed[0] != (capture.WatchRef{Entity: inventory.EntityVM, ID: m.ID}) {
				t.Errorf("%s: removed %+v, want only %s", step.name, got.Removed, m.ID)
			}
		}
		sentinelOn = !sentinelOn
		sm := must(t)(capturetest.Power(context.Background(), sim, sentinel, sentinelOn))
		// The sentinel only closes the window: no 5 s bound on it (vcsim
		// recomputes every object of the filter after a create).
		waitDump(t, rec, mark, 30*time.Second, sm.Seen)
		window := rec.Since(mark)
		want := []string{m.ID, sentinel}
		slices.Sort(want)
		ids := vmIDs(window)
		if m.Removed {
			// Destroy powers the VM off first: its row may come before
			// it leaves.
			ids = slices.DeleteFunc(ids, func(id string) bool { return id == m.ID })
			want = []string{sentinel}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: VMs sent %v, want %v", step.name, ids, want)
		}
		for _, u := range window {
			if u.Full || len(u.State.Hosts)+len(u.State.Clusters)+len(u.State.Networks)+len(u.State.ResourcePools) > 0 {
				t.Errorf("%s: unexpected update %+v", step.name, u)
			}
			if len(u.State.Datastores) > 0 && step.name != "create" && step.name != "destroy" {
				t.Errorf("%s: datastores sent %+v", step.name, u.State.Datastores)
			}
			if u.Received == 0 {
				t.Errorf("%s: update without received object updates", step.name)
			}
		}
		switch step.name {
		case "rename":
			i := slices.IndexFunc(got.State.VMs, func(v inventory.VM) bool { return v.ID == target })
			if v := got.State.VMs[i]; v.Name != hostile || v.Vcenter != "vc1" {
				t.Errorf("renamed VM row %+v", v)
			}
		case "relocate host":
			i := slices.IndexFunc(got.State.VMs, func(v inventory.VM) bool { return v.ID == target })
			if v := got.State.VMs[i]; v.Cluster == row(target).Cluster || v.Host != hostOther {
				t.Errorf("relocated VM row: cluster %q host %q, was %q", v.Cluster, v.Host, row(target).Cluster)
			}
		case "create":
			i := slices.IndexFunc(got.State.VMs, func(v inventory.VM) bool { return v.ID == created })
			if v := got.State.VMs[i]; v.VCPUCount != 3 || v.RAMMB != 3072 || v.Host == "" || v.Folder == "" {
				t.Errorf("created VM row %+v", v)
			}
		}
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
}

// TestWatchHostRename: renaming a host sends the host and exactly its VMs
// again, with the new name.
func TestWatchHostRename(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 16, Templates: -1, Seed: 5})
	src, _ := open(t, sim, vsphere.Options{})
	rec, _ := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 1})
	full := rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))
	host := full.State.VMs[0].HostID
	var want []string
	for _, v := range full.State.VMs {
		if v.HostID == host {
			want = append(want, v.ID)
		}
	}
	slices.Sort(want)
	mark := rec.Mark()
	m := must(t)(capturetest.RenameHost(context.Background(), sim, host, "esx-renamed-ü"))
	u := rec.WaitFor(t, mark, within, m.Seen)
	got := vmIDs([]*capture.WatchUpdate{u})
	if !slices.Equal(got, want) {
		t.Fatalf("VMs sent with the host rename %v, want %v", got, want)
	}
	for _, v := range u.State.VMs {
		if v.Host != "esx-renamed-ü" || v.HostID != host {
			t.Errorf("VM %s: host %q (%s)", v.ID, v.Host, v.HostID)
		}
	}
	if len(u.State.Hosts) != 1 {
		t.Errorf("hosts sent %+v, want only %s", u.State.Hosts, host)
	}
}

// TestWatchResyncs: ended sessions and an InvalidCollectorVersion each
// start over with a Full update equal to Retrieve; a failing wait is
// retried without one.
func TestWatchResyncs(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 12, Templates: -1, Seed: 7})
	src, _ := open(t, sim, vsphere.Options{})
	rec, stop := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 1})
	rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))

	// A change the first collector never saw must be in the next Full.
	mark := rec.Mark()
	if n, err := sim.ExpireSessions(context.Background()); err != nil || n == 0 {
		t.Fatalf("ExpireSessions: %d, %v", n, err)
	}
	u := rec.WaitFor(t, mark, 10*time.Second, capturetest.IsFull(capture.ResyncRelogin))
	sameState(t, src, u.State)

	mark = rec.Mark()
	inj := sim.InjectInvalidCollectorVersion(0)
	u = rec.WaitFor(t, mark, 10*time.Second, capturetest.IsFull(capture.ResyncCollector))
	if inj.Fired() != 1 {
		t.Errorf("InvalidCollectorVersion fired %d times", inj.Fired())
	}
	sameState(t, src, u.State)

	// A failing wait is retried on the same collector: no resync.
	mark = rec.Mark()
	inj = sim.InjectNetworkFailure("WaitForUpdatesEx", 0, 1)
	for deadline := time.Now().Add(within); inj.Fired() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the injected network failure never fired")
		}
	}
	m := must(t)(capturetest.Power(context.Background(), sim, sim.VMRefs()[0], false))
	rec.WaitFor(t, mark, 10*time.Second, m.Seen)
	for _, u := range rec.Since(mark) {
		if u.Full {
			t.Errorf("a retried wait started over: %s", u.Reason)
		}
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
}

// TestWatchPaging: with 200 VMs and 10 objects per answer, the initial
// enter set still makes one complete Full update.
func TestWatchPaging(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 200, Templates: -1, Seed: 9})
	src, _ := open(t, sim, vsphere.Options{})
	rec, _ := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 1, MaxObjectUpdates: 10})
	u := rec.WaitFor(t, 0, 60*time.Second, capturetest.IsFull(capture.ResyncStart))
	if rec.Mark() != 1 {
		t.Errorf("%d updates before any change, want the one Full update", rec.Mark())
	}
	if len(u.State.VMs) != 200 || u.Received < 200 {
		t.Fatalf("Full update: %d VMs, %d received", len(u.State.VMs), u.Received)
	}
	sameState(t, src, u.State)
}

// TestWatchPromptResyncs: with a wait of two minutes pending, a request on
// Resync and a session renewed by another call of the Source (a
// retrieval after the sessions ended) each start over at once.
func TestWatchPromptResyncs(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 6, Templates: -1, Seed: 11})
	src, _ := open(t, sim, vsphere.Options{})
	resync := make(chan struct{})
	rec, stop := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 120, Resync: resync})
	rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))

	mark := rec.Mark()
	resync <- struct{}{}
	u := rec.WaitFor(t, mark, within, capturetest.IsFull(capture.ResyncRequested))
	sameState(t, src, u.State)

	mark = rec.Mark()
	if _, err := sim.ExpireSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Retrieve(context.Background()); err != nil { // renews the session
		t.Fatal(err)
	}
	u = rec.WaitFor(t, mark, within, capturetest.IsFull(capture.ResyncRelogin))
	sameState(t, src, u.State)
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
}

// TestWatchReloginDuringSetup: a session that ends while the watch creates
// its views, collector and filter (they die with it) makes it start over;
// the first update is still the Full start update, complete.
func TestWatchReloginDuringSetup(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 6, Templates: -1, Seed: 13})
	src, logins := open(t, sim, vsphere.Options{})
	before := logins.n.Load()
	inj := sim.InjectNotAuthenticated("CreateFilter", 0)
	rec, _ := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 1})
	u := rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(""))
	if u.Reason != capture.ResyncStart || inj.Fired() != 1 || logins.n.Load() != before+1 {
		t.Fatalf("first update reason %q; NotAuthenticated fired %d times; %d logins", u.Reason, inj.Fired(), logins.n.Load()-before)
	}
	sameState(t, src, u.State)
}

// TestWatchAttributesAndTemplates: a custom attribute defined after the
// Full update arrives under its name (the definitions are read again), a
// VM turned into a template loses its pool, and a host in maintenance
// mode is sent again.
func TestWatchAttributesAndTemplates(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 6, Templates: -1, Seed: 17})
	src, _ := open(t, sim, vsphere.Options{})
	rec, _ := watching(t, src, &capture.WatchSourceOptions{MaxWaitSeconds: 1})
	rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))
	ctx := context.Background()
	vm := sim.VMRefs()[1]

	mark := rec.Mark()
	if err := sim.SetCustomValue(ctx, vm, "owner=cmd", "<b>ops</b>"); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, mark, within, func(u *capture.WatchUpdate) bool {
		i := slices.IndexFunc(u.State.VMs, func(v inventory.VM) bool { return v.ID == vm })
		return i >= 0 && u.State.VMs[i].Attributes["owner=cmd"] == "<b>ops</b>"
	})

	mark = rec.Mark()
	if err := sim.MarkAsTemplate(ctx, vm); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, mark, within, func(u *capture.WatchUpdate) bool {
		i := slices.IndexFunc(u.State.VMs, func(v inventory.VM) bool { return v.ID == vm })
		return i >= 0 && u.State.VMs[i].IsTemplate && u.State.VMs[i].ResourcePoolID == ""
	})

	var host string
	for _, id := range sim.Hosts() {
		host = id
		break
	}
	mark = rec.Mark()
	if err := sim.SetHostMaintenance(ctx, host, true); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, mark, within, func(u *capture.WatchUpdate) bool {
		i := slices.IndexFunc(u.State.Hosts, func(h inventory.Host) bool { return h.ID == host })
		return i >= 0 && u.State.Hosts[i].InMaintenance
	})
}

// TestWatchGivesUp: a wait that keeps failing is retried with backoff on
// the same collector (no Full update), then Watch returns the error.
func TestWatchGivesUp(t *testing.T) {
	sim := newSim(t, vcsim.Options{VMs: 2, Templates: -1, Seed: 19})
	src, _ := open(t, sim, vsphere.Options{})
	rec := capturetest.NewWatchRecorder()
	done := make(chan error, 1)
	go func() {
		done <- src.Watch(context.Background(), &capture.WatchSourceOptions{MaxWaitSeconds: 1}, rec.Record)
	}()
	rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))
	inj := sim.InjectNetworkFailure("WaitForUpdatesEx", 0, 0)
	defer inj.Remove()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "vc1") || inj.Fired() != 5 {
			t.Fatalf("Watch returned %v after %d failed waits, want an error naming the endpoint after 5", err, inj.Fired())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Watch did not give up within 60s")
	}
	if n := rec.Mark(); n != 1 {
		t.Fatalf("%d updates, want only the first Full update", n)
	}
}
