package sqlstore

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/store"
)

// Dialect is what differs between the SQL backends: time encoding, table
// naming, the write transaction, locking, the bulk write paths and the
// column types of generated DDL. Everything else lives in Core.
type Dialect interface {
	// Capabilities of the backend.
	Capabilities() store.Capabilities
	// Table returns the SQL reference of a table: quoted, and qualified by
	// the backend's schema when it has one. Names are built by this package
	// (canonical tables) or validated with driver.ParseCompatTableName.
	Table(name string) string
	// Time encodes a time as a query argument: NULL (nil) for the zero
	// time, else the backend's column encoding of t (already normalised
	// by the caller).
	Time(t time.Time) any
	// MaxParams is the number of bind parameters one statement may carry.
	MaxParams() int
	// Begin starts a write transaction. Conflicting writers are serialized
	// (never failing with "busy").
	Begin(ctx context.Context) (Tx, error)
	// Lock takes a lock on key held until tx ends, serializing writers of
	// the same key across processes. Backends whose Begin already
	// serializes every writer may do nothing.
	Lock(ctx context.Context, tx Tx, key string) error
	// InsertRows bulk-inserts rows into a table holding none of their keys
	// (the caller deleted them under a lock).
	InsertRows(ctx context.Context, tx Tx, table string, cols []string, rows *RowSource) error
	// ReplaceState makes vc's rows of a latest-state table exactly rows
	// (every row's vcenter is vc; the first keyCols of rows.Cols are the
	// table's primary key). fresh means the table holds no row of vc
	// (its first state). Core.DeleteInsertState is the plain way: delete
	// vc's rows, insert rows.
	ReplaceState(ctx context.Context, tx Tx, table string, keyCols int, vc string, rows *RowSource, fresh bool) error
	// UpsertSamples writes hourly samples into vm_hourly_stats, updating
	// rows that already exist on (vcenter, snapshot_time, vm_key). Sample
	// keys are unique within rows. fresh means no stored sample has any of
	// the rows' (vcenter, snapshot_time): the caller checked under the
	// locks of those snapshot times, so a plain insert cannot conflict.
	UpsertSamples(ctx context.Context, tx Tx, rows *RowSource, fresh bool) error
	// PrepareSampleTimes readies storage for samples at these snapshot
	// times before the write transaction starts (e.g. creates monthly
	// partitions). It may commit on its own; it writes no rows.
	PrepareSampleTimes(ctx context.Context, times []time.Time) error
	// ColumnType returns the column definition of a kind in generated DDL
	// (compatibility tables).
	ColumnType(k ColKind) string
	// LatePrimaryKey reports whether a new compatibility table may be
	// created without its primary key, filled, and then given the key
	// (ALTER TABLE ... ADD PRIMARY KEY), all in one transaction.
	LatePrimaryKey() bool
	// LiveLifecycles is the table expression that reads the lifecycle rows
	// of VMs not deleted (the query filters them with "NOT deleted"), so
	// reading them costs the same however much deleted history there is.
	LiveLifecycles() string
	// TableSuffix is appended to generated CREATE TABLE statements
	// (SQLite: " WITHOUT ROWID").
	TableSuffix() string
	// TablesQuery lists the store's tables: a query with one argument, a
	// LIKE pattern using \ as escape character, returning one name column.
	TablesQuery() string
	// Contains returns the condition that text expression s contains text
	// expression sub, compared by bytes (no case folding, no LIKE
	// metacharacters).
	Contains(s, sub string) string
	// SearchIndex reports whether inv_vms has inv_vms_search_idx, an index
	// covering the scope, power state, template and search columns: text
	// queries then find the matching VMs' keys in it before they read any
	// row (SQLite; PostgreSQL scans the table instead, which its planner
	// does well and an index-only scan could not promise while captures
	// keep the table's pages changing).
	SearchIndex() bool
	// AttributePairs returns a FROM item with the text columns key and
	// value (in byte-order collation): one row per member of the JSON
	// object of attributes expression attrs, none when it is NULL.
	AttributePairs(attrs string) string
	// ForUpdate is the clause that locks the rows a SELECT reads until the
	// transaction ends (PostgreSQL: " FOR UPDATE", with skipLocked
	// " FOR UPDATE SKIP LOCKED": rows another transaction holds are left
	// out), or "" when Begin already serializes every writer (SQLite).
	ForUpdate(skipLocked bool) string
	// UniqueViolation reports whether err is a unique-index violation.
	UniqueViolation(err error) bool
	// PrepareMetricDays readies storage for raw metric points on these UTC
	// days (unix seconds of their midnights, ascending) before the write
	// transaction starts (PostgreSQL: creates the daily partitions of
	// metric_points). It may commit on its own; it writes no rows.
	PrepareMetricDays(ctx context.Context, days []int64) error
	// MetricDaysGone reports whether err says a point's day has no storage
	// any more (PostgreSQL: no partition of metric_points for the row,
	// which another process pruned after this one created it). It then
	// forgets what it knew, so the next PrepareMetricDays checks again.
	MetricDaysGone(err error) bool
	// UpsertMetricPoints writes rows of metric_points (MetricPointCols,
	// ordered by key, keys unique within rows), replacing the value of a
	// stored point with the same key. Core.UpsertMetricPointsGeneric is
	// the plain way.
	UpsertMetricPoints(ctx context.Context, tx Tx, rows *RowSource) error
	// PruneMetricPoints deletes the raw metric points with t < before
	// (unix seconds) and returns how many it deleted.
	// Core.PruneMetricPointsGeneric is the plain way.
	PruneMetricPoints(ctx context.Context, tx Tx, before int64) (int64, error)
	// MetricBytes returns the storage a metric table takes with its
	// indexes (and partitions), or 0 when the backend cannot tell.
	MetricBytes(ctx context.Context, table string) (int64, error)
}

