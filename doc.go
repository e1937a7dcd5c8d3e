// Package vinventory keeps a trustworthy, queryable history of VMware vSphere
// inventory.
//
// It captures every VM, host, cluster, datastore, network and resource pool
// of vCenters and standalone ESXi hosts on a schedule, reconciles VM
// lifecycles (created, deleted, resized, moved), rolls hourly samples up into
// daily and monthly figures that chargeback and capacity teams bill from, and
// writes XLSX reports.
//
// The SDK is organised in layers, each usable on its own:
//
//   - inventory: plain domain types and the shared rules (VM identity, pool
//     tiers, hour/day/month windows). Standard library only.
//   - store: the persistence contract, composed of small interfaces, with
//     three backends — store/memstore (in memory), store/sqlitestore (a
//     SQLite file) and store/pgstore (PostgreSQL, with COPY for hourly
//     writes) — all proven by one conformance suite, store/storetest.
//   - capture: snapshots of one endpoint (capture.Capture) and lifecycle
//     reconciliation (capture.Reconcile), with a govmomi source in
//     capture/vsphere and a vcsim test kit in capture/capturetest.
//   - aggregate: daily and monthly rollups.
//   - report: XLSX reports.
//
// A typical program opens a store, captures, reconciles and aggregates:
//
//	st, err := sqlitestore.Open(ctx, "inventory.db", sqlitestore.Options{})
//	src, err := vsphere.New(ctx, inventory.Endpoint{Name: "vc1", URL: "https://vc1/sdk", ...})
//	res, err := capture.Capture(ctx, st, src, capture.Options{})
//	rec, err := capture.Reconcile(ctx, st, src, res)
//	day, err := aggregate.Daily(ctx, st, day, aggregate.Options{})
//
// The exact capture, lifecycle and aggregation rules every backend and
// execution path meets are documented in the packages that implement them.
package vinventory
