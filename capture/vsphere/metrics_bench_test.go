package vsphere

import (
	"context"
	"testing"

	"github.com/accessvault/vinventory/capture"
)

// BenchmarkCollectMetrics measures CollectMetrics on a simulator with
// per-call latency, with and without the PerformanceManager counters,
// and reports the entities (with at least one point) collected per
// second. VSPHERE_BENCH_VMS (default 3000) and VSPHERE_BENCH_DELAY_MS
// (default 2) change the size and the latency.
//
//	go test -run '^$' -bench BenchmarkCollectMetrics -benchtime 3x ./capture/vsphere/
func BenchmarkCollectMetrics(b *testing.B) {
	ctx := context.Background()
	_, connect := benchSim(b, 3000)
	src := connect(b, Options{})
	serial := connect(b, Options{Concurrency: 1})

	for _, c := range []struct {
		name  string
		src   *Source
		skip  bool
		batch int
	}{
		{"quickstats", src, true, 0}, {"quickstats/concurrency=1", serial, true, 0},
		{"perf/batch=100", src, false, 100}, {"perf/batch=250", src, false, 250},
	} {
		b.Run(c.name, func(b *testing.B) {
			entities := 0
			for range b.N {
				col, err := c.src.CollectMetrics(ctx, &capture.CollectMetricsParams{SkipPerf: c.skip, PerfBatchSize: c.batch})
				if err != nil {
					b.Fatal(err)
				}
				if len(col.Failures) > 0 {
					b.Fatal(col.Failures)
				}
				seen := map[string]bool{}
				for _, p := range col.Points {
					seen[string(p.EntityType)+"/"+p.EntityID] = true
				}
				entities += len(seen)
			}
			b.ReportMetric(float64(entities)/b.Elapsed().Seconds(), "entities/s")
			b.ReportMetric(float64(entities)/float64(b.N), "entities/op")
		})
	}
}
