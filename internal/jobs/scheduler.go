package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Job is a named piece of scheduled work. A run of a job is identified by
// Key(job.Name, period), so each period runs once across every process that
// shares the Coordinator.
type Job struct {
	// Name identifies the job, e.g. "daily" or "capture:vc1". Required,
	// unique within a Scheduler, no NUL byte.
	Name string
	// Schedule yields the job's slots; the latest slot at or before now is
	// due (with older ones within CatchUp). Optional when Due is set.
	Schedule Schedule
	// CatchUp is how far back the scheduler looks for slots it missed (a
	// daemon that was down): every slot in [now-CatchUp, now] not yet done
	// is due, oldest first. A schedule-sourced period is retried until it
	// falls out of this window. Defaults to 0: only the latest slot.
	CatchUp time.Duration
	// Due, when set, returns periods that need a run whatever the schedule
	// says, e.g. every completed day lacking a daily rollup. It is called on
	// the scheduler's first tick, whenever the Schedule reaches a new slot,
	// and on every tick when Schedule is nil. Its periods stay due until
	// they are done or a later call no longer returns them.
	Due func(ctx context.Context, now time.Time) ([]Period, error)
	// Run does the work for one period. Required. Its context is cancelled
	// on Timeout and when shutdown's grace runs out.
	Run func(ctx context.Context, period Period) error
	// Timeout bounds one run. Defaults to 0: no limit.
	Timeout time.Duration
	// Stage orders RunOnce: it runs the due runs of the lowest stage first
	// and starts a stage only when every run of the one before has ended
	// (so a report job sees the capture run before it). Run, which runs
	// jobs as they fall due, ignores it. Defaults to 0.
	Stage int
}

// Key returns the coordinator key of a job's run for a period:
// name + ":" + period.Key.
func Key(name string, p Period) string { return name + ":" + p.Key }

// Hooks are optional callbacks for metrics (e.g. Prometheus). They are called
// from the scheduler's goroutines and must not block.
type Hooks struct {
	// RunFinished is called after every run of a job's function, with the
	// function's duration and error (nil on success).
	RunFinished func(job, key string, took time.Duration, err error)
	// QueueDepth is called after each planning pass and each dispatch with
	// the number of due runs not yet started.
	QueueDepth func(n int)
}

// Options configures a Scheduler.
type Options struct {
	// Clock drives slots, polling, retries and the shutdown grace.
	// Defaults to SystemClock.
	Clock Clock
	// Logger receives run starts, outcomes and errors. Defaults to a no-op
	// logger.
	Logger *zap.Logger
	// Owner names this scheduler in logs and Status (the Coordinator records
	// its own owner). Defaults to "<hostname>:<pid>".
	Owner string
	// PollInterval is the time between planning passes. Defaults to 30s.
	PollInterval time.Duration
	// ShutdownGrace is how long in-flight runs may continue after Run's
	// context is cancelled before their contexts are cancelled too.
	// Defaults to 30s.
	ShutdownGrace time.Duration
	// Concurrency bounds the runs in flight. Defaults to 4.
	Concurrency int
	// RetryBackoff is the wait before retrying a failed run; it doubles
	// with each consecutive failure of that run. Defaults to 1m.
	RetryBackoff time.Duration
	// MaxRetryBackoff caps RetryBackoff's doubling. Defaults to 1h.
	MaxRetryBackoff time.Duration
	// Hooks for metrics. Defaults to none.
	Hooks Hooks
}

// maxCatchUpSlots bounds the slots one job contributes to one planning pass.
const maxCatchUpSlots = 1000

// ErrRunning is returned by Run and RunOnce while another Run or RunOnce of
// the same Scheduler is active.
var ErrRunning = errors.New("jobs: scheduler already running")

// Scheduler runs jobs through a Coordinator on their schedules. Use New.
type Scheduler struct {
	coord Coordinator
	opts  Options
	log   *zap.Logger
	jobs  []*jobState

	mu       sync.Mutex
	active   bool
	queue    map[string]*item
	inflight map[string]*item
	wg       sync.WaitGroup
	wake     chan struct{}
}

type jobState struct {
	Job
	idx       int
	planned   bool
	lastSlot  time.Time
	done      map[string]time.Time // key -> when last planned or done; pruned
	nextRun   time.Time
	runs      int64
	failures  int64
	running   int
	lastOK    time.Time
	lastOKKey string
	lastErrAt time.Time
	lastErrK  string
	lastErr   string
}

