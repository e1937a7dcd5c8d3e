package riverjobs_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/riverjobs"
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

func period(h int) jobs.Period {
	start := time.Date(2026, 12, 5, h, 0, 0, 0, time.UTC)
	return jobs.Period{Key: start.Format(time.RFC3339), Start: start, End: start.Add(time.Hour)}
}

// testJobs: "capture" succeeds, "flaky" fails its first attempt (in
// whichever runner), "parked" fails with ErrNoRetry.
func testJobs(c *counter, runner string) []riverjobs.Job {
	return []riverjobs.Job{
		{Name: "capture", Run: func(ctx context.Context, p jobs.Period) error {
			c.add("capture:"+p.Key, runner)
			return riverjobs.ReportProgress(ctx, riverjobs.Progress{Done: 3, Total: 3, Note: "vms written"})
		}},
		{Name: "flaky", Run: func(ctx context.Context, p jobs.Period) error {
			c.add("flaky:"+p.Key, runner)
			if len(c.get("flaky:"+p.Key)) == 1 {
				return errors.New("first attempt fails")
			}
			return nil
		}},
		{Name: "parked", Run: func(ctx context.Context, p jobs.Period) error {
			c.add("parked:"+p.Key, runner)
			return fmt.Errorf("credentials refused: %w", riverjobs.ErrNoRetry)
		}},
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresReplicasRunOnce: two runners on one PostgreSQL schema both
// enqueue the same runs; each runs exactly once across both, a failed run
// is retried, an ErrNoRetry run is not, and History shows it all.
func TestPostgresReplicasRunOnce(t *testing.T) {
	dsn := testbackends.PostgresDSN(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	schema := fmt.Sprintf("riverjobs_%d", os.Getpid())
	if _, err := pool.Exec(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatal(err)
	}
	defer pool.Exec(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)

	var c counter
	var runners []*riverjobs.Runner
	for _, name := range []string{"a", "b"} {
		r, err := riverjobs.NewPostgres(pool, schema, riverjobs.Options{Jobs: testJobs(&c, name), PollInterval: 200 * time.Millisecond,
			RetryBackoff: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	if err := runners[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	inserted := 0
	for _, r := range runners {
		for h := 0; h < 5; h++ {
			for _, job := range []string{"capture", "flaky", "parked"} {
				ok, err := r.Enqueue(ctx, job, period(h))
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
		t.Fatalf("%d runs inserted by two runners enqueuing the same 15, want 15", inserted)
	}
	for _, r := range runners {
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
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
	for _, r := range runners {
		if err := r.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for h := 0; h < 5; h++ {
		p := period(h).Key
		if got := c.get("capture:" + p); len(got) != 1 {
			t.Errorf("capture %s ran %d times (%v), want once", p, len(got), got)
		}
		if got := c.get("flaky:" + p); len(got) != 2 {
			t.Errorf("flaky %s ran %d times, want 2 (a failure, then a retry)", p, len(got))
		}
		if got := c.get("parked:" + p); len(got) != 1 {
			t.Errorf("parked %s ran %d times, want once (not retried)", p, len(got))
		}
	}
	// Enqueuing a finished run again does nothing.
	if ok, err := runners[1].Enqueue(ctx, "capture", period(0)); err != nil || ok {
		t.Fatalf("enqueuing a completed run again: inserted %v, %v", ok, err)
	}
	hist, err := runners[0].History(ctx, "flaky", 10)
	if err != nil || len(hist) != 5 {
		t.Fatalf("History(flaky) = %d runs, %v", len(hist), err)
	}
	for _, run := range hist {
		if run.State != "completed" || run.Attempts != 2 || len(run.Errors) != 1 {
			t.Errorf("flaky run %+v: want completed after 2 attempts with 1 error", run)
		}
	}
	parked, err := runners[1].History(ctx, "parked", 10)
	if err != nil || len(parked) != 5 || parked[0].State != "cancelled" {
		t.Fatalf("History(parked) = %+v, %v: want 5 cancelled runs", parked, err)
	}
}

// TestSQLiteRunsOnce: one runner on a SQLite file (riversqlite over
// mattn/go-sqlite3) enqueues each run once and works it.
func TestSQLiteRunsOnce(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "jobs.db")+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var c counter
	r, err := riverjobs.NewSQLite(db, riverjobs.Options{Jobs: testJobs(&c, "solo"), PollInterval: 200 * time.Millisecond,
		RetryBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for h := 0; h < 3; h++ {
			if _, err := r.Enqueue(ctx, "capture", period(h)); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Enqueue(ctx, "flaky", period(h)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every run", func() bool {
		for h := 0; h < 3; h++ {
			if len(c.get("capture:"+period(h).Key)) < 1 || len(c.get("flaky:"+period(h).Key)) < 2 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for h := 0; h < 3; h++ {
		if n := len(c.get("capture:" + period(h).Key)); n != 1 {
			t.Errorf("capture %d ran %d times, want once", h, n)
		}
		if n := len(c.get("flaky:" + period(h).Key)); n != 2 {
			t.Errorf("flaky %d ran %d times, want 2", h, n)
		}
	}
	hist, err := r.History(ctx, "", 100)
	if err != nil || len(hist) != 6 {
		t.Fatalf("History = %d runs, %v; want 6", len(hist), err)
	}
	for _, run := range hist {
		switch {
		case run.Job == "capture" && (run.Progress == nil || *run.Progress != riverjobs.Progress{Done: 3, Total: 3, Note: "vms written"}):
			t.Errorf("capture run %s: progress %+v, want 3 of 3 recorded", run.Period, run.Progress)
		case run.Job == "flaky" && run.Progress != nil:
			t.Errorf("flaky run %s: progress %+v, want none", run.Period, run.Progress)
		}
	}
}

// TestProgressWhileRunning: progress a run reports is in History while the
// run is still going.
func TestProgressWhileRunning(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "jobs.db")+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	release := make(chan struct{})
	r, err := riverjobs.NewSQLite(db, riverjobs.Options{PollInterval: 200 * time.Millisecond, Jobs: []riverjobs.Job{{Name: "rebuild",
		Run: func(ctx context.Context, p jobs.Period) error {
			if err := riverjobs.ReportProgress(ctx, riverjobs.Progress{Done: 1, Total: 2, Note: "day 1 of 2"}); err != nil {
				return err
			}
			<-release
			return riverjobs.ReportProgress(ctx, riverjobs.Progress{Done: 2, Total: 2})
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Enqueue(ctx, "rebuild", period(0)); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(ctx)
	run := func() riverjobs.Run {
		hist, err := r.History(ctx, "rebuild", 1)
		if err != nil || len(hist) != 1 {
			t.Fatalf("History = %v, %v", hist, err)
		}
		return hist[0]
	}
	waitFor(t, "progress of the running run", func() bool {
		got := run()
		return got.State == "running" && got.Progress != nil && *got.Progress == riverjobs.Progress{Done: 1, Total: 2, Note: "day 1 of 2"}
	})
	close(release)
	waitFor(t, "the run's completion", func() bool {
		got := run()
		return got.State == "completed" && got.Progress != nil && got.Progress.Done == 2
	})
}
