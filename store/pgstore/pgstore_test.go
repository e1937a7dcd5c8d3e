package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/storetest"
)

const skipMsg = "PostgreSQL tests skipped: set VINVENTORY_TEST_PG_DSN or run scripts/test.sh"

var (
	poolOnce  sync.Once
	sharedErr error
	shared    *pgxpool.Pool
	schemaSeq atomic.Int64
)

func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
	if dsn == "" {
		tb.Skip(skipMsg)
	}
	return dsn
}

// sharedPool is one pool for every test store (each in its own schema).
func sharedPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	dsn := testDSN(tb)
	poolOnce.Do(func() {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			sharedErr = err
			return
		}
		cfg.MaxConns = 24
		shared, sharedErr = pgxpool.NewWithConfig(context.Background(), cfg)
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

func newSchema() string {
	return fmt.Sprintf("vinv_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
}

func dropSchema(tb testing.TB, schema string) {
	if _, err := sharedPool(tb).Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
		tb.Errorf("dropping schema %s: %v", schema, err)
	}
}

// newStore returns a migrated store in a fresh schema, dropped at cleanup.
func newStore(tb testing.TB, opts pgstore.Options) *pgstore.Store {
	tb.Helper()
	st, _ := newStoreIn(tb, opts)
	return st
}

// newStoreIn is newStore, also returning the schema.
func newStoreIn(tb testing.TB, opts pgstore.Options) (*pgstore.Store, string) {
	tb.Helper()
	pool := sharedPool(tb)
	opts.Schema = newSchema()
	st, err := pgstore.New(pool, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = st.Close()
		dropSchema(tb, opts.Schema)
	})
	if err := st.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st, opts.Schema
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, pgstore.Options{}) })
}

func TestConformancePartitioned(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		st := newStore(t, pgstore.Options{PartitionHourlyByMonth: true})
		if !st.Capabilities().Partitioning {
			t.Fatal("Capabilities().Partitioning is false with PartitionHourlyByMonth")
		}
		return st
	})
}

func TestConformanceNoTraceIndexes(t *testing.T) {
	testDSN(t)
	if testing.Short() {
		t.Skip("long")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, pgstore.Options{NoTraceIndexes: true})
	})
}

func TestConformanceInsertMethod(t *testing.T) {
	testDSN(t)
	if testing.Short() {
		t.Skip("long")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, pgstore.Options{SampleWriteMethod: pgstore.MethodInsert})
	})
}

func TestOpenAndSchema(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	schema := newSchema()
	t.Cleanup(func() { dropSchema(t, schema) })
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ListHosts(ctx, nil); err == nil {
		t.Fatal("ListHosts before Migrate succeeded: Open migrated without AutoMigrate")
	}
	// Concurrent migrators apply each version once.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if err := st.Migrate(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM "`+schema+`".schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) < 4 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	if n != len(files) {
		t.Fatalf("schema_migrations has %d rows, want %d (one per migration)", n, len(files))
	}
	var tables int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables < 20 {
		t.Fatalf("schema %s has %d tables, want every table in it", schema, tables)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ListHosts(ctx, nil); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ListHosts after Close: %v, want ErrClosed", err)
	}
}

// vm_hourly_stats has the indexes of docs/architecture.md: (vcenter,
// snapshot_time) through the primary key, (snapshot_time) as BRIN, and the
// three VM-first ones unless NoTraceIndexes.
func TestHourlyIndexes(t *testing.T) {
	trace := []string{"(vcenter, vm_id, snapshot_time)", "(vcenter, vm_uuid, snapshot_time)", "(vcenter, name, snapshot_time)"}
	for _, part := range []bool{false, true} {
		for _, noTrace := range []bool{false, true} {
			st, schema := newStoreIn(t, pgstore.Options{PartitionHourlyByMonth: part, NoTraceIndexes: noTrace})
			rows, err := st.Pool().Query(context.Background(), `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
				JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE c.relname = 'vm_hourly_stats' AND n.nspname = $1`, schema)
			if err != nil {
				t.Fatal(err)
			}
			var defs []string
			for rows.Next() {
				var d string
				if err := rows.Scan(&d); err != nil {
					t.Fatal(err)
				}
				defs = append(defs, d)
			}
			rows.Close()
			has := func(suffix string) bool {
				for _, d := range defs {
					if strings.HasSuffix(d, suffix) {
						return true
					}
				}
				return false
			}
			want := []string{"USING btree (vcenter, snapshot_time, vm_key)", "USING brin (snapshot_time)"}
			if !noTrace {
				want = append(want, trace...)
			}
			for _, w := range want {
				if !has(w) {
					t.Errorf("partitioned=%v noTrace=%v: no index on %s among:\n%s", part, noTrace, w, strings.Join(defs, "\n"))
				}
			}
			if len(defs) != len(want) {
				t.Errorf("partitioned=%v noTrace=%v: %d indexes, want %d:\n%s", part, noTrace, len(defs), len(want), strings.Join(defs, "\n"))
			}
		}
	}
}

