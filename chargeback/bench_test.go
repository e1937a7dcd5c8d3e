package chargeback_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/memstore"
)

// BenchmarkComputeMonth bills a month of 2,000 VMs (62,000 VM-days, a
// third of them split over two tiers) grouped by tenant tag and tier, with
// a price change mid-month and a projection.
func BenchmarkComputeMonth(b *testing.B) {
	st := memstore.New()
	const vms = 2000
	for d := 1; d <= 31; d++ {
		list := make([]vm, vms)
		for i := range list {
			list[i] = vm{key: fmt.Sprintf("vm-%05d", i), vcpu: float64(1 + i%8), ram: float64(2 + i%32), prov: 40.5, used: 12.25,
				present: 1 - float64(i%4)/24, cluster: fmt.Sprint("c", i%5), attrs: map[string]string{"tag:tenant": fmt.Sprint("t", i%20)}}
			if i%3 == 0 {
				list[i].gold, list[i].silver = 100.0/3, 200.0/3
			}
		}
		aggregated(b, st, "vc1", mar(d), list...)
	}
	cards := []inventory.RateCard{
		{ID: 1, Currency: "EUR", VCPUDay: "0.5", RAMGBDay: "0.05", ProvisionedDiskGBDay: "0.001", UsedDiskGBDay: "0.002", VMDay: "0.1"},
		{ID: 2, Currency: "EUR", EffectiveFrom: mar(15), VCPUDay: "0.55", RAMGBDay: "0.05", VMDay: "0.1"},
		{ID: 3, Currency: "EUR", Tier: "Gold", VCPUDay: "0.9", RAMGBDay: "0.09"},
		{ID: 4, Currency: "EUR", Tier: "Silver", Cluster: "c1", VCPUDay: "0.7"},
		{ID: 5, Currency: "EUR", TagKey: "tenant", TagValue: "t3", VCPUDay: "0.3"},
	}
	req := &chargeback.Request{Period: chargeback.PeriodMonth, At: march, By: []string{"tag:tenant", "tier"}, Cards: cards, Now: mar(20)}
	b.ResetTimer()
	for b.Loop() {
		if _, err := chargeback.Compute(context.Background(), st, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(31*vms), "vm-days/op")
}
