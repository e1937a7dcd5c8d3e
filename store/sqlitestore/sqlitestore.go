package sqlitestore

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
	"github.com/accessvault/vinventory/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// AutoMigrate makes Open run Migrate before returning. Off by default:
	// schema changes are an explicit, deliberate step (call Migrate at
	// start-up or from a deploy job).
	AutoMigrate bool
	// BusyTimeout is how long a write waits for another process's write
	// lock before failing. Defaults to 30s. Writers of one Store never wait
	// on it: they are serialized in process.
	BusyTimeout time.Duration
	// MaxReadConns caps the read connection pool of Open. Defaults to 4.
	MaxReadConns int
	// CacheSizeKiB is the page cache of the write connection opened by
	// Open, in KiB. Defaults to 32768 (32 MiB); readers keep SQLite's
	// default.
	CacheSizeKiB int
	// Synchronous is SQLite's synchronous setting for writes: "full" (the
	// default) or "normal".
	//
	// "full" syncs the write-ahead log at every commit, so a write that
	// returned without error survives a power loss or an operating-system
	// crash: what billing history needs. "normal" syncs only at
	// checkpoints; writes stay atomic and survive an application crash,
	// but the last commits before a power loss may be lost. It saves one
	// fsync per write transaction (see docs/benchmarks-store.md for what
	// that costs). Any other value makes Open and New fail.
	Synchronous string
	// Clock returns the current time, stamping registry records and
	// endpoints. Defaults to time.Now.
	Clock func() time.Time
}

//go:generate go run ../internal/sqlstore/genmethods -pkg sqlitestore -o methods.go

// Store is the SQLite store.Store. All methods are safe for concurrent use;
// writes are serialized on one connection, reads use a pool.
type Store struct {
	core *sqlstore.Core
	d    *dialect
}

var (
	_ store.Store           = (*Store)(nil)
	_ store.CompatTables    = (*Store)(nil)
	_ store.SQLAggregator   = (*Store)(nil)
	_ store.SnapshotCounter = (*Store)(nil)
	_ store.EntityHistory   = (*Store)(nil)
	_ store.Details         = (*Store)(nil)
	_ store.LiveState       = (*Store)(nil)
	_ store.ReportCatalog   = (*Store)(nil)
	_ store.TokenStore      = (*Store)(nil)
	_ store.AuditLog        = (*Store)(nil)
	_ store.RateCardStore   = (*Store)(nil)
	_ store.Querier         = (*Store)(nil)
	_ store.MetricStore     = (*Store)(nil)
)

