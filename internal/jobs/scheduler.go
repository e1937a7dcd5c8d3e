package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// Job is a named piece of work. A run of a job is identified by
// Key(job.Name, period) and is one river job, unique by that key, so each
// period runs once across every process sharing the Backend.
type Job struct {
	// Name identifies the job, e.g. "daily" or "capture:vc1". Required,
	// unique within a Scheduler, valid UTF-8 without a NUL byte.
	Name string
	// Schedule yields the job's slots; the latest slot at or before now is
	// due (with older ones within CatchUp). Without Schedule and Due the
	// job runs only when Enqueue asks (an on-demand job).
	Schedule Schedule
	// CatchUp is how far back the scheduler looks for slots it missed (a
	// daemon that was down): every slot in [now-CatchUp, now] not yet run
	// is enqueued. Defaults to 0: only the latest slot.
	CatchUp time.Duration
	// Due, when set, returns periods that need a run whatever the schedule
	// says, e.g. every completed day lacking a daily rollup. It is called on
	// the scheduler's first tick, whenever the Schedule reaches a new slot,
	// and on every tick when Schedule is nil. Its periods are enqueued on
	// every tick until a later call no longer returns them.
	Due func(ctx context.Context, now time.Time) ([]Period, error)
	// Run does the work for one period. Required. Its context is cancelled
	// on Timeout and when shutdown's grace runs out. An error wrapping
	// ErrNoRetry ends the run for good (cancelled, not retried); another
	// error is retried after a back-off, up to Options.MaxAttempts.
	Run func(ctx context.Context, period Period) error
	// Timeout bounds one run. Defaults to Options.Timeout.
	Timeout time.Duration
	// Stage orders RunOnce: it runs the due runs of the lowest stage first
	// and starts a stage only when every run of the one before has ended
	// (so a report job sees the capture run before it). Run, which enqueues
	// runs as they fall due, ignores it. Defaults to 0.
	Stage int
}

// Key returns the key of a job's run for a period: name + ":" + period.Key.
func Key(name string, p Period) string { return name + ":" + p.Key }

// ErrNoRetry marks a run's error that another attempt cannot fix (an
// endpoint parked after its credentials were refused): the run is
// cancelled, and its key is not enqueued again.
var ErrNoRetry = errors.New("jobs: not retried")

// ErrSuperseded cancels a scheduled run that was not worked before a newer
// slot of its job replaced it (a retry or rescue that came too late).
var ErrSuperseded = errors.New("jobs: superseded by a newer slot")

// ErrRunning is returned by Run and RunOnce while another Run or RunOnce of
// the same Scheduler is active.
var ErrRunning = errors.New("jobs: scheduler already running")

// RunError is the error of one run.
type RunError struct {
	Key string
	Err error
}

func (e *RunError) Error() string { return fmt.Sprintf("jobs: run %q: %v", e.Key, e.Err) }

// Unwrap returns the run's error.
func (e *RunError) Unwrap() error { return e.Err }

// Hooks are optional callbacks for metrics (e.g. Prometheus). They are called
// from the scheduler's goroutines and must not block.
type Hooks struct {
	// RunFinished is called after every run of a job's function in this
	// process, with the function's duration and error (nil on success).
	RunFinished func(job, key string, took time.Duration, err error)
	// QueueDepth is called after each planning pass with the number of due
	// runs waiting in the queue (not yet started, or waiting for a retry).
	QueueDepth func(n int)
}