// A WriteSnapshot whose last stage fails (a constraint of the
// compatibility table rejects its rows) leaves nothing written.
func TestWriteSnapshotFailsInLastStage(t *testing.T) {
	ctx := context.Background()
	st, schema := newStoreIn(t, pgstore.Options{})
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	storetestWrite(t, st, storetest.Snapshot("vc-a", t0, 20, 1))
	t1 := t0.Add(time.Hour)
	other := storetest.Snapshot("vc-z", t1, 5, 1)
	if err := st.WriteCompatHourly(ctx, &store.WriteCompatHourlyParams{Vcenter: "vc-z", SnapshotTime: t1, Samples: other.Samples}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `ALTER TABLE "`+schema+`".`+inventory.HourlyTableName(t1)+` ADD CONSTRAINT no_vc_a CHECK (vcenter <> 'vc-a')`); err != nil {
		t.Fatal(err)
	}
	before := storetest.Dump(t, st)

	p := storetest.Snapshot("vc-a", t1, 500, 2)
	p.Compat = true
	_, err := st.WriteSnapshot(ctx, p)
	var we *store.WriteError
	if !errors.As(err, &we) || we.Stage != "compat" {
		t.Fatalf("WriteSnapshot: %v, want a *store.WriteError at stage compat", err)
	}
	t.Logf("WriteSnapshot failed as expected: %v", err)
	if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
		t.Fatalf("failed WriteSnapshot changed the store (-before +after):\n%s", d)
	}
}

// Killing the connection in the middle of a WriteSnapshot leaves nothing
// written, and the store keeps working.
func TestWriteSnapshotConnectionKilled(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	schema := newSchema()
	t.Cleanup(func() { dropSchema(t, schema) })
	app := "vinv_victim_" + schema
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	st, err := pgstore.Open(ctx, dsn+sep+"application_name="+app, pgstore.Options{Schema: schema, AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	storetestWrite(t, st, storetest.Snapshot("vc-a", t0, 50, 1))
	before := storetest.Dump(t, st)

	p := storetest.Snapshot("vc-a", t0.Add(time.Hour), 30000, 2)
	p.Compat = true
	p.BatchSize = 100
	done := make(chan error, 1)
	go func() {
		_, err := st.WriteSnapshot(ctx, p)
		done <- err
	}()
	killed := false
	deadline := time.Now().Add(60 * time.Second)
	for !killed && time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("WriteSnapshot finished (%v) before its connection could be killed", err)
		default:
		}
		// Kill the backend once the write transaction has done some work.
		err := sharedPool(t).QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity
			WHERE application_name = $1 AND xact_start IS NOT NULL AND now() - xact_start > interval '50 milliseconds'`, app).Scan(&killed)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !killed {
		t.Fatal("never saw the write transaction")
	}
	err = <-done
	var we *store.WriteError
	if !errors.As(err, &we) {
		t.Fatalf("WriteSnapshot with its connection killed: %v, want a *store.WriteError", err)
	}
	t.Logf("WriteSnapshot failed at stage %q: %v", we.Stage, err)
	if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
		t.Fatalf("killed WriteSnapshot changed the store (-before +after):\n%s", d)
	}
	// The pool replaces the dead connection.
	storetestWrite(t, st, storetest.Snapshot("vc-a", t0.Add(2*time.Hour), 50, 3))
}

func storetestWrite(t *testing.T, st store.Store, p *store.WriteSnapshotParams) {
	t.Helper()
	if _, err := st.WriteSnapshot(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// Compatibility tables get their primary key on (vcenter, vm_key) whether
// they are created by a write (filled first, keyed after) or written into
// again, for hourly and summary tables alike.
func TestCompatTablesKeyed(t *testing.T) {
	ctx := context.Background()
	st, schema := newStoreIn(t, pgstore.Options{})
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	keyOf := func(table string) string {
		t.Helper()
		var def string
		err := st.Pool().QueryRow(ctx, `SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
			JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE k.contype = 'p' AND c.relname = $1 AND n.nspname = $2`, table, schema).Scan(&def)
		if err != nil {
			t.Fatalf("primary key of %s: %v", table, err)
		}
		return def
	}
	const want = "PRIMARY KEY (vcenter, vm_key)"
	hourly := inventory.HourlyTableName(t0)
	for i, vc := range []string{"vc-a", "vc-b", "vc-a"} { // new table, second vCenter, re-write
		p := storetest.Snapshot(vc, t0, 30+i, int64(i+1))
		p.Compat = true
		storetestWrite(t, st, p)
		if got := keyOf(hourly); got != want {
			t.Fatalf("write %d: %s has %q, want %q", i, hourly, got, want)
		}
	}
	n := 0
	if err := st.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: hourly}, func(*inventory.Sample) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 32+31 {
		t.Fatalf("%s holds %d rows, want 63 (vc-a re-written with 32, vc-b 31)", hourly, n)
	}
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	rows := []inventory.DailyRollup{{Day: day, Rollup: inventory.Rollup{Vcenter: "vc-a", VMKey: "vm-1", VMID: "vm-1", Name: "one"}}}
	for i := 0; i < 2; i++ {
		if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day, Rows: rows, Compat: true}); err != nil {
			t.Fatal(err)
		}
		if got := keyOf(inventory.DailyTableName(day)); got != want {
			t.Fatalf("daily write %d: key %q, want %q", i, got, want)
		}
	}
}
