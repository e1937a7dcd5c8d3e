package riverjobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/accessvault/vinventory/internal/jobs"
)

// Job is a named piece of work run for periods.
type Job struct {
	// Name identifies the job ("daily", "capture:vc1", ...). Required,
	// unique within a Runner.
	Name string
	// Run does the work for one period. Required. An error wrapping
	// ErrNoRetry ends the run for good (it is cancelled, not retried).
	Run func(ctx context.Context, p jobs.Period) error
}

// ErrNoRetry marks an error that another attempt cannot fix (a parked
// endpoint whose credentials were refused).
var ErrNoRetry = errors.New("riverjobs: not retried")

// Options configure a Runner.
type Options struct {
	// Jobs are the jobs this process can run. Required.
	Jobs []Job
	// Concurrency is the number of runs at once in this process. Defaults
	// to 4.
	Concurrency int
	// MaxAttempts is how many times a failed run is tried. Defaults to 5.
	MaxAttempts int
	// Timeout bounds one run. Defaults to 0: no limit.
	Timeout time.Duration
	// RescueAfter is how long a run may stay running before another process
	// takes it over (its process died). Defaults to river's (1 hour, or
	// Timeout + 1 hour).
	RescueAfter time.Duration
	// RetryBackoff is the wait before retrying a failed run; it doubles
	// with each failed attempt of that run. Defaults to 1m.
	RetryBackoff time.Duration
	// MaxRetryBackoff caps RetryBackoff's doubling. Defaults to 1h.
	MaxRetryBackoff time.Duration
	// PollInterval is how often idle workers look for new runs. Defaults to
	// 1s.
	PollInterval time.Duration
	// Logger receives river's logs. Defaults to discarding them.
	Logger *slog.Logger
}