type item struct {
	job       *jobState
	period    Period
	key       string
	slot      time.Time // zero unless schedule-sourced
	fromSched bool
	fromDue   bool
	failures  int
	notBefore time.Time
	waitTick  bool // held by another runner: look again at the next planning pass
}

// New validates jobs and opts and returns a Scheduler.
func New(coord Coordinator, jobs []Job, opts Options) (*Scheduler, error) {
	if coord == nil {
		return nil, errors.New("jobs: New: nil Coordinator")
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
		{"ShutdownGrace", &opts.ShutdownGrace, 30 * time.Second},
		{"RetryBackoff", &opts.RetryBackoff, time.Minute},
		{"MaxRetryBackoff", &opts.MaxRetryBackoff, time.Hour},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("jobs: Options.%s %s is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if opts.Concurrency < 0 {
		return nil, fmt.Errorf("jobs: Options.Concurrency %d is negative", opts.Concurrency)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 4
	}
	s := &Scheduler{coord: coord, opts: opts, log: opts.Logger,
		queue: map[string]*item{}, inflight: map[string]*item{}, wake: make(chan struct{}, 1)}
	seen := map[string]bool{}
	for i, j := range jobs {
		switch {
		case j.Name == "":
			return nil, fmt.Errorf("jobs: job %d has no Name", i)
		case validKey(j.Name) != nil:
			return nil, fmt.Errorf("jobs: job %d: invalid Name: %w", i, validKey(j.Name))
		case seen[j.Name]:
			return nil, fmt.Errorf("jobs: job %q is listed twice", j.Name)
		case j.Run == nil:
			return nil, fmt.Errorf("jobs: job %q has no Run function", j.Name)
		case j.Schedule == nil && j.Due == nil:
			return nil, fmt.Errorf("jobs: job %q has neither a Schedule nor a Due function", j.Name)
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
		seen[j.Name] = true
		s.jobs = append(s.jobs, &jobState{Job: j, idx: i, done: map[string]time.Time{}})
	}
	return s, nil
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

// Run plans and starts due runs every PollInterval until ctx is cancelled.
// Then it starts nothing new, gives in-flight runs ShutdownGrace to finish,
// cancels their contexts, waits for them and returns nil. A run cut short is
// not done in the Coordinator and runs again later.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	for {
		now := s.opts.Clock.Now()
		s.plan(ctx, now)
		s.dispatch(runCtx, now)
		timer := s.opts.Clock.After(s.opts.PollInterval)
	wait:
		for {
			select {
			case <-ctx.Done():
				s.shutdown(cancelRuns)
				return nil
			case <-timer:
				break wait
			case <-s.wake:
				s.dispatch(runCtx, s.opts.Clock.Now())
			}
		}
	}
}

func (s *Scheduler) shutdown(cancelRuns context.CancelFunc) {
	s.mu.Lock()
	n := len(s.inflight)
	s.mu.Unlock()
	s.log.Info("jobs: shutting down", zap.Int("in_flight", n),
		zap.Duration("grace", s.opts.ShutdownGrace))
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-s.opts.Clock.After(s.opts.ShutdownGrace):
		s.mu.Lock()
		n = len(s.inflight)
		s.mu.Unlock()
		s.log.Warn("jobs: shutdown grace over, cancelling in-flight runs", zap.Int("in_flight", n))
		cancelRuns()
		<-done
	}
}

// RunOnce plans at the clock's current time, runs every due run (oldest
// first, Concurrency at a time, each at most once) and waits for them. It
// returns the runs' errors joined. Use it for a "run what is due now"
// command, or to drive a Scheduler step by step.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	now := s.opts.Clock.Now()
	s.plan(ctx, now)
	s.mu.Lock()
	todo := s.runnable(now)
	for _, it := range todo {
		delete(s.queue, it.key)
		s.inflight[it.key] = it
		it.job.running++
	}
	s.mu.Unlock()
	s.reportDepth()
	var (
		errMu sync.Mutex
		errs  []error
	)
	sem := make(chan struct{}, s.opts.Concurrency)
	slices.SortStableFunc(todo, func(a, b *item) int { return cmp.Compare(a.job.Stage, b.job.Stage) })
	for len(todo) > 0 {
		n := 1
		for n < len(todo) && todo[n].job.Stage == todo[0].job.Stage {
			n++
		}
		var wg sync.WaitGroup
		for _, it := range todo[:n] {
			sem <- struct{}{}
			s.wg.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := s.execute(ctx, it); err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
				}
			}()
		}
		wg.Wait()
		todo = todo[n:]
	}
	// Drain the wake-ups the runs left for Run.
	select {
	case <-s.wake:
	default:
	}
	return errors.Join(errs...)
}

