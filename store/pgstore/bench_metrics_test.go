package pgstore_test

import (
	"testing"
	"time"

	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// The metric benchmarks (docs/benchmarks.md, "Metrics time series"), each
// in a schema of its own.

// BenchmarkMetricsIngest writes 5-minute cycles of 40,000 VMs × 6 metrics;
// the first cycle creates the 240,000 series.
func BenchmarkMetricsIngest(b *testing.B) {
	storetest.BenchMetricsIngest(b, newStore(b, pgstore.Options{}), 40000)
}

// BenchmarkMetricsQuery charts 30 days of one VM and sums 2,000 VMs at a
// 1-hour step over hour rollups plus a 2-hour raw tail.
func BenchmarkMetricsQuery(b *testing.B) {
	storetest.BenchMetricsQuery(b, newStore(b, pgstore.Options{}), storetest.MetricsQuerySizes{VMs: 2000, Interval: time.Hour})
}

// BenchmarkMetricsStorage measures bytes per point of a week of 5-minute
// points of 200 VMs, raw and after rollup and prune.
func BenchmarkMetricsStorage(b *testing.B) {
	storetest.BenchMetricsStorage(b, newStore(b, pgstore.Options{}), 200, 7)
}
