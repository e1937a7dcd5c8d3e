// Package aggregate computes the daily and monthly rollups chargeback and
// capacity teams bill from (SEMANTICS §2, §4, §5).
//
// Daily and Monthly run over a store: for each vCenter they stream the
// period's canonical rows (vm_hourly_stats for a day, vm_daily_rollup for a
// month) through the pure builders below and write the rollup rows
// (replacing the period), the summary compatibility table, a registry
// record and the period's aggregate totals. Re-running either leaves the
// store unchanged.
//
// The builders are the pure cores and do no I/O: callers stream hourly
// samples or daily rollup rows into a builder and take its Rows. They are
// usable without any store.
//
// # Execution modes
//
// Options.Mode selects how the rows are computed; every mode writes them
// through the same write path (rollup table, summary compatibility table,
// registry record, aggregate totals), so the outputs are identical (up to
// the last bits of floating point sums, whose order differs):
//
//   - ModeGo (default, the scheduled path): vm_hourly_stats (daily) or
//     vm_daily_rollup (monthly) streamed through the pure builders.
//   - ModeSQL: the database computes the rows from the same canonical
//     tables (store.SQLAggregator; sqlitestore and pgstore). The query
//     groups by the §2 identity, takes the latest attributes from the
//     group's latest row, joins vm_lifecycle_cache, and maps pools to
//     tiers with the configured TierMap, passed as parameters. Stores
//     that do not implement it fail with store.ErrUnsupported.
//   - ModeLegacy: the compatibility tables: a UNION ALL over the day's
//     inventory_hourly_* tables (daily) or the month's
//     inventory_daily_summary_* tables (monthly) in SQL, or a scan of them
//     through store.CompatTables on memstore. Repair, backfill and
//     validation only.
//
// Options.MonthlyGranularity = inventory.Hourly makes Monthly read hourly
// samples over the whole month (NewMonthlyFromHourly; from the hourly
// compatibility tables with ModeLegacy); manual rebuild and validation
// only, not with ModeSQL.
//
// In SQL, identity groups are formed without an arrival order: a sample
// with a vm_id is its vm_id's VM; a sample with only a vm_uuid joins the
// VM of the earliest sample (by snapshot time, then vm_key) of the period
// that has that uuid and a vm_id, else the uuid's own group; a sample with
// neither joins by name. This is the Go builders' grouping whenever the
// samples arrive in scan order, which Daily and Monthly guarantee; the
// pathological mixes noted below may group differently.
//
// # Backfill, repair, rebuild
//
// Backfill, Repair and Rebuild run over a range of days or months for one
// or all vCenters and report progress through a callback; see Action for
// exactly what each does. In short: backfill fills gaps (imports
// snapshots that exist only as inventory_hourly_* tables, derives missing
// lifecycle rows, aggregates periods never aggregated); repair makes the
// canonical tables whole from the compatibility tables and recomputes
// everything in the range; rebuild recomputes the range's rollups from the
// canonical tables as they are.
//
// # Daily (§4)
//
// NewDaily / (*DailyBuilder).Add / Rows. Memory grows with the number of VMs
// and the number of snapshots of the window, never with the number of
// samples: each VM keeps running sums, its latest attributes and the set of
// snapshot times it was present at (at most one per snapshot of the day).
//
// # Monthly (§5)
//
// NewMonthly aggregates daily rows (the scheduled path); NewMonthlyFromHourly
// computes the same figures straight from hourly samples (the `hourly`
// granularity). Both agree to floating point rounding.
//
// # Readings of the rules
//
//   - Snapshots: when DailyInput.SnapshotTimes (or MonthlyHourlyInput's) is
//     non-empty, total_samples is the number of distinct registered times
//     inside the window and only samples taken at one of those times are
//     present samples; samples at other times (incomplete snapshots) are
//     ignored. When it is empty, total_samples is the number of distinct
//     snapshot times among the accepted samples (§4 fallback).
//   - Samples outside the window, or of another vCenter, are ignored, not
//     an error; Ignored reports how many were dropped for any reason.
//   - A second sample of the same VM (same identity group, §2) at the same
//     snapshot time is a duplicate: the first one added counts, later ones
//     are ignored (and counted by Ignored) except that their vm_id/vm_uuid
//     may still update the identity.
//   - Identity: samples are grouped with inventory.Identities (§2). Because
//     that grouping is by first appearance, a pathological mix of samples
//     without vm_id may group differently depending on arrival order; with a
//     vm_id on every sample (the normal case) order does not matter. The
//     row's VMKey is inventory.VMKey(vm_id, vm_uuid, name) of the row's own
//     vm_id and vm_uuid (each from the latest sample that has one) and name
//     (from the latest present sample), so a VM that gains a moref is keyed
//     by it.
//   - Lifecycle rows are looked up by the row's vm_id. creation_time is the
//     lifecycle row's creation_time when the row exists and has one; else
//     the earliest non-zero sample creation_time (for monthly: earliest
//     non-zero daily creation_time); else zero. deletion_time is the
//     lifecycle row's deletion_time when the row is deleted and its
//     last_seen lies in the window (day or month), else zero.
//   - "Latest" means largest snapshot time (daily) or largest day (monthly);
//     among equal times the first one added wins.
//   - Attributes (custom attributes and tags, "tag:<category>" keys) are
//     latest attributes like Name: the whole map of the latest present
//     sample (daily, and monthly from hourly samples) or of the last day
//     present (monthly), never merged over the period: a tag removed
//     before the latest sample is absent from the row, and a VM whose
//     latest sample has none has nil Attributes. The monthly rows ModeLegacy
//     computes from the inventory_daily_summary_* tables have nil
//     Attributes: those tables keep the replaced system's columns, which
//     have none (the hourly compatibility tables have them, so daily rows
//     and hourly-granularity monthly rows from them carry them).
//   - Monthly total_samples is Σ over the days of the month of that day's
//     total_samples for the vCenter. Callers report each day's figure with
//     AddDayTotal (needed for days on which a VM, or every VM, was absent);
//     a daily row's own TotalSamples is used for its day when AddDayTotal
//     was not called for it. AddDayTotal wins over row values, and days
//     outside the month are ignored.
//   - Every time in the output is UTC; Day and Month are the window start
//     converted to UTC. Ratios with a zero denominator are 0.
package aggregate
