package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
	"github.com/accessvault/vinventory/store/internal/sqlstore"
	"github.com/accessvault/vinventory/store/storetest"
)

func benchStore(b *testing.B, opts Options) *Store {
	b.Helper()
	opts.AutoMigrate = true
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// rowAtATime is the baseline a naive loop gives: every sample its own
// INSERT ... ON CONFLICT statement in autocommit mode (one transaction, and
// one WAL commit, per row) on the same database, through the write
// connection pool of the same Store, so with the same synchronous setting
// as the batched path it is compared with.
type rowAtATime struct{ *Store }

func (s rowAtATime) WriteSamples(ctx context.Context, p *store.WriteSamplesParams) error {
	if err := driver.ValidateSamples("WriteSamples", p.Samples); err != nil {
		return err
	}
	return s.core.UpsertSamplesGeneric(ctx, autocommit{s.d.wdb}, s.core.SampleRows(p.Samples, time.Time{}, 1))
}

// autocommit runs each statement on its own, outside any transaction.
type autocommit struct{ db *sql.DB }

func (a autocommit) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := a.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (a autocommit) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return a.db.QueryContext(ctx, q, args...)
}

func (autocommit) Commit(context.Context) error   { return nil }
func (autocommit) Rollback(context.Context) error { return nil }

// BenchmarkWriteSamples compares the batched write path (multi-row
// statements in one transaction) with the row-at-a-time baseline, at each
// synchronous setting (both paths of one sub-benchmark group share one
// database file and its setting). Files live in the test's temporary
// directory: set TMPDIR to benchmark another disk.
func BenchmarkWriteSamples(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		st := benchStore(b, Options{Synchronous: sync})
		for _, path := range []struct {
			name string
			st   store.Store
		}{{"batched", st}, {"row-at-a-time", rowAtATime{st}}} {
			for _, n := range []int{100, 1000, 10000} {
				b.Run(fmt.Sprintf("sync=%s/%s/batch=%d", sync, path.name, n), func(b *testing.B) {
					storetest.BenchWriteSamples(b, path.st, n)
				})
			}
		}
	}
}

func BenchmarkScanSamples(b *testing.B) {
	st := benchStore(b, Options{})
	b.Run("rows=1000000", func(b *testing.B) { storetest.BenchScanSamples(b, st, 1_000_000) })
}

// BenchmarkQuery measures store.Querier at 40,000 VMs (storetest.BenchQuery).
func BenchmarkQuery(b *testing.B) {
	storetest.BenchQuery(b, benchStore(b, Options{}))
}

// BenchmarkDetails measures store.Details at 40,000 VMs (80,000 disks):
// replacing a vCenter's detail and reading it back.
func BenchmarkDetails(b *testing.B) {
	storetest.BenchDetails(b, benchStore(b, Options{}), 40000)
}
