package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
)

// metricPartitions lists the partitions of metric_points in schema
// (pg_inherits), sorted.
func metricPartitions(t *testing.T, schema string) []string {
	t.Helper()
	rows, err := sharedPool(t).Query(context.Background(), `SELECT c.relname::text FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE n.nspname = $1 AND p.relname = 'metric_points' ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func vmPoint(id string, m inventory.Metric, at time.Time, v float64) inventory.MetricPoint {
	return inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: "vc1", EntityType: inventory.EntityVM, EntityID: id, Metric: m},
		Time: at, Value: v}
}

// TestMetricPartitions writes points on three UTC days: one daily
// partition each. A prune inside the second day drops the first day's
// partition whole, deletes the second day's expired points and keeps the
// rest; the counts match the points written.
func TestMetricPartitions(t *testing.T) {
	st, schema := newStoreIn(t, pgstore.Options{})
	ctx := context.Background()
	day1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var pts []inventory.MetricPoint
	// Every 6 hours over three days, two series: 12 points per series.
	for h := 0; h < 72; h += 6 {
		at := day1.Add(time.Duration(h) * time.Hour)
		pts = append(pts, vmPoint("vm-1", inventory.MetricCPUUsagePct, at, float64(h)), vmPoint("vm-2", inventory.MetricCPUUsagePct, at, float64(h)))
	}
	// vm-3 only has points on day 1: its series goes with the partition.
	pts = append(pts, vmPoint("vm-3", inventory.MetricMemUsagePct, day1.Add(time.Hour), 1))
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	want := []string{"metric_points_p20260301", "metric_points_p20260302", "metric_points_p20260303"}
	if got := metricPartitions(t, schema); !slices.Equal(got, want) {
		t.Fatalf("partitions after the write = %v, want %v", got, want)
	}
	// Writing the same days again (a new Store: no cached partitions)
	// creates nothing more.
	st2, err := pgstore.New(sharedPool(t), pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if err := st2.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts[:4]}); err != nil {
		t.Fatal(err)
	}
	if got := metricPartitions(t, schema); !slices.Equal(got, want) {
		t.Fatalf("partitions after writing again = %v, want %v", got, want)
	}
	// Cutoff day 2 at 12:00: day 1's 4+4+1 points go with its partition,
	// day 2's points at 00:00 and 06:00 (2 per series) are deleted.
	res, err := st.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: day1.Add(36 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Raw != 9+4 || res.Series != 1 {
		t.Fatalf("PruneMetrics = %+v, want Raw 13, Series 1", res)
	}
	if got := metricPartitions(t, schema); !slices.Equal(got, want[1:]) {
		t.Fatalf("partitions after the prune = %v, want %v", got, want[1:])
	}
	stats, err := st.MetricStats(ctx, &store.MetricStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	raw := stats.Tiers[0]
	if stats.Series != 2 || raw.Rows != 2*12-13+1 || !raw.Oldest.Equal(day1.Add(36*time.Hour)) || raw.Bytes <= 0 ||
		stats.Tiers[1].Bytes <= 0 || stats.Tiers[2].Bytes <= 0 {
		t.Fatalf("MetricStats after the prune = %+v", stats)
	}
	// The first day can be written again: its partition is created anew.
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts[:2]}); err != nil {
		t.Fatal(err)
	}
	if got := metricPartitions(t, schema); !slices.Equal(got, want) {
		t.Fatalf("partitions after writing day 1 again = %v, want %v", got, want)
	}
}

// TestMetricPartitionPrunedElsewhere has one replica prune a day's
// partition that another created and cached: the other's next write of
// that day creates it again and stores every point (before, it failed
// until a restart: "no partition of relation found for row").
func TestMetricPartitionPrunedElsewhere(t *testing.T) {
	writer, schema := newStoreIn(t, pgstore.Options{})
	pruner, err := pgstore.New(sharedPool(t), pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer pruner.Close()
	ctx := context.Background()
	day1 := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	if err := writer.WriteMetrics(ctx, &store.WriteMetricsParams{Points: []inventory.MetricPoint{
		vmPoint("vm-1", inventory.MetricCPUUsagePct, day1, 1), vmPoint("vm-1", inventory.MetricCPUUsagePct, day2, 2)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pruner.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: day2.Truncate(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, want := metricPartitions(t, schema), []string{"metric_points_p20260502"}; !slices.Equal(got, want) {
		t.Fatalf("partitions after the other replica's prune = %v, want %v", got, want)
	}
	late := []inventory.MetricPoint{vmPoint("vm-1", inventory.MetricCPUUsagePct, day1.Add(time.Hour), 3),
		vmPoint("vm-2", inventory.MetricCPUUsagePct, day2.Add(time.Hour), 4)}
	if err := writer.WriteMetrics(ctx, &store.WriteMetricsParams{Points: late}); err != nil {
		t.Fatalf("write to the day pruned elsewhere: %v", err)
	}
	if got, want := metricPartitions(t, schema), []string{"metric_points_p20260501", "metric_points_p20260502"}; !slices.Equal(got, want) {
		t.Fatalf("partitions after the late write = %v, want %v", got, want)
	}
	var n int
	var sum float64
	if err := sharedPool(t).QueryRow(ctx, `SELECT count(*), sum(value) FROM "`+schema+`".metric_points`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 3 || sum != 2+3+4 {
		t.Fatalf("%d points summing to %v, want 3 summing to 9", n, sum)
	}
}

// TestMetricConcurrentWriters has several stores (as replicas would, each
// with its own cache of known partitions) write points of the same new
// day and of the same new series at once: every write succeeds, the day
// has one partition and each series one ID.
func TestMetricConcurrentWriters(t *testing.T) {
	_, schema := newStoreIn(t, pgstore.Options{})
	ctx := context.Background()
	const writers = 6
	at := time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, writers)
	for w := range writers {
		st, err := pgstore.New(sharedPool(t), pgstore.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			pts := []inventory.MetricPoint{
				vmPoint("shared", inventory.MetricCPUUsagePct, at, 1),
				vmPoint(fmt.Sprintf("vm-%d", w), inventory.MetricCPUUsagePct, at.Add(time.Duration(w)*time.Minute), float64(w)),
			}
			errs[w] = st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts})
		}()
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	if got := metricPartitions(t, schema); !slices.Equal(got, []string{"metric_points_p20260402"}) {
		t.Fatalf("partitions = %v, want the one day", got)
	}
	var series, points int
	if err := sharedPool(t).QueryRow(ctx, `SELECT (SELECT count(*) FROM "`+schema+`".metric_series),
		(SELECT count(*) FROM "`+schema+`".metric_points)`).Scan(&series, &points); err != nil {
		t.Fatal(err)
	}
	if series != writers+1 || points != writers+1 {
		t.Fatalf("%d series and %d points, want %d of each", series, points, writers+1)
	}
}

// TestMetricWriteFailsInCopy cancels a write in the middle of its COPY
// stream: nothing of it is stored (neither its new series nor its points,
// nor its new value of a stored point), and the error says why.
func TestMetricWriteFailsInCopy(t *testing.T) {
	st := newStore(t, pgstore.Options{})
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: []inventory.MetricPoint{
		vmPoint("vm-0", inventory.MetricCPUUsagePct, at, 7)}}); err != nil {
		t.Fatal(err)
	}
	var pts []inventory.MetricPoint
	pts = append(pts, vmPoint("vm-0", inventory.MetricCPUUsagePct, at, 99))
	for i := range 20000 {
		pts = append(pts, vmPoint(fmt.Sprintf("vm-%d", i%500+1), inventory.MetricCPUUsagePct, at.Add(time.Duration(i/500)*time.Minute), float64(i)))
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// pgconn reads the COPY stream in a goroutine of its own.
	var encoded atomic.Int64
	pgstore.SetMetricEncodeHook(st, func(i int) {
		encoded.Add(1)
		if i == 12000 {
			cancel()
		}
	})
	err := st.WriteMetrics(cctx, &store.WriteMetricsParams{Points: pts, BatchSize: 100})
	pgstore.SetMetricEncodeHook(st, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteMetrics cancelled mid-COPY: err = %v, want context.Canceled", err)
	}
	if n := encoded.Load(); n <= 12000 || n >= int64(len(pts)) {
		t.Fatalf("%d of %d points encoded: the COPY did not stop in the middle", n, len(pts))
	}
	keys, err := st.ListMetricKeys(ctx, &store.ListMetricKeysParams{Vcenter: "vc1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].EntityID != "vm-0" {
		t.Fatalf("series after the failed write = %v, want only vm-0", keys)
	}
	got, err := st.QueryMetrics(ctx, &store.QueryMetricsParams{Vcenter: "vc1", EntityType: inventory.EntityVM, EntityIDs: []string{"vm-0"},
		Metrics: []inventory.Metric{inventory.MetricCPUUsagePct}, From: at, To: at.Add(time.Hour), Step: time.Hour, Tier: inventory.TierRaw})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Buckets) != 1 || got[0].Buckets[0].Avg != 7 || got[0].Buckets[0].Count != 1 {
		t.Fatalf("vm-0 after the failed write = %+v, want its one point of 7", got)
	}
}

// TestMetricRewriteReplaces writes a collection, then the same keys and
// times again with new values and a new point among them: the direct COPY
// meets the stored points, and the staged upsert replaces their values.
func TestMetricRewriteReplaces(t *testing.T) {
	st := newStore(t, pgstore.Options{})
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	first := []inventory.MetricPoint{vmPoint("vm-1", inventory.MetricCPUUsagePct, at, 1), vmPoint("vm-1", inventory.MetricCPUUsagePct, at.Add(time.Minute), 2)}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: first}); err != nil {
		t.Fatal(err)
	}
	second := []inventory.MetricPoint{vmPoint("vm-1", inventory.MetricCPUUsagePct, at, 10), vmPoint("vm-1", inventory.MetricCPUUsagePct, at.Add(2*time.Minute), 30)}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: second}); err != nil {
		t.Fatal(err)
	}
	got, err := st.QueryMetrics(ctx, &store.QueryMetricsParams{Vcenter: "vc1", EntityType: inventory.EntityVM, EntityIDs: []string{"vm-1"},
		Metrics: []inventory.Metric{inventory.MetricCPUUsagePct}, From: at, To: at.Add(3 * time.Minute), Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	for _, b := range got[0].Buckets {
		vals = append(vals, b.Avg)
	}
	if !slices.Equal(vals, []float64{10, 2, 30}) {
		t.Fatalf("values after the rewrite = %v, want [10 2 30]", vals)
	}
}
