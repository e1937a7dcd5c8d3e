// Package pgstore is the PostgreSQL store.Store: bun (pgdialect) over pgx
// for queries, pgx transactions for writes.
//
// Hourly samples are written with pgx CopyFrom inside the same transaction
// as the rest of the snapshot (latest-state inventory, totals, registry
// record and compatibility table), so a snapshot is stored whole or not at
// all. Samples that may collide with stored rows (a WriteSamples re-writing
// a snapshot time) are copied into a per-session temporary staging table
// and moved into vm_hourly_stats with one INSERT ... SELECT ... ON CONFLICT
// (vcenter, snapshot_time, vm_key) DO UPDATE. When no stored row can
// collide — WriteSnapshot after deleting the snapshot's rows, or a
// WriteSamples whose snapshot times hold no samples, both checked under
// advisory locks of those snapshot times — they are copied straight into
// vm_hourly_stats. Options.SampleWriteMethod = MethodInsert uses multi-row
// INSERT ... ON CONFLICT statements instead (kept for comparison).
//
// Writers of one vCenter's snapshots, of one rollup period and of one
// compatibility table are serialized with transaction-scoped advisory locks
// (pg_advisory_xact_lock), so concurrent writers — in one process or
// several — never interleave a replace-by-delete.
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
// the indexes ARCHITECTURE.md lists: (snapshot_time), (vcenter,
// snapshot_time), (vcenter, vm_id, snapshot_time), (vcenter, vm_uuid,
// snapshot_time) and (vcenter, name, snapshot_time). The store's own VM
// trace goes through the small vm_identities and sample_times tables (as
// in sqlitestore) and primary-key lookups.
//
// Times are timestamptz (UTC on read, microsecond precision), NULL for the
// zero time; maps are jsonb; text columns use the "C" collation so
// orderings match the other backends byte for byte. Strings must be valid
// UTF-8 without NUL bytes (text cannot hold others); other rows are
// rejected with *store.InvalidParamsError, samples with a *store.WriteError.
package pgstore
