package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/sqlstore"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// rowAtATime is the baseline a naive loop gives: every sample its own
// INSERT ... ON CONFLICT statement in autocommit mode (one transaction, and
// one WAL commit, per row).
type rowAtATime struct{ *Store }

func (s rowAtATime) WriteSamples(ctx context.Context, p *store.WriteSamplesParams) error {
	if err := store.ValidateSamples("WriteSamples", p.Samples); err != nil {
		return err
	}
	return s.UpsertSamplesGeneric(ctx, autocommit{s.d.wdb}, s.SampleRows(p.Samples, time.Time{}, 1))
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
// statements in one transaction) with the row-at-a-time baseline.
func BenchmarkWriteSamples(b *testing.B) {
	st := benchStore(b)
	for _, path := range []struct {
		name string
		st   store.Store
	}{{"batched", st}, {"row-at-a-time", rowAtATime{st}}} {
		for _, n := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/batch=%d", path.name, n), func(b *testing.B) {
				storetest.BenchWriteSamples(b, path.st, n)
			})
		}
	}
}

func BenchmarkScanSamples(b *testing.B) {
	st := benchStore(b)
	b.Run("rows=1000000", func(b *testing.B) { storetest.BenchScanSamples(b, st, 1_000_000) })
}
