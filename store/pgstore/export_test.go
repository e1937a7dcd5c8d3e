package pgstore

// SetAlwaysStage makes s write every sample batch through the staging
// table and INSERT ... ON CONFLICT, even when no stored row can conflict
// (benchmarks compare both COPY paths).
func SetAlwaysStage(s *Store, v bool) { s.d.alwaysStage = v }
