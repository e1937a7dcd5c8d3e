// Package store defines how vinventory persists inventory history: small
// interfaces (hourly samples, latest-state inventory, lifecycle, events,
// rollups, totals, snapshot registry, endpoints, compatibility tables)
// composed into Store, their *Params structs, errors and capabilities.
//
// Backends live in subpackages: memstore (in memory), sqlitestore (SQLite)
// and pgstore (PostgreSQL). Each passes the same conformance suite,
// storetest.Run, which users can also run against a backend of their own.
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
//   - Backends must be safe for concurrent use.
package store
