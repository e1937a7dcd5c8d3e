package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"
)

// LocalOptions configures NewLocal.
type LocalOptions struct {
	// DB, when set, keeps the job table durable in this database: a SQLite
	// database opened with database/sql (for example the store's own file),
	// so done keys stay done across restarts. Defaults to nil: the table
	// lives in memory and is lost with the process.
	DB *sql.DB
	// Table names the job table in DB. Defaults to "vinventory_jobs".
	Table string
	// Owner is recorded as the runner of each attempt. Defaults to
	// "<hostname>:<pid>".
	Owner string
	// Clock stamps started_at and finished_at. Defaults to SystemClock.
	Clock Clock
}

// Local is a Coordinator for a single process: a key runs at most once at a
// time within the process and a done key never runs again. It does not
// coordinate separate processes, even over one SQLite file; use NewPostgres
// for replicas.
type Local struct {
	db    *sql.DB
	table string
	owner string
	clock Clock

	mu      sync.Mutex
	running map[string]bool
	mem     map[string]KeyState // when db == nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// NewLocal returns a single-process Coordinator, creating the job table in
// opts.DB when one is given.
func NewLocal(ctx context.Context, opts LocalOptions) (*Local, error) {
	if opts.Table == "" {
		opts.Table = "vinventory_jobs"
	}
	if !identRE.MatchString(opts.Table) {
		return nil, fmt.Errorf("jobs: LocalOptions.Table %q is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 bytes)", opts.Table)
	}
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	l := &Local{db: opts.DB, table: `"` + opts.Table + `"`, owner: opts.Owner, clock: opts.Clock,
		running: map[string]bool{}, mem: map[string]KeyState{}}
	if l.db != nil {
		_, err := l.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+l.table+` (
	key TEXT PRIMARY KEY,
	status TEXT NOT NULL,
	owner TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	started_at TEXT,
	finished_at TEXT,
	last_error TEXT
)`)
		if err != nil {
			return nil, fmt.Errorf("jobs: create job table %s: %w", l.table, err)
		}
	}
	return l, nil
}

// Run implements Coordinator.
func (l *Local) Run(ctx context.Context, key string, fn func(context.Context) error) (bool, error) {
	if err := validKey(key); err != nil {
		return false, err
	}
	l.mu.Lock()
	if l.running[key] {
		l.mu.Unlock()
		return false, nil
	}
	l.running[key] = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.running, key)
		l.mu.Unlock()
	}()

	st, err := l.State(ctx, key)
	if err != nil {
		return false, err
	}
	if st.Status == StatusDone {
		return false, nil
	}
	if err := l.start(ctx, key); err != nil {
		return false, err
	}
	runErr := fn(ctx)
	// Record the outcome even when ctx was cancelled: the run is over.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := l.finish(rctx, key, runErr); err != nil {
		if runErr != nil {
			return true, errors.Join(&RunError{Key: key, Err: runErr}, err)
		}
		return true, err
	}
	if runErr != nil {
		return true, &RunError{Key: key, Err: runErr}
	}
	return true, nil
}

func (l *Local) start(ctx context.Context, key string) error {
	now := l.clock.Now().UTC()
	if l.db == nil {
		l.mu.Lock()
		st := l.mem[key]
		l.mem[key] = KeyState{Key: key, Status: StatusRunning, Owner: l.owner, Attempts: st.Attempts + 1, StartedAt: now}
		l.mu.Unlock()
		return nil
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO `+l.table+` AS j (key, status, owner, attempts, started_at, finished_at, last_error)
VALUES (?, 'running', ?, 1, ?, NULL, NULL)
ON CONFLICT (key) DO UPDATE SET status = 'running', owner = excluded.owner, attempts = j.attempts + 1,
	started_at = excluded.started_at, finished_at = NULL, last_error = NULL`,
		key, l.owner, now.Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("jobs: mark %q running: %w", key, err)
	}
	return nil
}

func (l *Local) finish(ctx context.Context, key string, runErr error) error {
	now := l.clock.Now().UTC()
	status, lastErr := StatusDone, ""
	if runErr != nil {
		status, lastErr = StatusFailed, storedError(runErr)
	}
	if l.db == nil {
		l.mu.Lock()
		st := l.mem[key]
		st.Status, st.FinishedAt, st.LastError = status, now, lastErr
		l.mem[key] = st
		l.mu.Unlock()
		return nil
	}
	var le any
	if lastErr != "" {
		le = lastErr
	}
	_, err := l.db.ExecContext(ctx, `UPDATE `+l.table+` SET status = ?, finished_at = ?, last_error = ? WHERE key = ?`,
		string(status), now.Format(time.RFC3339Nano), le, key)
	if err != nil {
		return fmt.Errorf("jobs: mark %q %s: %w", key, status, err)
	}
	return nil
}

// State implements Coordinator.
func (l *Local) State(ctx context.Context, key string) (KeyState, error) {
	if l.db == nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		st, ok := l.mem[key]
		if !ok {
			return KeyState{Key: key}, nil
		}
		return st, nil
	}
	var (
		st                KeyState
		status            string
		started, finished sql.NullString
		lastErr           sql.NullString
	)
	err := l.db.QueryRowContext(ctx, `SELECT status, owner, attempts, started_at, finished_at, last_error FROM `+l.table+` WHERE key = ?`, key).
		Scan(&status, &st.Owner, &st.Attempts, &started, &finished, &lastErr)
	if errors.Is(err, sql.ErrNoRows) {
		return KeyState{Key: key}, nil
	}
	if err != nil {
		return KeyState{}, fmt.Errorf("jobs: read state of %q: %w", key, err)
	}
	st.Key, st.Status, st.LastError = key, KeyStatus(status), lastErr.String
	if started.Valid {
		st.StartedAt, _ = time.Parse(time.RFC3339Nano, started.String)
	}
	if finished.Valid {
		st.FinishedAt, _ = time.Parse(time.RFC3339Nano, finished.String)
	}
	return st, nil
}
