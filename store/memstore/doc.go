// Package memstore is an in-memory store.Store: every vinventory table
// lives in Go maps and slices guarded by a sync.RWMutex.
//
// It behaves like the SQL backends (it passes the same storetest
// conformance suite) and suits tests, examples, demos and benchmarks of the
// packages above the store. Nothing survives the process.
//
//	st := memstore.New()                                  // clock: time.Now
//	st = memstore.New(memstore.Options{Clock: fixedClock})  // a fixed clock for tests
//
// Behaviour worth knowing:
//
//   - Values are copied on the way in and on the way out: callers may
//     mutate the slices and maps they pass or receive.
//   - Writes validate everything first (with the store package's helpers,
//     plus a check that every other string is valid UTF-8 without NUL bytes
//     and every float finite, which a SQL backend could not store), prepare their rows checking ctx once per
//     batch, then apply under the write lock in one step that cannot fail:
//     a write happens whole or not at all.
//   - Samples are kept per vCenter and snapshot time, each snapshot sorted
//     by vm_key, so writes cost O(batch) and scans stream in order without
//     sorting. Scans (ScanSamples, the rollup scans, ScanCompatHourly) read
//     a consistent snapshot taken when they start and do not hold the lock
//     while the callback runs.
//   - Times are stored in UTC at driver.Precision (a microsecond), snapshot
//     times at a second.
//   - Capabilities: Backend "memory", no partitioning. It implements the
//     optional store.CompatTables, not store.SQLAggregator.
package memstore
