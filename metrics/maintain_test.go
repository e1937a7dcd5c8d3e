package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// writeEvery writes one VM's cpu.usage.mhz every step over [from, to),
// the value being the point's index.
func writeEvery(t *testing.T, st store.MetricStore, from, to time.Time, step time.Duration) int {
	t.Helper()
	var pts []inventory.MetricPoint
	for at, i := from, 0; at.Before(to); at, i = at.Add(step), i+1 {
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: "vc1", EntityType: inventory.EntityVM,
			EntityID: "vm-1", Metric: inventory.MetricCPUUsageMHz}, Time: at, Value: float64(i)})
	}
	if err := st.WriteMetrics(context.Background(), &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	return len(pts)
}

func tier(t *testing.T, st store.MetricStore, tr inventory.MetricTier) store.MetricTierStats {
	t.Helper()
	s, err := st.MetricStats(context.Background(), &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range s.Tiers {
		if x.Tier == tr {
			return x
		}
	}
	return store.MetricTierStats{Tier: tr}
}

// TestRollupAndPrune: Rollup brings both tiers to the last complete hour
// and day and is idempotent; Prune keeps raw points no rollup reached
// and drops exactly what each retention lets go.
func TestRollupAndPrune(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	day0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := day0.Add(10*24*time.Hour + 90*time.Minute) // day 10, 01:30
	n := writeEvery(t, st, day0, now, 5*time.Minute)

	// Before any rollup, Prune keeps every raw point.
	if res, err := metrics.Prune(ctx, st, now, metrics.Retention{}); err != nil || res.Raw != 0 {
		t.Fatalf("prune before a rollup: %+v, %v", res, err)
	}
	res, err := metrics.Rollup(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := day0.Add(10*24*time.Hour + time.Hour); !res.Hour.Watermark.Equal(want) {
		t.Errorf("hour watermark %s, want %s", res.Hour.Watermark, want)
	}
	if want := day0.Add(10 * 24 * time.Hour); !res.Day.Watermark.Equal(want) {
		t.Errorf("day watermark %s, want %s", res.Day.Watermark, want)
	}
	if got, want := res.Hour.Buckets, int64(10*24+1); got != want {
		t.Errorf("hour buckets %d, want %d", got, want)
	}
	if got := res.Day.Buckets; got != 10 {
		t.Errorf("day buckets %d, want 10", got)
	}
	hour := tier(t, st, inventory.TierHour)
	again, err := metrics.Rollup(ctx, st, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if again.Hour.Buckets != 0 || again.Day.Buckets != 0 {
		t.Errorf("a second rollup within the hour wrote %d+%d buckets", again.Hour.Buckets, again.Day.Buckets)
	}
	if h := tier(t, st, inventory.TierHour); h.Rows != hour.Rows {
		t.Errorf("hour rows %d after the rerun, want %d", h.Rows, hour.Rows)
	}

	// Raw retention 7 d: points before now-7d go; the tiers keep theirs.
	pr, err := metrics.Prune(ctx, st, now, metrics.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	cut := now.Add(-7 * 24 * time.Hour)
	wantRaw := int64(cut.Sub(day0) / (5 * time.Minute))
	if pr.Raw != wantRaw || pr.Hour != 0 || pr.Day != 0 {
		t.Errorf("prune: %+v, want %d raw and no rollups", pr, wantRaw)
	}
	if raw := tier(t, st, inventory.TierRaw); raw.Rows != int64(n)-wantRaw || raw.Oldest.Before(cut) {
		t.Errorf("raw after prune: %+v", raw)
	}
	// Far later, with the rollups stopped at day 10: raw points past the
	// day watermark stay, the hourly tier goes after 90 days.
	later := now.Add(100 * 24 * time.Hour)
	pr, err = metrics.Prune(ctx, st, later, metrics.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if raw := tier(t, st, inventory.TierRaw); raw.Oldest.Before(day0.Add(10 * 24 * time.Hour)) {
		t.Errorf("raw points before the day watermark should be gone, oldest %s", raw.Oldest)
	} else if raw.Rows == 0 {
		t.Error("raw points no rollup reached were pruned")
	}
	if pr.Hour != hour.Rows {
		t.Errorf("hour rows pruned %d, want all %d", pr.Hour, hour.Rows)
	}
	if d := tier(t, st, inventory.TierDay); d.Rows != 10 {
		t.Errorf("day rows %d, want 10 (kept 2 years)", d.Rows)
	}
}

func TestRetentionValidate(t *testing.T) {
	if err := (metrics.Retention{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, r := range []metrics.Retention{{Raw: time.Hour}, {Raw: 10 * 24 * time.Hour, Hour: 9 * 24 * time.Hour}, {Hour: 800 * 24 * time.Hour}} {
		if err := r.Validate(); !errors.Is(err, metrics.ErrInvalidRetention) {
			t.Errorf("%+v: %v", r, err)
		}
	}
	if _, err := metrics.Prune(context.Background(), memstore.New(), time.Now(), metrics.Retention{Raw: time.Hour}); !errors.Is(err, metrics.ErrInvalidRetention) {
		t.Errorf("Prune with a bad retention: %v", err)
	}
}