// Options configures a Scheduler.
type Options struct {
	// Clock drives slots, planning passes and the shutdown grace (river
	// times retries and rescues on the wall clock). Defaults to
	// SystemClock.
	Clock Clock
	// Logger receives run starts, outcomes and errors, and river's own
	// warnings. Defaults to a no-op logger.
	Logger *zap.Logger
	// Owner names this process in logs and Status. Defaults to
	// "<hostname>:<pid>".
	Owner string
	// PollInterval is the time between planning passes. Defaults to 30s.
	PollInterval time.Duration
	// FetchInterval is how often idle workers look for runs another
	// process enqueued. Defaults to 1s; at least 100ms.
	FetchInterval time.Duration
	// ShutdownGrace is how long in-flight runs may continue after Run's
	// context is cancelled before their contexts are cancelled too.
	// Defaults to 30s.
	ShutdownGrace time.Duration
	// Concurrency bounds the runs this process works at once. Defaults to 4.
	Concurrency int
	// Timeout bounds a run of a job without a Timeout of its own.
	// Defaults to 1h.
	Timeout time.Duration
	// MaxAttempts is how many times a failing run is tried before it is
	// discarded (a period still due is then enqueued afresh by the next
	// planning pass). Defaults to 5.
	MaxAttempts int
	// RetryBackoff is the wait before retrying a failed run; it doubles
	// with each failed attempt of that run. Defaults to 1m.
	RetryBackoff time.Duration
	// MaxRetryBackoff caps RetryBackoff's doubling. Defaults to 1h.
	MaxRetryBackoff time.Duration
	// RescueAfter is how long a run may stay running before it is taken
	// for the run of a dead process and retried (river's rescuer, which
	// looks every 30s). It must exceed every job's timeout. Defaults to
	// the longest timeout plus 10 minutes.
	RescueAfter time.Duration
	// Retention is how long finished runs stay in river's table (History;
	// a completed run also keeps its key from running again). Defaults to
	// 7 days, and at least the longest CatchUp plus a day.
	Retention time.Duration
	// Hooks for metrics. Defaults to none.
	Hooks Hooks
}

// maxCatchUpSlots bounds the slots one job contributes to one planning pass.
const maxCatchUpSlots = 1000

// Scheduler plans due runs and hands them to river, and works runs from
// river's queue. Use New.
type Scheduler struct {
	c      client
	opts   Options
	log    *zap.Logger
	jobs   []*jobState
	byName map[string]*jobState

	mu       sync.Mutex
	active   bool
	inflight int
	depth    int
	errs     map[string]error // during RunOnce: this process's last error per key; nil otherwise
}

type jobState struct {
	Job
	idx      int
	planned  bool
	lastSlot time.Time
	due      []Period // the latest Due periods
	nextRun  time.Time

	runs      int64
	failures  int64
	running   int
	pending   int
	lastOK    time.Time
	lastOKKey string
	lastErrAt time.Time
	lastErrK  string
	lastErr   string
}

// runArgs are a run as river stores it. Uniqueness is by job and period
// key, so a run is inserted once, whichever process asks.
type runArgs struct {
	Job    string          `json:"job" river:"unique"`
	Period string          `json:"period" river:"unique"`
	Start  time.Time       `json:"start"`
	End    time.Time       `json:"end"`
	Params json.RawMessage `json:"params,omitempty"`
}

func (runArgs) Kind() string { return "vinventory_run" }

// uniqueStates: a run is not inserted again while one with its key is
// waiting, running, completed or cancelled (ErrNoRetry); a discarded run
// (out of attempts) may be enqueued afresh.
var uniqueStates = append(rivertype.UniqueOptsByStateDefault(), rivertype.JobStateCancelled)

func (runArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}
}

// onDemandOpts: a request of an on-demand job is not inserted again while
// one with its key waits or runs; once it ended, the same request runs
// again.
var onDemandOpts = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateScheduled, rivertype.JobStateRetryable,
}}}

// onDemand reports whether j runs only when asked (no Schedule, no Due).
func (j *jobState) onDemand() bool { return j.Schedule == nil && j.Due == nil }