// Open opens (creating it if needed) the SQLite database at path, a file
// name or a "file:" URI, in WAL mode with synchronous=FULL (see
// Options.Synchronous). Writes go
// through one dedicated connection, reads through a pool of read-only
// connections. ":memory:" opens a private in-memory database on a single
// connection (reads then wait for writes and vice versa).
//
// Open does not create the schema unless opts.AutoMigrate is set; call
// Migrate.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlitestore: Open: empty path")
	}
	syncMode, err := synchronous(opts.Synchronous)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: Open: %w", err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 30 * time.Second
	}
	cache := opts.CacheSizeKiB
	if cache <= 0 {
		cache = 32768
	}
	base := fileURI(path)
	common := "_busy_timeout=" + strconv.FormatInt(busy.Milliseconds(), 10) + "&_synchronous=" + syncMode + "&_foreign_keys=1&_stmt_cache_size=64"
	var closers []func() error
	closeAll := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	if isMemory(path) {
		db, err := sql.Open("sqlite3", join(base, common+"&_cache_size=-"+strconv.Itoa(cache)))
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: Open: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		closers = append(closers, db.Close)
		if err := db.PingContext(ctx); err != nil {
			_ = closeAll()
			return nil, fmt.Errorf("sqlitestore: Open: %w", err)
		}
		return newStore(ctx, db, db, closeAll, opts, "")
	}
	wdb, err := sql.Open("sqlite3", join(base, common+"&_journal_mode=WAL&_cache_size=-"+strconv.Itoa(cache)))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: Open: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	closers = append(closers, wdb.Close)
	if err := wdb.PingContext(ctx); err != nil { // creates the file and switches it to WAL
		_ = closeAll()
		return nil, fmt.Errorf("sqlitestore: Open %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite3", join(base, common+"&_query_only=1"))
	if err != nil {
		_ = closeAll()
		return nil, fmt.Errorf("sqlitestore: Open: %w", err)
	}
	n := opts.MaxReadConns
	if n <= 0 {
		n = 4
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	closers = append(closers, rdb.Close)
	// Checkpoints run in the background (checkpoint.go); the write
	// connection keeps its own, automatic ones as a fallback only.
	if _, err := wdb.ExecContext(ctx, "PRAGMA wal_autocheckpoint = "+strconv.Itoa(walFallbackPages)); err != nil {
		_ = closeAll()
		return nil, fmt.Errorf("sqlitestore: Open %s: %w", path, err)
	}
	ckpt := newCheckpointer(rdb)
	closers = append(closers, ckpt.close) // closed first
	s, err := newStore(ctx, wdb, rdb, closeAll, opts, "")
	if err != nil {
		return nil, err
	}
	s.d.ckpt = ckpt
	return s, nil
}

// New returns a Store over a database the caller opened with the
// "sqlite3" driver (github.com/mattn/go-sqlite3). The Store reads and
// writes through db; writes are serialized in process and run as BEGIN
// IMMEDIATE transactions, each preceded by PRAGMA synchronous set to
// opts.Synchronous (FULL by default, whatever the DSN says: the driver's
// own default is NORMAL). New does no I/O (AutoMigrate is ignored: call
// Migrate) and Close does not close db.
//
// The caller's DSN decides the other connection settings; recommended:
// _journal_mode=WAL&_busy_timeout=30000&_stmt_cache_size=64.
// An in-memory database must be limited to one connection
// (db.SetMaxOpenConns(1)).
func New(db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlitestore: New: nil *sql.DB")
	}
	syncMode, err := synchronous(opts.Synchronous)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: New: %w", err)
	}
	opts.AutoMigrate = false
	return newStore(context.Background(), db, db, nil, opts, "PRAGMA synchronous = "+syncMode)
}

// synchronous validates Options.Synchronous and returns the PRAGMA value.
func synchronous(v string) (string, error) {
	switch strings.ToLower(v) {
	case "", "full":
		return "FULL", nil
	case "normal":
		return "NORMAL", nil
	}
	return "", fmt.Errorf("invalid Synchronous %q: want \"full\" (the default) or \"normal\"", v)
}

