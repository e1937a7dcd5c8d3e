package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresOptions configures NewPostgres.
type PostgresOptions struct {
	// Schema holding the job table; created when missing. Defaults to "":
	// the table name is unqualified and resolved through the connection's
	// search_path.
	Schema string
	// Table names the job table. Defaults to "vinventory_jobs".
	Table string
	// Owner is recorded as the runner of each attempt, and fences the
	// outcome write. Give each replica its own. Defaults to
	// "<hostname>:<pid>".
	Owner string
	// Clock stamps started_at and finished_at. Defaults to SystemClock.
	Clock Clock
	// LockCheckInterval is how often the lock connection is pinged while fn
	// runs; when a ping fails the session (and with it the lock) is gone, so
	// fn's context is cancelled with ErrLockLost as its cause. Defaults to
	// 10s.
	LockCheckInterval time.Duration
}

// Postgres is a Coordinator for replicas sharing one PostgreSQL database.
// Each Run holds a session-level advisory lock on a dedicated pool connection
// for the whole run and records the outcome in the job table; see the
// package documentation for the takeover path.
type Postgres struct {
	pool   *pgxpool.Pool
	table  string // quoted, maybe schema-qualified
	ns     string // lock namespace: schema.table
	owner  string
	clock  Clock
	check  time.Duration
	schema string
}

// NewPostgres returns a Coordinator over pool, creating the job table (under
// an advisory lock, so replicas starting together do not race).
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, opts PostgresOptions) (*Postgres, error) {
	if pool == nil {
		return nil, errors.New("jobs: NewPostgres: nil pool")
	}
	if opts.Table == "" {
		opts.Table = "vinventory_jobs"
	}
	if !identRE.MatchString(opts.Table) {
		return nil, fmt.Errorf("jobs: PostgresOptions.Table %q is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 bytes)", opts.Table)
	}
	if opts.Schema != "" && !identRE.MatchString(opts.Schema) {
		return nil, fmt.Errorf("jobs: PostgresOptions.Schema %q is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 bytes)", opts.Schema)
	}
	if opts.LockCheckInterval < 0 {
		return nil, fmt.Errorf("jobs: PostgresOptions.LockCheckInterval %s is negative", opts.LockCheckInterval)
	}
	if opts.LockCheckInterval == 0 {
		opts.LockCheckInterval = 10 * time.Second
	}
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	id := pgx.Identifier{opts.Table}
	if opts.Schema != "" {
		id = pgx.Identifier{opts.Schema, opts.Table}
	}
	p := &Postgres{pool: pool, table: id.Sanitize(), ns: opts.Schema + "." + opts.Table,
		owner: opts.Owner, clock: opts.Clock, check: opts.LockCheckInterval, schema: opts.Schema}
	if err := p.migrate(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// lockKey maps a key to a 64-bit advisory lock id (FNV-1a over the table and
// the key), so locks of different job tables do not collide.
func (p *Postgres) lockKey(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte("vinventory/jobs\x00"))
	h.Write([]byte(p.ns))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return int64(h.Sum64())
}

func (p *Postgres) migrate(ctx context.Context) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	// One lock for every job table: CREATE SCHEMA/TABLE IF NOT EXISTS race
	// with each other otherwise.
	h := fnv.New64a()
	h.Write([]byte("vinventory/jobs\x00migrate"))
	lk := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lk); err != nil {
		return fmt.Errorf("jobs: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lk)
	if p.schema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{p.schema}.Sanitize()); err != nil {
			return fmt.Errorf("jobs: migrate: create schema: %w", err)
		}
	}
	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+p.table+` (
	key text PRIMARY KEY,
	status text NOT NULL,
	owner text NOT NULL,
	attempts int NOT NULL DEFAULT 0,
	started_at timestamptz,
	finished_at timestamptz,
	last_error text
)`)
	if err != nil {
		return fmt.Errorf("jobs: migrate: create table %s: %w", p.table, err)
	}
	return nil
}