// Tx is a write transaction. Queries use ? placeholders; implementations
// rewrite them as their driver needs.
type Tx interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// Commit commits; Rollback after Commit is a no-op.
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Deferrer is a Tx that can hold back a statement whose result nobody
// waits for and send it with the next statement or with Commit, in one
// round trip (pgstore). The statement still runs before the next one; an
// error it raises is reported by the statement or Commit that sent it.
type Deferrer interface {
	Defer(query string, args ...any)
}

// BulkExecer is a Tx with a faster way to run a statement whose
// affected-row count nobody needs (sqlitestore binds all of a statement's
// arguments in one cgo call). The batched INSERTs use it.
type BulkExecer interface {
	BulkExec(ctx context.Context, query string, args ...any) error
}

// Rows is a query result inside a Tx.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// ColKind is the abstract type of a column in generated DDL.
type ColKind int

// Column kinds.
const (
	KindText  ColKind = iota // text, NOT NULL DEFAULT ''
	KindTime                 // a nullable time
	KindInt                  // 64-bit integer, NOT NULL DEFAULT 0
	KindFloat                // float64, NOT NULL DEFAULT 0
	KindBool                 // boolean, NOT NULL DEFAULT false
	KindJSON                 // a nullable JSON object
	KindBytes                // a nullable blob
)

// RowSource yields rows for bulk writes.
type RowSource struct {
	// N is the number of rows.
	N int
	// Cols are the column names.
	Cols []string
	// Row appends the arguments of row i to dst and returns it.
	Row func(i int, dst []any) []any
	// Batch is the number of rows per statement or per context check.
	Batch int
	// Encode, when set, writes the values of row i through w, in Cols
	// order, with their types: the same values Row appends, without
	// boxing each in an interface. Dialects with a typed bulk path
	// (pgstore's binary COPY) use it; the others use Row.
	Encode func(i int, w ValueWriter)
}

// ValueWriter receives one row's values in column order (see
// RowSource.Encode). Each method matches a ColKind: Text (KindText), Time
// (KindTime), Int (KindInt), Float (KindFloat), Bool (KindBool) and JSON
// (KindJSON).
type ValueWriter interface {
	Text(s string)
	// Time writes a time already normalised to driver.Precision, in UTC;
	// the zero time is NULL.
	Time(t time.Time)
	Int(v int64)
	Float(v float64)
	Bool(v bool)
	// JSON writes an encoded JSON document; nil is NULL.
	JSON(b []byte)
}
