package memstore_test

import (
	"fmt"
	"testing"

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
