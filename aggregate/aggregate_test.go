package aggregate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// history writes two days of hourly snapshots of two vCenters, with churn,
// pool moves and resizes, and returns every sample written.
func history(t *testing.T, st store.Store, start time.Time) []inventory.Sample {
	t.Helper()
	ctx := context.Background()
	pools := []string{"Resources/Tin", "Resources/Bronze", "Resources/Silver", "Resources/Gold", "Resources"}
	var all []inventory.Sample
	for h := 0; h < 48; h++ {
		s := start.Add(time.Duration(h) * time.Hour)
		for _, vc := range []string{"vc-a", "vc-b"} {
			var samples []inventory.Sample
			for i := 0; i < 12; i++ {
				if vc == "vc-b" && i >= 5 {
					break
				}
				if (i == 3 && h >= 30) || (i == 4 && h < 6) || (i == 7 && h%5 == 0) {
					continue // deleted mid-history, created late, flapping
				}
				samples = append(samples, inventory.Sample{
					Vcenter: vc, SnapshotTime: s, VMID: fmt.Sprintf("vm-%d", i), VMUUID: fmt.Sprintf("u-%s-%d", vc, i),
					Name: fmt.Sprintf("%s-app-%d", vc, i), Cluster: "C1", Host: fmt.Sprintf("esx-%d", (i+h/12)%3),
					ResourcePool: pools[(i+h/10)%len(pools)], PowerState: []inventory.PowerState{inventory.PoweredOn, inventory.PoweredOff}[(i+h/7)%2],
					VCPUCount: 1 + (i+h/16)%8, RAMMB: int64(1024 * (1 + (i*3+h/9)%16)), ProvisionedDiskGB: float64(10*i) + 0.5,
					UsedDiskGB: float64(i) + 0.25, GuestOS: "otherGuest64",
				})
			}
			if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: s, Samples: samples,
				Totals: inventory.ComputeTotals(vc, s, samples, nil), Compat: implements[store.CompatTables](st)}); err != nil {
				t.Fatal(err)
			}
			all = append(all, samples...)
		}
	}
	// vm-3 of vc-a was deleted during the second day.
	if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: start.Add(30 * time.Hour),
		Lifecycles: []inventory.Lifecycle{{Vcenter: "vc-a", VMID: "vm-3", FirstSeen: start, LastSeen: start.Add(29 * time.Hour),
			Deleted: true, DeletionTime: start.Add(30 * time.Hour), DeletionSource: inventory.SourceAbsence, CreationSource: inventory.SourceNone}}}); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestDailyAndMonthlyOnStores(t *testing.T) {
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	lcA := map[string]inventory.Lifecycle{"vm-3": {Vcenter: "vc-a", VMID: "vm-3", FirstSeen: start, LastSeen: start.Add(29 * time.Hour),
		Deleted: true, DeletionTime: start.Add(30 * time.Hour), DeletionSource: inventory.SourceAbsence, CreationSource: inventory.SourceNone}}
	approx := cmpopts.EquateApprox(1e-9, 0)
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		all := history(t, st, start)
		compat := implements[store.CompatTables](st)

		for d := 0; d < 2; d++ {
			win := inventory.DayOf(start.Add(time.Duration(d)*24*time.Hour), time.UTC)
			res, err := aggregate.Daily(ctx, st, win.Start, aggregate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Vcenters) != 2 {
				t.Fatalf("day %d: %d vCenters aggregated, want 2", d, len(res.Vcenters))
			}
			for _, vc := range []string{"vc-a", "vc-b"} {
				var snaps []time.Time
				for h := 0; h < 24; h++ {
					snaps = append(snaps, win.Start.Add(time.Duration(h)*time.Hour))
				}
				lcs := map[string]inventory.Lifecycle{}
				if vc == "vc-a" {
					lcs = lcA
				}
				b := aggregate.NewDaily(aggregate.DailyInput{Vcenter: vc, Day: win, SnapshotTimes: snaps, Tiers: inventory.DefaultTierMap(), Lifecycles: lcs})
				for i := range all {
					b.Add(&all[i])
				}
				want := b.Rows()
				var got []inventory.DailyRollup
				if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vc, From: win.Start, To: win.End}, func(r *inventory.DailyRollup) error {
					got = append(got, *r)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, approx); diff != "" {
					t.Fatalf("%s day %s rows (-want +got):\n%s", vc, win.Start.Format("2006-01-02"), diff)
				}
				if compat {
					rows, err := st.(store.CompatTables).ReadCompatDaily(ctx, &store.ScanCompatParams{Name: inventory.DailyTableName(win.Start), Vcenter: vc})
					if err != nil || len(rows) != len(want) {
						t.Fatalf("%s compat daily: %d rows, %v", vc, len(rows), err)
					}
				}
				recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Daily, From: win.Start, To: win.End})
				if err != nil || len(recs) != 1 || recs[0].RowCount != len(want) {
					t.Fatalf("%s daily registry: %+v %v", vc, recs, err)
				}
				agg, err := st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{Vcenter: vc, Granularity: inventory.Daily, From: win.Start, To: win.End})
				if err != nil || len(agg) != 1 || agg[0].SnapshotCount != 24 {
					t.Fatalf("%s daily aggregate totals: %+v %v", vc, agg, err)
				}
			}
		}
		// vm-3's deletion lands on its last day present only.
		var del []time.Time
		st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: "vc-a", VMKey: "vm-3"}, func(r *inventory.DailyRollup) error {
			del = append(del, r.DeletionTime)
			return nil
		})
		if len(del) != 2 || !del[0].IsZero() || !del[1].Equal(start.Add(30*time.Hour)) {
			t.Fatalf("vm-3 deletion times per day: %v", del)
		}

		// Monthly from daily equals monthly straight from the hourly samples.
		month := inventory.MonthOf(start, time.UTC)
		if _, err := aggregate.Monthly(ctx, st, start, aggregate.Options{}); err != nil {
			t.Fatal(err)
		}
		for _, vc := range []string{"vc-a", "vc-b"} {
			var snaps []time.Time
			for h := 0; h < 48; h++ {
				snaps = append(snaps, start.Add(time.Duration(h)*time.Hour))
			}
			lcs := map[string]inventory.Lifecycle{}
			if vc == "vc-a" {
				lcs = lcA
			}
			hb := aggregate.NewMonthlyFromHourly(aggregate.MonthlyHourlyInput{Vcenter: vc, Month: month, SnapshotTimes: snaps, Tiers: inventory.DefaultTierMap(), Lifecycles: lcs})
			for i := range all {
				hb.Add(&all[i])
			}
			var got []inventory.MonthlyRollup
			if err := st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{Vcenter: vc}, func(r *inventory.MonthlyRollup) error {
				got = append(got, *r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(hb.Rows(), got, approx); d != "" {
				t.Fatalf("%s monthly from daily vs from hourly (-hourly +daily):\n%s", vc, d)
			}
			if got[0].TotalSamples != 48 {
				t.Fatalf("monthly total_samples = %d, want 48 (absent days count zero snapshots)", got[0].TotalSamples)
			}
		}

		// Re-running changes nothing.
		before := storetest.Dump(t, st)
		for d := 0; d < 2; d++ {
			if _, err := aggregate.Daily(ctx, st, start.Add(time.Duration(d)*24*time.Hour), aggregate.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := aggregate.Monthly(ctx, st, start, aggregate.Options{}); err != nil {
			t.Fatal(err)
		}
		if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
			t.Fatalf("re-running the aggregations changed the store:\n%s", d)
		}
	})
}

// implements reports whether st implements the optional store interface T.
func implements[T any](st store.Store) bool {
	_, ok := st.(T)
	return ok
}