// New validates jobs and opts and returns a Scheduler working runs in b.
// Call Migrate on b first.
func New(b Backend, jobs []Job, opts Options) (*Scheduler, error) {
	if b.client == nil {
		return nil, errors.New("jobs: New: zero Backend")
	}
	if len(jobs) == 0 {
		return nil, errors.New("jobs: New: no jobs")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"PollInterval", &opts.PollInterval, 30 * time.Second},
		{"FetchInterval", &opts.FetchInterval, time.Second},
		{"ShutdownGrace", &opts.ShutdownGrace, 30 * time.Second},
		{"Timeout", &opts.Timeout, time.Hour},
		{"RetryBackoff", &opts.RetryBackoff, time.Minute},
		{"MaxRetryBackoff", &opts.MaxRetryBackoff, time.Hour},
		{"RescueAfter", &opts.RescueAfter, 0},
		{"Retention", &opts.Retention, 7 * 24 * time.Hour},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("jobs: Options.%s %s is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if opts.FetchInterval < 100*time.Millisecond {
		return nil, fmt.Errorf("jobs: Options.FetchInterval %s is below 100ms (river's fetch cooldown)", opts.FetchInterval)
	}
	for _, n := range []struct {
		name string
		v    *int
		def  int
	}{{"Concurrency", &opts.Concurrency, 4}, {"MaxAttempts", &opts.MaxAttempts, 5}} {
		if *n.v < 0 {
			return nil, fmt.Errorf("jobs: Options.%s %d is negative", n.name, *n.v)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	s := &Scheduler{opts: opts, log: opts.Logger, byName: map[string]*jobState{}}
	longest, catchUp := opts.Timeout, time.Duration(0)
	for i, j := range jobs {
		switch {
		case j.Name == "":
			return nil, fmt.Errorf("jobs: job %d has no Name", i)
		case validKey(j.Name) != nil:
			return nil, fmt.Errorf("jobs: job %d: invalid Name: %w", i, validKey(j.Name))
		case s.byName[j.Name] != nil:
			return nil, fmt.Errorf("jobs: job %q is listed twice", j.Name)
		case j.Run == nil:
			return nil, fmt.Errorf("jobs: job %q has no Run function", j.Name)
		case j.CatchUp < 0:
			return nil, fmt.Errorf("jobs: job %q: CatchUp %s is negative", j.Name, j.CatchUp)
		case j.Timeout < 0:
			return nil, fmt.Errorf("jobs: job %q: Timeout %s is negative", j.Name, j.Timeout)
		}
		if j.Schedule != nil {
			if err := j.Schedule.Validate(); err != nil {
				return nil, fmt.Errorf("jobs: job %q: %w", j.Name, err)
			}
		}
		if j.Timeout == 0 {
			j.Timeout = opts.Timeout
		}
		longest, catchUp = max(longest, j.Timeout), max(catchUp, j.CatchUp)
		js := &jobState{Job: j, idx: i}
		s.jobs = append(s.jobs, js)
		s.byName[j.Name] = js
	}
	switch {
	case opts.RescueAfter == 0:
		s.opts.RescueAfter = longest + 10*time.Minute
	case opts.RescueAfter <= longest:
		return nil, fmt.Errorf("jobs: Options.RescueAfter %s must exceed the longest job timeout %s (a run still working would be taken over)", opts.RescueAfter, longest)
	}
	s.opts.Retention = max(s.opts.Retention, catchUp+24*time.Hour)
	c, err := b.client(s.riverConfig())
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	s.c = c
	return s, nil
}

func (s *Scheduler) riverConfig() *river.Config {
	o := s.opts
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{s: s})
	// River's own records go to the logger from warnings up: its info
	// lines repeat ours.
	core, _ := zapcore.NewIncreaseLevelCore(o.Logger.Core(), zapcore.WarnLevel)
	if core == nil {
		core = o.Logger.Core()
	}
	return &river.Config{
		ID:                          fmt.Sprintf("%s-%d", strings.Map(clientIDRune, o.Owner), time.Now().UnixNano()),
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Concurrency}},
		Workers:                     workers,
		MaxAttempts:                 o.MaxAttempts,
		JobTimeout:                  o.Timeout,
		RescueStuckJobsAfter:        s.opts.RescueAfter,
		FetchPollInterval:           o.FetchInterval,
		CompletedJobRetentionPeriod: s.opts.Retention,
		CancelledJobRetentionPeriod: s.opts.Retention,
		DiscardedJobRetentionPeriod: s.opts.Retention,
		Logger:                      zapslogLogger(core),
		RetryPolicy:                 backoff{first: o.RetryBackoff, max: o.MaxRetryBackoff},
	}
}

// clientIDRune keeps a river client ID to letters, digits and "-_.".
func clientIDRune(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		return r
	}
	return '_'
}

// backoff retries a run after first, doubling per failed attempt, capped
// at max.
type backoff struct{ first, max time.Duration }

func (b backoff) NextRetry(j *rivertype.JobRow) time.Time {
	d := b.first
	for i := 1; i < j.Attempt && d < b.max; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, b.max))
}

func (s *Scheduler) acquire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active {
		return ErrRunning
	}
	s.active = true
	return nil
}

func (s *Scheduler) release() {
	s.mu.Lock()
	s.active = false
	s.mu.Unlock()
}

