package daemon

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Job names.
const (
	jobCapture = "capture:" // + endpoint name
	jobDaily   = "daily"
	jobMonthly = "monthly"
	jobReports = "reports"
	jobCleanup = "cleanup"
)

// runOptions are the knobs of `run` beyond the configuration.
type runOptions struct {
	once          bool
	owner         string
	poll          time.Duration
	shutdownGrace time.Duration
	concurrency   int
	// endpointRefresh: how often the endpoint registry is checked for
	// endpoints added, removed, enabled, disabled or given another poll
	// interval; 0 never.
	endpointRefresh time.Duration
	// jobTimeout bounds a run of any job (a capture's own bound may be
	// shorter).
	jobTimeout time.Duration
	// rescueAfter: a run still "running" after this long is taken for the
	// run of a dead replica and retried; 0: the longest timeout + 10m.
	rescueAfter time.Duration
	// retryBackoff: the wait before a failed run's first retry (doubling).
	retryBackoff time.Duration
}

func runDaemon(ctx context.Context, a *App, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var o runOptions
	fs.BoolVar(&o.once, "once", false, "run every due job once, then exit (for cron or a manual catch-up)")
	fs.StringVar(&o.owner, "owner", "", "this replica's name in river's job table and the logs (default host:pid)")
	fs.DurationVar(&o.poll, "poll", 15*time.Second, "time between scheduler planning passes")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 30*time.Second, "on SIGTERM, how long in-flight jobs may finish before they are cancelled")
	fs.IntVar(&o.concurrency, "job-concurrency", 4, "jobs run at once by this replica")
	fs.DurationVar(&o.endpointRefresh, "endpoint-refresh", time.Minute, "how often the endpoint registry is checked for changed endpoints (the capture jobs are then rebuilt; 0: never)")
	fs.DurationVar(&o.jobTimeout, "job-timeout", time.Hour, "longest run of any job (a capture's is also under 5/6 of its poll interval and 50m)")
	fs.DurationVar(&o.retryBackoff, "retry-backoff", time.Minute, "wait before retrying a failed job run (doubles per attempt, up to 1h; 5 attempts)")
	fs.DurationVar(&o.rescueAfter, "rescue-after", 0, "a run left running this long (its replica died) is run again by another replica (default: the longest job timeout + 10m)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if o.owner == "" {
		host, _ := os.Hostname()
		o.owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	log := a.Logger.With(zap.String("owner", o.owner))
	for _, w := range a.Config.Warnings() {
		log.Warn("configuration: " + w)
	}

	if a.SQLitePath != "" {
		release, err := lockRun(a.SQLitePath)
		if err != nil {
			return err
		}
		defer release()
	}
	metrics := NewMetrics()
	fp, err := a.endpointSet(ctx)
	if err != nil {
		return err
	}
	sched, jl, err := a.scheduler(ctx, o, metrics, log)
	if err != nil {
		return err
	}
	log.Info("vinventoryd starting", zap.String("store", a.Store.Capabilities().Backend), zap.Strings("jobs", jobNames(jl)), zap.Bool("once", o.once))
	if o.once {
		return sched.RunOnce(ctx)
	}
	var cur atomic.Pointer[jobs.Scheduler]
	cur.Store(sched)
	if a.Config.Live.Enabled {
		if err := a.startLive(ctx, o.endpointRefresh, metrics, log); err != nil {
			return err
		}
	}
	if a.Config.Alerts.Enabled {
		if err := a.startAlerts(ctx, o.owner, metrics, log); err != nil {
			return err
		}
	}
	if addr := a.Config.HTTP.Listen; addr != "" {
		health := &HealthSource{Store: a.Store,
			QueueDepth: func() int { return cur.Load().Status().QueueDepth },
			Jobs:       func() any { return cur.Load().Status() },
		}
		if a.live != nil {
			health.Live = a.live.Status
		}
		health.Alerts = a.alertStatus
		mux := NewMux(health, metrics)
		if err := a.withAPI(mux, queueJobs{cur.Load}, false); err != nil {
			return err
		}
		_, bound, err := serveHTTP(ctx, addr, mux, log, a.closeHub)
		if err != nil {
			return err
		}
		log.Info("serving /healthz, /metrics and the API under /api/", zap.String("addr", bound))
	}
	for {
		// The capture jobs are built from the enabled endpoints: when they
		// change, the scheduler stops (in-flight runs get the shutdown
		// grace; a run cut short runs again, its writes being atomic) and
		// starts again with the new jobs. Runs are in river's table, so
		// nothing done is redone.
		runCtx, stop := context.WithCancel(ctx)
		changed := make(chan string, 1)
		go a.watchEndpoints(runCtx, o.endpointRefresh, fp, changed, stop, log)
		err = sched.Run(runCtx)
		stop()
		if err != nil || ctx.Err() != nil {
			break
		}
		fp = <-changed
		next, jl, err := a.scheduler(ctx, o, metrics, log)
		if err != nil {
			return fmt.Errorf("restart after an endpoint change: %w", err)
		}
		sched = next
		cur.Store(sched)
		log.Info("endpoints changed: scheduler restarted", zap.Strings("jobs", jobNames(jl)))
	}
	log.Info("vinventoryd stopped")
	return err
}