// plan adds the due periods of every job to the queue.
func (s *Scheduler) plan(ctx context.Context, now time.Time) {
	s.mu.Lock()
	for _, it := range s.queue {
		it.waitTick = false
	}
	s.mu.Unlock()
	for _, j := range s.jobs {
		s.planJob(ctx, j, now)
	}
	s.reportDepth()
}

func (s *Scheduler) planJob(ctx context.Context, j *jobState, now time.Time) {
	var latest time.Time
	newSlot := !j.planned
	if j.Schedule != nil {
		latest = j.Schedule.Prev(now)
		newSlot = newSlot || !latest.Equal(j.lastSlot)
		horizon := now.Add(-j.CatchUp)
		if latest.Before(horizon) {
			horizon = latest
		}
		var slots []time.Time
		for slot := latest; !slot.Before(horizon) && len(slots) < maxCatchUpSlots; slot = j.Schedule.Prev(slot.Add(-time.Nanosecond)) {
			slots = append(slots, slot)
		}
		s.mu.Lock()
		// Schedule-sourced periods that left the window are dropped.
		for k, it := range s.queue {
			if it.job == j && it.fromSched && it.slot.Before(horizon) {
				it.fromSched = false
				if !it.fromDue {
					delete(s.queue, k)
				}
			}
		}
		for _, slot := range slots {
			p := j.Schedule.Period(slot)
			if it := s.enqueue(j, p, now); it != nil {
				it.fromSched = true
				if it.slot.IsZero() || slot.Before(it.slot) {
					it.slot = slot
				}
			}
		}
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
			return // Due is asked again next tick; the schedule state is not advanced.
		}
		want := map[string]bool{}
		s.mu.Lock()
		for _, p := range periods {
			key := Key(j.Name, p)
			if p.Key == "" || validKey(key) != nil {
				s.log.Error("jobs: Due returned an invalid period key", zap.String("job", j.Name), zap.String("period", p.Key))
				continue
			}
			want[key] = true
			if it := s.enqueue(j, p, now); it != nil {
				it.fromDue = true
			}
		}
		for k, it := range s.queue {
			if it.job == j && it.fromDue && !want[k] {
				it.fromDue = false
				if !it.fromSched {
					delete(s.queue, k)
				}
			}
		}
		s.mu.Unlock()
	}
	j.planned = true
	j.lastSlot = latest
	// Forget done keys no longer planned, keeping memory bounded (a key
	// planned again later is found done by the Coordinator).
	s.mu.Lock()
	cut := now.Add(-24 * time.Hour)
	for k, seen := range j.done {
		if seen.Before(cut) {
			delete(j.done, k)
		}
	}
	s.mu.Unlock()
}

// enqueue returns the queued item for (j, p), creating it, or nil when the
// run is done or in flight. s.mu must be held.
func (s *Scheduler) enqueue(j *jobState, p Period, now time.Time) *item {
	key := Key(j.Name, p)
	if _, ok := j.done[key]; ok {
		j.done[key] = now
		return nil
	}
	if _, ok := s.inflight[key]; ok {
		return nil
	}
	if it, ok := s.queue[key]; ok {
		return it
	}
	it := &item{job: j, period: p, key: key}
	s.queue[key] = it
	return it
}

