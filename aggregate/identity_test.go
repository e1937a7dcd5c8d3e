package aggregate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestIdentityOverHistory (SEMANTICS §2): samples without a vm_id join the
// VM with a vm_id that carried their uuid (or name), also when that VM's
// samples with a vm_id are on another day, in every mode: one daily row
// per VM with its full presence, keyed by the vm_id, carrying the
// lifecycle row's creation time.
func TestIdentityOverHistory(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		d1 := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
		created := d1.Add(-48 * time.Hour)
		mk := func(at time.Time, id, uuid, name string) inventory.Sample {
			return inventory.Sample{Vcenter: "vc1", SnapshotTime: at, VMID: id, VMUUID: uuid, Name: name, PowerState: inventory.PoweredOn,
				VCPUCount: 2, RAMMB: 2048, ResourcePool: "/DC/host/C/Resources/Gold"}
		}
		var snaps [][]inventory.Sample
		for h := range 4 {
			// Day 1: both VMs with their vm_id.
			at := d1.Add(time.Duration(h) * time.Hour)
			snaps = append(snaps, []inventory.Sample{mk(at, "vm-1", "u1", "web"), mk(at, "vm-2", "u2", "db")})
		}
		for h := range 4 {
			// Day 2: vm-1 only by uuid; vm-2 only by name, then by vm_id.
			at := d1.Add(24*time.Hour + time.Duration(h)*time.Hour)
			db := mk(at, "", "", "db")
			if h == 3 {
				db = mk(at, "vm-2", "u2", "db")
			}
			snaps = append(snaps, []inventory.Sample{mk(at, "", "u1", "web"), db})
		}
		for _, ss := range snaps {
			at := ss[0].SnapshotTime
			if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: "vc1", SnapshotTime: at, Samples: ss,
				Totals: inventory.ComputeTotals("vc1", at, ss, nil), Compat: implements[store.CompatTables](st)}); err != nil {
				t.Fatal(err)
			}
		}
		// Lifecycle rows from the whole history (what Reconcile or repair
		// leave), vm-1 with a creation event.
		if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc1", SnapshotTime: snaps[7][0].SnapshotTime,
			EndpointEvents: []inventory.EndpointEvent{{Vcenter: "vc1", VMID: "vm-1", Kind: inventory.EndpointCreated, Time: created}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := aggregate.Repair(ctx, st, aggregate.BackfillOptions{From: d1, To: d1.AddDate(0, 0, 2),
			Aggregate: aggregate.Options{Clock: func() time.Time { return d1.AddDate(0, 0, 3) }}}); err != nil {
			t.Fatal(err)
		}
		lc, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc1", VMID: "vm-1"})
		if err != nil || lc.Deleted || !lc.LastSeen.Equal(snaps[7][0].SnapshotTime) || !lc.CreationTime.Equal(created) {
			t.Fatalf("vm-1 lifecycle = %+v, %v: want present through the last snapshot, created %v (uuid-only samples are vm-1)", lc, err, created)
		}
		page, err := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: "vc1"})
		if err != nil || len(page.Lifecycles) != 2 {
			t.Fatalf("lifecycle rows = %+v, %v; want vm-1 and vm-2 only", page, err)
		}
		for _, mode := range allModes {
			_, err := aggregate.Daily(ctx, st, d1.Add(24*time.Hour), aggregate.Options{Mode: mode, Clock: func() time.Time { return d1.AddDate(0, 0, 3) }})
			if errors.Is(err, store.ErrUnsupported) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			rows := dailyRows(t, st, d1.Add(24*time.Hour), d1.Add(48*time.Hour))
			if len(rows) != 2 {
				t.Fatalf("%s: %d daily rows, want 2 (one per VM): %+v", mode, len(rows), rows)
			}
			for i, want := range []string{"vm-1", "vm-2"} {
				r := rows[i]
				if r.VMKey != want || r.VMID != want || r.SamplesPresent != 4 || r.AvgIsPresent != 1 {
					t.Errorf("%s: row %d = key %q id %q present %d/%d, want %s present 4/4", mode, i, r.VMKey, r.VMID, r.SamplesPresent, r.TotalSamples, want)
				}
			}
			if !rows[0].CreationTime.Equal(created) {
				t.Errorf("%s: vm-1 creation_time = %v, want %v from its lifecycle row", mode, rows[0].CreationTime, created)
			}
		}
	})
}
