// Package pgstore is the PostgreSQL store.Store: bun (pgdialect) over pgx
// for queries, pgx connections for write transactions.
//
// Hourly samples are written with COPY inside the same transaction as the
// rest of the snapshot (latest-state inventory, totals, registry record and
// compatibility table), so a snapshot is stored whole or not at all.
// Samples that may collide with stored rows (a WriteSamples re-writing a
// snapshot time) are copied into a per-session temporary staging table and
// moved into vm_hourly_stats with one INSERT ... SELECT ... ON CONFLICT
// (vcenter, snapshot_time, vm_key) DO UPDATE. When no stored row can
// collide — WriteSnapshot after deleting the snapshot's rows, or a
// WriteSamples whose snapshot times hold no samples, both checked under
// advisory locks of those snapshot times — they are copied straight into
// vm_hourly_stats. Options.SampleWriteMethod = MethodInsert uses multi-row
// INSERT ... ON CONFLICT statements instead (kept for comparison).
//
// Bulk rows are COPYed in the text format, encoded by the store from the
// Go values (samples without boxing each value): on PostgreSQL 15 the
// binary format pgx.CopyFrom sends makes the server do quadratic work per
// COPY of 1,000 rows (see copy.go), 40% of a 1,000-row COPY. Samples are
// sent in primary-key order, so the primary-key index is appended to at
// its right edge. A write transaction sends BEGIN, its advisory locks and
// its side-table rows (sample_times, vm_identities) together with its
// next statement or its COMMIT: a WriteSamples costs three round trips.
//
// A vCenter's latest-state inventory is not deleted and re-inserted at
// every snapshot: its rows are staged, and only keys that are gone are
// deleted, rows that differ are updated in place and new keys inserted
// (each re-inserted key would step over the dead entry of its old version
// in every unique index). The entity tables keep half of each page free
// (migration 0002), so updates that change no indexed column — the
// snapshot time at least changes every hour — are HOT updates, which
// touch no index. A compatibility table created by a write is filled
// first and given its primary key after.
//
// Staging tables are session temporary tables and advisory locks are
// taken per transaction on one connection, so the store needs real
// sessions: behind PgBouncer, use session pooling, not transaction
// pooling.
//
// Writers of one vCenter's snapshots, of one rollup period and of one
// compatibility table are serialized with transaction-scoped advisory locks
// (pg_advisory_xact_lock), so concurrent writers — in one process or
// several — never interleave a replace-by-delete. A live batch
// (store.LiveState) takes its vCenter's snapshot lock too. Every
// transaction that inserts into live_changes or inventory_events takes
// one more, with a fixed key, right before those inserts: their sequence
// numbers and ids then become visible in commit order across vCenters, so
// a reader tailing by number (ListChanges, ListEvents with AfterID) never
// skips a row that commits later with a smaller one. Those inserts are
// short, so the cost is a brief queue of concurrent event writers.
//
// Alerting (store.AlertStore, store.AlertChannels,
// store.NotificationQueue): ApplyAlerts takes one advisory lock with a
// fixed key, then checks each update's ExpectState on its row read FOR
// UPDATE and the one-alert-not-resolved-per-key rule (also a partial
// unique index; a violation is a *store.ConflictError too).
// ClaimNotifications picks its rows FOR UPDATE SKIP LOCKED in the
// UPDATE that leases them, so replicas claiming from one queue never take
// the same row and never wait on each other.
//
// Utilisation metrics (store.MetricStore): each series (vcenter,
// entity_type, entity_id, metric) gets a bigint series_id in
// metric_series; raw points (series_id, t, value), t in unix seconds, are
// kept in metric_points, range-partitioned by t into daily partitions
// metric_points_pYYYYMMDD that WriteMetrics creates before its
// transaction, each in a short transaction of its own under an advisory
// lock on its name (CREATE TABLE IF NOT EXISTS ... PARTITION OF), so
// replicas writing the same new day never collide. WriteMetrics resolves
// or creates the series in bulk and COPYs the points straight into
// metric_points under a savepoint; when a point is already stored (a
// rewrite) it rolls back to the savepoint, COPYs them into a temporary
// staging table and moves them with one INSERT ... ON CONFLICT DO UPDATE.
// PruneMetrics drops the partitions wholly before RawBefore and deletes
// inside the boundary one; a BRIN index on t serves the time-range scans
// of RollupMetrics. Rollups (metric_rollup_hour, metric_rollup_day) are
// plain tables keyed by (series_id, bucket start). Bucket figures are
// computed in Go from the rows read in (series, time) order, with the
// same arithmetic as every backend, so they equal memstore's bit for bit.
// MetricStats reports pg_total_relation_size summed over the tables,
// their partitions and indexes (for every vCenter, whatever the filter).
//
// The schema is created by Migrate from embedded, versioned migrations
// (recorded in schema_migrations, applied under an advisory lock, so
// several processes may migrate at once). Open does not migrate unless
// Options.AutoMigrate is set. Options.Schema keeps every table in one
// schema; Options.PartitionHourlyByMonth creates vm_hourly_stats
// range-partitioned by month, partitions being created on demand before
// samples are written.
//
// vm_hourly_stats has the primary key (vcenter, snapshot_time, vm_key) and
// the indexes docs/architecture.md lists: (vcenter, snapshot_time) is served by
// the primary key (its leading columns; no separate index duplicates it),
// (snapshot_time) is a BRIN index (samples arrive in time order: time-range
// scans and retention deletes use it as a bitmap scan, and it costs next to
// nothing to maintain, where a btree was 12% of the server's work per
// row; rows written into space freed by retention deletes widen its ranges
// over time, which the monthly partitioning avoids), and (vcenter,
// vm_id, snapshot_time), (vcenter, vm_uuid, snapshot_time) and (vcenter,
// name, snapshot_time) serve VM-first lookups. Options.NoTraceIndexes, a
// migration option like PartitionHourlyByMonth, leaves those three out:
// the store's own VM trace goes through the small vm_identities and
// sample_times tables (as in sqlitestore) and primary-key lookups, and the
// three indexes are three quarters of what writing a sample costs the
// server (docs/benchmarks-store.md).
//
// Times are timestamptz (UTC on read, microsecond precision), NULL for the
// zero time; maps are jsonb; text columns use the "C" collation so
// orderings match the other backends byte for byte. Strings must be valid
// UTF-8 without NUL bytes (text cannot hold others); other rows are
// rejected with *store.InvalidParamsError, samples with a *store.WriteError.
//
// *Store implements store.Store and the optional store.CompatTables and
// store.SQLAggregator: aggregate.Daily and aggregate.Monthly can have the database compute the
// rollup rows (aggregate.ModeSQL, aggregate.ModeLegacy).
package pgstore