// Run works runs from the queue and enqueues due runs every PollInterval
// until ctx is cancelled. Then it starts nothing new, gives in-flight runs
// ShutdownGrace to finish, cancels their contexts, waits for them and
// returns nil. A run cut short is retried later (by any process).
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start river: %w", err)
	}
	for {
		now := s.opts.Clock.Now()
		if _, err := s.enqueue(ctx, s.plan(ctx, now), false); err != nil && ctx.Err() == nil {
			s.log.Error("jobs: enqueue due runs", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case <-s.opts.Clock.After(s.opts.PollInterval):
		}
	}
}

func (s *Scheduler) shutdown() {
	s.mu.Lock()
	n := s.inflight
	s.mu.Unlock()
	s.log.Info("jobs: shutting down", zap.Int("in_flight", n), zap.Duration("grace", s.opts.ShutdownGrace))
	graceCtx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		select {
		case <-s.opts.Clock.After(s.opts.ShutdownGrace):
			cancel()
		case <-stopped:
		}
	}()
	err := s.c.Stop(graceCtx)
	close(stopped)
	cancel()
	if err != nil {
		s.mu.Lock()
		n = s.inflight
		s.mu.Unlock()
		s.log.Warn("jobs: shutdown grace over, cancelling in-flight runs", zap.Int("in_flight", n))
		if err := s.c.StopAndCancel(context.Background()); err != nil {
			s.log.Error("jobs: stop", zap.Error(err))
		}
	}
}

// RunOnce plans at the clock's current time, enqueues every due run stage
// by stage (a failed run waiting for its retry is retried at once), works
// them in this process (other processes may take some) and waits for each
// to end. It returns the runs' errors joined. Use it for a "run what is due
// now" command, or to drive a Scheduler step by step.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start river: %w", err)
	}
	// The runs' own errors are kept for this pass only (a long-running
	// Run keeps none: its failures are in river's table).
	s.mu.Lock()
	s.errs = map[string]error{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.errs = nil
		s.mu.Unlock()
	}()
	defer s.shutdown()
	todo := s.plan(ctx, s.opts.Clock.Now())
	slices.SortStableFunc(todo, func(a, b planned) int { return cmp.Compare(a.job.Stage, b.job.Stage) })
	var errs []error
	for len(todo) > 0 {
		n := 1
		for n < len(todo) && todo[n].job.Stage == todo[0].job.Stage {
			n++
		}
		rows, err := s.enqueue(ctx, todo[:n], true)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for i, row := range rows {
			if err := s.await(ctx, todo[i].key, row, len(row.Errors)); err != nil {
				errs = append(errs, err)
			}
		}
		todo = todo[n:]
	}
	return errors.Join(errs...)
}

// await waits until row's run ends or fails an attempt (it then waits for
// a retry: retryable, or available again when the back-off is shorter than
// river's scheduler interval) and returns its error. errs is the number of
// failed attempts the run had when it was enqueued.
func (s *Scheduler) await(ctx context.Context, key string, row *rivertype.JobRow, errs int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		failed := len(row.Errors) > errs && row.State != rivertype.JobStateRunning
		switch {
		case row.State == rivertype.JobStateCompleted:
			return nil
		case failed, row.State == rivertype.JobStateCancelled, row.State == rivertype.JobStateDiscarded, row.State == rivertype.JobStateRetryable:
			s.mu.Lock()
			err := s.errs[key]
			s.mu.Unlock()
			if err == nil {
				err = errors.New("failed elsewhere")
				if n := len(row.Errors); n > 0 {
					err = errors.New(row.Errors[n-1].Error)
				}
			}
			return &RunError{Key: key, Err: err}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		var err error
		if row, err = s.c.JobGet(ctx, row.ID); err != nil {
			return fmt.Errorf("jobs: run %q: %w", key, err)
		}
	}
}

// planned is one due run.
type planned struct {
	job    *jobState
	period Period
	key    string
}

// plan returns the due runs of every job, in start order: by period end,
// then job order, then period start, then key.
func (s *Scheduler) plan(ctx context.Context, now time.Time) []planned {
	var out []planned
	seen := map[string]bool{}
	for _, j := range s.jobs {
		for _, p := range s.planJob(ctx, j, now) {
			if key := Key(j.Name, p); !seen[key] {
				seen[key] = true
				out = append(out, planned{job: j, period: p, key: key})
			}
		}
	}
	slices.SortFunc(out, func(a, b planned) int {
		return cmp.Or(a.period.End.Compare(b.period.End), cmp.Compare(a.job.idx, b.job.idx),
			a.period.Start.Compare(b.period.Start), strings.Compare(a.key, b.key))
	})
	return out
}