func jobNames(jl []jobs.Job) []string {
	names := make([]string, len(jl))
	for i, j := range jl {
		names[i] = j.Name
	}
	return names
}

// endpointSet describes what the capture jobs are built from: each enabled
// endpoint's name and poll interval.
func (a *App) endpointSet(ctx context.Context) (string, error) {
	eps, err := a.Store.ListEndpoints(ctx, &store.ListEndpointsParams{EnabledOnly: true})
	if err != nil {
		return "", fmt.Errorf("list endpoints: %w", err)
	}
	parts := make([]string, len(eps))
	for i, ep := range eps {
		parts[i] = fmt.Sprintf("%q %s", ep.Name, ep.EffectivePollInterval())
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n"), nil
}

// watchEndpoints checks the endpoint registry every interval until ctx
// ends; when the enabled endpoints differ from fp it sends the new set on
// changed and calls stop. A failed check is logged and retried.
func (a *App) watchEndpoints(ctx context.Context, interval time.Duration, fp string, changed chan<- string, stop func(), log *zap.Logger) {
	if interval <= 0 {
		return
	}
	clock := a.JobClock
	if clock == nil {
		clock = jobs.SystemClock{}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-clock.After(interval):
		}
		now, err := a.endpointSet(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("checking the endpoint registry failed", zap.Error(err))
		case now != fp:
			log.Info("enabled endpoints changed; rebuilding the capture jobs")
			changed <- now
			stop()
			return
		}
	}
}

