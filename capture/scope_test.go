package capture_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestScopeOutAndBackIn follows VMs that a scope change takes out of the
// capture and brings back: they are never deleted, never count for the
// mass-absence guard, get one out_of_scope and one in_scope event, and
// their history continues; one destroyed while out of scope is deleted.
func TestScopeOutAndBackIn(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim, src, _ := simSource(t, "vc1", 0)
		step := func(scope inventory.Scope) *capture.Result {
			t.Helper()
			nextSecond(time.Now())
			res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: time.Now(), Scope: &scope})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
				t.Fatal(err)
			}
			return res
		}
		events := func(kinds ...inventory.EventKind) []inventory.Event {
			t.Helper()
			p, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1", Kinds: kinds, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return p.Events
		}
		lifecycle := func(id string) inventory.Lifecycle {
			t.Helper()
			l, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc1", VMID: id})
			if err != nil {
				t.Fatal(err)
			}
			return *l
		}

		r1 := step(inventory.Scope{})
		all := r1.Samples
		if len(all) < 4 || len(r1.Excluded) != 0 {
			t.Fatalf("first capture: %d samples, %d excluded", len(all), len(r1.Excluded))
		}
		// Every VM but one leaves the scope: an include rule keeps one by
		// name.
		keep := all[0]
		folder := keep.Folder
		for _, x := range all {
			if x.Folder != folder {
				t.Fatalf("VM %s is in folder %q, not %q: the test needs one folder", x.Name, x.Folder, folder)
			}
		}
		out := inventory.Scope{Include: []inventory.ScopeRule{{Name: "^" + regexp.QuoteMeta(keep.Name) + "$"}}}
		r2 := step(out)
		if len(r2.Samples) != 1 || r2.Samples[0].VMID != keep.VMID || len(r2.Excluded) != len(all)-1 {
			t.Fatalf("capture with the scope: %d samples (want only %s), %d excluded (want %d)", len(r2.Samples), keep.VMID, len(r2.Excluded), len(all)-1)
		}
		for _, x := range r2.Excluded {
			if x.Reason != "not included" || x.VMID == "" || x.Name == "" {
				t.Errorf("excluded %+v, want reason \"not included\"", x)
			}
		}
		vms, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: "vc1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(vms.VMs) != 1 {
			t.Errorf("latest state holds %d VMs, want only the one in scope", len(vms.VMs))
		}
		if ev := events(inventory.EventDeleted, inventory.EventMassAbsence); len(ev) != 0 {
			t.Fatalf("scope change raised %+v", ev)
		}
		outEv := events(inventory.EventOutOfScope)
		if len(outEv) != len(all)-1 {
			t.Fatalf("%d out_of_scope events, want %d", len(outEv), len(all)-1)
		}
		for _, e := range outEv {
			if !e.SnapshotTime.Equal(r2.SnapshotTime) || e.After["scope"] != "out" || e.After["reason"] != "not included" || e.Before["scope"] != "in" || e.Name == "" {
				t.Errorf("out_of_scope event %+v", e)
			}
		}

		// Now an exclude rule on the folder takes every VM, the kept one
		// too: only it gets a new out_of_scope event. One VM is destroyed
		// while out of scope.
		gone := all[1]
		if err := sim.DestroyVM(ctx, gone.VMID); err != nil {
			t.Fatal(err)
		}
		r3 := step(inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: folder}}})
		if len(r3.Samples) != 0 || len(r3.Excluded) != len(all)-1 || r3.Excluded[0].Reason != "exclude folder="+folder {
			t.Fatalf("capture with every VM excluded: %d samples, %d excluded (%+v)", len(r3.Samples), len(r3.Excluded), r3.Excluded)
		}
		if ev := events(inventory.EventOutOfScope); len(ev) != len(all) || !slices.ContainsFunc(ev, func(e inventory.Event) bool {
			return e.VMID == keep.VMID && e.SnapshotTime.Equal(r3.SnapshotTime)
		}) {
			t.Errorf("%d out_of_scope events after every VM left, want %d (one more, for %s)", len(ev), len(all), keep.VMID)
		}
		if ev := events(inventory.EventMassAbsence); len(ev) != 0 {
			t.Errorf("every VM out of scope raised %+v", ev)
		}
		del := events(inventory.EventDeleted)
		if len(del) != 1 || del[0].VMID != gone.VMID {
			t.Fatalf("deleted events %+v, want only %s", del, gone.VMID)
		}
		if l := lifecycle(gone.VMID); !l.Deleted || !l.DeletionTime.After(r2.SnapshotTime) || l.DeletionTime.After(r3.SnapshotTime) {
			t.Errorf("lifecycle of %s destroyed while out of scope: %+v, want deleted in (%s, %s]", gone.VMID, l, r2.SnapshotTime, r3.SnapshotTime)
		}

		// A repair re-derives the same lifecycle rows from the stored
		// history: the exclusions kept with it tell the VMs out of scope
		// from deleted ones.
		lcs := func() []inventory.Lifecycle {
			t.Helper()
			p, err := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: "vc1", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return p.Lifecycles
		}
		before := lcs()
		if _, err := aggregate.Backfill(ctx, st, aggregate.BackfillOptions{From: r1.SnapshotTime, To: r3.SnapshotTime.Add(time.Hour),
			Vcenters: []string{"vc1"}, Action: aggregate.ActionRepair, Aggregate: aggregate.Options{AllowPartial: true}}); err != nil {
			t.Fatal(err)
		}
		after := lcs()
		for i := range after {
			b, a := before[i], after[i]
			if a.VMID != b.VMID || a.Deleted != b.Deleted || !a.FirstSeen.Equal(b.FirstSeen) || !a.LastSeen.Equal(b.LastSeen) || !a.DeletionTime.Equal(b.DeletionTime) {
				t.Errorf("repair changed %s: %+v → %+v", b.VMID, b, a)
			}
		}
		if len(after) != len(before) {
			t.Errorf("repair: %d lifecycle rows, %d before", len(after), len(before))
		}

		// The scope is lifted: the VMs come back, their history continues.
		r4 := step(inventory.Scope{})
		if len(r4.Samples) != len(all)-1 {
			t.Fatalf("%d samples after the scope is lifted, want %d", len(r4.Samples), len(all)-1)
		}
		if ev := events(inventory.EventCreated, inventory.EventReappeared); len(ev) != 0 {
			t.Errorf("VMs back in scope raised %+v", ev)
		}
		inEv := events(inventory.EventInScope)
		if len(inEv) != len(all)-1 {
			t.Fatalf("%d in_scope events, want %d", len(inEv), len(all)-1)
		}
		for _, x := range append([]inventory.Sample{keep}, all[2:]...) {
			l := lifecycle(x.VMID)
			if l.Deleted || !l.FirstSeen.Equal(r1.SnapshotTime) || !l.LastSeen.Equal(r4.SnapshotTime) {
				t.Errorf("lifecycle of %s back in scope: %+v, want first seen %s, last seen %s", x.VMID, l, r1.SnapshotTime, r4.SnapshotTime)
			}
			if !slices.ContainsFunc(inEv, func(e inventory.Event) bool { return e.VMID == x.VMID && e.After["scope"] == "in" }) {
				t.Errorf("no in_scope event for %s", x.VMID)
			}
		}

	})
}
