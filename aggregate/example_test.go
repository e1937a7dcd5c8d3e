package aggregate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// A VM present in 6 of a day's 24 hourly snapshots, 2 vCPUs for the first 3
// and 4 for the rest, in the Gold pool: it is billed 0.75 vCPU-days.
func ExampleDaily() {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for h := 0; h < 24; h++ {
		s := day.Add(time.Duration(h) * time.Hour)
		var samples []inventory.Sample
		if h >= 18 {
			vcpu := 2
			if h >= 21 {
				vcpu = 4
			}
			samples = append(samples, inventory.Sample{Vcenter: "vc1", SnapshotTime: s, VMID: "vm-1", Name: "web-1",
				ResourcePool: "Resources/Gold", PowerState: inventory.PoweredOn, VCPUCount: vcpu, RAMMB: 8192})
		}
		if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: "vc1", SnapshotTime: s, Samples: samples}); err != nil {
			panic(err)
		}
	}
	if _, err := aggregate.Daily(ctx, st, day, aggregate.Options{}); err != nil {
		panic(err)
	}
	st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: "vc1"}, func(r *inventory.DailyRollup) error {
		fmt.Printf("%s: present %d/%d, avg vCPU %.1f, gold %.0f%%, billable vCPU-days %.2f\n",
			r.Name, r.SamplesPresent, r.TotalSamples, r.AvgVCPUCount, r.PoolGoldPct, r.BillableVCPUDays())
		return nil
	})
	// Output:
	// web-1: present 6/24, avg vCPU 3.0, gold 100%, billable vCPU-days 0.75
}
