package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/internal/testbackends"
)

// counter records the runs of every (job, period) and which runner ran it.
type counter struct {
	mu   sync.Mutex
	runs map[string][]string
}

func (c *counter) add(key, runner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs == nil {
		c.runs = map[string][]string{}
	}
	c.runs[key] = append(c.runs[key], runner)
}

func (c *counter) get(key string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.runs[key]...)
}

func period(h int) Period {
	start := time.Date(2026, 12, 5, h, 0, 0, 0, time.UTC)
	return Period{Key: start.Format(time.RFC3339), Start: start, End: start.Add(time.Hour)}
}

// testJobs: "capture" succeeds, "flaky" fails its first attempt (in
// whichever runner), "parked" fails with ErrNoRetry.
func testJobs(c *counter, runner string) []Job {
	return []Job{
		{Name: "capture", Run: func(ctx context.Context, p Period) error {
			c.add("capture:"+p.Key, runner)
			return ReportProgress(ctx, Progress{Done: 3, Total: 3, Note: "vms written"})
		}},
		{Name: "flaky", Run: func(ctx context.Context, p Period) error {
			c.add("flaky:"+p.Key, runner)
			if len(c.get("flaky:"+p.Key)) == 1 {
				return errors.New("first attempt fails")
			}
			return nil
		}},
		{Name: "parked", Run: func(ctx context.Context, p Period) error {
			c.add("parked:"+p.Key, runner)
			return fmt.Errorf("credentials refused: %w", ErrNoRetry)
		}},
	}
}

// waitFor polls cond (runs are worked on river's goroutines); the limit
// is a hang guard, not a performance assertion.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sqliteBackend is river's tables in a new SQLite file, migrated.
func sqliteBackend(t testing.TB) Backend {
	return sqliteBackendAt(t, filepath.Join(t.TempDir(), "jobs.db"))
}

func sqliteBackendAt(t testing.TB, path string) Backend {
	t.Helper()
	b := openSQLiteBackend(t, path)
	if err := Migrate(context.Background(), b, nil); err != nil {
		t.Fatal(err)
	}
	return b
}

// openSQLiteBackend is river's backend on the SQLite file at path, not
// migrated.
func openSQLiteBackend(t testing.TB, path string) Backend {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	return SQLite(db)
}