// args is a run: the job's name and the period. Uniqueness is by args, so
// a (job, period) is inserted once, whichever process asks.
type args struct {
	Job    string    `json:"job"`
	Period string    `json:"period"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

func (args) Kind() string { return "vinventory_run" }

func (args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
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

// client is what a Runner uses of a *river.Client, whatever its driver.
type client interface {
	Insert(ctx context.Context, a river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	JobList(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error)
	JobUpdate(ctx context.Context, id int64, p *river.JobUpdateParams) (*rivertype.JobRow, error)
}

// Progress is how far a run has got, recorded on its river job while it
// runs (ReportProgress) and listed by History.
type Progress struct {
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Note  string `json:"note,omitempty"`
}

type progressKey struct{}

// ReportProgress records p on the run whose Run function got ctx, at once
// (a reader of History sees it while the run goes on). Outside a run it
// does nothing.
func ReportProgress(ctx context.Context, p Progress) error {
	f, ok := ctx.Value(progressKey{}).(func(Progress) error)
	if !ok {
		return nil
	}
	return f(p)
}

// Runner enqueues and works runs. Use NewPostgres or NewSQLite.
type Runner struct {
	c       client
	migrate func(ctx context.Context) error
	jobs    map[string]Job
}

func config(o *Options, schema string, workers *river.Workers) *river.Config {
	cfg := &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Concurrency}},
		Workers:              workers,
		MaxAttempts:          o.MaxAttempts,
		JobTimeout:           o.Timeout,
		RescueStuckJobsAfter: o.RescueAfter,
		FetchPollInterval:    o.PollInterval,
		Schema:               schema,
		Logger:               o.Logger,
		RetryPolicy:          backoff{first: o.RetryBackoff, max: o.MaxRetryBackoff},
	}
	if o.Timeout == 0 {
		cfg.JobTimeout = -1 // no limit
	}
	return cfg
}

func (o *Options) normalize() (map[string]Job, error) {
	if len(o.Jobs) == 0 {
		return nil, errors.New("riverjobs: no jobs")
	}
	byName := map[string]Job{}
	for _, j := range o.Jobs {
		switch {
		case j.Name == "" || j.Run == nil:
			return nil, fmt.Errorf("riverjobs: job %q needs a name and a Run function", j.Name)
		case byName[j.Name].Run != nil:
			return nil, fmt.Errorf("riverjobs: job %q given twice", j.Name)
		}
		byName[j.Name] = j
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = time.Minute
	}
	if o.MaxRetryBackoff <= 0 {
		o.MaxRetryBackoff = time.Hour
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return byName, nil
}

func (r *Runner) workers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[args]) error {
		job, ok := r.jobs[j.Args.Job]
		if !ok {
			return river.JobCancel(fmt.Errorf("riverjobs: no job %q in this process", j.Args.Job))
		}
		ctx = context.WithValue(ctx, progressKey{}, func(p Progress) error {
			if _, err := r.c.JobUpdate(ctx, j.ID, &river.JobUpdateParams{Output: p}); err != nil {
				return fmt.Errorf("riverjobs: record progress of %q %s: %w", j.Args.Job, j.Args.Period, err)
			}
			return nil
		})
		err := job.Run(ctx, jobs.Period{Key: j.Args.Period, Start: j.Args.Start, End: j.Args.End})
		if errors.Is(err, ErrNoRetry) {
			return river.JobCancel(err)
		}
		return err
	}))
	return w
}

// NewPostgres returns a Runner whose runs live in river's tables in schema
// ("" for the pool's search path), through pool.
func NewPostgres(pool *pgxpool.Pool, schema string, o Options) (*Runner, error) {
	byName, err := o.normalize()
	if err != nil {
		return nil, err
	}
	r := &Runner{jobs: byName}
	drv := riverpgxv5.New(pool)
	c, err := river.NewClient[pgx.Tx](drv, config(&o, schema, r.workers()))
	if err != nil {
		return nil, fmt.Errorf("riverjobs: %w", err)
	}
	r.c = c
	r.migrate = migrator(drv, schema, o.Logger)
	return r, nil
}

// NewSQLite returns a Runner whose runs live in river's tables in the
// SQLite database db. River needs db to hold one connection
// (db.SetMaxOpenConns(1)) and to wait on locks (a busy timeout).
func NewSQLite(db *sql.DB, o Options) (*Runner, error) {
	byName, err := o.normalize()
	if err != nil {
		return nil, err
	}
	r := &Runner{jobs: byName}
	drv := riversqlite.New(db)
	c, err := river.NewClient[*sql.Tx](drv, config(&o, "", r.workers()))
	if err != nil {
		return nil, fmt.Errorf("riverjobs: %w", err)
	}
	r.c = c
	r.migrate = migrator(drv, "", o.Logger)
	return r, nil
}

func migrator[TTx any](drv riverdriver.Driver[TTx], schema string, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		m, err := rivermigrate.New(drv, &rivermigrate.Config{Schema: schema, Logger: log})
		if err != nil {
			return fmt.Errorf("riverjobs: migrate: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("riverjobs: migrate: %w", err)
		}
		return nil
	}
}

// Migrate creates or upgrades river's tables.
func (r *Runner) Migrate(ctx context.Context) error { return r.migrate(ctx) }

// Enqueue asks for a run of job for p. It returns false when that run was
// already enqueued (by any process), whatever its state: running, done,
// or waiting for a retry.
func (r *Runner) Enqueue(ctx context.Context, job string, p jobs.Period) (bool, error) {
	if _, ok := r.jobs[job]; !ok {
		return false, fmt.Errorf("riverjobs: Enqueue: unknown job %q", job)
	}
	if p.Key == "" {
		return false, fmt.Errorf("riverjobs: Enqueue %q: the period has no key", job)
	}
	res, err := r.c.Insert(ctx, args{Job: job, Period: p.Key, Start: p.Start.UTC(), End: p.End.UTC()}, nil)
	if err != nil {
		return false, fmt.Errorf("riverjobs: Enqueue %q %s: %w", job, p.Key, err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Start starts working runs; Stop waits for the runs in flight.
func (r *Runner) Start(ctx context.Context) error { return r.c.Start(ctx) }

// Stop stops fetching runs and waits for the ones in flight (until ctx
// ends).
func (r *Runner) Stop(ctx context.Context) error { return r.c.Stop(ctx) }

// Run is one run as river's job table records it.
type Run struct {
	ID       int64
	Job      string
	Period   string
	State    string
	Attempts int
	// Errors are the errors of the failed attempts, oldest first.
	Errors      []string
	CreatedAt   time.Time
	FinishedAt  time.Time
	AttemptedBy []string
	// Progress is the last progress the run reported (nil when none).
	Progress *Progress
}

// History lists the runs of job ("" for every job), newest first, at most
// limit (defaults to 100).
func (r *Runner) History(ctx context.Context, job string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 100
	}
	p := river.NewJobListParams().Kinds(args{}.Kind()).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if job != "" {
		p = p.Where("args->>'job' = @job", river.NamedArgs{"job": job})
	}
	res, err := r.c.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("riverjobs: History: %w", err)
	}
	out := make([]Run, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		var a args
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			return nil, fmt.Errorf("riverjobs: History: job %d: %w", j.ID, err)
		}
		run := Run{ID: j.ID, Job: a.Job, Period: a.Period, State: string(j.State), Attempts: j.Attempt,
			CreatedAt: j.CreatedAt, AttemptedBy: j.AttemptedBy}
		if j.FinalizedAt != nil {
			run.FinishedAt = *j.FinalizedAt
		}
		for _, e := range j.Errors {
			run.Errors = append(run.Errors, e.Error)
		}
		if out := j.Output(); len(out) > 0 {
			var p Progress
			if err := json.Unmarshal(out, &p); err != nil {
				return nil, fmt.Errorf("riverjobs: History: job %d progress: %w", j.ID, err)
			}
			run.Progress = &p
		}
		out = append(out, run)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].ID > out[k].ID })
	return out, nil
}
