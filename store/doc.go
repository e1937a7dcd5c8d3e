// Package store defines how vinventory persists inventory history: small
// interfaces (hourly samples, latest-state inventory, lifecycle, events,
// rollups, totals, snapshot registry, endpoints) composed into Store, their
// *Params structs, errors and capabilities. Features not every backend has
// are optional interfaces found by a type assertion on a Store:
// CompatTables, SQLAggregator, SnapshotCounter, ReportCatalog,
// EntityHistory (per-snapshot hosts, clusters and datastores), Details
// (the RVTools-depth detail of each vCenter's newest capture), LiveState
// (live changes between captures and their change log), and the API's
// Querier, TokenStore, AuditLog and RateCardStore.
//
// Backends live in subpackages: memstore (in memory), sqlitestore (SQLite)
// and pgstore (PostgreSQL). Each passes the same conformance suite,
// storetest.Run, which users can also run against a backend of their own;
// store/driver holds the rules they share (for backend authors only).
//
// # Contract
//
//   - Every method takes a context first and a *XxxParams second; nil params
//     are treated as the zero value where that is meaningful, otherwise an
//     *InvalidParamsError is returned.
//   - Times are returned in UTC, truncated to Capabilities().TimePrecision. A
//     zero time.Time is stored as NULL and read back as zero.
//   - WriteSnapshot is atomic: all of a vCenter snapshot's rows (samples,
//     latest-state inventory, totals, registry record and the optional
//     compatibility table) are written, or none are.
//   - Every write is idempotent: writing the same snapshot, rollups, events
//     or lifecycle rows again leaves the store as it was after the first
//     write.
//   - Hourly samples are keyed on (vcenter, snapshot_time, vm_key), where
//     vm_key is inventory.VMKey(vm_id, vm_uuid, name): the managed object id
//     for every captured sample.
//   - Lists are ordered deterministically (documented per method); paginated
//     lists return an opaque cursor for the next page.
//   - Backends must be safe for concurrent use, including concurrent writers
//     (SQLite backends serialize them rather than fail with "busy").
//
// # Details every backend follows (checked by storetest)
//
//   - Empty maps and slices (Attributes, Tags, DatastoreIDs, NetworkIDs,
//     HostIDs, Before, After, Credential) are returned as nil; id slices are
//     returned sorted ascending.
//   - WriteSnapshot sets SnapshotTime on every state row and on Totals, and
//     fills Totals.Vcenter. Its samples replace all rows stored for that
//     (vcenter, snapshot_time). Its state replaces the vCenter's whole
//     latest-state inventory (objects absent from it are removed) when
//     SnapshotTime >= StateTime; vcenter_latest_totals follows the same
//     rule. It then refreshes the hourly aggregate totals of
//     inventory.HourOf(SnapshotTime, Location) and upserts the registry
//     record {Kind: hourly, RowCount: len(Samples), TableName: the hourly
//     compatibility table when Compat, Duration}; a record that already
//     exists keeps its RegisteredAt and Duration (they describe the first
//     complete capture or aggregation), so re-running one leaves every
//     table exactly as it was.
//   - Aggregate totals are computed with driver.MeanTotals over the period's rows
//     ordered by snapshot_time, so every backend returns identical floats.
//   - Rollup writes replace the whole (vcenter, period) set; lifecycle
//     upserts replace every field of the row.
//   - Event IDs are positive and increase in insertion order.
//   - Durations are stored exactly (nanoseconds).
//   - Stores check ctx between batches and before commit; a cancelled
//     context fails the write and leaves nothing of it behind.
//   - Scan callbacks run while the scan holds its read; they must not write
//     to the same store.
//   - After Close every method returns an error wrapping ErrClosed.
//   - Params errors are *InvalidParamsError; unknown rows are ErrNotFound;
//     a write breaking a uniqueness rule is a *ConflictError (wrapping
//     ErrConflict); failed writes are *WriteError wrapping the cause.
package store