// Run implements Coordinator.
func (p *Postgres) Run(ctx context.Context, key string, fn func(context.Context) error) (ran bool, err error) {
	if err := validKey(key); err != nil {
		return false, err
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("jobs: run %q: acquire connection: %w", key, err)
	}
	lk := p.lockKey(key)
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lk).Scan(&got); err != nil {
		// The lock may or may not have been taken: drop the session.
		closeConn(conn)
		return false, fmt.Errorf("jobs: run %q: try lock: %w", key, err)
	}
	if !got {
		conn.Release()
		return false, nil // another replica runs it
	}
	lockHeld := true
	defer func() {
		if !lockHeld {
			closeConn(conn)
			return
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var ok bool
		if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock($1)`, lk).Scan(&ok); err != nil || !ok {
			closeConn(conn) // ending the session releases the lock
			return
		}
		conn.Release()
	}()

	var status string
	err = conn.QueryRow(ctx, `SELECT status FROM `+p.table+` WHERE key = $1`, key).Scan(&status)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("jobs: run %q: read state: %w", key, err)
	}
	if KeyStatus(status) == StatusDone {
		return false, nil
	}
	var attempts int
	err = conn.QueryRow(ctx, `INSERT INTO `+p.table+` AS j (key, status, owner, attempts, started_at, finished_at, last_error)
VALUES ($1, 'running', $2, 1, $3, NULL, NULL)
ON CONFLICT (key) DO UPDATE SET status = 'running', owner = EXCLUDED.owner, attempts = j.attempts + 1,
	started_at = EXCLUDED.started_at, finished_at = NULL, last_error = NULL
RETURNING attempts`, key, p.owner, p.clock.Now().UTC()).Scan(&attempts)
	if err != nil {
		return false, fmt.Errorf("jobs: run %q: mark running: %w", key, err)
	}

	runErr, lost := p.runWatched(ctx, conn, fn)
	if lost {
		lockHeld = false
		if runErr != nil {
			return true, errors.Join(&RunError{Key: key, Err: runErr}, ErrLockLost)
		}
		return true, fmt.Errorf("jobs: run %q: %w", key, ErrLockLost)
	}

	outcome, lastErr := StatusDone, any(nil)
	if runErr != nil {
		outcome, lastErr = StatusFailed, storedError(runErr)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// Fenced by owner and attempt: if the session was lost unnoticed and
	// another replica took over, this writes nothing.
	tag, err := conn.Exec(rctx, `UPDATE `+p.table+` SET status = $2, finished_at = $3, last_error = $4
WHERE key = $1 AND owner = $5 AND attempts = $6`, key, string(outcome), p.clock.Now().UTC(), lastErr, p.owner, attempts)
	switch {
	case err != nil:
		lockHeld = false
		err = fmt.Errorf("jobs: run %q: mark %s: %w", key, outcome, err)
	case tag.RowsAffected() == 0:
		err = fmt.Errorf("jobs: run %q: outcome not recorded, the key was taken over: %w", key, ErrLockLost)
	}
	if runErr != nil {
		return true, errors.Join(&RunError{Key: key, Err: runErr}, err)
	}
	return true, err
}

// runWatched runs fn while pinging the lock connection; lost reports a failed
// ping (fn's context is then cancelled with ErrLockLost as its cause).
func (p *Postgres) runWatched(ctx context.Context, conn *pgxpool.Conn, fn func(context.Context) error) (runErr error, lost bool) {
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	watched := make(chan bool, 1)
	go func() {
		t := time.NewTicker(p.check)
		defer t.Stop()
		for {
			select {
			case <-stop:
				watched <- false
				return
			case <-t.C:
				// A timed-out query closes a pgx connection (and so drops the
				// lock): give the ping ample time on a loaded server.
				pctx, pcancel := context.WithTimeout(context.Background(), max(p.check, 15*time.Second))
				err := conn.Ping(pctx)
				pcancel()
				if err != nil {
					cancel(ErrLockLost)
					<-stop
					watched <- true
					return
				}
			}
		}
	}()
	runErr = fn(fctx)
	close(stop)
	return runErr, <-watched
}

// closeConn ends the connection's session, which releases its locks.
func closeConn(conn *pgxpool.Conn) {
	c := conn.Hijack()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Close(ctx)
}

// State implements Coordinator.
func (p *Postgres) State(ctx context.Context, key string) (KeyState, error) {
	var (
		st                KeyState
		status            string
		started, finished *time.Time
		lastErr           *string
	)
	err := p.pool.QueryRow(ctx, `SELECT status, owner, attempts, started_at, finished_at, last_error FROM `+p.table+` WHERE key = $1`, key).
		Scan(&status, &st.Owner, &st.Attempts, &started, &finished, &lastErr)
	if errors.Is(err, pgx.ErrNoRows) {
		return KeyState{Key: key}, nil
	}
	if err != nil {
		return KeyState{}, fmt.Errorf("jobs: read state of %q: %w", key, err)
	}
	st.Key, st.Status = key, KeyStatus(status)
	if started != nil {
		st.StartedAt = started.UTC()
	}
	if finished != nil {
		st.FinishedAt = finished.UTC()
	}
	if lastErr != nil {
		st.LastError = *lastErr
	}
	return st, nil
}
