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
//	rec, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{})
//	day, err := aggregate.Daily(ctx, st, day, aggregate.Options{})
//
// The exact capture, lifecycle and aggregation rules every backend and
// execution path meets are documented in the packages that implement them.
//
// # The Pipeline
//
// Pipeline (this package) runs those steps as scheduled jobs over a set of
// endpoints, configured by Settings (whose YAML names are the contract's:
// capture_write_batch_size, snapshot_table_compat_mode,
// async_report_generation, hourly_snapshot_concurrency,
// monthly_aggregation_granularity, capture_retry, deletion_guard_fraction,
// deletion_guard_min_vms, pool_tiers, location, retention, report_dir,
// report_retry):
//
//	p, err := vinventory.NewPipeline(st, vinventory.DefaultSettings(), logger)
//	hr, err := p.RunHourly(ctx, targets, time.Time{}) // capture + reconcile every endpoint
//	cu, err := p.CatchUp(ctx, time.Time{})            // every completed day, then month, not yet aggregated
//	rr, err := p.RunReports(ctx, time.Time{})         // deferred XLSX reports
//	cr, err := p.Cleanup(ctx, time.Time{})            // retention
//
// The stages and what each guarantees:
//
//   - RunHourly captures and reconciles every endpoint at one snapshot time
//     (capture.Run: bounded concurrency, per-endpoint retries, status
//     recorded). One endpoint's failure never touches another's data.
//   - RunDaily and RunMonthly aggregate one completed period; a period that
//     has not ended per the clock in Settings.Location is refused with a
//     *PeriodError wrapping ErrPeriodIncomplete, and one whose samples are
//     past retention with ErrPeriodExpired.
//   - DueDays and DueMonths derive from the snapshot registry and the
//     aggregate totals which completed periods have hourly snapshots but no
//     rollup, or a rollup computed before some of their snapshots arrived;
//     CatchUp runs exactly those, days first, so a daemon that was down
//     catches up and a second CatchUp does nothing.
//   - Reports: with async_report_generation (the default) the Run* jobs
//     write none; PendingReports derives from the registry and report_dir
//     which reports are missing (no queue: a restart recomputes it) and
//     RunReports writes them, retrying each with report_retry's backoff.
//     A report failure never changes captured or aggregated data. Without
//     async generation the jobs write their period's reports inline and
//     return report failures in their result, not as their error.
//   - Cleanup deletes samples, compatibility tables and report files older
//     than their retention (zero keeps everything).
//
// Every stage logs its timing per endpoint to a *slog.Logger (nil
// discards): capture retrieve and write, reconcile, aggregation, reports.
// Logs name endpoints only; passwords and credentials never reach them.
// Time is read from an injectable clock (WithClock), the report writer is
// injectable (WithReporter) and so is the wait between retries (WithSleep).
package vinventory
