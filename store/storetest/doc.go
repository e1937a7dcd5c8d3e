// Package storetest is the conformance suite every store.Store backend
// runs, plus fixtures, a whole-store dump and benchmark helpers shared by the
// backends' tests.
//
// # Running the suite against your backend
//
// Give Run a constructor that returns a fresh, empty, migrated store and
// registers its own cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			st, err := mystore.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { st.Close() }) // the suite may have closed it already
//			return st
//		})
//	}
//
// Run calls the constructor once per subtest (twice in subtests that compare
// against a reference store) and runs the subtests sequentially, so a
// backend backed by a server can give each one a fresh schema. Subtests are
// grouped by area (Store, WriteSnapshot, Samples, State, Lifecycles, Events,
// Rollups, Totals, Registry, Endpoints, Atomicity, Precision, Hostile,
// Limits, Concurrency, Isolation, Close), so
// go test -run 'Conformance/Atomicity' runs one area. With -short the Limits
// area, which loads about 30,000 rows, is skipped.
//
// Each optional interface of package store has its own section, run on the
// stores that implement it and skipped on the others: CompatTables (the
// compatibility tables), SQLAggregator (rows computed in the database agree
// with the aggregate package's Go builders on random histories),
// SnapshotCounter (per-period counts agree with the records ListSnapshots
// returns, for days of 23 and 25 hours and many periods), TokenStore
// (tokens without their hash, conflicts on live names and on any hash,
// also between concurrent creators, revocation), AuditLog (newest first,
// pages without repeats or skips, exact filters, JSON compared as values)
// and RateCardStore (prices kept as the exact text given, IDs never
// reused). RunSection runs one section against a store built for it, such
// as AuditLog on a store whose clock stands still (every entry then has
// the same time). Querier: every filter and sort of QueryVMs, walked page
// by page, and Search agree with references computed from the List
// methods, within the caller's scope. EntityHistory: as-of reads pick
// each vCenter's latest history snapshot at or before the time, a
// rewritten snapshot replaces its rows, ranges are [From, To) and filter
// by kind and ID. Details: every field round-trips (times in UTC at the
// store's precision, hostile strings and ids intact), a write replaces the
// vCenter's detail and no other, reads filter by vCenter, VMIDs and
// VMsOnly and keep each VM's items in written order, and an invalid or
// failed write changes nothing (Dump includes the detail). A store
// that does not implement CompatTables is checked by WithoutCompatTables to
// refuse a write's Compat flag with store.ErrUnsupported, storing nothing.
//
// Failure messages name the method, its params and the differing row and
// field (go-cmp diffs, -want +got).
//
// # What the suite decides where the contract is silent
//
//   - Orders compare strings byte-wise (Go's string order): a PostgreSQL
//     backend needs COLLATE "C" on the columns it sorts by.
//   - NextCursor is empty on the page that returns the last row, even when
//     that page is full.
//   - WriteSamples stores snapshot times truncated to the second, as
//     WriteSnapshot does (the duplicate-key rule of driver.ValidateSamples
//     already works at that resolution). Every other time is truncated to
//     Capabilities().TimePrecision.
//   - WriteSnapshotResult.Record is the record as stored (a re-written
//     snapshot reports its first RegisteredAt and Duration).
//   - A vCenter whose latest snapshot had an empty State has a StateTime.
//   - Compatibility tables round-trip every field, attributes included.
//   - DeleteSamples touches vm_hourly_stats only; DeleteEndpoint keeps
//     captured data.
//   - Stored endpoints keep Kind and PollInterval as given (no defaults are
//     filled in); CreatedAt and UpdatedAt are the store's.
//   - A NUL byte is an *store.InvalidParamsError where the store helpers check
//     for it; in other strings, and for invalid UTF-8, a store may reject the
//     write (storing nothing) or store the bytes exactly (and then page over
//     them without repeating or skipping rows).
//   - Event kinds, lifecycle sources and registry table names are free
//     strings (no enum or check constraint).
//
// # Fixtures, dumps, atomicity and benchmarks
//
// Snapshot, Events, Lifecycles, DailyRollups, MonthlyRollups, Endpoint and
// HostileStrings build deterministic data. Dump reads a whole store into a
// Contents value and Diff compares two of them. CountdownContext makes a
// write fail at its n-th look at its context, which the suite uses to prove
// that a write failing midway leaves nothing behind. BenchWriteSamples,
// BenchScanSamples and BenchQuery hold the benchmark code every backend
// shares.
package storetest
