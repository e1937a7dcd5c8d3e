// Package jobs schedules the example daemon's work (hourly capture, daily and
// monthly aggregation, deferred reports, retention, on-demand maintenance)
// and runs it on river (github.com/riverqueue/river), so each run happens
// once even with several replicas.
//
// # Schedules and periods
//
// A Job has a Schedule (Hourly, Daily, Monthly, Every) whose slots each stand
// for a Period: Hourly for the UTC hour it fires in, Daily for the completed
// prior day in its Location, Monthly for the completed prior month, Every for
// the interval starting at the slot. A run is identified by
// Key(job, period), e.g. "capture:vc1:2026-11-22T13:00:00Z",
// "daily:2026-11-21", "monthly:2026-10", "reports:2026-11-22T13:15:00Z".
// Per-endpoint hourly jobs get their Offsets from Stagger. A Job with
// neither Schedule nor Due runs only when Enqueue asks (on demand).
//
// # Producer and workers
//
// The Scheduler is river's producer: every Options.PollInterval it plans
// each job's latest slot, every older slot within Job.CatchUp, and the
// periods Job.Due returns (called on the first pass and at each new slot:
// "every completed day lacking a rollup"), and inserts one river job per
// run, unique by (job, period key) across the waiting, running, completed
// and cancelled states: every replica may insert it, and it is inserted
// once. River's workers (Options.Concurrency per process) run it through
// the job's Run function, oldest period first:
//
//   - a failed run is retried after RetryBackoff, doubled per attempt up to
//     MaxRetryBackoff, for MaxAttempts; after that it is discarded and a
//     period still due is enqueued afresh by a later pass;
//   - an error wrapping ErrNoRetry cancels the run (not retried; its key is
//     not enqueued again);
//   - a run still "running" after RescueAfter is taken for the run of a dead
//     process: river's rescuer, on the leader replica every 30 s, makes it
//     retryable and any replica runs it again;
//   - a scheduled run that is worked after its slot left the window (a
//     late retry or rescue) is cancelled with ErrSuperseded instead: a
//     capture taken now and stamped with a past hour would misdate the
//     inventory.
//
// Runs report progress with ReportProgress; History lists runs of every
// process from river's table. Enqueue inserts a run on request, with
// params (Params); an on-demand job's request is unique while it waits or
// runs, so a request made twice runs once.
//
// # Backends
//
// Postgres keeps river's tables in a PostgreSQL schema: replicas sharing the
// database share the runs. SQLite keeps them in a SQLite database (one
// connection, a busy timeout): a single process. Migrate creates or
// upgrades river's tables and drops the vinventory_jobs table of the
// advisory-lock coordinator river replaced.
//
// # Metrics and status
//
// Hooks.RunFinished(job, key, took, err) fits a latency histogram and a
// runs/failures counter by job; Hooks.QueueDepth(n) a gauge of due runs
// waiting at the last planning pass. Status gives per job this process's
// runs, failures, last success and last error for /healthz.
//
// # Shutdown
//
// When Run's context is cancelled the Scheduler plans nothing more, stops
// fetching runs, gives in-flight runs ShutdownGrace to finish, then cancels
// their contexts and waits. A run cut short goes back to the queue and runs
// again (in any process). RunOnce plans once, enqueues stage by stage
// (Job.Stage), waits for each run and returns their errors.
//
// Planning time comes from Options.Clock (tests drive a ManualClock); river
// times retries and rescues on the wall clock.
package jobs
