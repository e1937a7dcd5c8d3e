package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// coordinators returns a fresh Coordinator per backend this file runs the
// same properties against: Local in memory, Local over a SQLite file and,
// when configured, Postgres.
func coordinators(t *testing.T) map[string]func(t *testing.T) Coordinator {
	return map[string]func(t *testing.T) Coordinator{
		"local-memory": func(t *testing.T) Coordinator { return newMemLocal(t, nil) },
		"local-sqlite": func(t *testing.T) Coordinator {
			l, err := NewLocal(context.Background(), LocalOptions{DB: openSQLite(t, filepath.Join(t.TempDir(), "j.db")), Owner: "n1"})
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		"postgres": func(t *testing.T) Coordinator {
			pool, schema := pgPool(t)
			p, err := NewPostgres(context.Background(), pool, PostgresOptions{Schema: schema, Owner: "r1", LockCheckInterval: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
	}
}

// TestCoordinatorConcurrentSameKey: many concurrent Runs of one key call fn
// once; the others return (false, nil) while it runs, and every Run after it
// finished returns (false, nil) too.
func TestCoordinatorConcurrentSameKey(t *testing.T) {
	for name, mk := range coordinators(t) {
		t.Run(name, func(t *testing.T) {
			c := mk(t)
			ctx := context.Background()
			key := `capture:"vc1" ünï <b>=SUM(A1)</b>:` + strings.Repeat("x", 1000)
			var calls atomic.Int32
			entered := make(chan struct{})
			release := make(chan struct{})
			var releaseOnce sync.Once
			unblock := func() { releaseOnce.Do(func() { close(release) }) }
			defer unblock() // never leave the first run holding a connection
			firstDone := make(chan error, 1)
			go func() {
				_, err := c.Run(ctx, key, func(context.Context) error {
					calls.Add(1)
					close(entered)
					<-release
					return nil
				})
				firstDone <- err
			}()
			<-entered
			var wg sync.WaitGroup
			var skipped atomic.Int32
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ran, err := c.Run(ctx, key, func(context.Context) error { calls.Add(1); return nil })
					if err != nil {
						t.Error(err)
					}
					if !ran {
						skipped.Add(1)
					}
				}()
			}
			wg.Wait()
			st, err := c.State(ctx, key)
			if err != nil || st.Status != StatusRunning {
				t.Fatalf("state while running = %+v, %v", st, err)
			}
			unblock()
			if err := <-firstDone; err != nil {
				t.Fatal(err)
			}
			ran, err := c.Run(ctx, key, func(context.Context) error { calls.Add(1); return nil })
			if ran || err != nil {
				t.Fatalf("Run after done = %v, %v", ran, err)
			}
			if calls.Load() != 1 || skipped.Load() != 32 {
				t.Fatalf("fn called %d times, %d skipped", calls.Load(), skipped.Load())
			}
			st, err = c.State(ctx, key)
			if err != nil || st.Status != StatusDone || st.Attempts != 1 || st.Key != key || st.FinishedAt.IsZero() {
				t.Fatalf("final state = %+v, %v", st, err)
			}
		})
	}
}

// TestCoordinatorFailureReruns: a failed key is recorded with its error and
// runs again; success clears the error.
func TestCoordinatorFailureReruns(t *testing.T) {
	for name, mk := range coordinators(t) {
		t.Run(name, func(t *testing.T) {
			c := mk(t)
			ctx := context.Background()
			boom := errors.New("disk full \x00 <script>")
			ran, err := c.Run(ctx, "k", func(context.Context) error { return boom })
			var re *RunError
			if !ran || !errors.As(err, &re) || !errors.Is(err, boom) || re.Key != "k" {
				t.Fatalf("Run = %v, %v", ran, err)
			}
			st, _ := c.State(ctx, "k")
			if st.Status != StatusFailed || !strings.Contains(st.LastError, "disk full") || st.Attempts != 1 {
				t.Fatalf("state = %+v", st)
			}
			ran, err = c.Run(ctx, "k", func(context.Context) error { return nil })
			st, _ = c.State(ctx, "k")
			if !ran || err != nil || st.Status != StatusDone || st.Attempts != 2 || st.LastError != "" {
				t.Fatalf("rerun = %v, %v, %+v", ran, err, st)
			}
			if _, err := c.Run(ctx, "", func(context.Context) error { return nil }); err == nil {
				t.Error("empty key accepted")
			}
			if st, err := c.State(ctx, "never"); err != nil || st.Status != StatusNone {
				t.Errorf("unknown key state = %+v, %v", st, err)
			}
		})
	}
}

// TestLocalSQLiteSurvivesRestart: done keys stay done across a new Local on
// the same file; a key left running by a crashed process runs again.
func TestLocalSQLiteSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	l1, err := NewLocal(ctx, LocalOptions{DB: openSQLite(t, path), Owner: "before"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l1.Run(ctx, "daily:2026-11-21", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash mid-run: the row says running, nobody runs it.
	db := openSQLite(t, path)
	if _, err := db.Exec(`INSERT INTO vinventory_jobs (key, status, owner, attempts) VALUES ('daily:2026-11-22', 'running', 'before', 1)`); err != nil {
		t.Fatal(err)
	}
	l2, err := NewLocal(ctx, LocalOptions{DB: openSQLite(t, path), Owner: "after"})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, k := range []string{"daily:2026-11-21", "daily:2026-11-22"} {
		ok, err := l2.Run(ctx, k, func(context.Context) error { ran = append(ran, k); return nil })
		if err != nil {
			t.Fatal(err)
		}
		_ = ok
	}
	if len(ran) != 1 || ran[0] != "daily:2026-11-22" {
		t.Fatalf("ran %v, want only the interrupted key", ran)
	}
	st, _ := l2.State(ctx, "daily:2026-11-22")
	if st.Status != StatusDone || st.Owner != "after" || st.Attempts != 2 {
		t.Fatalf("state = %+v", st)
	}
	if _, err := NewLocal(ctx, LocalOptions{DB: db, Table: `x"; DROP TABLE y`}); err == nil || !strings.Contains(err.Error(), "Table") {
		t.Errorf("hostile table name: %v", err)
	}
}
