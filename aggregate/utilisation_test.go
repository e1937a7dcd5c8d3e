package aggregate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestDailyUtilisation: VMs with known metric points over a day get the
// daily rollup utilisation computed by hand, on every backend and every
// daily path; a VM without points has UtilSamples 0; a day whose raw
// points were pruned reads its rollups.
func TestDailyUtilisation(t *testing.T) {
	const vcU = "vc-util"
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	day2 := day.AddDate(0, 0, 1)
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		ms, ok := st.(store.MetricStore)
		if !ok {
			t.Skipf("%s keeps no metrics", st.Capabilities().Backend)
		}
		for _, d := range []time.Time{day, day2} {
			for _, h := range []int{1, 13} {
				at := d.Add(time.Duration(h) * time.Hour)
				var samples []inventory.Sample
				for _, id := range []string{"vm-1", "vm-2", "vm-3"} {
					samples = append(samples, inventory.Sample{Vcenter: vcU, SnapshotTime: at, VMID: id, VMUUID: "u-" + id, Name: id,
						PowerState: inventory.PoweredOn, VCPUCount: 2, RAMMB: 4096})
				}
				if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vcU, SnapshotTime: at, Samples: samples, Compat: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var pts []inventory.MetricPoint
		add := func(id string, m inventory.Metric, at time.Time, v float64) {
			pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vcU, EntityType: inventory.EntityVM, EntityID: id, Metric: m}, Time: at, Value: v})
		}
		for _, d := range []time.Time{day, day2} {
			// vm-1: cpu MHz 100, 300, 200, 400 (avg 250, peak 400, 4
			// points), cpu % 10, 30, 20 (avg 20, peak 30), mem % 50, 70
			// (avg 60, peak 70).
			for i, v := range []float64{100, 300, 200, 400} {
				add("vm-1", inventory.MetricCPUUsageMHz, d.Add([]time.Duration{0, 6 * time.Hour, 12 * time.Hour, 24*time.Hour - time.Second}[i]), v)
			}
			for i, v := range []float64{10, 30, 20} {
				add("vm-1", inventory.MetricCPUUsagePct, d.Add(time.Duration(1+i)*time.Hour), v)
			}
			add("vm-1", inventory.MetricMemUsagePct, d.Add(2*time.Hour), 50)
			add("vm-1", inventory.MetricMemUsagePct, d.Add(20*time.Hour), 70)
			// vm-2: one cpu MHz point, no percentages.
			add("vm-2", inventory.MetricCPUUsageMHz, d.Add(5*time.Hour), 1000)
		}
		// Outside both days: not counted.
		add("vm-1", inventory.MetricCPUUsageMHz, day.Add(-time.Second), 9999)
		add("vm-1", inventory.MetricCPUUsageMHz, day2.AddDate(0, 0, 1), 9999)
		// vm-3 has points of other metrics only.
		add("vm-3", inventory.MetricMemUsageMB, day.Add(time.Hour), 512)
		if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
			t.Fatal(err)
		}
		vm1 := inventory.Utilisation{UtilSamples: 4, AvgCPUMHz: 250, PeakCPUMHz: 400, AvgCPUPct: 20, PeakCPUPct: 30, AvgMemPct: 60, PeakMemPct: 70}
		vm2 := inventory.Utilisation{UtilSamples: 1, AvgCPUMHz: 1000, PeakCPUMHz: 1000}
		want := map[string]inventory.Utilisation{"vm-1": vm1, "vm-2": vm2, "vm-3": {}}
		check := func(what string, d time.Time) {
			t.Helper()
			got := map[string]inventory.Utilisation{}
			err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vcU, From: d, To: d.AddDate(0, 0, 1)}, func(r *inventory.DailyRollup) error {
				got[r.VMID] = r.Utilisation
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: utilisation (-want +got):\n%s", what, diff)
			}
		}
		clock := func() time.Time { return day.AddDate(0, 1, 0) }
		for _, mode := range []aggregate.Mode{aggregate.ModeGo, aggregate.ModeSQL, aggregate.ModeLegacy} {
			_, err := aggregate.Daily(ctx, st, day, aggregate.Options{Mode: mode, Clock: clock})
			if errors.Is(err, store.ErrUnsupported) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			check(string(mode), day)
		}

		// Day 2 rolled up to the hour and day tiers and its raw points
		// pruned: the same figures from the rollups.
		for _, tier := range []inventory.MetricTier{inventory.TierHour, inventory.TierDay} {
			if _, err := ms.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: tier, From: day, To: day2.AddDate(0, 0, 2)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ms.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: day2.AddDate(0, 0, 2)}); err != nil {
			t.Fatal(err)
		}
		if _, err := aggregate.Daily(ctx, st, day2, aggregate.Options{Clock: clock}); err != nil {
			t.Fatal(err)
		}
		check("raw pruned", day2)
	})
}
