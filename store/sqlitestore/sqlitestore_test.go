package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
	"github.com/accessvault/vinventory/store/sqlitestore"
	"github.com/accessvault/vinventory/store/storetest"
)

func openTemp(t testing.TB, opts sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	opts.AutoMigrate = true
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "inventory.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, sqlitestore.Options{}) })
}

func TestConformanceInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := sqlitestore.Open(context.Background(), ":memory:", sqlitestore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	})
}

func TestCapabilities(t *testing.T) {
	st := openTemp(t, sqlitestore.Options{})
	c := st.Capabilities()
	if c.Backend != "sqlite" || c.TimePrecision != driver.Precision || c.Partitioning {
		t.Fatalf("Capabilities() = %+v", c)
	}
}

// Several stores on one file behave like several processes: migrations and
// writers must serialize instead of failing with "database is locked".
func TestSeveralStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	var stores []*sqlitestore.Store
	for range 4 {
		st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		stores = append(stores, st)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, st := range stores {
		wg.Go(func() {
			if err := st.Migrate(ctx); err != nil {
				errs <- fmt.Errorf("Migrate: %w", err)
			}
		})
	}
	wg.Wait()
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	for i, st := range stores {
		for j := range 3 {
			wg.Go(func() {
				p := storetest.Snapshot(fmt.Sprintf("vc-%d", j), t0.Add(time.Duration(i)*time.Hour), 200, int64(i))
				p.Compat = true
				if _, err := st.WriteSnapshot(ctx, p); err != nil {
					errs <- fmt.Errorf("WriteSnapshot: %w", err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	recs, err := stores[0].ListSnapshots(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 12 {
		t.Fatalf("got %d registry records, want 12", len(recs))
	}
}

func TestNewWithCallerDB(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "caller.db")+"?_journal_mode=WAL&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sqlitestore.New(db, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	p := storetest.Snapshot("vc-a", time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), 10, 1)
	if _, err := st.WriteSnapshot(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("Close closed the caller's *sql.DB: %v", err)
	}
	if _, err := st.ListHosts(ctx, nil); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ListHosts after Close: %v, want ErrClosed", err)
	}
}

func TestOpenDoesNotMigrate(t *testing.T) {
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ListHosts(ctx, nil); err == nil {
		t.Fatal("ListHosts on an unmigrated database succeeded; Open migrated without AutoMigrate")
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ListHosts(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// Writes are synchronous=FULL unless Options.Synchronous says "normal",
// through Open and New alike; other values are refused.
func TestSynchronous(t *testing.T) {
	ctx := context.Background()
	level := func(t *testing.T, db *sql.DB) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		opt  string
		want int // 1 NORMAL, 2 FULL
	}{{"", 2}, {"full", 2}, {"FULL", 2}, {"normal", 1}} {
		st := openTemp(t, sqlitestore.Options{Synchronous: c.opt})
		if got := level(t, sqlitestore.ReadDB(st)); got != c.want {
			t.Errorf("Open with Synchronous %q: synchronous = %d, want %d", c.opt, got, c.want)
		}

		// New: the caller's DSN asks for NORMAL (the driver's default
		// too); the store's setting applies to its writes.
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "caller.db")+"?_journal_mode=WAL&_synchronous=NORMAL")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		st2, err := sqlitestore.New(db, sqlitestore.Options{Synchronous: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		if err := st2.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := level(t, db); got != c.want {
			t.Errorf("New with Synchronous %q: synchronous after a write = %d, want %d", c.opt, got, c.want)
		}
		_ = st2.Close()
		_ = db.Close()
	}
	for _, bad := range []string{"off", "extra", "2", " full"} {
		if _, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlitestore.Options{Synchronous: bad}); err == nil {
			t.Errorf("Open with Synchronous %q succeeded", bad)
		}
		if _, err := sqlitestore.New(&sql.DB{}, sqlitestore.Options{Synchronous: bad}); err == nil {
			t.Errorf("New with Synchronous %q succeeded", bad)
		}
	}
}

// TestBackgroundCheckpoint: a committed write reaches the database file
// itself (read here with immutable=1, which ignores the write-ahead log)
// without another write and without Close, through the background
// checkpoint; the write connection's automatic checkpoint would not run
// for so few pages. The store stays usable after it and closes cleanly.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inventory.db")
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var rows []inventory.DailyRollup
	for i := range 50 {
		rows = append(rows, inventory.DailyRollup{Day: day, Rollup: inventory.Rollup{Vcenter: "vc", VMKey: fmt.Sprintf("vm-%d", i), TotalSamples: 24}})
	}
	if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc", Day: day, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	inFile := func() int {
		db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM vm_daily_rollup").Scan(&n); err != nil {
			return -1 // the table itself is not in the file yet
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for n := inFile(); n != len(rows); n = inFile() {
		if time.Now().After(deadline) {
			t.Fatalf("database file holds %d rows 30s after the commit, want %d (no background checkpoint)", n, len(rows))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var got int
	if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: "vc"}, func(*inventory.DailyRollup) error { got++; return nil }); err != nil || got != len(rows) {
		t.Fatalf("ScanDailyRollups: %d rows, %v", got, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
