// Package sqlitestore is the SQLite store.Store: bun (sqlitedialect) over
// github.com/mattn/go-sqlite3.
//
// Open puts the database in WAL mode with synchronous=FULL and a busy
// timeout, and uses one dedicated connection for writes and a small pool of
// read-only connections for reads, so reads never wait for writes. Writes
// are serialized in process and run as BEGIN IMMEDIATE transactions, so
// concurrent writers — goroutines of one Store, or several processes
// sharing the file — wait for each other instead of failing with
// SQLITE_BUSY. Every write method is one transaction; hourly samples and
// other bulk rows are written with prepared multi-row INSERT statements (up
// to BatchSize rows each, within SQLite's 32,766 bind variables) that the
// driver caches per connection, binding each statement's arguments in one
// cgo call, samples in primary-key order.
//
// Open also moves WAL checkpoints (copying the log back into the database
// file) off the writer's path: a goroutine runs a PASSIVE checkpoint on a
// read connection after commits, and the write connection checkpoints by
// itself only once the log passes 8,192 pages (32 MiB), should the
// background ones fall behind. A bulk write then returns without paying
// for the checkpoint its pages trigger (about 30% of writing 15,000 rollup
// rows); durability is unchanged. New leaves checkpoints to the caller's
// connection settings.
//
// synchronous=FULL syncs the write-ahead log at every commit: a write that
// returned survives a power loss, which billing history needs. It costs one
// fsync per write transaction, not per row: batched writes stay over 20
// times faster than one autocommit INSERT per row (docs/benchmarks-store.md).
// Options.Synchronous = "normal" trades that guarantee (the last commits
// before a power loss may be lost; an application crash loses nothing) for
// the fsync.
//
// Times are stored as INTEGER unix microseconds (UTC), NULL for the zero
// time; booleans as 0/1; maps as JSON text (NULL when empty). Strings of
// rows other than samples must be valid UTF-8 without NUL bytes, as in
// pgstore (page cursors could not carry them byte-exactly).
//
// vm_hourly_stats is a WITHOUT ROWID table clustered on its primary key
// (vcenter, snapshot_time, vm_key), with one more index, on snapshot_time.
// Unlike PostgreSQL it has no index leading with the VM identity: such an
// index makes every batched write touch one index page per VM, which SQLite
// writes out at each commit (measured: 10x slower writes). VM traces
// resolve the VM through the small vm_identities table and read its samples
// by primary key at each time listed in sample_times.
//
// Utilisation metrics (store.MetricStore): each series (vcenter,
// entity_type, entity_id, metric) gets an integer series_id in
// metric_series; raw points and the hour and day rollups are WITHOUT
// ROWID tables keyed by (series_id, t), t in unix seconds, so a series'
// range is one b-tree seek and nothing else is indexed. WriteMetrics
// resolves or creates the series in bulk and upserts the points in
// key order with batched multi-row INSERT ... ON CONFLICT DO UPDATE.
// Bucket figures are computed in Go from the rows read in (series, time)
// order, with the same arithmetic as every backend. MetricStats reports
// the pages of the tables' b-trees from the dbstat virtual table when
// go-sqlite3 is built with the sqlite_dbstat tag, else 0.
//
// The schema comes from embedded, versioned migrations applied by Migrate
// (recorded in schema_migrations; BEGIN IMMEDIATE makes concurrent
// migrators take turns). Open does not migrate unless Options.AutoMigrate
// is set, so opening a database never changes its schema by surprise.
//
// *Store implements store.Store and the optional store.CompatTables and
// store.SQLAggregator: aggregate.Daily and aggregate.Monthly can have the database compute the
// rollup rows (aggregate.ModeSQL, aggregate.ModeLegacy).
package sqlitestore
