package pgstore

// SetAlwaysStage makes s write every sample batch through the staging
// table and INSERT ... ON CONFLICT, even when no stored row can conflict
// (benchmarks compare both COPY paths).
func SetAlwaysStage(s *Store, v bool) { s.d.alwaysStage = v }

// SetMetricEncodeHook makes s call f before encoding each metric point
// into WriteMetrics' COPY stream (tests cancel a write in the middle).
func SetMetricEncodeHook(s *Store, f func(i int)) { s.d.metricEncodeHook = f }
