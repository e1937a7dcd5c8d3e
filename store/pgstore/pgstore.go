package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
	"github.com/accessvault/vinventory/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Sample write methods.
const (
	// MethodCopy stages samples with COPY and upserts them with one INSERT
	// ... SELECT ... ON CONFLICT. The default.
	MethodCopy = "copy"
	// MethodInsert upserts samples with multi-row INSERT ... ON CONFLICT
	// statements (kept for comparison).
	MethodInsert = "insert"
)

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Schema puts every table in this schema (created by Migrate). Empty
	// means the connection's search_path decides, usually "public".
	Schema string
	// SampleWriteMethod is how hourly samples are written: MethodCopy
	// (default) or MethodInsert.
	SampleWriteMethod string
	// PartitionHourlyByMonth makes Migrate create vm_hourly_stats as a
	// table range-partitioned by month on snapshot_time; partitions are
	// created on demand before samples are written. It applies when the
	// table is created: Capabilities().Partitioning reports the layout of
	// the existing table once the Store has looked at it.
	PartitionHourlyByMonth bool
	// NoTraceIndexes makes Migrate create vm_hourly_stats without the
	// three VM-first indexes of docs/architecture.md ((vcenter, vm_id,
	// snapshot_time), (vcenter, vm_uuid, snapshot_time) and (vcenter, name,
	// snapshot_time)); TraceVM does not need them (it resolves the VM
	// through vm_identities and reads its samples by primary key). They
	// are most of what a sample write costs (see docs/benchmarks-store.md);
	// keep them (the default) for SQL of your own that looks samples up by
	// VM. Like PartitionHourlyByMonth it applies when the table is created.
	NoTraceIndexes bool
	// AutoMigrate makes Open run Migrate before returning. Off by default:
	// schema changes are an explicit step (call Migrate at start-up or from
	// a deploy job). New never does I/O.
	AutoMigrate bool
	// Clock returns the current time, stamping registry records and
	// endpoints. Defaults to time.Now.
	Clock func() time.Time
}

//go:generate go run ../internal/sqlstore/genmethods -pkg pgstore -o methods.go

// Store is the PostgreSQL store.Store. All methods are safe for concurrent
// use, from one process or several sharing a database.
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

// Open connects to the database at dsn (a pgx connection string or URL;
// pool settings such as pool_max_conns may be given in it) and returns a
// Store that owns the pool: Close closes it. Open does not change the
// schema unless opts.AutoMigrate is set.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: Open: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: Open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: Open: %w", err)
	}
	s, err := newStore(pool, opts, true)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if opts.AutoMigrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	} else if _, err := s.d.isPartitioned(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("pgstore: Open: %w", err)
	}
	return s, nil
}

// New returns a Store over a pool the caller owns (Close leaves it open).
// It does no I/O; call Migrate to create the schema.
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: New: nil pool")
	}
	return newStore(pool, opts, false)
}