// runnable returns the queued items whose backoff is over, in start order:
// by period end, then job order, then period start, then key. s.mu must be
// held.
func (s *Scheduler) runnable(now time.Time) []*item {
	var out []*item
	for _, it := range s.queue {
		if !it.waitTick && !it.notBefore.After(now) {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b *item) int {
		if c := a.period.End.Compare(b.period.End); c != 0 {
			return c
		}
		if a.job.idx != b.job.idx {
			return a.job.idx - b.job.idx
		}
		if c := a.period.Start.Compare(b.period.Start); c != 0 {
			return c
		}
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	return out
}

// dispatch starts runnable items while fewer than Concurrency are in flight.
func (s *Scheduler) dispatch(runCtx context.Context, now time.Time) {
	s.mu.Lock()
	for _, it := range s.runnable(now) {
		if len(s.inflight) >= s.opts.Concurrency {
			break
		}
		delete(s.queue, it.key)
		s.inflight[it.key] = it
		it.job.running++
		s.wg.Add(1)
		go s.execute(runCtx, it)
	}
	s.mu.Unlock()
	s.reportDepth()
}

func (s *Scheduler) reportDepth() {
	if s.opts.Hooks.QueueDepth == nil {
		return
	}
	s.mu.Lock()
	n := len(s.queue)
	s.mu.Unlock()
	s.opts.Hooks.QueueDepth(n)
}

// execute runs one item through the coordinator and files the outcome. The
// caller has moved it to inflight and added to s.wg.
func (s *Scheduler) execute(ctx context.Context, it *item) (runErr error) {
	defer s.wg.Done()
	j := it.job
	var took time.Duration
	called := false
	ran, err := s.coord.Run(ctx, it.key, func(c context.Context) error {
		called = true
		if j.Timeout > 0 {
			var cancel context.CancelFunc
			c, cancel = context.WithTimeout(c, j.Timeout)
			defer cancel()
		}
		s.log.Info("jobs: run started", zap.String("job", j.Name), zap.String("key", it.key))
		start := s.opts.Clock.Now()
		err := j.Run(c, it.period)
		took = s.opts.Clock.Now().Sub(start)
		return err
	})
	now := s.opts.Clock.Now()
	done := false
	switch {
	case ran && err == nil:
		done = true
		s.log.Info("jobs: run done", zap.String("job", j.Name), zap.String("key", it.key), zap.Duration("took", took))
	case !ran && err == nil:
		// Done already, or another runner holds it: ask which.
		st, serr := s.coord.State(ctx, it.key)
		switch {
		case serr != nil:
			err = serr
		case st.Status == StatusDone:
			done = true
			s.log.Debug("jobs: run done elsewhere", zap.String("job", j.Name), zap.String("key", it.key), zap.String("by", st.Owner))
		default:
			s.log.Debug("jobs: run held elsewhere", zap.String("job", j.Name), zap.String("key", it.key))
		}
	}
	if called && s.opts.Hooks.RunFinished != nil {
		s.opts.Hooks.RunFinished(j.Name, it.key, took, err)
	}
	s.mu.Lock()
	delete(s.inflight, it.key)
	j.running--
	if called {
		j.runs++
	}
	switch {
	case done:
		j.done[it.key] = now
		if called {
			j.lastOK, j.lastOKKey = now, it.key
		}
	case err != nil:
		it.failures++
		backoff := s.opts.RetryBackoff
		for i := 1; i < it.failures && backoff < s.opts.MaxRetryBackoff; i++ {
			backoff *= 2
		}
		backoff = min(backoff, s.opts.MaxRetryBackoff)
		it.notBefore = now.Add(backoff)
		if called {
			j.failures++
		}
		j.lastErrAt, j.lastErrK, j.lastErr = now, it.key, storedError(err)
		s.log.Error("jobs: run failed", zap.String("job", j.Name), zap.String("key", it.key),
			zap.Int("failures", it.failures), zap.Duration("retry_in", backoff), zap.Error(err))
		s.requeue(it)
	default: // held elsewhere: look again at the next planning pass
		it.waitTick = true
		s.requeue(it)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return err
}

// requeue puts it back unless a newer item for the key was queued meanwhile.
// s.mu must be held.
func (s *Scheduler) requeue(it *item) {
	if _, ok := s.queue[it.key]; !ok {
		s.queue[it.key] = it
	}
}

// Status is a snapshot of a Scheduler for health checks.
type Status struct {
	Owner      string
	QueueDepth int // due runs not yet started
	InFlight   int
	Jobs       []JobStatus
}

// JobStatus describes one job.
type JobStatus struct {
	Name           string
	NextRun        time.Time // next schedule slot after the last plan; zero without a Schedule
	Pending        int       // due runs of this job not yet started
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
	st := Status{Owner: s.opts.Owner, QueueDepth: len(s.queue), InFlight: len(s.inflight)}
	pending := map[*jobState]int{}
	for _, it := range s.queue {
		pending[it.job]++
	}
	for _, j := range s.jobs {
		st.Jobs = append(st.Jobs, JobStatus{
			Name: j.Name, NextRun: j.nextRun, Pending: pending[j], Running: j.running,
			Runs: j.runs, Failures: j.failures,
			LastSuccess: j.lastOK, LastSuccessKey: j.lastOKKey,
			LastErrorAt: j.lastErrAt, LastErrorKey: j.lastErrK, LastError: j.lastErr,
		})
	}
	return st
}