func (s *Scheduler) planJob(ctx context.Context, j *jobState, now time.Time) []Period {
	var out []Period
	var latest time.Time
	newSlot := !j.planned
	if j.Schedule != nil {
		latest = j.Schedule.Prev(now)
		newSlot = newSlot || !latest.Equal(j.lastSlot)
		out = j.window(now)
		s.mu.Lock()
		j.nextRun = j.Schedule.Next(now)
		s.mu.Unlock()
	}
	if j.Due != nil && (j.Schedule == nil || newSlot) {
		periods, err := j.Due(ctx, now)
		if err != nil {
			s.log.Error("jobs: due periods", zap.String("job", j.Name), zap.Error(err))
			s.mu.Lock()
			j.lastErrAt, j.lastErrK, j.lastErr = now, "", "due: "+storedError(err)
			s.mu.Unlock()
			// Due is asked again next tick; the schedule state is not advanced.
			return append(out, j.due...)
		}
		j.due = j.due[:0]
		for _, p := range periods {
			if p.Key == "" || validKey(Key(j.Name, p)) != nil {
				s.log.Error("jobs: Due returned an invalid period key", zap.String("job", j.Name), zap.String("period", p.Key))
				continue
			}
			j.due = append(j.due, p)
		}
	}
	j.planned = true
	j.lastSlot = latest
	return append(out, j.due...)
}

// window returns the periods of j's schedule slots due at now: the latest
// slot and those within CatchUp before it, newest first.
func (j *jobState) window(now time.Time) []Period {
	var out []Period
	latest := j.Schedule.Prev(now)
	horizon := now.Add(-j.CatchUp)
	if latest.Before(horizon) {
		horizon = latest
	}
	for slot := latest; !slot.Before(horizon) && len(out) < maxCatchUpSlots; slot = j.Schedule.Prev(slot.Add(-time.Nanosecond)) {
		out = append(out, j.Schedule.Period(slot))
	}
	return out
}

// superseded reports whether a run of j for p came from its schedule and
// has left the window (a newer slot replaced it): running it late would
// misdate its work (a capture stamped with a past hour).
func (j *jobState) superseded(p Period, now time.Time) bool {
	if j.Schedule == nil || j.Due != nil {
		return false
	}
	return !slices.ContainsFunc(j.window(now), func(w Period) bool { return w.Key == p.Key })
}

// enqueue inserts runs (a run already in the queue, running or done is
// left as it is) and returns their rows in order; with retry, a run
// waiting for a retry is made available at once. It updates the queue
// depth.
func (s *Scheduler) enqueue(ctx context.Context, runs []planned, retry bool) ([]*rivertype.JobRow, error) {
	if len(runs) == 0 {
		s.setDepth(nil, nil)
		return nil, nil
	}
	params := make([]river.InsertManyParams, len(runs))
	for i, r := range runs {
		params[i] = river.InsertManyParams{Args: runArgs{Job: r.job.Name, Period: r.period.Key,
			Start: r.period.Start.UTC(), End: r.period.End.UTC()}}
	}
	rows := make([]*rivertype.JobRow, len(runs))
	if !retry {
		res, err := s.c.InsertMany(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("jobs: enqueue %d runs: %w", len(runs), err)
		}
		for i, r := range res {
			rows[i] = r.Job
		}
	} else {
		// One at a time, a run waiting for its retry made available before
		// the next is inserted, so the queue keeps the planned order.
		for i := range runs {
			res, err := s.c.InsertMany(ctx, params[i:i+1])
			if err != nil {
				return nil, fmt.Errorf("jobs: enqueue %q: %w", runs[i].key, err)
			}
			j := res[0].Job
			waiting := j.State == rivertype.JobStateRetryable || j.State == rivertype.JobStateScheduled ||
				(j.State == rivertype.JobStateAvailable && j.ScheduledAt.After(time.Now()))
			if res[0].UniqueSkippedAsDuplicate && waiting {
				if j, err = s.c.JobRetry(ctx, j.ID); err != nil {
					return nil, fmt.Errorf("jobs: retry %q: %w", runs[i].key, err)
				}
			}
			rows[i] = j
		}
	}
	s.setDepth(runs, rows)
	return rows, nil
}

