// Command sizing measures the storage of hourly samples: bytes per
// VM-hour on SQLite and (with VINVENTORY_TEST_PG_DSN) PostgreSQL, with
// and without the hourly compatibility tables, for 24 snapshots of 2,000
// VMs (storetest.Snapshot fixtures). docs/architecture.md holds its
// figures:
//
//	go run ./internal/sizing
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
	"github.com/accessvault/vinventory/store/storetest"
)

const vms, hours = 2000, 24

func main() {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, compat := range []bool{false, true} {
		dir, _ := os.MkdirTemp("", "size")
		path := filepath.Join(dir, "s.db")
		st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{AutoMigrate: true})
		if err != nil {
			panic(err)
		}
		var base int64
		for h := range hours {
			p := storetest.Snapshot("vc1", t0.Add(time.Duration(h)*time.Hour), vms, int64(h))
			p.Compat = compat
			if _, err := st.WriteSnapshot(ctx, p); err != nil {
				panic(err)
			}
			if h == 0 { // the first snapshot also writes the latest state
				st.Close()
				base = fsize(path)
				st, _ = sqlitestore.Open(ctx, path, sqlitestore.Options{AutoMigrate: true})
			}
		}
		st.Close()
		db, _ := sql.Open("sqlite3", path)
		db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		db.Close()
		total := fsize(path)
		fmt.Printf("sqlite compat=%v: file %d bytes after %d snapshots of %d VMs; %.0f bytes per VM-hour (growth after the first snapshot)\n",
			compat, total, hours, vms, float64(total-base)/float64(vms*(hours-1)))
		os.RemoveAll(dir)
	}
	dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
	if dsn == "" {
		return
	}
	for _, compat := range []bool{false, true} {
		schema := fmt.Sprintf("size_%v_%d", compat, os.Getpid())
		st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema, AutoMigrate: true})
		if err != nil {
			panic(err)
		}
		for h := range hours {
			p := storetest.Snapshot("vc1", t0.Add(time.Duration(h)*time.Hour), vms, int64(h))
			p.Compat = compat
			if _, err := st.WriteSnapshot(ctx, p); err != nil {
				fmt.Println("write:", err)
				return
			}
		}
		var hourly, compatBytes, all int64
		_, _ = st.Pool().Exec(ctx, "VACUUM")
		st.Pool().QueryRow(ctx, `SELECT pg_total_relation_size('"`+schema+`".vm_hourly_stats')`).Scan(&hourly)
		st.Pool().QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))),0) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'inventory_hourly_%'`, schema).Scan(&compatBytes)
		st.Pool().QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))),0) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&all)
		fmt.Printf("postgres compat=%v: vm_hourly_stats %d bytes = %.0f bytes per VM-hour (indexes included); compat tables %.0f bytes per VM-hour; whole schema %d bytes\n",
			compat, hourly, float64(hourly)/float64(vms*hours), float64(compatBytes)/float64(vms*hours), all)
		st.Pool().Exec(ctx, `DROP SCHEMA "`+schema+`" CASCADE`)
		st.Close()
	}
}

func fsize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
