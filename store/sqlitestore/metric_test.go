package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// TestMetricsReopen writes series to a WAL-mode file, closes and reopens
// it: the series, their points and the rollups are there, with the
// figures computed by hand.
func TestMetricsReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inventory.db")
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	hostile := "vm-'; DROP TABLE metric_points; --<script>=cmd ü"
	var pts []inventory.MetricPoint
	for i := range 20 { // 1..20 at one-minute steps: avg 10.5, p95 rank 19
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: "vc1", EntityType: inventory.EntityVM,
			EntityID: hostile, Metric: inventory.MetricCPUUsagePct}, Time: hour.Add(time.Duration(i) * time.Minute), Value: float64(i + 1)})
	}
	for i, v := range []float64{10, 30, 20, 40} {
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: "vc1", EntityType: inventory.EntityVM,
			EntityID: "vm-2", Metric: inventory.MetricCPUUsagePct}, Time: hour.Add(time.Duration(5*i) * time.Minute), Value: v})
	}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts, BatchSize: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierHour, To: hour.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	keys, err := st.ListMetricKeys(ctx, &store.ListMetricKeysParams{Vcenter: "vc1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].EntityID != hostile || keys[1].EntityID != "vm-2" {
		t.Fatalf("ListMetricKeys after reopen = %+v", keys)
	}
	want := []inventory.MetricSeries{
		{MetricKey: keys[0], Buckets: []inventory.MetricBucket{{Start: hour, Count: 20, Avg: 10.5, Max: 20, Min: 1, P95: 19}}},
		{MetricKey: keys[1], Buckets: []inventory.MetricBucket{{Start: hour, Count: 4, Avg: 25, Max: 40, Min: 10, P95: 40}}},
	}
	for _, tier := range []inventory.MetricTier{inventory.TierRaw, inventory.TierHour} {
		got, err := st.QueryMetrics(ctx, &store.QueryMetricsParams{Vcenter: "vc1", EntityType: inventory.EntityVM,
			EntityIDs: []string{"vm-2", hostile, "vm-none"}, Metrics: []inventory.Metric{inventory.MetricCPUUsagePct},
			From: hour, To: hour.Add(time.Hour), Step: time.Hour, Tier: tier})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].Tier = tier
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("QueryMetrics tier %s after reopen (-want +got):\n%s", tier, d)
		}
	}
	stats, err := st.MetricStats(ctx, &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Series != 2 || stats.Tiers[0].Rows != 24 || stats.Tiers[1].Rows != 2 || !stats.Tiers[1].Watermark.Equal(hour.Add(time.Hour)) {
		t.Errorf("MetricStats after reopen = %+v", stats)
	}
}
