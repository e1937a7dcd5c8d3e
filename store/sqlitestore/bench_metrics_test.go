package sqlitestore

import (
	"testing"
	"time"

	"github.com/accessvault/vinventory/store/storetest"
)

// The metric benchmarks (docs/benchmarks.md, "Metrics time series"). Build
// with -tags sqlite_dbstat for MetricStats' Bytes (BenchmarkMetricsStorage
// reports 0 B without it).

// BenchmarkMetricsIngest writes 5-minute cycles of 40,000 VMs × 6 metrics
// into one file; the first cycle creates the 240,000 series.
func BenchmarkMetricsIngest(b *testing.B) {
	storetest.BenchMetricsIngest(b, benchStore(b, Options{}), 40000)
}

// BenchmarkMetricsQuery charts 30 days of one VM and sums 2,000 VMs at a
// 1-hour step over hour rollups plus a 2-hour raw tail.
func BenchmarkMetricsQuery(b *testing.B) {
	storetest.BenchMetricsQuery(b, benchStore(b, Options{}), storetest.MetricsQuerySizes{VMs: 2000, Interval: time.Hour})
}

// BenchmarkMetricsStorage measures bytes per point of a week of 5-minute
// points of 200 VMs, raw and after rollup and prune.
func BenchmarkMetricsStorage(b *testing.B) {
	storetest.BenchMetricsStorage(b, benchStore(b, Options{}), 200, 7)
}
