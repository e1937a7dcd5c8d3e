// Package jobs schedules the example daemon's work (hourly capture, daily and
// monthly aggregation, deferred reports, retention) and makes sure each
// scheduled run happens once, even with several replicas.
//
// # Schedules and periods
//
// A Job has a Schedule (Hourly, Daily, Monthly, Every) whose slots each stand
// for a Period: Hourly for the UTC hour it fires in, Daily for the completed
// prior day in its Location, Monthly for the completed prior month, Every for
// the interval starting at the slot. A run is identified by
// Key(job, period), e.g. "capture:vc1:2026-11-22T13:00:00Z",
// "daily:2026-11-21", "monthly:2026-10", "reports:2026-11-22T13:15:00Z".
// Per-endpoint hourly jobs get their Offsets from Stagger.
//
// # Catch-up
//
// On every tick (Options.PollInterval) the Scheduler queues, per job, the
// latest slot at or before now, every older slot within Job.CatchUp, and the
// periods returned by Job.Due (called on the first tick and at each new slot:
// "every completed day lacking a rollup"). Queued runs start oldest first (by
// period end, then job order), at most Options.Concurrency at a time. A run
// whose function fails is retried on a later tick after RetryBackoff, doubled
// per consecutive failure up to MaxRetryBackoff. Status reports per job the
// last success, last error, next slot and the queue depth; Hooks feed
// metrics.
//
// # Coordination
//
// The Scheduler hands every run to a Coordinator. Coordinator.Run runs the
// function unless the key is done or another runner holds it.
//
// NewLocal serves a single process (SQLite or memstore deployments): an
// in-process set guarantees one runner per key, and the job table lives in
// memory or, with LocalOptions.DB, in a SQLite database so done keys survive
// restarts.
//
// NewPostgres coordinates replicas through PostgreSQL's own locking, with
// the durable table vinventory_jobs(key, status, owner, attempts,
// started_at, finished_at, last_error). For each key, Run:
//
//  1. takes a dedicated connection from the pool and calls
//     pg_try_advisory_lock(h), h a 64-bit FNV-1a hash of the table and key;
//     if another session holds it, Run returns (false, nil);
//  2. reads the key's row: done means (false, nil);
//  3. upserts the row to running, attempts+1, owner = this replica;
//  4. runs the function while that connection keeps the lock;
//  5. writes done or failed (fenced by owner and attempt number), unlocks
//     and returns the connection.
//
// Takeover: a session-level advisory lock lives exactly as long as the
// session. When a replica dies (kill -9, crash, lost host) its connection
// closes, PostgreSQL ends the session and releases the lock; the row stays
// "running". On its next tick a surviving replica's pg_try_advisory_lock
// succeeds, the row is not done, so it starts the key again (attempts+1,
// owner = survivor). No lease or heartbeat table is needed: the database
// itself decides who holds a key. A live replica whose connection breaks
// while its function runs notices it within LockCheckInterval (a ping on
// the lock connection fails), cancels the function's context with
// ErrLockLost, and records nothing; the fenced final write also refuses to
// mark a key done that another replica took over. The work itself is
// idempotent and atomic in the store, so a run cut short leaves nothing
// half-written and re-running it is safe.
//
// Each Postgres run holds one pool connection for its whole duration, so the
// pool needs Options.Concurrency connections on top of what the job functions
// use. LockCheckInterval is measured on the wall clock, not Options.Clock.
//
// # Metrics
//
// Hooks.RunFinished(job, key, took, err) fits a latency histogram and a
// runs/failures counter by job; Hooks.QueueDepth(n) a gauge of due runs not
// yet started. Status gives the same per job for /healthz.
//
// # Shutdown
//
// When Run's context is cancelled the Scheduler starts nothing new, gives
// in-flight runs ShutdownGrace to finish, then cancels their contexts and
// waits. A cancelled run is recorded as failed (or, if the process dies, stays
// running-but-unlocked) and runs again later.
//
// Time comes from Options.Clock; tests drive a ManualClock.
package jobs
