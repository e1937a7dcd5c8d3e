package store

import "time"

// SnapshotTime returns t in UTC truncated to a second, the resolution of
// snapshot times (SEMANTICS §1).
func SnapshotTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