// newStore assembles a Store. beginPragma, when set, runs on the write
// connection before every write transaction (New: the caller's DSN does
// not carry the synchronous setting).
func newStore(ctx context.Context, wdb, rdb *sql.DB, closeFn func() error, opts Options, beginPragma string) (*Store, error) {
	d := &dialect{wdb: wdb, sem: make(chan struct{}, 1), beginPragma: beginPragma}
	bdb := bun.NewDB(rdb, sqlitedialect.New())
	migs, err := sqlstore.LoadMigrations(migrationsFS, "migrations", nil)
	if err != nil {
		if closeFn != nil {
			_ = closeFn()
		}
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	s := &Store{d: d}
	s.core = sqlstore.New(sqlstore.Config{
		Name:    "sqlitestore",
		Dialect: d,
		DB:      bdb,
		Migrate: func(ctx context.Context) error { return d.migrate(ctx, migs, now()) },
		Close:   closeFn,
		Clock:   now,
	})
	d.core = s.core
	if opts.AutoMigrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

func isMemory(path string) bool {
	return path == ":memory:" || strings.Contains(path, "mode=memory")
}

// fileURI turns a path into a "file:" URI (URIs are kept as given).
func fileURI(path string) string {
	if strings.HasPrefix(path, "file:") {
		return path
	}
	if path == ":memory:" {
		return "file::memory:"
	}
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

func join(uri, params string) string {
	if strings.Contains(uri, "?") {
		return uri + "&" + params
	}
	return uri + "?" + params
}

// ---------------------------------------------------------------------------
// Dialect

type dialect struct {
	core        *sqlstore.Core
	wdb         *sql.DB
	sem         chan struct{} // one writer at a time
	beginPragma string        // run before BEGIN IMMEDIATE (New)
	ckpt        *checkpointer // background checkpoints (Open, files only)
}

func (d *dialect) Capabilities() store.Capabilities {
	return store.Capabilities{
		Backend:       "sqlite",
		TimePrecision: driver.Precision,
	}
}

func (d *dialect) Table(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func (d *dialect) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// MaxParams is SQLite's default SQLITE_MAX_VARIABLE_NUMBER.
func (d *dialect) MaxParams() int { return 32766 }

func (d *dialect) Begin(ctx context.Context) (sqlstore.Tx, error) {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	conn, err := d.wdb.Conn(ctx)
	if err != nil {
		<-d.sem
		return nil, err
	}
	begin := "BEGIN IMMEDIATE"
	if d.beginPragma != "" {
		// PRAGMA synchronous cannot change inside a transaction.
		begin = d.beginPragma + "; BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		_ = conn.Close()
		<-d.sem
		return nil, err
	}
	return &tx{conn: conn, sem: d.sem, ckpt: d.ckpt}, nil
}

func (d *dialect) Lock(context.Context, sqlstore.Tx, string) error { return nil } // Begin serializes writers

func (d *dialect) InsertRows(ctx context.Context, t sqlstore.Tx, table string, cols []string, rows *sqlstore.RowSource) error {
	return d.core.InsertBatched(ctx, t, table, rows, "")
}

// ReplaceState deletes and inserts: SQLite rewrites b-tree cells in place,
// with no dead row versions for the new rows to step over.
func (d *dialect) ReplaceState(ctx context.Context, t sqlstore.Tx, table string, _ int, vc string, rows *sqlstore.RowSource, _ bool) error {
	return d.core.DeleteInsertState(ctx, t, table, vc, rows)
}

func (d *dialect) UpsertSamples(ctx context.Context, t sqlstore.Tx, rows *sqlstore.RowSource, _ bool) error {
	return d.core.UpsertSamplesGeneric(ctx, t, rows)
}

func (d *dialect) PrepareSampleTimes(context.Context, []time.Time) error { return nil }

func (d *dialect) PrepareMetricDays(context.Context, []int64) error { return nil }

// MetricDaysGone is always false: metric_points is one table.
func (d *dialect) MetricDaysGone(error) bool { return false }

func (d *dialect) UpsertMetricPoints(ctx context.Context, t sqlstore.Tx, rows *sqlstore.RowSource) error {
	return d.core.UpsertMetricPointsGeneric(ctx, t, rows)
}

func (d *dialect) PruneMetricPoints(ctx context.Context, t sqlstore.Tx, before int64) (int64, error) {
	return d.core.PruneMetricPointsGeneric(ctx, t, before)
}

// MetricBytes sums the pages of the table's b-trees (the table's and its
// indexes') from the dbstat virtual table when SQLite was built with it
// (build tag sqlite_dbstat), else reports 0.
func (d *dialect) MetricBytes(ctx context.Context, table string) (int64, error) {
	var n int64
	err := d.core.DB().QueryRowContext(ctx, `SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? OR name IN
		(SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?)`, table, table).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "no such table: dbstat") {
		return 0, nil
	}
	return n, err
}

func (d *dialect) ColumnType(k sqlstore.ColKind) string {
	switch k {
	case sqlstore.KindText:
		return "TEXT NOT NULL DEFAULT ''"
	case sqlstore.KindTime:
		return "INTEGER"
	case sqlstore.KindInt, sqlstore.KindBool:
		return "INTEGER NOT NULL DEFAULT 0"
	case sqlstore.KindFloat:
		return "REAL NOT NULL DEFAULT 0"
	case sqlstore.KindBytes:
		return "BLOB"
	default:
		return "TEXT"
	}
}

// LatePrimaryKey: a WITHOUT ROWID table needs its key when created.
func (d *dialect) LatePrimaryKey() bool { return false }

// LiveLifecycles names the partial index of rows not deleted: without
// table statistics the planner would walk the primary key (it gives the
// order) through every deleted row instead.
func (d *dialect) LiveLifecycles() string {
	return d.Table(sqlstore.TableLifecycle) + " INDEXED BY vm_lifecycle_cache_live_idx"
}

func (d *dialect) TableSuffix() string { return " WITHOUT ROWID" }

func (d *dialect) TablesQuery() string {
	return `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\' ORDER BY name`
}

// Contains uses instr, which compares by characters without folding case
// (LIKE would fold ASCII letters).
func (d *dialect) Contains(s, sub string) string { return "instr(" + s + ", " + sub + ") > 0" }

// SearchIndex: migration 9 creates inv_vms_search_idx.
func (d *dialect) SearchIndex() bool { return true }

// ForUpdate is empty: Begin (BEGIN IMMEDIATE) serializes every writer.
func (d *dialect) ForUpdate(bool) string { return "" }

// UniqueViolation reports SQLITE_CONSTRAINT_UNIQUE (or _PRIMARYKEY).
func (d *dialect) UniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// AttributePairs reads the attributes' JSON text with json_each.
func (d *dialect) AttributePairs(attrs string) string { return "json_each(" + attrs + ")" }

func (d *dialect) migrate(ctx context.Context, migs []sqlstore.Migration, now time.Time) error {
	t, err := d.Begin(ctx) // BEGIN IMMEDIATE: one migrator at a time, across processes too
	if err != nil {
		return err
	}
	if _, err := sqlstore.ApplyMigrations(ctx, d, t, migs, now); err != nil {
		_ = t.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return t.Commit(context.WithoutCancel(ctx))
}

// tx is a write transaction on one connection, opened with BEGIN
// IMMEDIATE.
type tx struct {
	conn  *sql.Conn
	sem   chan struct{}
	ckpt  *checkpointer // told about commits; nil without background checkpoints
	done  bool
	named []sqldriver.NamedValue // reused argument buffer
}

// Exec runs a statement in the transaction. Statements with arguments go
// straight to the driver (its per-connection statement cache prepares each
// distinct statement once), skipping database/sql's per-argument
// conversions: the batched writes bind tens of thousands of values per
// statement. Arguments are the basic types this module passes.
func (t *tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if len(args) == 0 {
		res, err := t.conn.ExecContext(ctx, q)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	named := t.namedArgs(args)
	var n int64
	err := t.conn.Raw(func(dc any) error {
		res, err := dc.(*sqlite3.SQLiteConn).ExecContext(ctx, q, named)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	clear(named)
	return n, err
}

var _ sqlstore.BulkExecer = (*tx)(nil)

// BulkExec runs a statement through the driver's query path, which binds
// every argument in one cgo call (copying strings into one C buffer)
// where Exec makes one cgo call, and SQLite one copy, per argument: a
// third off the CPU time of a 1,000-row batched INSERT. It does not report
// the affected rows.
func (t *tx) BulkExec(ctx context.Context, q string, args ...any) error {
	named := t.namedArgs(args)
	err := t.conn.Raw(func(dc any) error {
		rows, err := dc.(*sqlite3.SQLiteConn).QueryContext(ctx, q, named)
		if err != nil {
			return err
		}
		// The statement ran at the first step; Next reports its outcome.
		err = rows.Next(nil)
		if errors.Is(err, io.EOF) {
			err = nil
		} else if err == nil {
			err = errors.New("sqlitestore: bulk statement returned rows")
		}
		return errors.Join(err, rows.Close())
	})
	clear(named)
	return err
}

// namedArgs converts args for the driver into t's reused buffer.
func (t *tx) namedArgs(args []any) []sqldriver.NamedValue {
	if cap(t.named) < len(args) {
		t.named = make([]sqldriver.NamedValue, len(args))
	}
	named := t.named[:len(args)]
	for i, a := range args {
		if v, ok := a.(int); ok {
			a = int64(v)
		}
		named[i] = sqldriver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return named
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return t.conn.QueryContext(ctx, q, args...)
}

func (t *tx) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("sqlitestore: transaction already ended")
	}
	if _, err := t.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	t.end()
	if t.ckpt != nil {
		t.ckpt.committed()
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	_, err := t.conn.ExecContext(ctx, "ROLLBACK")
	if err != nil {
		// SQLite may have rolled back already (an interrupted statement
		// ends its transaction); a connection still inside a transaction
		// is discarded.
		if rerr := t.conn.Raw(func(dc any) error {
			if c, ok := dc.(*sqlite3.SQLiteConn); ok && c.AutoCommit() {
				return nil
			}
			return sqldriver.ErrBadConn
		}); rerr == nil {
			err = nil
		}
	}
	t.end()
	return err
}

// end returns the connection to its pool and lets the next writer in.
func (t *tx) end() {
	t.done = true
	_ = t.conn.Close()
	<-t.sem
}