// pgBackend is river's tables in a new schema of the test PostgreSQL,
// migrated, and the pool.
func pgBackend(t testing.TB) (Backend, *pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testbackends.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	schema := fmt.Sprintf("jobs_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := pool.Exec(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Exec(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`) })
	b := Postgres(pool, schema)
	if err := Migrate(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	return b, pool, schema
}

// background runs s.Run until the test ends (or the returned stop).
func background(t testing.TB, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// quick are options for tests: short polls and back-offs.
func quick(clock Clock) Options {
	return Options{Clock: clock, PollInterval: 100 * time.Millisecond, FetchInterval: 100 * time.Millisecond,
		RetryBackoff: 200 * time.Millisecond, MaxRetryBackoff: time.Second}
}

// TestPostgresReplicasRunOnce: two schedulers on one PostgreSQL schema both
// enqueue the same runs; each runs exactly once across both, a failed run
// is retried, an ErrNoRetry run is not, and History shows it all.
func TestPostgresReplicasRunOnce(t *testing.T) {
	ctx := context.Background()
	b, _, _ := pgBackend(t)
	var c counter
	var scheds []*Scheduler
	for _, name := range []string{"a", "b"} {
		s, err := New(b, testJobs(&c, name), quick(nil))
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	inserted := 0
	for _, s := range scheds {
		for h := 0; h < 5; h++ {
			for _, job := range []string{"capture", "flaky", "parked"} {
				ok, err := s.Enqueue(ctx, job, period(h), nil)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					inserted++
				}
			}
		}
	}
	if inserted != 15 {
		t.Fatalf("%d runs inserted by two schedulers enqueuing the same 15, want 15", inserted)
	}
	var stops []func()
	for _, s := range scheds {
		stops = append(stops, background(t, s))
	}
	waitFor(t, "every run", func() bool {
		for h := 0; h < 5; h++ {
			p := period(h).Key
			if len(c.get("capture:"+p)) < 1 || len(c.get("flaky:"+p)) < 2 || len(c.get("parked:"+p)) < 1 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // a second run would show up by now
	for _, stop := range stops {
		stop()
	}
	ran := map[string]bool{}
	for h := 0; h < 5; h++ {
		p := period(h).Key
		if got := c.get("capture:" + p); len(got) != 1 {
			t.Errorf("capture %s ran %d times (%v), want once", p, len(got), got)
		} else {
			ran[got[0]] = true
		}
		if got := c.get("flaky:" + p); len(got) != 2 {
			t.Errorf("flaky %s ran %d times, want 2 (a failure, then a retry)", p, len(got))
		}
		if got := c.get("parked:" + p); len(got) != 1 {
			t.Errorf("parked %s ran %d times, want once (not retried)", p, len(got))
		}
	}
	// These jobs are on demand: a request whose run ended may be made
	// again (a scheduled job's key runs once: TestCatchUpDue).
	if ok, err := scheds[1].Enqueue(ctx, "capture", period(0), nil); err != nil || !ok {
		t.Fatalf("enqueuing a finished on-demand run again: inserted %v, %v", ok, err)
	}
	if ok, err := scheds[1].Enqueue(ctx, "capture", period(0), nil); err != nil || ok {
		t.Fatalf("enqueuing a waiting on-demand run again: inserted %v, %v", ok, err)
	}
	hist, err := scheds[0].History(ctx, "flaky", 10)
	if err != nil || len(hist) != 5 {
		t.Fatalf("History(flaky) = %d runs, %v", len(hist), err)
	}
	for _, run := range hist {
		if run.State != "completed" || run.Attempts != 2 || len(run.Errors) != 1 {
			t.Errorf("flaky run %+v: want completed after 2 attempts with 1 error", run)
		}
	}
	parked, err := scheds[1].History(ctx, "parked", 10)
	if err != nil || len(parked) != 5 || parked[0].State != "cancelled" {
		t.Fatalf("History(parked) = %+v, %v: want 5 cancelled runs", parked, err)
	}
	st := scheds[0].Status().Jobs[0]
	st1 := scheds[1].Status().Jobs[0]
	if st.Runs+st1.Runs != 5 {
		t.Errorf("capture runs by status: %d + %d, want 5", st.Runs, st1.Runs)
	}
}

// TestSQLiteRunsOnce: one scheduler on a SQLite file (riversqlite over
// mattn/go-sqlite3) enqueues each run once and works it, and records the
// progress runs report.
func TestSQLiteRunsOnce(t *testing.T) {
	ctx := context.Background()
	var c counter
	s, err := New(sqliteBackend(t), testJobs(&c, "solo"), quick(nil))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for h := 0; h < 3; h++ {
			if _, err := s.Enqueue(ctx, "capture", period(h), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Enqueue(ctx, "flaky", period(h), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop := background(t, s)
	waitFor(t, "every run", func() bool {
		for h := 0; h < 3; h++ {
			if len(c.get("capture:"+period(h).Key)) < 1 || len(c.get("flaky:"+period(h).Key)) < 2 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	stop()
	for h := 0; h < 3; h++ {
		if n := len(c.get("capture:" + period(h).Key)); n != 1 {
			t.Errorf("capture %d ran %d times, want once", h, n)
		}
		if n := len(c.get("flaky:" + period(h).Key)); n != 2 {
			t.Errorf("flaky %d ran %d times, want 2", h, n)
		}
	}
	hist, err := s.History(ctx, "", 100)
	if err != nil || len(hist) != 6 {
		t.Fatalf("History = %d runs, %v; want 6", len(hist), err)
	}
	for _, run := range hist {
		switch {
		case run.Job == "capture" && (run.Progress == nil || *run.Progress != Progress{Done: 3, Total: 3, Note: "vms written"}):
			t.Errorf("capture run %s: progress %+v, want 3 of 3 recorded", run.Period, run.Progress)
		case run.Job == "flaky" && run.Progress != nil:
			t.Errorf("flaky run %s: progress %+v, want none", run.Period, run.Progress)
		}
	}
}

// TestProgressWhileRunning: progress a run reports is in History while the
// run is still going; an on-demand run gets the params it was enqueued
// with, and the same request enqueued twice runs once.
func TestProgressWhileRunning(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	var got []string
	var mu sync.Mutex
	s, err := New(sqliteBackend(t), []Job{{Name: "rebuild",
		Run: func(ctx context.Context, p Period) error {
			mu.Lock()
			got = append(got, string(Params(ctx)))
			mu.Unlock()
			if err := ReportProgress(ctx, Progress{Done: 1, Total: 2, Note: "day 1 of 2"}); err != nil {
				return err
			}
			<-release
			return ReportProgress(ctx, Progress{Done: 2, Total: 2})
		}}}, quick(nil))
	if err != nil {
		t.Fatal(err)
	}
	var firstID int64
	for i := range 2 {
		id, ok, err := s.EnqueueRun(ctx, "rebuild", period(0), []byte(`{"from":"2026-11-01"}`))
		if err != nil || ok != (i == 0) || id <= 0 {
			t.Fatalf("EnqueueRun #%d = %d, %v, %v", i+1, id, ok, err)
		}
		if i == 0 {
			firstID = id
		} else if id != firstID {
			t.Fatalf("the duplicate request answered run %d, want the waiting run %d", id, firstID)
		}
	}
	if _, err := s.Enqueue(ctx, "rebuild", period(1), []byte(`{"from":`)); err == nil {
		t.Fatal("invalid params accepted")
	}
	if _, err := s.Enqueue(ctx, "nosuch", period(1), nil); err == nil {
		t.Fatal("unknown job accepted")
	}
	background(t, s)
	run := func() Run {
		hist, err := s.History(ctx, "rebuild", 1)
		if err != nil || len(hist) != 1 {
			t.Fatalf("History = %v, %v", hist, err)
		}
		return hist[0]
	}
	waitFor(t, "progress of the running run", func() bool {
		got := run()
		return got.State == "running" && got.Progress != nil && *got.Progress == Progress{Done: 1, Total: 2, Note: "day 1 of 2"}
	})
	close(release)
	waitFor(t, "the run's completion", func() bool {
		got := run()
		return got.State == "completed" && got.Progress != nil && got.Progress.Done == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != `{"from":"2026-11-01"}` {
		t.Fatalf("runs saw params %q, want one run with the enqueued params", got)
	}
}

// TestMigrateDropsTheOldJobTable: a database the advisory-lock coordinator
// used (its vinventory_jobs table with a run "running" forever) migrates to
// river's tables, loses that table, and runs jobs; migrating again is a
// no-op.
func TestMigrateDropsTheOldJobTable(t *testing.T) {
	ctx := context.Background()
	const legacy = `CREATE TABLE vinventory_jobs (key text PRIMARY KEY, status text NOT NULL, owner text NOT NULL,
		attempts integer NOT NULL, started_at timestamp, finished_at timestamp, last_error text)`
	const row = `INSERT INTO vinventory_jobs VALUES ('daily:2026-11-21', 'running', 'dead:1', 1, NULL, NULL, '')`
	check := func(t *testing.T, b Backend, exists func() bool) {
		t.Helper()
		if !exists() {
			t.Fatal("the old table was not created")
		}
		for range 2 {
			if err := Migrate(ctx, b, nil); err != nil {
				t.Fatal(err)
			}
		}
		if exists() {
			t.Fatal("Migrate left vinventory_jobs in place")
		}
		var c counter
		s, err := New(b, testJobs(&c, "x"), quick(nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enqueue(ctx, "capture", period(0), nil); err != nil {
			t.Fatal(err)
		}
		background(t, s)
		waitFor(t, "a run after the migration", func() bool { return len(c.get("capture:"+period(0).Key)) == 1 })
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "old.db")
		db, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{legacy, row} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		check(t, openSQLiteBackend(t, path), func() bool {
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'vinventory_jobs'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		})
	})
	t.Run("postgres", func(t *testing.T) {
		_, pool, schema := pgBackend(t)
		for _, q := range []string{legacy, row} {
			if _, err := pool.Exec(ctx, strings.Replace(strings.Replace(q, "vinventory_jobs", `"`+schema+`".vinventory_jobs`, 1), "timestamp", "timestamptz", -1)); err != nil {
				t.Fatal(err)
			}
		}
		check(t, Postgres(pool, schema), func() bool {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'vinventory_jobs'`, schema).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		})
	})
}
