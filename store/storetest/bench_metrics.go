package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// BenchVMMetrics are the six VM metrics the metric benchmarks write per
// VM and collection.
var BenchVMMetrics = []inventory.Metric{
	inventory.MetricCPUUsagePct, inventory.MetricMemUsagePct, inventory.MetricCPUUsageMHz,
	inventory.MetricMemUsageMB, inventory.MetricMemHostMB, inventory.MetricUptimeSeconds,
}

// Vcenters the metric benchmarks write.
const (
	benchMetricsIngestVC  = "bench-metrics-ingest"
	benchMetricsQueryVC   = "bench-metrics-query"
	benchMetricsStorageVC = "bench-metrics-storage"
)

// benchMetricEpoch is a UTC midnight the metric benchmarks' data start at.
var benchMetricEpoch = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// benchMetricCycle hands out distinct collection times across every call
// of BenchMetricsIngest in the process.
var benchMetricCycle atomic.Int64

func metricStoreOf(b *testing.B, st store.Store, helper string) store.MetricStore {
	b.Helper()
	ms, ok := st.(store.MetricStore)
	if !ok {
		b.Skipf("%s: %T does not implement store.MetricStore", helper, st)
	}
	return ms
}

// benchMetricKeys returns the keys of vms VMs ("vm-1"...) × metrics of
// vcenter, VM by VM.
func benchMetricKeys(vcenter string, vms int, metrics []inventory.Metric) []inventory.MetricKey {
	out := make([]inventory.MetricKey, 0, vms*len(metrics))
	for i := range vms {
		id := fmt.Sprintf("vm-%d", i+1)
		for _, m := range metrics {
			out = append(out, inventory.MetricKey{Vcenter: vcenter, EntityType: inventory.EntityVM, EntityID: id, Metric: m})
		}
	}
	return out
}

// p99 returns the nearest-rank 99th percentile of ds.
func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(math.Ceil(0.99*float64(len(s))))-1]
}

// BenchMetricsIngest measures WriteMetrics of collection cycles: each of
// b.N iterations writes one 5-minute cycle, vms VMs × the six
// BenchVMMetrics, with one WriteMetrics call (BatchSize 1000). It reports
// points/s. Every 2,000,000 points the raw tier is pruned (outside the
// timer, every vCenter's raw points), so the store stays bounded: give it
// a store of its own. st must implement store.MetricStore.
//
//	func BenchmarkMetricsIngest(b *testing.B) {
//		for _, vms := range []int{1000, 10000} {
//			b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) {
//				storetest.BenchMetricsIngest(b, newStore(b), vms)
//			})
//		}
//	}
func BenchMetricsIngest(b *testing.B, st store.Store, vms int) {
	ms := metricStoreOf(b, st, "BenchMetricsIngest")
	if vms <= 0 {
		b.Fatalf("BenchMetricsIngest: vms %d", vms)
	}
	ctx := context.Background()
	keys := benchMetricKeys(benchMetricsIngestVC, vms, BenchVMMetrics)
	batch := make([]inventory.MetricPoint, len(keys))
	r := rand.New(rand.NewPCG(uint64(vms), 1))
	for i, k := range keys {
		batch[i] = inventory.MetricPoint{MetricKey: k, Value: float64(r.IntN(1000000)) / 100}
	}
	purge := func() {
		if _, err := ms.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatalf("PruneMetrics: %v", err)
		}
	}
	const purgePoints = 2_000_000
	since := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := benchMetricEpoch.Add(time.Duration(benchMetricCycle.Add(1)) * 5 * time.Minute)
		for j := range batch {
			batch[j].Time = at
			batch[j].Value += 0.25
		}
		if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: batch, BatchSize: 1000}); err != nil {
			b.Fatalf("WriteMetrics (cycle %d, %d points): %v", i, len(batch), err)
		}
		if since += len(batch); since >= purgePoints {
			b.StopTimer()
			purge()
			since = 0
			b.StartTimer()
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(len(batch)*b.N)/s, "points/s")
	}
}

// MetricsQuerySizes are the data BenchMetricsQuery loads.
type MetricsQuerySizes struct {
	// VMs is the number of VMs with series; the cluster query sums them
	// all. Defaults to 2000.
	VMs int
	// Metrics is the number of metrics per VM, the first of
	// BenchVMMetrics (cpu.usage.pct, mem.usage.pct, ...); the VM chart
	// queries them all, the cluster query the first. Defaults to 1.
	Metrics int
	// Days is the span of the data and of the queries. Defaults to 30.
	Days int
	// Interval is the time between a series' points. Defaults to 5
	// minutes.
	Interval time.Duration
}

