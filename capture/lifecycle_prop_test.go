package capture_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

func writeSnapshot(t *testing.T, st store.Store, vc string, samples []inventory.Sample, at time.Time) {
	t.Helper()
	_, err := st.WriteSnapshot(context.Background(), &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at, Samples: samples,
		Totals: inventory.ComputeTotals(vc, at, samples, nil)})
	if err != nil {
		t.Fatalf("WriteSnapshot %v: %v", at, err)
	}
}

// TestReconcileAndRepairAgree: Reconcile run after each snapshot and
// Repair run over the whole history give the same lifecycle rows, on
// random histories with mass absences, reappearances and samples without
// a vm_id (both run the rules of package lifecycle).
func TestReconcileAndRepairAgree(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 10, 3, 0, 0, 7, 0, time.UTC)
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		hist := storetest.RandomHistory(rng, "vc1", t0)
		live, rebuilt := memstore.New(memstore.Options{}), memstore.New(memstore.Options{})
		src := &scripted{name: "vc1"}
		var last time.Time
		for i, samples := range hist {
			at := t0.Add(time.Duration(i) * time.Hour)
			if len(samples) > 0 {
				at = samples[0].SnapshotTime
			}
			last = at
			writeSnapshot(t, live, "vc1", samples, at)
			writeSnapshot(t, rebuilt, "vc1", samples, at)
			if _, err := capture.Reconcile(ctx, live, src, &capture.Result{Endpoint: "vc1", SnapshotTime: at, Samples: samples}, capture.ReconcileOptions{}); err != nil {
				t.Fatalf("seed %d: Reconcile %v: %v", seed, at, err)
			}
		}
		if _, err := aggregate.Repair(ctx, rebuilt, aggregate.BackfillOptions{From: t0, To: last.Add(time.Hour)}); err != nil {
			t.Fatalf("seed %d: Repair: %v", seed, err)
		}
		want, got := listAllLifecycles(t, live, "vc1"), listAllLifecycles(t, rebuilt, "vc1")
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("seed %d: lifecycles from Reconcile (-) and Repair (+) differ:\n%s", seed, d)
		}
		idless := 0
		for _, l := range want {
			if l.VMID == "" {
				t.Fatalf("seed %d: lifecycle row without a key: %+v", seed, l)
			}
		}
		for _, ss := range hist {
			for _, s := range ss {
				if s.VMID == "" {
					idless++
				}
			}
		}
		if idless == 0 && seed < 3 {
			t.Logf("seed %d: no sample without a vm_id", seed)
		}
	}
}

// failingApply fails ApplyReconcile while armed: a process that dies
// between writing a snapshot and reconciling it.
type failingApply struct {
	store.Store
	armed bool
}

var errDied = errors.New("process died")

func (f *failingApply) ApplyReconcile(ctx context.Context, p *store.ApplyReconcileParams) error {
	if f.armed {
		return errDied
	}
	return f.Store.ApplyReconcile(ctx, p)
}

// TestReconcileAfterCrash: a snapshot stored but not reconciled (the
// process died in between) is reconciled before the next one, against the
// one before it, so its rename and power events are not lost.
func TestReconcileAfterCrash(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, base store.Store) {
		ctx := context.Background()
		st := &failingApply{Store: base}
		src := &scripted{name: "vc1", vms: map[string]inventory.VM{}}
		for i := range 12 {
			v := vm(fmt.Sprintf("vm-%02d", i), i)
			src.vms[v.ID] = v
		}
		t0 := time.Date(2026, 11, 2, 10, 0, 4, 0, time.UTC)
		snap := func(at time.Time) *capture.Result {
			res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: at, NoCompatTables: true})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		r0 := snap(t0)
		if _, err := capture.Reconcile(ctx, st, src, r0, capture.ReconcileOptions{}); err != nil {
			t.Fatal(err)
		}
		v := src.vms["vm-03"]
		v.Name = "renamed"
		src.vms["vm-03"] = v
		r1 := snap(t0.Add(time.Hour))
		st.armed = true
		if _, err := capture.Reconcile(ctx, st, src, r1, capture.ReconcileOptions{}); !errors.Is(err, errDied) {
			t.Fatalf("Reconcile with the process dying: err = %v", err)
		}
		st.armed = false
		v = src.vms["vm-05"]
		v.PowerState = inventory.PoweredOff
		src.vms["vm-05"] = v
		r2 := snap(t0.Add(2 * time.Hour))
		rr, err := capture.Reconcile(ctx, st, src, r2, capture.ReconcileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rr.Pending) != 1 || !rr.Pending[0].Equal(r1.SnapshotTime) {
			t.Errorf("Pending = %v, want the unreconciled %v", rr.Pending, r1.SnapshotTime)
		}
		page, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Events {
			got = append(got, fmt.Sprintf("%s %s %s %v->%v", e.SnapshotTime.Format("15:04:05"), e.Kind, e.VMID, e.Before, e.After))
		}
		want := []string{
			"11:00:04 rename vm-03 map[name:app-vm-03]->map[name:renamed]",
			"12:00:04 power vm-05 map[power_state:poweredOn]->map[power_state:poweredOff]",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
		through, err := st.ReconciledThrough(ctx, &store.ReconciledThroughParams{Vcenter: "vc1"})
		if err != nil || !through.Equal(r2.SnapshotTime) {
			t.Errorf("ReconciledThrough = %v, %v; want %v", through, err, r2.SnapshotTime)
		}
	})
}

// TestCreationEventBeforeHiddenSnapshot: a clone created before a
// snapshot it is missing from (a glitch hid it), first seen an hour later,
// gets its creation time from the kept clone event, not from its
// template's createDate.
func TestCreationEventBeforeHiddenSnapshot(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	src := &scripted{name: "vc1", vms: map[string]inventory.VM{}}
	for i := range 12 {
		v := vm(fmt.Sprintf("vm-%02d", i), i)
		src.vms[v.ID] = v
	}
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	reconcile := func(at time.Time) {
		t.Helper()
		res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: at, NoCompatTables: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	reconcile(t0)
	cloned := t0.Add(49 * time.Minute)
	src.events = append(src.events, capture.VMEvent{Kind: capture.VMEventCloned, VMID: "vm-99", VMName: "clone", Time: cloned})
	reconcile(t0.Add(time.Hour)) // the clone is hidden from this snapshot
	c := vm("vm-99", 1)
	c.CreationTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // the template's createDate
	src.vms[c.ID] = c
	reconcile(t0.Add(2 * time.Hour))
	l, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc1", VMID: "vm-99"})
	if err != nil {
		t.Fatal(err)
	}
	if !l.CreationTime.Equal(cloned) || l.CreationSource != inventory.SourceEvent {
		t.Errorf("creation = %v (%s), want %v from the clone event", l.CreationTime, l.CreationSource, cloned)
	}
}