func newStore(pool *pgxpool.Pool, opts Options, owned bool) (*Store, error) {
	method := opts.SampleWriteMethod
	switch method {
	case "":
		method = MethodCopy
	case MethodCopy, MethodInsert:
	default:
		return nil, fmt.Errorf("pgstore: unknown SampleWriteMethod %q (want %q or %q)", method, MethodCopy, MethodInsert)
	}
	if strings.IndexByte(opts.Schema, 0) >= 0 {
		return nil, errors.New("pgstore: Schema contains a NUL byte")
	}
	d := &dialect{pool: pool, schema: opts.Schema, method: method, partitionOpt: opts.PartitionHourlyByMonth, months: map[string]bool{},
		metricDays: map[string]bool{}}
	migs, err := sqlstore.LoadMigrations(migrationsFS, "migrations", map[string]any{
		"Partitioned":  opts.PartitionHourlyByMonth,
		"TraceIndexes": !opts.NoTraceIndexes,
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	s := &Store{d: d}
	s.core = sqlstore.New(sqlstore.Config{
		Name:    "pgstore",
		Dialect: d,
		DB:      bun.NewDB(sqldb, pgdialect.New()),
		Migrate: func(ctx context.Context) error { return d.migrate(ctx, migs, now()) },
		Close: func() error {
			err := sqldb.Close()
			if owned {
				pool.Close()
			}
			return err
		},
		Clock: now,
	})
	d.core = s.core
	return s, nil
}

// Pool returns the pgx pool the Store uses.
func (s *Store) Pool() *pgxpool.Pool { return s.d.pool }

// ---------------------------------------------------------------------------
// Dialect

type dialect struct {
	core         *sqlstore.Core
	pool         *pgxpool.Pool
	schema       string
	method       string
	partitionOpt bool
	alwaysStage  bool // tests: take the staging path even for fresh rows
	// metricEncodeHook (tests) is called before each metric point is
	// encoded into the COPY stream.
	metricEncodeHook func(i int)

	mu          sync.Mutex
	partKnown   bool
	partitioned bool
	months      map[string]bool // partitions known to exist
	metricDays  map[string]bool // daily metric_points partitions known to exist
}

func (d *dialect) Capabilities() store.Capabilities {
	d.mu.Lock()
	part := d.partitionOpt
	if d.partKnown {
		part = d.partitioned
	}
	d.mu.Unlock()
	return store.Capabilities{
		Backend:       "postgres",
		TimePrecision: driver.Precision,
		Partitioning:  part,
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

func (d *dialect) Table(name string) string {
	if d.schema == "" {
		return quoteIdent(name)
	}
	return quoteIdent(d.schema) + "." + quoteIdent(name)
}

// schemaExpr is the schema as an SQL expression.
func (d *dialect) schemaExpr() string {
	if d.schema == "" {
		return "current_schema()"
	}
	return quoteLiteral(d.schema)
}

func (d *dialect) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// MaxParams is the protocol's limit of bind parameters per statement.
func (d *dialect) MaxParams() int { return 65535 }

// Begin acquires a connection for a write transaction. BEGIN itself is
// sent with the transaction's first statement (see tx).
func (d *dialect) Begin(ctx context.Context) (sqlstore.Tx, error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	t := &tx{conn: conn}
	t.queue("begin")
	return t, nil
}

// lockSQL takes a transaction-scoped advisory lock on a key.
const lockSQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

// Lock queues the lock: it is sent with (before) the transaction's next
// statement, in the same round trip, so everything the transaction does
// afterwards still happens under the lock.
func (d *dialect) Lock(_ context.Context, t sqlstore.Tx, key string) error {
	t.(*tx).queue(lockSQL, "vinventory|"+d.schema+"|"+key)
	return nil
}

func (d *dialect) InsertRows(ctx context.Context, t sqlstore.Tx, table string, cols []string, rows *sqlstore.RowSource) error {
	if rows.N == 0 {
		return nil
	}
	return d.copyRows(ctx, t.(*tx), d.Table(table), rows)
}

func (d *dialect) UpsertSamples(ctx context.Context, t sqlstore.Tx, rows *sqlstore.RowSource, fresh bool) error {
	if rows.N == 0 {
		return nil
	}
	if d.method == MethodInsert {
		return d.core.UpsertSamplesGeneric(ctx, t, rows)
	}
	if fresh && !d.alwaysStage {
		// Nothing to conflict with: COPY straight into vm_hourly_stats.
		return d.InsertRows(ctx, t, sqlstore.TableHourly, rows.Cols, rows)
	}
	return d.copySamples(ctx, t.(*tx), rows)
}

func (d *dialect) ColumnType(k sqlstore.ColKind) string {
	switch k {
	case sqlstore.KindText:
		return `text COLLATE "C" NOT NULL DEFAULT ''`
	case sqlstore.KindTime:
		return "timestamptz"
	case sqlstore.KindInt:
		return "bigint NOT NULL DEFAULT 0"
	case sqlstore.KindFloat:
		return "double precision NOT NULL DEFAULT 0"
	case sqlstore.KindBool:
		return "boolean NOT NULL DEFAULT false"
	case sqlstore.KindBytes:
		return "bytea"
	default:
		return "jsonb"
	}
}

// LatePrimaryKey: building the index once over the rows costs a fraction of maintaining it row by row.
func (d *dialect) LatePrimaryKey() bool { return true }

// LiveLifecycles: the (vcenter, deleted) index serves the filter.
func (d *dialect) LiveLifecycles() string { return d.Table(sqlstore.TableLifecycle) }

func (d *dialect) TableSuffix() string { return "" }

func (d *dialect) TablesQuery() string {
	return `SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = ` + d.schemaExpr() +
		` AND tablename LIKE ? ESCAPE '\' ORDER BY tablename`
}

// Contains uses strpos, which compares by bytes.
func (d *dialect) Contains(s, sub string) string { return "strpos(" + s + ", " + sub + ") > 0" }

// SearchIndex: text queries scan inv_vms.
func (d *dialect) SearchIndex() bool { return false }

// ForUpdate locks the rows read (skipping those other transactions hold).
func (d *dialect) ForUpdate(skipLocked bool) string {
	if skipLocked {
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}

// UniqueViolation reports SQLSTATE 23505.
func (d *dialect) UniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// AttributePairs expands the jsonb attributes with jsonb_each_text, whose
// text has the database's collation: the pairs are given COLLATE "C", so
// lower() on them folds ASCII only, as everywhere else.
func (d *dialect) AttributePairs(attrs string) string {
	return `(SELECT key COLLATE "C" AS key, value COLLATE "C" AS value FROM jsonb_each_text(` + attrs + `))`
}

func (d *dialect) migrate(ctx context.Context, migs []sqlstore.Migration, now time.Time) error {
	t, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	nc := context.WithoutCancel(ctx)
	err = func() error {
		// One migrator per schema at a time, across processes.
		if err := d.Lock(ctx, t, "migrate"); err != nil {
			return err
		}
		if d.schema != "" {
			if _, err := t.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(d.schema)); err != nil {
				return err
			}
			if _, err := t.Exec(ctx, "SET LOCAL search_path TO "+quoteIdent(d.schema)); err != nil {
				return err
			}
		}
		if _, err := sqlstore.ApplyMigrations(ctx, d, t, migs, now); err != nil {
			return err
		}
		return t.Commit(nc)
	}()
	if err != nil {
		_ = t.Rollback(nc)
		return err
	}
	d.mu.Lock()
	d.partKnown = false
	d.mu.Unlock()
	_, err = d.isPartitioned(ctx)
	return err
}

// isPartitioned reports (and caches) whether vm_hourly_stats is a
// partitioned table. A missing table is reported as not partitioned and
// not cached.
func (d *dialect) isPartitioned(ctx context.Context) (bool, error) {
	d.mu.Lock()
	if d.partKnown {
		p := d.partitioned
		d.mu.Unlock()
		return p, nil
	}
	d.mu.Unlock()
	var kind string
	err := d.pool.QueryRow(ctx, `SELECT c.relkind::text FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = `+d.schemaExpr()+` AND c.relname = 'vm_hourly_stats'`).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	d.mu.Lock()
	d.partKnown, d.partitioned = true, kind == "p"
	d.mu.Unlock()
	return kind == "p", nil
}

// PrepareSampleTimes creates the monthly partitions of vm_hourly_stats that
// samples at these times need, each in its own short transaction (creating
// a partition locks the parent table; doing it inside the long write
// transaction would block every reader until the write commits).
func (d *dialect) PrepareSampleTimes(ctx context.Context, times []time.Time) error {
	part, err := d.isPartitioned(ctx)
	if err != nil || !part {
		return err
	}
	for _, t := range times {
		t = t.UTC()
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		name := "vm_hourly_stats_p" + start.Format("200601")
		d.mu.Lock()
		known := d.months[name]
		d.mu.Unlock()
		if known {
			continue
		}
		if err := d.createPartition(ctx, name, start, start.AddDate(0, 1, 0)); err != nil {
			return fmt.Errorf("creating partition %s: %w", name, err)
		}
		d.mu.Lock()
		d.months[name] = true
		d.mu.Unlock()
	}
	return nil
}

func (d *dialect) createPartition(ctx context.Context, name string, from, to time.Time) error {
	t, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	nc := context.WithoutCancel(ctx)
	err = func() error {
		if err := d.Lock(ctx, t, "partition|"+name); err != nil {
			return err
		}
		const layout = "2006-01-02 15:04:05Z07:00"
		if _, err := t.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+d.Table(name)+" PARTITION OF "+d.Table(sqlstore.TableHourly)+
			" FOR VALUES FROM ("+quoteLiteral(from.Format(layout))+") TO ("+quoteLiteral(to.Format(layout))+")"); err != nil {
			return err
		}
		return t.Commit(nc)
	}()
	if err != nil {
		_ = t.Rollback(nc)
	}
	return err
}

// rebind rewrites ? placeholders as $1, $2, ... (queries are built by this
// module and carry no ? inside literals).
func rebind(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + n*5)
	i := 0
	for {
		j := strings.IndexByte(q, '?')
		if j < 0 {
			b.WriteString(q)
			return b.String()
		}
		i++
		b.WriteString(q[:j])
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i))
		q = q[j+1:]
	}
}
