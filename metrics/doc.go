// Package metrics collects, rolls up, prunes and reads utilisation
// time series: how busy hosts, VMs, clusters and datastores are, next to
// the configuration the rest of vinventory keeps.
//
//   - Collect reads one collection from a capture.MetricsSource (host and
//     VM quickStats, datastore space, PerformanceManager counters) and
//     writes it to a store.MetricStore in one transaction; what failed
//     is named in the result, the rest is stored.
//   - Rollup brings the 1-hour and 1-day rollup tiers up to date
//     (incremental, idempotent) and Prune applies each tier's retention
//     (Retention: raw 7 days, hourly 90 days, daily 2 years by default).
//   - CapacityTrends and Forecast give each cluster's and datastore's
//     daily used-versus-capacity series with a linear forecast of the day
//     it reaches 80, 90 and 100 %.
//   - RightSize finds VMs whose CPU or memory stays under or over a
//     threshold over a period, with the vCPU and RAM that would fit
//     (report.WriteRightSizing writes it as a workbook).
//
// The daemon runs Collect per endpoint on its own schedule (every 5
// minutes by default), Rollup after each collection and Prune in its
// cleanup job; see docs/metrics.md.
package metrics
