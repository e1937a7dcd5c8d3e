package pgstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// BenchmarkWriteSamples compares the COPY path with multi-row INSERT ...
// ON CONFLICT, with the default indexes of vm_hourly_stats and without the
// three VM-first ones (Options.NoTraceIndexes). "copy" is what
// WriteSamples does (COPY straight into vm_hourly_stats when no stored row
// can conflict, as here); "copy-staged" forces the COPY-into-staging +
// INSERT ... SELECT ... ON CONFLICT path that re-writes take. Each variant
// writes into its own schema.
func BenchmarkWriteSamples(b *testing.B) {
	for _, v := range []struct {
		name    string
		method  string
		staged  bool
		noTrace bool
	}{
		{"copy", pgstore.MethodCopy, false, false},
		{"copy-staged", pgstore.MethodCopy, true, false},
		{"insert", pgstore.MethodInsert, false, false},
		{"copy-notrace", pgstore.MethodCopy, false, true},
		{"copy-staged-notrace", pgstore.MethodCopy, true, true},
		{"insert-notrace", pgstore.MethodInsert, false, true},
	} {
		st := newStore(b, pgstore.Options{SampleWriteMethod: v.method, NoTraceIndexes: v.noTrace})
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

// BenchmarkQuery measures store.Querier at 40,000 VMs (storetest.BenchQuery),
// once autovacuum would have run: the latest-state tables vacuumed and
// analyzed after loading.
func BenchmarkQuery(b *testing.B) {
	st, schema := newStoreIn(b, pgstore.Options{})
	storetest.BenchQueryLoad(b, st)
	for _, table := range []string{"inv_vms", "vm_datastores", "vm_networks"} {
		if _, err := st.Pool().Exec(context.Background(), `VACUUM ANALYZE "`+schema+`".`+table); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchQuery(b, st)
}

// BenchmarkDetails measures store.Details at 40,000 VMs (80,000 disks):
// replacing a vCenter's detail and reading it back.
func BenchmarkDetails(b *testing.B) {
	storetest.BenchDetails(b, newStore(b, pgstore.Options{}), 40000)
}
