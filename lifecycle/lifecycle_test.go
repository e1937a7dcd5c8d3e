package lifecycle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
)

// snapshot returns n samples vm-0 .. vm-(n-1) at t, by key.
func snapshot(t time.Time, ids ...int) map[string]*inventory.Sample {
	out := map[string]*inventory.Sample{}
	for _, i := range ids {
		id := fmt.Sprintf("vm-%d", i)
		out[id] = &inventory.Sample{Vcenter: "vc", SnapshotTime: t, VMID: id, Name: id}
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// stepAbsent reconciles a snapshot holding the VMs present of a previous
// snapshot of prevN VMs, and returns the deletions and whether it was
// guarded.
func stepAbsent(t *testing.T, g lifecycle.Guard, prevN, present int) (deleted int, guarded bool) {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	lcs := map[string]inventory.Lifecycle{}
	for k := range snapshot(t0, seq(0, prevN)...) {
		lcs[k] = inventory.Lifecycle{Vcenter: "vc", VMID: k, FirstSeen: t0, LastSeen: t0, CreationSource: inventory.SourceNone}
	}
	out := lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: t1, Prev: snapshot(t0, seq(0, prevN)...),
		Current: snapshot(t1, seq(0, present)...), Lifecycles: lcs, Guard: g})
	for _, l := range out.Lifecycles {
		if l.Deleted {
			deleted++
		}
	}
	return deleted, out.Guarded
}

// TestGuardBoundaries: exactly half absent is not guarded, one more is;
// a previous snapshot of exactly deletion_guard_min_vms VMs counts, one
// fewer does not.
func TestGuardBoundaries(t *testing.T) {
	g := lifecycle.Guard{}
	for _, c := range []struct {
		prevN, present int
		guarded        bool
	}{
		{20, 10, false}, // exactly half absent
		{20, 9, true},   // one more
		{10, 4, true},   // exactly min VMs, 6 of 10 absent
		{9, 3, false},   // one fewer than min VMs
		{10, 5, false},  // min VMs, exactly half
	} {
		deleted, guarded := stepAbsent(t, g, c.prevN, c.present)
		if guarded != c.guarded {
			t.Errorf("%d of %d present: guarded = %v, want %v", c.present, c.prevN, guarded, c.guarded)
		}
		wantDeleted := c.prevN - c.present
		if c.guarded {
			wantDeleted = 0
		}
		if deleted != wantDeleted {
			t.Errorf("%d of %d present: %d deleted, want %d", c.present, c.prevN, deleted, wantDeleted)
		}
	}
	// Configured thresholds.
	if _, guarded := stepAbsent(t, lifecycle.Guard{Fraction: 0.25, MinVMs: 4}, 4, 2); !guarded {
		t.Error("fraction 0.25, min 4: 2 of 4 absent is not guarded")
	}
	if _, guarded := stepAbsent(t, lifecycle.Guard{Fraction: 0.25, MinVMs: 5}, 4, 2); guarded {
		t.Error("min 5: a previous snapshot of 4 VMs is guarded")
	}
}

func TestGuardValidate(t *testing.T) {
	for _, g := range []lifecycle.Guard{{Fraction: -0.1}, {Fraction: 1.5}, {MinVMs: -1}} {
		if err := g.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", g)
		}
	}
	if err := (lifecycle.Guard{}).Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

// TestResolver: a sample without a vm_id joins the VM that carried its
// uuid (else name) most recently, wherever in the history; else it is a
// VM of its own.
func TestResolver(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var r lifecycle.Resolver
	r.Learn("vm-1", "u1", "web", t0)
	r.Learn("vm-2", "u2", "web", t0.Add(2*time.Hour)) // web most recently vm-2
	r.Learn("vm-3", "u1", "db", t0.Add(time.Hour))    // u1 most recently vm-3
	for _, c := range []struct{ id, uuid, name, want string }{
		{"vm-9", "u1", "web", "vm-9"},
		{"", "u1", "", "vm-3"},
		{"", "u2", "db", "vm-2"},
		{"", "u7", "web", "uuid:u7"},
		{"", "", "web", "vm-2"},
		{"", "", "db", "vm-3"},
		{"", "", "mail", "name:mail"},
	} {
		if got := r.Key(c.id, c.uuid, c.name); got != c.want {
			t.Errorf("Key(%q, %q, %q) = %q, want %q", c.id, c.uuid, c.name, got, c.want)
		}
	}
}

// TestPoolMoveSameName: moving into a same-named pool of another cluster
// is a pool_move (by id), and so is a path change when ids are unknown.
func TestPoolMoveSameName(t *testing.T) {
	a := &inventory.Sample{ResourcePool: "/DC/host/A/Resources/Gold", ResourcePoolID: "resgroup-1"}
	b := &inventory.Sample{ResourcePool: "/DC/host/B/Resources/Gold", ResourcePoolID: "resgroup-2"}
	if !lifecycle.PoolChanged(a, b) {
		t.Error("same-named pool of another cluster: no change")
	}
	if lifecycle.PoolChanged(a, &inventory.Sample{ResourcePool: "/DC/host/A/Resources/Gold-renamed", ResourcePoolID: "resgroup-1"}) {
		t.Error("renamed pool with the same id: a change")
	}
	if !lifecycle.PoolChanged(&inventory.Sample{ResourcePool: "/DC/host/A/Resources/Gold"}, &inventory.Sample{ResourcePool: "/DC/host/B/Resources/Gold"}) {
		t.Error("paths differ without ids: no change")
	}
}

