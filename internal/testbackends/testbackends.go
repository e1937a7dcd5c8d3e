// Package testbackends runs a test against every bundled store backend: a
// fresh memstore, a SQLite file and, when VINVENTORY_TEST_PG_DSN is set, a
// PostgreSQL schema dropped afterwards. With VINVENTORY_TEST_REQUIRE_PG set
// (scripts/test.sh sets it) a missing DSN fails instead of skipping.
package testbackends

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

// PostgresDSN returns VINVENTORY_TEST_PG_DSN. Without it the test is
// skipped, or fails when VINVENTORY_TEST_REQUIRE_PG is set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("VINVENTORY_TEST_REQUIRE_PG") != "" {
			t.Fatal("VINVENTORY_TEST_REQUIRE_PG is set but VINVENTORY_TEST_PG_DSN is empty")
		}
		t.Skip("PostgreSQL tests skipped: set VINVENTORY_TEST_PG_DSN or run scripts/test.sh")
	}
	return dsn
}

// ForEach runs f as the subtests memory, sqlite and postgres.
func ForEach(t *testing.T, f func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) { f(t, memstore.New(memstore.Options{})) })
	t.Run("sqlite", func(t *testing.T) {
		ctx := context.Background()
		st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "inv.db"), sqlitestore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		f(t, st)
	})
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}

// Postgres opens a PostgreSQL store in a schema of its own, dropped when
// the test ends (skipped or failed without a DSN, as PostgresDSN).
func Postgres(t testing.TB) *pgstore.Store {
	t.Helper()
	dsn := PostgresDSN(t)
	ctx := context.Background()
	schema := fmt.Sprintf("t_%d_%d", os.Getpid(), schemaSeq.Add(1))
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema, AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Pool().Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
		st.Close()
	})
	return st
}
