package chargeback_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// Bill a month by tenant tag and pool tier. The daily rollups and the
// registry records are written directly here; aggregate.Daily writes
// both in a real deployment.
func Example() {
	ctx := context.Background()
	st := memstore.New()
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for d := range 2 { // March 1 and 2 are aggregated
		day := month.AddDate(0, 0, d)
		rows := []inventory.DailyRollup{
			{Day: day, Rollup: inventory.Rollup{Vcenter: "vc1", VMKey: "vm-1", Name: "web", AvgIsPresent: 1,
				AvgVCPUCount: 4, AvgRAMGB: 16, PoolGoldPct: 100, Attributes: map[string]string{"tag:tenant": "acme"}}},
			{Day: day, Rollup: inventory.Rollup{Vcenter: "vc1", VMKey: "vm-2", Name: "batch", AvgIsPresent: 0.5,
				AvgVCPUCount: 8, AvgRAMGB: 32, Attributes: map[string]string{"tag:tenant": "globex"}}},
		}
		if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc1", Day: day, Rows: rows}); err != nil {
			log.Fatal(err)
		}
		rec := inventory.SnapshotRecord{Vcenter: "vc1", Kind: inventory.Daily, SnapshotTime: day, RowCount: len(rows)}
		if err := st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: rec}); err != nil {
			log.Fatal(err)
		}
	}
	cards := []inventory.RateCard{
		{ID: 1, Name: "Gold", Currency: "EUR", Tier: "Gold", VCPUDay: "0.90", RAMGBDay: "0.12"},
		{ID: 2, Name: "Untiered", Currency: "EUR", Tier: "none", VCPUDay: "0.40", RAMGBDay: "0.05"},
	}
	bill, err := chargeback.Compute(ctx, st, &chargeback.Request{
		Period: chargeback.PeriodMonth,
		At:     month,
		By:     []string{"tag:tenant", "tier"},
		Cards:  cards,
		Now:    time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	// acme, Gold: 2 days × (4 × 0.90 + 16 × 0.12) = 2 × 5.52 = 11.04
	// globex, none: 2 days × (4 × 0.40 + 16 × 0.05) = 2 × 2.40 = 4.80
	// projection: 15.84 + 29 days × (5.52 + 2.40) = 15.84 + 229.68 = 245.52
	for _, l := range bill.Lines {
		fmt.Println(l.Key, l.VCPUDays, "vCPU-days", l.Cost.Rounded, bill.Currency)
	}
	fmt.Println("total", bill.Total.Cost.Rounded, "partial", bill.Partial)
	fmt.Println("covered", bill.Coverage[0].CoveredDays, "of", bill.Coverage[0].DaysInPeriod, "days")
	fmt.Println("month to date", bill.MonthToDate.Cost.Rounded, "projected (estimate)", bill.Projection.Cost.Rounded)
	// Output:
	// [acme Gold] 8 vCPU-days 11.04 EUR
	// [globex none] 8 vCPU-days 4.80 EUR
	// total 15.84 partial true
	// covered 2 of 31 days
	// month to date 15.84 projected (estimate) 245.52
}
