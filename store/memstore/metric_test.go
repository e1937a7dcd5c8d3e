package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// The Metrics section of storetest checks MetricStore; this is a smoke
// test of the round trip through a rollup and a prune.
func TestMetricsRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	key := inventory.MetricKey{Vcenter: "vc", EntityType: inventory.EntityVM, EntityID: "vm-1", Metric: inventory.MetricCPUUsagePct}
	var pts []inventory.MetricPoint
	for i := range 24 { // 2 h of 5-minute points, values 1..24
		pts = append(pts, inventory.MetricPoint{MetricKey: key, Time: at.Add(time.Duration(i) * 5 * time.Minute), Value: float64(i + 1)})
	}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	q := &store.QueryMetricsParams{Vcenter: "vc", EntityType: inventory.EntityVM, EntityIDs: []string{"vm-1"},
		Metrics: []inventory.Metric{key.Metric}, From: at, To: at.Add(2 * time.Hour), Step: time.Hour}
	before, err := st.QueryMetrics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// Hour 1: values 1..12, avg 6.5, p95 rank ceil(11.4) = 12.
	want := inventory.MetricBucket{Start: at, Count: 12, Avg: 6.5, Max: 12, Min: 1, P95: 12}
	if len(before) != 1 || before[0].Tier != inventory.TierHour || len(before[0].Buckets) != 2 || before[0].Buckets[0] != want {
		t.Fatalf("query before rollup: %+v", before)
	}
	res, err := st.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierHour, To: at.Add(2 * time.Hour)})
	if err != nil || res.Buckets != 2 || !res.From.Equal(at) {
		t.Fatalf("rollup: %+v, %v", res, err)
	}
	pr, err := st.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: at.Add(3 * time.Hour)})
	if err != nil || pr.Raw != 24 || pr.Series != 0 {
		t.Fatalf("prune: %+v, %v", pr, err)
	}
	after, err := st.QueryMetrics(ctx, q)
	if err != nil || len(after) != 1 || after[0].Buckets[0] != want || after[0].Buckets[1] != before[0].Buckets[1] {
		t.Fatalf("query after rollup and prune: %+v, %v", after, err)
	}
}
