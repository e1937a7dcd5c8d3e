package capture_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

var schemaSeq atomic.Int64

// forEachStore runs f against a fresh memstore, SQLite file and, when
// VINVENTORY_TEST_PG_DSN is set, PostgreSQL schema.
func forEachStore(t *testing.T, f func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) { f(t, memstore.New(memstore.Options{})) })
	t.Run("sqlite", func(t *testing.T) {
		ctx := context.Background()
		st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "inv.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
		if dsn == "" {
			if os.Getenv("VINVENTORY_TEST_REQUIRE_PG") != "" {
				t.Fatal("VINVENTORY_TEST_REQUIRE_PG is set but VINVENTORY_TEST_PG_DSN is empty")
			}
			t.Skip("PostgreSQL tests skipped: set VINVENTORY_TEST_PG_DSN or run scripts/test.sh")
		}
		ctx := context.Background()
		schema := fmt.Sprintf("capture_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
		st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			st.Pool().Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
			st.Close()
		})
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f(t, st)
	})
}