func (s MetricsQuerySizes) withDefaults() MetricsQuerySizes {
	if s.VMs <= 0 {
		s.VMs = 2000
	}
	if s.Metrics <= 0 {
		s.Metrics = 1
	}
	s.Metrics = min(s.Metrics, len(BenchVMMetrics))
	if s.Days <= 0 {
		s.Days = 30
	}
	if s.Interval <= 0 {
		s.Interval = 5 * time.Minute
	}
	return s
}

// BenchMetricsQuery measures QueryMetrics over sizes' data: VMs × Metrics
// series of points every Interval over Days days, written once (before
// the timers start) and rolled up to the hour tier up to 2 hours before
// the data's end, so the queries read the hour tier and, for the last two
// hours, the raw points. Sub-benchmarks, each reporting p99-ms (the
// nearest-rank 99th percentile of its queries' latencies; run at least
// 100 queries, e.g. -benchtime=200x, for it to mean something):
//
//   - vm-chart: the Days-day chart of one VM (a different VM each query)
//     at a 1-hour step, every metric;
//   - cluster-sum: the first metric of every VM summed (CombineSum) over
//     Days days at a 1-hour step, as a cluster's chart.
//
// st must implement store.MetricStore and hold no other metric data (the
// rollup moves the hour tier's watermark).
//
//	func BenchmarkMetricsQuery(b *testing.B) {
//		storetest.BenchMetricsQuery(b, newStore(b), storetest.MetricsQuerySizes{VMs: 2000, Interval: time.Hour})
//	}
func BenchMetricsQuery(b *testing.B, st store.Store, sizes MetricsQuerySizes) {
	ms := metricStoreOf(b, st, "BenchMetricsQuery")
	sz := sizes.withDefaults()
	ctx := context.Background()
	metrics := BenchVMMetrics[:sz.Metrics]
	end := benchMetricEpoch.Add(time.Duration(sz.Days) * 24 * time.Hour)
	start := time.Now()
	n := benchLoadMetrics(b, ms, benchMetricsQueryVC, sz.VMs, metrics, benchMetricEpoch, end, sz.Interval, 7)
	if _, err := ms.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierHour, To: end.Add(-2 * time.Hour)}); err != nil {
		b.Fatalf("RollupMetrics: %v", err)
	}
	b.Logf("loaded %d points and rolled them up in %s", n, time.Since(start).Round(time.Millisecond))
	ids := make([]string, sz.VMs)
	for i := range ids {
		ids[i] = fmt.Sprintf("vm-%d", i+1)
	}
	wantBuckets := sz.Days * 24
	run := func(name string, query func(i int) *store.QueryMetricsParams, wantSeries int) {
		b.Run(name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := query(i)
				t0 := time.Now()
				out, err := ms.QueryMetrics(ctx, p)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatalf("QueryMetrics: %v", err)
				}
				if len(out) != wantSeries || len(out[0].Buckets) != wantBuckets || out[0].Tier != inventory.TierHour {
					b.Fatalf("QueryMetrics: %d series, want %d of %d hour buckets", len(out), wantSeries, wantBuckets)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(p99(lat))/1e6, "p99-ms")
		})
	}
	run("vm-chart", func(i int) *store.QueryMetricsParams {
		return &store.QueryMetricsParams{Vcenter: benchMetricsQueryVC, EntityType: inventory.EntityVM, EntityIDs: ids[i%len(ids) : i%len(ids)+1],
			Metrics: metrics, From: benchMetricEpoch, To: end, Step: time.Hour}
	}, len(metrics))
	run("cluster-sum", func(int) *store.QueryMetricsParams {
		return &store.QueryMetricsParams{Vcenter: benchMetricsQueryVC, EntityType: inventory.EntityVM, EntityIDs: ids,
			Metrics: metrics[:1], From: benchMetricEpoch, To: end, Step: time.Hour, Combine: store.CombineSum}
	}, 1)
}

