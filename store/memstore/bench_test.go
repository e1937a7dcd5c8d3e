package memstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

func BenchmarkWriteSamples(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			storetest.BenchWriteSamples(b, memstore.New(), n)
		})
	}
}

func BenchmarkScanSamples(b *testing.B) {
	for _, n := range []int{1000000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			storetest.BenchScanSamples(b, memstore.New(), n)
		})
	}
}

func BenchmarkQuery(b *testing.B) {
	storetest.BenchQuery(b, memstore.New())
}

func BenchmarkMetricsIngest(b *testing.B) {
	for _, vms := range []int{100, 1000} {
		b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) {
			storetest.BenchMetricsIngest(b, memstore.New(), vms)
		})
	}
}

func BenchmarkMetricsQuery(b *testing.B) {
	storetest.BenchMetricsQuery(b, memstore.New(), storetest.MetricsQuerySizes{VMs: 2000, Metrics: 2, Days: 30, Interval: time.Hour})
}

func BenchmarkMetricsStorage(b *testing.B) {
	storetest.BenchMetricsStorage(b, memstore.New(), 20, 7)
}