// TestIdentityChange: a vm_id that comes back with another uuid raises
// identity_change with both.
func TestIdentityChange(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lcs := map[string]inventory.Lifecycle{"vm-1": {Vcenter: "vc", VMID: "vm-1", VMUUID: "old", Name: "a", FirstSeen: t0, LastSeen: t0}}
	prev := map[string]*inventory.Sample{"vm-1": {VMID: "vm-1", VMUUID: "old", Name: "a"}}
	cur := map[string]*inventory.Sample{"vm-1": {VMID: "vm-1", VMUUID: "new", Name: "a"}}
	out := lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: t0.Add(time.Hour), Prev: prev, Current: cur, Lifecycles: lcs})
	if len(out.Events) != 1 || out.Events[0].Kind != inventory.EventIdentityChange ||
		out.Events[0].Before["vm_uuid"] != "old" || out.Events[0].After["vm_uuid"] != "new" {
		t.Fatalf("events = %+v, want one identity_change old -> new", out.Events)
	}
	out = lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: t0.Add(time.Hour), Prev: prev, Current: prev, Lifecycles: lcs})
	if len(out.Events) != 0 {
		t.Errorf("no change: events = %+v", out.Events)
	}
}

// TestStepScope: VMs out of scope are neither deleted nor absent for the
// guard; one that leaves gets out_of_scope once, one that comes back
// in_scope, and one gone after being out of scope is deleted at the first
// snapshot without it, not at the snapshot after its last sample.
func TestStepScope(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1, t2, t3 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	lcs := map[string]inventory.Lifecycle{}
	for k := range snapshot(t0, seq(0, 10)...) {
		lcs[k] = inventory.Lifecycle{Vcenter: "vc", VMID: k, FirstSeen: t0, LastSeen: t0, CreationSource: inventory.SourceNone}
	}
	excluded := func(at time.Time, ids ...int) map[string]*inventory.ExcludedVM {
		out := map[string]*inventory.ExcludedVM{}
		for _, i := range ids {
			id := fmt.Sprintf("vm-%d", i)
			out[id] = &inventory.ExcludedVM{Vcenter: "vc", VMID: id, Name: id, Reason: "exclude name=x", SnapshotTime: at}
		}
		return out
	}
	kinds := func(out *lifecycle.Output) map[inventory.EventKind][]string {
		m := map[inventory.EventKind][]string{}
		for _, e := range out.Events {
			m[e.Kind] = append(m[e.Kind], e.VMID)
		}
		return m
	}
	// t1: vm-2..vm-9 leave the scope (8 of 10: the guard would hold if
	// they counted as absent); vm-99 was never seen and is out of scope.
	out := lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: t1, Prev: snapshot(t0, seq(0, 10)...), Current: snapshot(t1, 0, 1),
		Lifecycles: lcs, Excluded: excluded(t1, append(seq(2, 10), 99)...)})
	k := kinds(out)
	if out.Guarded || len(k[inventory.EventDeleted]) != 0 || len(k[inventory.EventOutOfScope]) != 8 || len(k) != 1 {
		t.Fatalf("t1: guarded %v, events %v; want 8 out_of_scope (vm-2..vm-9) only", out.Guarded, k)
	}
	for _, e := range out.Events {
		if e.After["reason"] != "exclude name=x" || e.After["scope"] != "out" || e.Before["scope"] != "in" {
			t.Errorf("t1: event %+v", e)
		}
	}
	for _, l := range out.Lifecycles {
		lcs[l.VMID] = l
	}
	// t2: still out of scope but vm-9, which is gone (no removal event).
	out = lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: t2, Prev: snapshot(t1, 0, 1), Current: snapshot(t2, 0, 1),
		Lifecycles: lcs, Excluded: excluded(t2, seq(2, 9)...), PrevExcluded: excluded(t1, append(seq(2, 10), 99)...),
		Times: []time.Time{t1, t2}})
	k = kinds(out)
	if len(k) != 1 || len(k[inventory.EventDeleted]) != 1 || k[inventory.EventDeleted][0] != "vm-9" {
		t.Fatalf("t2: events %v; want vm-9 deleted only", k)
	}
	for _, l := range out.Lifecycles {
		if l.VMID == "vm-9" && (!l.Deleted || !l.DeletionTime.Equal(t2) || l.DeletionSource != inventory.SourceAbsence) {
			t.Errorf("t2: vm-9 %+v, want deleted at %s by absence", l, t2)
		}
		lcs[l.VMID] = l
	}
	// t3: back in scope.
	cur := snapshot(t3, seq(0, 9)...)
	out = lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: t3, Prev: snapshot(t2, 0, 1), Current: cur,
		Lifecycles: lcs, PrevExcluded: excluded(t2, seq(2, 9)...)})
	k = kinds(out)
	if len(k) != 1 || len(k[inventory.EventInScope]) != 7 {
		t.Fatalf("t3: events %v; want 7 in_scope (vm-2..vm-8)", k)
	}
	for _, l := range out.Lifecycles {
		if l.Deleted || !l.FirstSeen.Equal(t0) || !l.LastSeen.Equal(t3) {
			t.Errorf("t3: %+v, want first seen t0, last seen t3", l)
		}
	}
}