// setDepth records how many of the planned runs wait in the queue.
func (s *Scheduler) setDepth(runs []planned, rows []*rivertype.JobRow) {
	s.mu.Lock()
	for _, j := range s.jobs {
		j.pending = 0
	}
	s.depth = 0
	for i, row := range rows {
		switch row.State {
		case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending:
			runs[i].job.pending++
			s.depth++
		}
	}
	n := s.depth
	s.mu.Unlock()
	if s.opts.Hooks.QueueDepth != nil {
		s.opts.Hooks.QueueDepth(n)
	}
}

// Enqueue asks for a run of job for p, with params the run reads through
// Params. It returns false when a run with the same key is already waiting
// or running (by any process), so a request made twice runs once. For a
// scheduled job a run that completed or was cancelled counts too; an
// on-demand job's request runs again once its earlier run has ended.
func (s *Scheduler) Enqueue(ctx context.Context, job string, p Period, params json.RawMessage) (bool, error) {
	_, inserted, err := s.EnqueueRun(ctx, job, p, params)
	return inserted, err
}

// EnqueueRun is Enqueue that also returns the run's ID: the new run's, or
// when the same run already waits or runs (or, for a scheduled job, has
// run) the existing one's, with inserted false.
func (s *Scheduler) EnqueueRun(ctx context.Context, job string, p Period, params json.RawMessage) (id int64, inserted bool, err error) {
	j := s.byName[job]
	switch {
	case j == nil:
		return 0, false, fmt.Errorf("jobs: Enqueue: unknown job %q", job)
	case p.Key == "" || validKey(Key(job, p)) != nil:
		return 0, false, fmt.Errorf("jobs: Enqueue %q: invalid period key %q", job, p.Key)
	case params != nil && !json.Valid(params):
		return 0, false, fmt.Errorf("jobs: Enqueue %q %s: params are not valid JSON", job, p.Key)
	}
	ip := river.InsertManyParams{Args: runArgs{Job: job, Period: p.Key, Start: p.Start.UTC(), End: p.End.UTC(), Params: params}}
	if j.onDemand() {
		ip.InsertOpts = onDemandOpts
	}
	res, err := s.c.InsertMany(ctx, []river.InsertManyParams{ip})
	if err != nil {
		return 0, false, fmt.Errorf("jobs: Enqueue %q %s: %w", job, p.Key, err)
	}
	return res[0].Job.ID, !res[0].UniqueSkippedAsDuplicate, nil
}

// worker works every run: it finds the run's job by name.
type worker struct {
	river.WorkerDefaults[runArgs]
	s *Scheduler
}

func (w *worker) Timeout(j *river.Job[runArgs]) time.Duration {
	if js := w.s.byName[j.Args.Job]; js != nil {
		return js.Timeout
	}
	return w.s.opts.Timeout
}

type ctxKey int

const (
	progressKey ctxKey = iota
	paramsKey
)

