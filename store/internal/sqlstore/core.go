package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Config assembles a Core.
type Config struct {
	// Name prefixes errors, e.g. "sqlitestore".
	Name string
	// Dialect is the backend's dialect.
	Dialect Dialect
	// DB serves reads (bun formats their arguments for the dialect).
	DB *bun.DB
	// Migrate applies the backend's migrations.
	Migrate func(ctx context.Context) error
	// Close releases what the backend opened itself; called once.
	Close func() error
	// Clock returns the current time (registry and endpoint stamps).
	// Defaults to time.Now.
	Clock func() time.Time
}

// Core implements store.Store over a Dialect. Backends embed it.
type Core struct {
	name    string
	d       Dialect
	db      *bun.DB
	migrate func(ctx context.Context) error
	close   func() error
	now     func() time.Time

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	sqlCache sync.Map // query template -> expanded query
	insCache sync.Map // insertKey -> INSERT statement
	idents   identityCache
}

// New returns a Core.
func New(cfg Config) *Core {
	c := &Core{name: cfg.Name, d: cfg.Dialect, db: cfg.DB, migrate: cfg.Migrate, close: cfg.Close, now: cfg.Clock}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// DB returns the bun handle reads go through.
func (c *Core) DB() *bun.DB { return c.db }

// Capabilities declares what the backend supports.
func (c *Core) Capabilities() store.Capabilities { return c.d.Capabilities() }

// Migrate creates or upgrades the schema. It is idempotent and safe to run
// from several processes at once.
func (c *Core) Migrate(ctx context.Context) error {
	if err := c.check("Migrate"); err != nil {
		return err
	}
	if err := c.migrate(ctx); err != nil {
		return c.wrap("Migrate", err)
	}
	return nil
}

// Close releases the store's resources; connections passed in by the
// caller are left open. Later calls return nil.
func (c *Core) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.close != nil {
			c.closeErr = c.close()
		}
	})
	return c.closeErr
}

// Closed reports whether Close was called.
func (c *Core) Closed() bool { return c.closed.Load() }

func (c *Core) check(op string) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %s: %w", c.name, op, store.ErrClosed)
	}
	return nil
}

func (c *Core) wrap(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", c.name, op, err)
}

func (c *Core) notFound(op, what string) error {
	return fmt.Errorf("%s: %s: %s: %w", c.name, op, what, store.ErrNotFound)
}

// readErr wraps a read failure, reporting ErrClosed when the store was
// closed under the caller.
func (c *Core) readErr(op string, err error) error {
	if c.closed.Load() && !errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("%s: %s: %w: %w", c.name, op, store.ErrClosed, err)
	}
	return c.wrap(op, err)
}

// sql expands {table} references in a query template into the dialect's
// table references. Results are cached per template.
func (c *Core) sql(q string) string {
	if v, ok := c.sqlCache.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	rest := q
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		b.WriteString(c.d.Table(rest[i+1 : i+j]))
		rest = rest[i+j+1:]
	}
	s := b.String()
	c.sqlCache.Store(q, s)
	return s
}

// time encodes t for a query argument, normalised to driver.Precision.
func (c *Core) time(t time.Time) any { return c.d.Time(driver.NormTime(t)) }

// ---------------------------------------------------------------------------
// Write transactions

// writeOp describes a write for its *store.WriteError.
type writeOp struct {
	op      string
	vcenter string
	t       time.Time
	stage   store.WriteStage
}

