// Package riverjobs runs the daemon's jobs on river
// (github.com/riverqueue/river): every run of a job for a period is a river
// job unique by (job, period), so replicas sharing a database never run one
// twice; a failed run is retried with river's back-off unless its error
// says retrying cannot help; a run whose process died is rescued by
// another one; and the runs are listed from river's job table (the history
// the API's /api/jobs will serve).
//
// The daemon's scheduler stays the producer: it computes from the store
// which periods are due and enqueues them here (river's periodic jobs would
// restart their schedule with each process). PostgreSQL uses riverpgxv5
// over a pgx pool; SQLite uses riversqlite over its own *sql.DB.
package riverjobs
