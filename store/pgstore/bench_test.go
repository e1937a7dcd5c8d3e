package pgstore_test

import (
	"fmt"
	"testing"

	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// BenchmarkWriteSamples compares the COPY path with multi-row INSERT ...
// ON CONFLICT. "copy" is what WriteSamples does (COPY straight into
// vm_hourly_stats when no stored row can conflict, as here);
// "copy-staged" forces the COPY-into-staging + INSERT ... SELECT ... ON
// CONFLICT path that re-writes take.
func BenchmarkWriteSamples(b *testing.B) {
	for _, v := range []struct {
		name   string
		method string
		staged bool
	}{{"copy", pgstore.MethodCopy, false}, {"copy-staged", pgstore.MethodCopy, true}, {"insert", pgstore.MethodInsert, false}} {
		st := newStore(b, pgstore.Options{SampleWriteMethod: v.method})
		pgstore.SetAlwaysStage(st, v.staged)
		for _, n := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/batch=%d", v.name, n), func(b *testing.B) {
				storetest.BenchWriteSamples(b, st, n)
			})
		}
	}
}

func BenchmarkScanSamples(b *testing.B) {
	st := newStore(b, pgstore.Options{})
	b.Run("rows=1000000", func(b *testing.B) { storetest.BenchScanSamples(b, st, 1_000_000) })
}