// benchLoadMetrics writes points of vms VMs × metrics every interval in
// [from, to), 50,000 points per WriteMetrics, and returns how many.
func benchLoadMetrics(b *testing.B, ms store.MetricStore, vcenter string, vms int, metrics []inventory.Metric, from, to time.Time, interval time.Duration, seed uint64) int {
	b.Helper()
	ctx := context.Background()
	keys := benchMetricKeys(vcenter, vms, metrics)
	r := rand.New(rand.NewPCG(seed, 2))
	chunk := make([]inventory.MetricPoint, 0, 50000)
	n := 0
	flush := func() {
		if len(chunk) == 0 {
			return
		}
		if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: chunk, BatchSize: 5000}); err != nil {
			b.Fatalf("loading metrics: WriteMetrics: %v", err)
		}
		n += len(chunk)
		chunk = chunk[:0]
	}
	for at := from; at.Before(to); at = at.Add(interval) {
		for _, k := range keys {
			chunk = append(chunk, inventory.MetricPoint{MetricKey: k, Time: at, Value: float64(r.IntN(100000)) / 100})
			if len(chunk) == cap(chunk) {
				flush()
			}
		}
	}
	flush()
	return n
}

// BenchMetricsStorage measures what metrics take in the store: each
// iteration writes vms VMs × the six BenchVMMetrics × days days of
// 5-minute points (a vCenter of its own), then rolls them up to the hour
// and day tiers and prunes every raw point, as retention would once the
// rollups exist. It reports, from MetricStats before and after (the
// backends' Bytes, 0 for memstore):
//
//   - raw-B/point: the raw tier's bytes per point written;
//   - rolled-B/point: every tier's bytes after the rollup and prune, per
//     point written;
//   - hour-B/row, day-B/row: the rollup tiers' bytes per row;
//   - points: the points written per iteration.
//
// Run it with -benchtime=1x (each iteration loads everything again). st
// must implement store.MetricStore and hold no other metric data.
//
//	func BenchmarkMetricsStorage(b *testing.B) {
//		storetest.BenchMetricsStorage(b, newStore(b), 1000, 7)
//	}
func BenchMetricsStorage(b *testing.B, st store.Store, vms, days int) {
	ms := metricStoreOf(b, st, "BenchMetricsStorage")
	if vms <= 0 || days <= 0 {
		b.Fatalf("BenchMetricsStorage: vms %d, days %d", vms, days)
	}
	ctx := context.Background()
	stats := func() map[inventory.MetricTier]store.MetricTierStats {
		s, err := ms.MetricStats(ctx, &store.MetricStatsParams{})
		if err != nil {
			b.Fatalf("MetricStats: %v", err)
		}
		out := map[inventory.MetricTier]store.MetricTierStats{}
		for _, t := range s.Tiers {
			out[t.Tier] = t
		}
		return out
	}
	total := func(m map[inventory.MetricTier]store.MetricTierStats) (n int64) {
		for _, t := range m {
			n += t.Bytes
		}
		return n
	}
	end := benchMetricEpoch.Add(time.Duration(days) * 24 * time.Hour)
	var points int
	var rawB, rolledB, hourB, dayB float64
	for i := 0; i < b.N; i++ {
		vc := fmt.Sprintf("%s-%d", benchMetricsStorageVC, i)
		s0 := stats()
		points = benchLoadMetrics(b, ms, vc, vms, BenchVMMetrics, benchMetricEpoch, end, 5*time.Minute, uint64(i))
		s1 := stats()
		for _, tier := range []inventory.MetricTier{inventory.TierHour, inventory.TierDay} {
			if _, err := ms.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: tier, From: benchMetricEpoch, To: end}); err != nil {
				b.Fatalf("RollupMetrics(%s): %v", tier, err)
			}
		}
		if _, err := ms.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: end}); err != nil {
			b.Fatalf("PruneMetrics: %v", err)
		}
		s2 := stats()
		hourRows, dayRows := s2[inventory.TierHour].Rows-s0[inventory.TierHour].Rows, s2[inventory.TierDay].Rows-s0[inventory.TierDay].Rows
		if want := int64(vms * len(BenchVMMetrics) * days); hourRows != 24*want || dayRows != want {
			b.Fatalf("rollups: %d hour and %d day rows, want %d and %d", hourRows, dayRows, 24*want, want)
		}
		rawB = float64(s1[inventory.TierRaw].Bytes-s0[inventory.TierRaw].Bytes) / float64(points)
		rolledB = float64(total(s2)-total(s0)) / float64(points)
		hourB = float64(s2[inventory.TierHour].Bytes-s0[inventory.TierHour].Bytes) / float64(hourRows)
		dayB = float64(s2[inventory.TierDay].Bytes-s0[inventory.TierDay].Bytes) / float64(dayRows)
	}
	b.ReportMetric(rawB, "raw-B/point")
	b.ReportMetric(rolledB, "rolled-B/point")
	b.ReportMetric(hourB, "hour-B/row")
	b.ReportMetric(dayB, "day-B/row")
	b.ReportMetric(float64(points), "points")
}