func (w *worker) Work(ctx context.Context, rj *river.Job[runArgs]) error {
	s := w.s
	j := s.byName[rj.Args.Job]
	if j == nil {
		// A process with another job list (endpoints changed) enqueued it:
		// leave it to one that knows the job.
		s.log.Warn("jobs: run of an unknown job put back", zap.String("job", rj.Args.Job), zap.String("period", rj.Args.Period))
		return river.JobSnooze(s.opts.PollInterval)
	}
	p := Period{Key: rj.Args.Period, Start: rj.Args.Start, End: rj.Args.End}
	key := Key(j.Name, p)
	if len(rj.Args.Params) == 0 && j.superseded(p, s.opts.Clock.Now()) {
		s.log.Warn("jobs: run superseded by a newer slot, not run", zap.String("job", j.Name), zap.String("key", key))
		return river.JobCancel(fmt.Errorf("%w: %s", ErrSuperseded, key))
	}
	ctx = context.WithValue(ctx, progressKey, func(pr Progress) error {
		if _, err := s.c.JobUpdate(ctx, rj.ID, &river.JobUpdateParams{Output: pr}); err != nil {
			return fmt.Errorf("jobs: record progress of %q: %w", key, err)
		}
		return nil
	})
	if len(rj.Args.Params) > 0 {
		ctx = context.WithValue(ctx, paramsKey, rj.Args.Params)
	}
	s.mu.Lock()
	s.inflight++
	j.running++
	s.mu.Unlock()
	s.log.Info("jobs: run started", zap.String("job", j.Name), zap.String("key", key), zap.Int("attempt", rj.Attempt))
	start := time.Now()
	err := j.Run(ctx, p)
	took := time.Since(start)
	if s.opts.Hooks.RunFinished != nil {
		s.opts.Hooks.RunFinished(j.Name, key, took, err)
	}
	now := s.opts.Clock.Now()
	s.mu.Lock()
	s.inflight--
	j.running--
	j.runs++
	if err == nil {
		j.lastOK, j.lastOKKey = now, key
	} else {
		j.failures++
		j.lastErrAt, j.lastErrK, j.lastErr = now, key, storedError(err)
		if s.errs != nil {
			s.errs[key] = err
		}
	}
	s.mu.Unlock()
	switch {
	case err == nil:
		s.log.Info("jobs: run done", zap.String("job", j.Name), zap.String("key", key), zap.Duration("took", took))
		return nil
	case errors.Is(err, ErrNoRetry):
		s.log.Error("jobs: run failed, not retried", zap.String("job", j.Name), zap.String("key", key), zap.Error(err))
		return river.JobCancel(err)
	default:
		s.log.Error("jobs: run failed", zap.String("job", j.Name), zap.String("key", key),
			zap.Int("attempt", rj.Attempt), zap.Int("max_attempts", rj.MaxAttempts), zap.Error(err))
		return err
	}
}

// Progress is how far a run has got, recorded on its river job while it
// runs (ReportProgress) and listed by History.
type Progress struct {
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Note  string `json:"note,omitempty"`
}

// ReportProgress records p on the run whose Run function got ctx, at once
// (a reader of History sees it while the run goes on). Outside a run it
// does nothing.
func ReportProgress(ctx context.Context, p Progress) error {
	f, ok := ctx.Value(progressKey).(func(Progress) error)
	if !ok {
		return nil
	}
	return f(p)
}

// Params returns the params the run whose Run function got ctx was
// enqueued with (Enqueue); nil for a scheduled run.
func Params(ctx context.Context) json.RawMessage {
	p, _ := ctx.Value(paramsKey).(json.RawMessage)
	return p
}

// Run is one run as river's job table records it.
type Run struct {
	ID       int64     `json:"id"`
	Job      string    `json:"job"`
	Period   string    `json:"period"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	State    string    `json:"state"`
	Attempts int       `json:"attempts"`
	// Errors are the errors of the failed attempts, oldest first.
	Errors      []string  `json:"errors,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	AttemptedBy []string  `json:"attempted_by,omitempty"`
	// Progress is the last progress the run reported (nil when none).
	Progress *Progress `json:"progress,omitempty"`
	// Params are the params the run was enqueued with (an on-demand
	// request's command and flags).
	Params json.RawMessage `json:"params,omitempty"`
}

// History lists the runs of job ("" for every job), newest first, at most
// limit (defaults to 100), from river's table: runs of every process.
func (s *Scheduler) History(ctx context.Context, job string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 100
	}
	p := river.NewJobListParams().Kinds(runArgs{}.Kind()).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if job != "" {
		p = p.Where("args->>'job' = @job", river.NamedArgs{"job": job})
	}
	res, err := s.c.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("jobs: History: %w", err)
	}
	out := make([]Run, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		run, err := toRun(j)
		if err != nil {
			return nil, fmt.Errorf("jobs: History: %w", err)
		}
		out = append(out, run)
	}
	slices.SortStableFunc(out, func(a, b Run) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

// RunByID returns the run with river job id, or nil when there is none
// (or it is not one of this package's runs).
func (s *Scheduler) RunByID(ctx context.Context, id int64) (*Run, error) {
	j, err := s.c.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: run %d: %w", id, err)
	}
	if j.Kind != (runArgs{}).Kind() {
		return nil, nil
	}
	run, err := toRun(j)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &run, nil
}

