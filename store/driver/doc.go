// Package driver is for backend authors: the rules every store.Store
// implementation shares, written once so each backend applies them the same
// way (river's riverdriver plays this part for its Client). Applications
// use package store and a backend; they never need this package.
//
// It holds:
//   - the validation of every write's params (ValidateSnapshot,
//     ValidateSamples, ValidateRollupRows, ValidateEvents, ...), returning
//     *store.InvalidParamsError (Invalid) before anything is written;
//   - the storage resolution of times (Precision, NormTime);
//   - page sizes with the defaults and maxima store's params document
//     (VMsPageSize, EventsPageSize, LimitOr, BatchSizeOr) and opaque cursors
//     (EncodeCursor, DecodeCursor);
//   - compatibility-table names (ParseCompatTableName, FilterCompatTables);
//   - the alerting kit (alert.go): PrepareAlertRule, PrepareApplyAlerts,
//     PrepareSilence, PrepareAlertChannel, PrepareEnqueue, PrepareClaim,
//     PrepareFinish and FinishOne, the list filters and ID cursors, and
//     the *store.ConflictError values of ApplyAlerts;
//   - the metrics kit (metric.go): PrepareWriteMetrics,
//     PrepareQueryMetrics (the tier choice and bucket count),
//     ValidateRollupMetrics and RollupRange, ValidatePruneMetrics, the
//     metric time resolution (MetricPrecision, NormMetricTime), bucket
//     arithmetic (BucketIndex, BucketStart) and the one computation of
//     bucket figures (SummariseValues, CombineBuckets, SumBuckets,
//     DownsampleValues, CombineTierBuckets, SumSeries);
//   - MeanTotals, the one computation of aggregate totals, so every backend
//     returns identical floats.
//
// A backend is checked by the conformance suite in package storetest.
package driver
