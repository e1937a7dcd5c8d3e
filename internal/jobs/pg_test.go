package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accessvault/vinventory/internal/testbackends"
)

var pgSeq atomic.Int64

// pgDSN returns the test database (testbackends.PostgresDSN).
func pgDSN(t testing.TB) string { return testbackends.PostgresDSN(t) }

// pgPool returns a pool and a fresh schema name, dropped afterwards.
func pgPool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := pgDSN(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("jobs_%d_%d", os.Getpid(), pgSeq.Add(1))
	t.Cleanup(func() {
		pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
		pool.Close()
	})
	return pool, schema
}

// TestPostgresLockLost: when the session holding a key's lock is terminated
// while fn runs, fn's context is cancelled with ErrLockLost, Run reports it,
// the key is not done, and another runner can take it over at once.
func TestPostgresLockLost(t *testing.T) {
	pool, schema := pgPool(t)
	ctx := context.Background()
	p, err := NewPostgres(ctx, pool, PostgresOptions{Schema: schema, Owner: "victim", LockCheckInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const key = "daily:2026-11-21"
	started := make(chan struct{})
	var cause error
	done := make(chan struct{})
	var ran bool
	var runErr error
	go func() {
		defer close(done)
		ran, runErr = p.Run(ctx, key, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			cause = context.Cause(ctx)
			return ctx.Err()
		})
	}()
	<-started
	lk := uint64(p.lockKey(key))
	var n int
	err = pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1`,
		int64(lk>>32), int64(lk&0xffffffff)).Scan(&n)
	if err != nil || n != 1 {
		t.Fatalf("terminated %d lock holders (%v), want 1", n, err)
	}
	<-done
	if !ran || !errors.Is(runErr, ErrLockLost) || !errors.Is(cause, ErrLockLost) {
		t.Fatalf("Run = %v, %v; fn's context cause %v", ran, runErr, cause)
	}
	st, _ := p.State(ctx, key)
	if st.Status != StatusRunning || st.Owner != "victim" {
		t.Fatalf("state after lost lock = %+v, want still running (unrecorded)", st)
	}
	// pg_terminate_backend only signals the victim's backend: its lock
	// goes when that process has exited, which may be after Run returned.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var held int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1`,
			int64(lk>>32), int64(lk&0xffffffff)).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated backend still holds the lock after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p2, err := NewPostgres(ctx, pool, PostgresOptions{Schema: schema, Owner: "survivor"})
	if err != nil {
		t.Fatal(err)
	}
	ran, err = p2.Run(ctx, key, func(context.Context) error { return nil })
	st, _ = p2.State(ctx, key)
	if !ran || err != nil || st.Status != StatusDone || st.Owner != "survivor" || st.Attempts != 2 {
		t.Fatalf("takeover = %v, %v, %+v", ran, err, st)
	}
}

func TestNewPostgresValidates(t *testing.T) {
	pool, schema := pgPool(t)
	ctx := context.Background()
	for _, o := range []PostgresOptions{{Table: `jobs"; DROP TABLE x; --`}, {Schema: "a b"}, {Schema: schema, LockCheckInterval: -1}} {
		if _, err := NewPostgres(ctx, pool, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := NewPostgres(ctx, nil, PostgresOptions{}); err == nil {
		t.Error("nil pool accepted")
	}
	// Concurrent migrations of the same table do not race.
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := NewPostgres(ctx, pool, PostgresOptions{Schema: schema, Table: "jobs_many"})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
