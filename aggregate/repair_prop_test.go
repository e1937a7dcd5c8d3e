package aggregate_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestRepairFromCompatOnlyHistories: random histories (second-precision
// times, two vCenters sharing minute tables, mass absences, reappearances,
// rows without vm_id or vm_uuid) written only as hourly compatibility
// tables and repaired give the same samples, registry, lifecycles and
// daily rollups as capturing and reconciling the same history; the
// tables hold no events, so those are left out.
func TestRepairFromCompatOnlyHistories(t *testing.T) {
	// Registry durations measure the run (on the monotonic clock), so
	// two runs differ in them and in nothing else.
	approx := cmp.Options{cmpopts.EquateApprox(1e-9, 0), cmpopts.IgnoreFields(inventory.SnapshotRecord{}, "Duration")}
	testbackends.ForEach(t, func(t *testing.T, base store.Store) {
		ctx := context.Background()
		seeds := uint64(6)
		if base.Capabilities().Backend == "postgres" {
			seeds = 3
		}
		for seed := range seeds {
			live, repaired := freshLike(t, base), freshLike(t, base)
			t0 := time.Date(2026, 10, 3, 22, 0, 7, 0, time.UTC)
			clock := func() time.Time { return t0.AddDate(0, 0, 5) }
			last := t0
			for vi, vc := range []string{"vc-a", "vc-b"} {
				rng := rand.New(rand.NewPCG(seed, uint64(vi)))
				for _, samples := range storetest.RandomHistory(rng, vc, t0.Add(time.Duration(vi)*9*time.Second)) {
					at := samples[0].SnapshotTime
					if at.After(last) {
						last = at
					}
					if _, err := live.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at, Samples: samples,
						Totals: inventory.ComputeTotals(vc, at, samples, nil), Compat: true, RegisteredAt: clock()}); err != nil {
						t.Fatal(err)
					}
					if _, err := capture.Reconcile(ctx, live, storetest.NoEvents{Name: vc}, &capture.Result{Endpoint: vc, SnapshotTime: at, Samples: samples},
						capture.ReconcileOptions{}); err != nil {
						t.Fatal(err)
					}
					if err := repaired.(store.CompatTables).WriteCompatHourly(ctx, &store.WriteCompatHourlyParams{Vcenter: vc, SnapshotTime: at, Samples: samples}); err != nil {
						t.Fatal(err)
					}
				}
			}
			from, to := inventory.DayOf(t0, nil).Start, inventory.DayOf(last, nil).End
			opts := aggregate.Options{Clock: clock}
			for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
				if _, err := aggregate.Daily(ctx, live, d, opts); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := aggregate.Repair(ctx, repaired.(aggregate.BackfillStore), aggregate.BackfillOptions{From: from, To: to, Aggregate: opts}); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			want, got := storetest.Dump(t, live), storetest.Dump(t, repaired)
			if len(want.Lifecycles) == 0 || len(want.DailyRollups) == 0 {
				t.Fatal("empty history")
			}
			want.Events, got.Events = nil, nil
			if d := cmp.Diff(want, got, approx); d != "" {
				t.Fatalf("seed %d: repaired store differs from the captured one (-captured +repaired):\n%s", seed, d)
			}
		}
	})
}