// inTx runs fn in a write transaction and commits it. Failures roll back
// and return a *store.WriteError naming w.stage.
func (c *Core) inTx(ctx context.Context, w *writeOp, fn func(tx Tx) error) error {
	fail := func(err error) error {
		if c.closed.Load() && !errors.Is(err, store.ErrClosed) {
			err = fmt.Errorf("%w: %w", store.ErrClosed, err)
		}
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return &store.WriteError{Op: w.op, Vcenter: w.vcenter, SnapshotTime: w.t, Stage: w.stage, Err: err}
	}
	if err := ctx.Err(); err != nil {
		w.stage = store.StageBegin
		return fail(err)
	}
	stage := w.stage
	w.stage = store.StageBegin
	tx, err := c.d.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	w.stage = stage
	nc := context.WithoutCancel(ctx)
	if err := fn(tx); err != nil {
		_ = tx.Rollback(nc)
		return fail(err)
	}
	w.stage = store.StageCommit
	if err := ctx.Err(); err != nil {
		_ = tx.Rollback(nc)
		return fail(err)
	}
	if err := tx.Commit(nc); err != nil {
		_ = tx.Rollback(nc)
		return fail(err)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Batched multi-row statements

type insertKey struct {
	table, suffix string
	cols, rows    int
}

// insertSQL returns INSERT INTO table (cols) VALUES (?, ...), ... suffix
// with n rows.
func (c *Core) insertSQL(table string, cols []string, suffix string, n int) string {
	k := insertKey{table, suffix, len(cols), n}
	if v, ok := c.insCache.Load(k); ok {
		return v.(string)
	}
	var b strings.Builder
	row := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	b.Grow(64 + len(suffix) + n*(len(row)+2))
	b.WriteString("INSERT INTO ")
	b.WriteString(c.d.Table(table))
	b.WriteString(" (")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(") VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	if suffix != "" {
		b.WriteByte(' ')
		b.WriteString(suffix)
	}
	s := b.String()
	if n > 1 {
		c.insCache.Store(k, s)
	}
	return s
}

// RowsPerStatement is the number of rows one multi-row statement carries:
// the batch size, bounded by the dialect's parameter limit.
func RowsPerStatement(batch, cols, maxParams int) int {
	n := driver.BatchSizeOr(batch)
	if m := maxParams / cols; n > m {
		n = m
	}
	if n < 1 {
		n = 1
	}
	return n
}

// InsertBatched writes rs with multi-row INSERT statements (suffix is an
// ON CONFLICT clause or empty), checking ctx between statements. It is the
// generic bulk path both dialects can use.
func (c *Core) InsertBatched(ctx context.Context, tx Tx, table string, rs *RowSource, suffix string) error {
	return c.insertBatched(ctx, tx, table, rs, suffix, false)
}

// insertBatched is InsertBatched; deferred sends the statements with the
// transaction's next one when tx is a Deferrer (their errors then surface
// there).
func (c *Core) insertBatched(ctx context.Context, tx Tx, table string, rs *RowSource, suffix string, deferred bool) error {
	d, _ := tx.(Deferrer)
	if !deferred {
		d = nil
	}
	bulk, _ := tx.(BulkExecer)
	if rs.N == 0 {
		return nil
	}
	per := RowsPerStatement(rs.Batch, len(rs.Cols), c.d.MaxParams())
	args := make([]any, 0, min(per, rs.N)*len(rs.Cols))
	for start := 0; start < rs.N; start += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+per, rs.N)
		args = args[:0]
		for i := start; i < end; i++ {
			args = rs.Row(i, args)
		}
		q := c.insertSQL(table, rs.Cols, suffix, end-start)
		switch {
		case d != nil:
			d.Defer(q, args...)
		case bulk != nil:
			if err := bulk.BulkExec(ctx, q, args...); err != nil {
				return err
			}
		default:
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// UpdateSet returns "col = excluded.col, ..." for the columns not in key.
func UpdateSet(cols []string, key ...string) string {
	var b strings.Builder
	for _, col := range cols {
		skip := false
		for _, k := range key {
			if k == col {
				skip = true
				break
			}
		}
		if skip {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col)
		b.WriteString(" = excluded.")
		b.WriteString(col)
	}
	return b.String()
}

// Upsert returns the ON CONFLICT clause that replaces every non-key column.
func Upsert(cols []string, key ...string) string {
	return "ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + UpdateSet(cols, key...)
}

// bound encodes a range bound (From, To, Before) for comparison with
// stored times: stored times are whole multiples of driver.Precision, so a
// bound between two of them is rounded up (t >= b and t < b then select
// exactly the stored times the unrounded bound selects).
func (c *Core) bound(t time.Time) any {
	n := driver.NormTime(t)
	if n.Before(t) {
		n = n.Add(driver.Precision)
	}
	return c.d.Time(n)
}

// inRange restricts q to col in [from, to); zero bounds are open.
func (c *Core) inRange(q *bun.SelectQuery, col string, from, to time.Time) *bun.SelectQuery {
	if !from.IsZero() {
		q = q.Where(col+" >= ?", c.bound(from))
	}
	if !to.IsZero() {
		q = q.Where(col+" < ?", c.bound(to))
	}
	return q
}