// toRun reads a river job row as a Run.
func toRun(j *rivertype.JobRow) (Run, error) {
	var a runArgs
	if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
		return Run{}, fmt.Errorf("run %d: %w", j.ID, err)
	}
	run := Run{ID: j.ID, Job: a.Job, Period: a.Period, Params: a.Params, Start: a.Start, End: a.End, State: string(j.State),
		Attempts: j.Attempt, CreatedAt: j.CreatedAt, AttemptedBy: j.AttemptedBy}
	if j.FinalizedAt != nil {
		run.FinishedAt = *j.FinalizedAt
	}
	for _, e := range j.Errors {
		run.Errors = append(run.Errors, e.Error)
	}
	if out := j.Output(); len(out) > 0 {
		var p Progress
		if err := json.Unmarshal(out, &p); err != nil {
			return Run{}, fmt.Errorf("run %d progress: %w", j.ID, err)
		}
		run.Progress = &p
	}
	return run, nil
}

// Status is a snapshot of a Scheduler for health checks.
type Status struct {
	Owner      string
	QueueDepth int // due runs waiting in the queue at the last planning pass
	InFlight   int // runs this process is working
	Jobs       []JobStatus
}

// JobStatus describes one job; the counts are this process's runs.
type JobStatus struct {
	Name           string
	NextRun        time.Time // next schedule slot after the last plan; zero without a Schedule
	Pending        int       // due runs of this job waiting in the queue
	Running        int
	Runs           int64 // calls of the job's function
	Failures       int64 // calls that failed
	LastSuccess    time.Time
	LastSuccessKey string
	LastErrorAt    time.Time
	LastErrorKey   string
	LastError      string
}

// Status returns the scheduler's current state.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Owner: s.opts.Owner, QueueDepth: s.depth, InFlight: s.inflight}
	for _, j := range s.jobs {
		st.Jobs = append(st.Jobs, JobStatus{
			Name: j.Name, NextRun: j.nextRun, Pending: j.pending, Running: j.running,
			Runs: j.runs, Failures: j.failures,
			LastSuccess: j.lastOK, LastSuccessKey: j.lastOKKey,
			LastErrorAt: j.lastErrAt, LastErrorKey: j.lastErrK, LastError: j.lastErr,
		})
	}
	return st
}

// maxErrorLen bounds an error kept for Status.
const maxErrorLen = 2000

// storedError turns err into text fit for a status line: valid UTF-8, no
// NUL, at most maxErrorLen bytes.
func storedError(err error) string {
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// validKey rejects keys a text column cannot hold.
func validKey(key string) error {
	switch {
	case key == "":
		return errors.New("jobs: empty key")
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("jobs: key %q holds a NUL byte", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("jobs: key %q is not valid UTF-8", key)
	}
	return nil
}

// defaultOwner names this process: host name and pid.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// zapslogLogger bridges river's slog records to zap.
func zapslogLogger(core zapcore.Core) *slog.Logger { return slog.New(zapslog.NewHandler(core)) }

// Request is an on-demand run's params: a maintenance command and its
// flags, as `vinventoryd enqueue` and the API's operator calls queue them.
type Request struct {
	Command string   `json:"command"`
	Args    []string `json:"args"`
}

// Key identifies a request: its command line. The same request enqueued
// again while it waits or runs is not queued twice.
func (r Request) Key() string { return strings.Join(append([]string{r.Command}, r.Args...), " ") }

// Vcenters returns the values of r's -vcenter flags (-vcenter X or
// -vcenter=X), in order.
func (r Request) Vcenters() []string {
	var out []string
	for i, a := range r.Args {
		if v, ok := strings.CutPrefix(a, "-vcenter="); ok {
			out = append(out, v)
		} else if a == "-vcenter" && i+1 < len(r.Args) {
			out = append(out, r.Args[i+1])
		}
	}
	return out
}

// EnqueueRequest queues r as a run of the on-demand job r.Command, keyed by
// r.Key() with r as its params (see Params); it returns the run's ID and
// false when the same request already waits or runs.
func (s *Scheduler) EnqueueRequest(ctx context.Context, r Request) (int64, bool, error) {
	params, err := json.Marshal(r)
	if err != nil {
		return 0, false, err
	}
	return s.EnqueueRun(ctx, r.Command, Period{Key: r.Key()}, params)
}

// RequestOf reads a run's params as a Request (false when they are not
// one).
func RequestOf(r Run) (Request, bool) {
	var req Request
	if len(r.Params) == 0 || json.Unmarshal(r.Params, &req) != nil || req.Command == "" {
		return Request{}, false
	}
	return req, true
}