// scheduler builds the job scheduler of `run`: the jobs, their metrics
// hooks, on river's tables in the store's database (JobBackend).
func (a *App) scheduler(ctx context.Context, o runOptions, metrics *Metrics, log *zap.Logger) (*jobs.Scheduler, []jobs.Job, error) {
	backend, err := a.JobBackend(ctx)
	if err != nil {
		return nil, nil, err
	}
	jl, err := a.jobs(ctx, metrics, o.jobTimeout)
	if err != nil {
		return nil, nil, err
	}
	sched, err := jobs.New(backend, jl, jobs.Options{
		Clock:  a.JobClock,
		Logger: log, Owner: o.owner, PollInterval: o.poll, ShutdownGrace: o.shutdownGrace,
		// Idle workers look for runs other replicas enqueued at least as
		// often as this one plans, and at most every 100ms.
		FetchInterval: min(max(o.poll, 100*time.Millisecond), time.Second),
		Concurrency:   o.concurrency, Timeout: o.jobTimeout, RescueAfter: o.rescueAfter, RetryBackoff: o.retryBackoff,
		Hooks: jobs.Hooks{
			RunFinished: func(job, key string, took time.Duration, err error) { metrics.ObserveJob(job, took, err) },
			QueueDepth:  metrics.SetQueueDepth,
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return sched, jl, nil
}

// JobBackend returns where the daemon's runs are queued, migrated on first
// use: river's tables in the PostgreSQL store's database (replicas share
// them), in the SQLite store's file, or, for a store OpenApp did not open
// (tests), in an in-memory SQLite database that lives as long as the App.
func (a *App) JobBackend(ctx context.Context) (jobs.Backend, error) {
	a.jobsOnce.Do(func() {
		switch {
		case a.PG != nil:
			a.jobsBackend = jobs.Postgres(a.PG.Pool(), "")
		default:
			dsn := "file:vinventory-jobs-" + rand.Text() + "?mode=memory&cache=shared"
			if a.SQLitePath != "" {
				dsn = "file:" + a.SQLitePath + "?_journal_mode=WAL"
			}
			// riversqlite needs one connection; it waits for the store's
			// writer on SQLite's busy timeout.
			db, err := sql.Open("sqlite3", dsn+"&_busy_timeout=60000&_txlock=immediate")
			if err != nil {
				a.jobsErr = fmt.Errorf("open the job queue: %w", err)
				return
			}
			db.SetMaxOpenConns(1)
			db.SetMaxIdleConns(1)
			db.SetConnMaxLifetime(0)
			a.jobsDB = db
			a.jobsBackend = jobs.SQLite(db)
		}
		if err := jobs.Migrate(ctx, a.jobsBackend, sdkLogger(a.Logger, "river")); err != nil {
			a.jobsErr = err
		}
	})
	return a.jobsBackend, a.jobsErr
}

// jobs are the daemon's scheduled jobs: one capture job per enabled
// endpoint (hourly at schedule.hourly_minute, staggered, or every
// poll_interval when it is not an hour), daily and monthly aggregation with
// catch-up, deferred reports and retention cleanup.
func (a *App) jobs(ctx context.Context, metrics *Metrics, maxTimeout time.Duration) ([]jobs.Job, error) {
	cfg := a.Config
	p := a.Pipeline
	loc := p.Location()
	eps, err := a.Store.ListEndpoints(ctx, &store.ListEndpointsParams{EnabledOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	if len(eps) == 0 {
		a.Logger.Warn("no enabled endpoints: nothing will be captured (add endpoints to the configuration)")
	}
	names := make([]string, len(eps))
	for i, ep := range eps {
		names[i] = ep.Name
	}
	stagger := jobs.Stagger(names, cfg.Schedule.Stagger)
	var out []jobs.Job
	for _, ep := range eps {
		name := ep.Name
		minute := time.Duration(cfg.Schedule.HourlyMinute) * time.Minute
		var sched jobs.Schedule = jobs.Hourly{Minute: cfg.Schedule.HourlyMinute, Offset: stagger[name]}
		timeout := 50 * time.Minute
		if iv := ep.EffectivePollInterval(); iv != time.Hour {
			sched, minute, timeout = jobs.Every{Interval: iv}, 0, max(iv*5/6, time.Second)
		}
		if maxTimeout > 0 {
			timeout = min(timeout, maxTimeout)
		}
		out = append(out, jobs.Job{
			Name: jobCapture + name, Schedule: sched, Timeout: timeout,
			Run: func(ctx context.Context, period jobs.Period) error {
				targets, err := Targets(ctx, a.Store, a.Keyring, a.Logger, a.parking(), name)
				if err != nil {
					return err
				}
				if len(targets) == 0 {
					return nil // disabled or removed since start-up
				}
				// Every endpoint of a slot shares its snapshot time; a re-run
				// of the slot (after a takeover) replaces the same snapshot.
				res, err := p.RunHourly(ctx, targets, period.Start.Add(minute))
				if res != nil {
					metrics.ObserveCaptures(res.Endpoints)
				}
				a.triggerAlerts() // a failed capture counts too (capture_failing)
				if err != nil && !capture.IsRetryable(err) {
					// Refused credentials or a parked endpoint: another
					// attempt of this slot would not help (and could lock
					// the account); the next slot tries again.
					return fmt.Errorf("%w (%w)", err, jobs.ErrNoRetry)
				}
				return err
			},
		})
	}
	mj, err := a.metricsJobs(names, metrics, maxTimeout)
	if err != nil {
		return nil, err
	}
	out = append(out, mj...)
	out = append(out,
		jobs.Job{
			Name: jobDaily, Stage: 1, Schedule: jobs.Daily{At: cfg.Schedule.DailyAt.String(), Location: loc},
			Due: func(ctx context.Context, now time.Time) ([]jobs.Period, error) {
				return a.duePeriods(ctx, now, inventory.Daily)
			},
			Run: func(ctx context.Context, period jobs.Period) error {
				res, err := p.RunDaily(ctx, period.Start)
				metrics.ObservePeriod("vm_daily_rollup", res)
				return err
			},
		},
		jobs.Job{
			Name: jobMonthly, Stage: 2, Schedule: jobs.Monthly{Day: 1, At: cfg.Schedule.MonthlyAt.String(), Location: loc},
			Due: func(ctx context.Context, now time.Time) ([]jobs.Period, error) {
				return a.duePeriods(ctx, now, inventory.Monthly)
			},
			Run: func(ctx context.Context, period jobs.Period) error {
				// A month is aggregated from its daily rollups: wait for
				// every due day of it first (retried with backoff).
				days, err := p.DueDays(ctx, a.Clock())
				if err != nil {
					return err
				}
				if i := slices.IndexFunc(days, func(d vinventory.DuePeriod) bool {
					return !d.Period.Start.Before(period.Start) && d.Period.Start.Before(period.End)
				}); i >= 0 {
					return fmt.Errorf("monthly %s: day %s is not aggregated yet", period.Key, days[i].Period.Start.In(loc).Format(time.DateOnly))
				}
				res, err := p.RunMonthly(ctx, period.Start)
				metrics.ObservePeriod("vm_monthly_rollup", res)
				return err
			},
		},
		jobs.Job{
			Name: jobReports, Stage: 3, Schedule: jobs.Every{Interval: cfg.Schedule.ReportsEvery},
			Run: func(ctx context.Context, _ jobs.Period) error {
				if set := p.Settings(); set.ReportDir == "" && !set.ReportCatalog {
					return nil
				}
				res, err := p.RunReports(ctx, time.Time{})
				if res != nil {
					metrics.AddReports(len(res.Written))
				}
				return err
			},
		},
		jobs.Job{
			Name: jobCleanup, Stage: 4, Schedule: jobs.Daily{At: cfg.Schedule.CleanupAt.String(), Location: loc},
			Run: func(ctx context.Context, _ jobs.Period) error {
				_, err := p.Cleanup(ctx, time.Time{})
				// Metric series keep each tier's retention (metrics.*_retention).
				err = errors.Join(err, a.pruneMetrics(ctx))
				if ls, ok := a.Store.(store.LiveState); ok {
					// The change log behind /api/stream keeps live.change_retention.
					_, perr := ls.PruneChanges(ctx, &store.PruneChangesParams{Before: a.Clock().Add(-cfg.Live.ChangeRetention)})
					err = errors.Join(err, perr)
				}
				if nq, ok := a.Store.(store.NotificationQueue); ok {
					// Delivered and failed notifications keep alerts.notification_retention.
					_, perr := nq.PruneNotifications(ctx, &store.PruneNotificationsParams{Before: a.Clock().Add(-cfg.Alerts.NotificationRetention)})
					err = errors.Join(err, perr)
				}
				return err
			},
		},
	)
	return append(out, a.onDemandJobs()...), nil
}

// duePeriods are the days (or months) the pipeline finds due, as job
// periods. A period aggregated before and due again (hourly snapshots
// arrived after its aggregation) gets the key "<period>#<hourly snapshot
// count>", so the re-aggregation runs once more instead of being taken for
// the run already done; a first aggregation keeps the schedule's own key.
func (a *App) duePeriods(ctx context.Context, now time.Time, g inventory.Granularity) ([]jobs.Period, error) {
	p := a.Pipeline
	loc := p.Location()
	due, period := p.DueDays, func(t time.Time) jobs.Period { return jobs.DayPeriod(t, loc) }
	if g == inventory.Monthly {
		due, period = p.DueMonths, func(t time.Time) jobs.Period { return jobs.MonthPeriod(t, loc) }
	}
	ds, err := due(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]jobs.Period, 0, len(ds))
	for _, d := range ds {
		jp := period(d.Period.Start)
		done, err := a.Store.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: g, From: d.Period.Start, To: d.Period.End, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(done) > 0 {
			hourly, err := a.Store.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, From: d.Period.Start, To: d.Period.End})
			if err != nil {
				return nil, err
			}
			jp.Key = fmt.Sprintf("%s#%d", jp.Key, len(hourly))
		}
		out = append(out, jp)
	}
	return out, nil
}

// runBackfill runs the backfill, repair or rebuild command.
func runBackfill(ctx context.Context, a *App, cmd string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stdout)
	var r rangeFlags
	r.register(fs)
	months := fs.Bool("months", false, "process months (the months holding the range) instead of days")
	mode := fs.String("mode", "go", "aggregation mode: go, sql or legacy (rebuild/validation)")
	partial := fs.Bool("partial", false, "also aggregate a day or month that has not ended yet, marked partial (refused otherwise)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	from, to, err := r.days(a.Pipeline.Location())
	if err != nil {
		return err
	}
	opts := aggregate.BackfillOptions{
		From: from, To: to, Vcenters: r.vcenters, Granularity: inventory.Daily,
		Action: aggregate.Action(cmd), Aggregate: a.Pipeline.AggregateOptions(),
		DeletionGuardFraction: a.Pipeline.Settings().DeletionGuardFraction, DeletionGuardMinVMs: a.Pipeline.Settings().DeletionGuardMinVMs,
		Progress: func(pr aggregate.Progress) {
			vc := pr.Vcenter
			if vc == "" {
				vc = "all"
			}
			day := pr.Period.In(a.Pipeline.Location()).Format(time.DateOnly)
			fmt.Fprintf(stdout, "  %-9s %s %-20s %d/%d\n", pr.Stage, day, vc, pr.Done, pr.Total)
			// Run as an on-demand job, the progress goes on its river job
			// (a no-op from the CLI).
			if err := jobs.ReportProgress(ctx, jobs.Progress{Done: pr.Done, Total: pr.Total, Note: fmt.Sprintf("%s %s %s", pr.Stage, day, vc)}); err != nil {
				a.Logger.Warn("recording progress", zap.Error(err))
			}
		},
	}
	if *months || r.month != "" {
		opts.Granularity = inventory.Monthly
	}
	opts.Aggregate.Mode = aggregate.Mode(*mode)
	opts.Aggregate.AllowPartial = *partial
	res, err := aggregate.Backfill(ctx, a.Store, opts)
	if res != nil {
		fmt.Fprintf(stdout, "%s: %d snapshots (%d samples) imported, %d lifecycle rows, %d compatibility tables rewritten, %d daily and %d monthly aggregations, %d periods skipped\n",
			cmd, res.ImportedSnapshots, res.ImportedSamples, res.Lifecycles, res.CompatRewritten, len(res.Daily), len(res.Monthly), res.Skipped)
	}
	return err
}
