package vinventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/ctxtime"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
)

// Reporter writes one report file. The default is the report package
// (report.WriteFile); tests and callers may wrap it, e.g. to add metrics or
// inject failures.
type Reporter interface {
	WriteFile(ctx context.Context, st report.Reader, req report.Request, dir string, opts report.Options) (path string, err error)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(ctx context.Context, st report.Reader, req report.Request, dir string, opts report.Options) (string, error)

// WriteFile calls f.
func (f ReporterFunc) WriteFile(ctx context.Context, st report.Reader, req report.Request, dir string, opts report.Options) (string, error) {
	return f(ctx, st, req, dir, opts)
}

// DefaultReporter writes reports with report.WriteFile.
var DefaultReporter Reporter = ReporterFunc(report.WriteFile)

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithClock sets the clock that stamps snapshots and records, decides
// which periods have completed and measures stage durations. Defaults to
// time.Now.
func WithClock(clock func() time.Time) Option { return func(p *Pipeline) { p.clock = clock } }

// WithReporter sets the report writer. Defaults to DefaultReporter.
func WithReporter(r Reporter) Option { return func(p *Pipeline) { p.reporter = r } }

// WithSleep sets how the pipeline waits between retries (capture and
// report backoff). Defaults to a context-aware timer.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(p *Pipeline) { p.sleep = sleep }
}

// Pipeline is the staged job flow of docs/architecture.md: capture -> reconcile
// -> register/totals (RunHourly), daily and monthly rollups (RunDaily,
// RunMonthly, CatchUp), deferred reports (RunReports) and retention
// (Cleanup). Each stage derives its work from the store (and the report
// directory) alone, so a restarted process picks up where the last one
// stopped. A Pipeline is safe for concurrent use;
// running the same stage twice at once for the same period is harmless
// (every write is idempotent) but wasteful — the daemon serialises jobs.
type Pipeline struct {
	st       store.Store
	settings Settings
	loc      *time.Location
	tiers    inventory.TierMap
	logger   *slog.Logger
	clock    func() time.Time
	reporter Reporter
	sleep    func(ctx context.Context, d time.Duration) error
	// catalog is the store's report catalog when Settings.ReportCatalog is on.
	catalog store.ReportCatalog
}

// NewPipeline validates s and returns a Pipeline over st. A nil logger
// discards logs.
func NewPipeline(st store.Store, s Settings, logger *slog.Logger, opts ...Option) (*Pipeline, error) {
	if st == nil {
		return nil, errors.New("vinventory: NewPipeline: store is nil")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("vinventory: NewPipeline: %w", err)
	}
	loc, err := s.TimeLocation()
	if err != nil {
		return nil, fmt.Errorf("vinventory: NewPipeline: %w", err)
	}
	tiers, err := s.TierMap()
	if err != nil {
		return nil, fmt.Errorf("vinventory: NewPipeline: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s.PoolTiers = clonePoolTiers(s.PoolTiers)
	p := &Pipeline{st: st, settings: s, loc: loc, tiers: tiers, logger: logger, clock: time.Now,
		reporter: DefaultReporter, sleep: ctxtime.Sleep}
	if s.ReportCatalog {
		rc, ok := st.(store.ReportCatalog)
		if !ok {
			return nil, errors.New("vinventory: NewPipeline: report_catalog is on but the store keeps no reports (it does not implement store.ReportCatalog)")
		}
		p.catalog = rc
	}
	for _, o := range opts {
		if o != nil {
			o(p)
		}
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	if p.reporter == nil {
		p.reporter = DefaultReporter
	}
	if p.sleep == nil {
		p.sleep = ctxtime.Sleep
	}
	return p, nil
}

func clonePoolTiers(m map[string]inventory.Tier) map[string]inventory.Tier {
	out := make(map[string]inventory.Tier, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Settings returns a copy of the pipeline's settings.
func (p *Pipeline) Settings() Settings {
	s := p.settings
	s.PoolTiers = clonePoolTiers(s.PoolTiers)
	return s
}

// Location returns the time zone that cuts days and months.
func (p *Pipeline) Location() *time.Location { return p.loc }

// Store returns the pipeline's store.
func (p *Pipeline) Store() store.Store { return p.st }

func (p *Pipeline) now() time.Time { return p.clock() }

func (p *Pipeline) reportsEnabled() bool { return p.settings.ReportDir != "" || p.catalog != nil }

// ---------------------------------------------------------------------------
// Period errors

var (
	// ErrPeriodIncomplete is wrapped by a *PeriodError when a day or month
	// has not ended yet (per the clock, in Settings.Location); it is
	// aggregate's sentinel, so errors.Is matches refusals of either.
	ErrPeriodIncomplete = aggregate.ErrPeriodIncomplete
	// ErrPeriodExpired is wrapped by a *PeriodError when a period's hourly
	// samples are (partly) past retention.hourly_rows: aggregating it again
	// would replace good rollups with ones computed from missing samples.
	ErrPeriodExpired = errors.New("vinventory: period's hourly samples are past retention")
)

// PeriodError is a refused or failed aggregation of one day or month.
type PeriodError struct {
	Granularity inventory.Granularity
	Period      inventory.Window
	// Now is the clock's time when the period was refused.
	Now time.Time
	Err error
}

func (e *PeriodError) Error() string {
	return fmt.Sprintf("%s aggregation of %s (now %s): %v", e.Granularity, e.Period, e.Now.Format(time.RFC3339), e.Err)
}

func (e *PeriodError) Unwrap() error { return e.Err }

// ---------------------------------------------------------------------------
// Hourly

// HourlyResult is the outcome of RunHourly.
type HourlyResult struct {
	// SnapshotTime is the snapshot time every endpoint was captured at (UTC).
	SnapshotTime time.Time
	// Endpoints are the per-endpoint outcomes, in the order of the targets.
	Endpoints []capture.EndpointResult
	// Reports are the inline hourly reports (async_report_generation =
	// false and a report_dir set); nil otherwise. Report failures are here,
	// never in RunHourly's error.
	Reports *ReportsResult
}

// Succeeded returns the names of the endpoints captured and reconciled.
func (r *HourlyResult) Succeeded() []string {
	var out []string
	for _, e := range r.Endpoints {
		if e.Err == nil {
			out = append(out, e.Endpoint)
		}
	}
	return out
}

// RunHourly captures and reconciles every target at snapshot time at (the
// clock's now when zero), with hourly_snapshot_concurrency endpoints at
// once and capture_retry per endpoint, recording each endpoint's capture
// status. Each endpoint's snapshot is atomic and independent of the
// others. The error joins the failed endpoints' errors (*capture.Error
// values, among others); the result is returned in any case.
//
// With async_report_generation = false (and a report_dir) the hourly
// report of each captured endpoint is written inline; a report failure is
// logged and returned in HourlyResult.Reports and never undoes the
// capture. With it on, reports are left for RunReports. Capturing a
// snapshot time again deletes that snapshot's report first.
func (p *Pipeline) RunHourly(ctx context.Context, targets []capture.Target, at time.Time) (*HourlyResult, error) {
	if at.IsZero() {
		at = p.now()
	}
	s := store.SnapshotTime(at)
	seen := make(map[string]bool, len(targets))
	for i, t := range targets {
		switch {
		case t.Endpoint.Name == "":
			return nil, fmt.Errorf("vinventory: RunHourly: target %d has no endpoint name", i)
		case seen[t.Endpoint.Name]:
			return nil, fmt.Errorf("vinventory: RunHourly: endpoint %q is listed twice", t.Endpoint.Name)
		case t.Open == nil:
			return nil, fmt.Errorf("vinventory: RunHourly: target %q has no Open function", t.Endpoint.Name)
		}
		seen[t.Endpoint.Name] = true
	}
	set := p.settings
	if p.reportsEnabled() {
		// A snapshot captured again gets a new report.
		reqs := make([]report.Request, len(targets))
		for i, t := range targets {
			reqs[i] = report.Request{Kind: report.KindHourly, Vcenter: t.Endpoint.Name, SnapshotTime: s}
		}
		p.invalidateReports(ctx, reqs)
	}
	began := time.Now()
	results, err := capture.Run(ctx, p.st, targets, capture.RunOptions{
		Concurrency: set.HourlySnapshotConcurrency,
		Attempts:    set.CaptureRetry.Attempts,
		Backoff:     set.CaptureRetry.Backoff,
		MaxBackoff:  set.CaptureRetry.MaxBackoff,
		Capture: capture.Options{
			SnapshotTime:   s,
			Clock:          p.clock,
			BatchSize:      set.CaptureWriteBatchSize,
			NoCompatTables: !set.SnapshotTableCompatMode,
			Location:       p.loc,
		},
		Reconcile: capture.ReconcileOptions{
			DeletionGuardFraction: set.DeletionGuardFraction,
			DeletionGuardMinVMs:   set.DeletionGuardMinVMs,
			FirstEventLookback:    set.FirstEventLookback,
		},
		Sleep: p.sleep,
	})
	res := &HourlyResult{SnapshotTime: s, Endpoints: results}
	for _, r := range results {
		p.logCapture(s, &r)
	}
	p.logger.Info("hourly capture finished", slog.String("stage", "capture"), slog.Time("snapshot_time", s),
		slog.Int("endpoints", len(results)), slog.Int("succeeded", len(res.Succeeded())),
		slog.Duration("duration", time.Since(began)))

	if !set.AsyncReportGeneration && p.reportsEnabled() {
		var reqs []report.Request
		for _, r := range results {
			if r.Err == nil && r.Capture != nil {
				reqs = append(reqs, report.Request{Kind: report.KindHourly, Vcenter: r.Endpoint, SnapshotTime: r.Capture.SnapshotTime})
			}
		}
		res.Reports = p.writeReports(ctx, reqs)
	}
	return res, err
}

func (p *Pipeline) logCapture(s time.Time, r *capture.EndpointResult) {
	fields := []any{slog.String("endpoint", r.Endpoint), slog.Time("snapshot_time", s), slog.Int("attempts", r.Attempts)}
	if r.Capture != nil {
		t := r.Capture.Timings
		p.logger.Info("capture", append(fields, slog.String("stage", "capture"), slog.Int("vms", r.Capture.Counts.VMs),
			slog.Duration("retrieve", t.Retrieve), slog.Duration("write", t.Write), slog.Duration("duration", t.Total))...)
	}
	if r.Reconcile != nil {
		p.logger.Info("reconcile", append(fields, slog.String("stage", "reconcile"),
			slog.Int("lifecycles", r.Reconcile.Lifecycles), slog.Any("events", r.Reconcile.Events),
			slog.Bool("mass_absence", r.Reconcile.MassAbsence), slog.Duration("duration", r.Reconcile.Duration))...)
	}
	if r.Err != nil {
		p.logger.Warn("capture failed", append(fields, slog.String("stage", "capture"), slog.Any("error", r.Err))...)
	}
}

// ---------------------------------------------------------------------------
// Daily and monthly

// PeriodResult is the outcome of RunDaily or RunMonthly: the aggregation
// and, with async_report_generation = false, the period's reports.
type PeriodResult struct {
	*aggregate.Result
	// Reports are the inline reports; nil when reports are deferred or off.
	// Report failures are here, never in the Run* error.
	Reports *ReportsResult
}

// AggregateOptions are the aggregate.Options the pipeline's aggregations
// use (location, tiers, compatibility tables, clock), for callers that run
// aggregate.Backfill, Repair or Rebuild with the same settings.
func (p *Pipeline) AggregateOptions() aggregate.Options { return p.aggregateOptions() }

// aggregateOptions are the aggregate.Options every aggregation uses.
func (p *Pipeline) aggregateOptions() aggregate.Options {
	tiers := p.tiers
	return aggregate.Options{
		Location:       p.loc,
		Tiers:          &tiers,
		NoCompatTables: !p.settings.SnapshotTableCompatMode,
		Clock:          p.clock,
		// Daily ignores it.
		MonthlyGranularity: p.settings.MonthlyAggregationGranularity,
	}
}

// checkPeriod refuses a period that has not completed at now or whose
// samples are past retention (when needSamples).
func (p *Pipeline) checkPeriod(g inventory.Granularity, win inventory.Window, now time.Time, needSamples bool) error {
	if win.End.After(now) {
		return &PeriodError{Granularity: g, Period: win, Now: now, Err: ErrPeriodIncomplete}
	}
	if needSamples && p.settings.Retention.HourlyRows > 0 && win.Start.Before(now.Add(-p.settings.Retention.HourlyRows)) {
		return &PeriodError{Granularity: g, Period: win, Now: now, Err: ErrPeriodExpired}
	}
	return nil
}

// RunDaily aggregates the day holding day (cut in Settings.Location) for
// every vCenter with a registered hourly snapshot in it: vm_daily_rollup,
// the daily summary compatibility table (snapshot_table_compat_mode), the
// daily registry record and aggregate totals. It refuses, with a
// *PeriodError, a day that has not completed per the clock
// (ErrPeriodIncomplete) and a day whose samples are past
// retention.hourly_rows (ErrPeriodExpired). vCenters fail independently;
// the error joins their *aggregate.Error values and the result holds the
// others. Re-running a day gives the same rows. The day's existing report
// files are deleted first, so they are written again (inline, or by
// RunReports) from the new rows instead of going stale.
func (p *Pipeline) RunDaily(ctx context.Context, day time.Time) (*PeriodResult, error) {
	win := inventory.DayOf(day, p.loc)
	if err := p.checkPeriod(inventory.Daily, win, p.now(), true); err != nil {
		return nil, err
	}
	return p.runPeriod(ctx, inventory.Daily, win, nil, func(opts aggregate.Options) (*aggregate.Result, error) {
		return aggregate.Daily(ctx, p.st, win.Start, opts)
	})
}

// RunMonthly aggregates the month holding month (cut in
// Settings.Location), like RunDaily. With monthly_aggregation_granularity
// = daily (the default) it reads vm_daily_rollup, so run it after RunDaily
// for every day of the month (CatchUp does); with hourly it reads
// vm_hourly_stats and is refused when the month's samples are past
// retention.
func (p *Pipeline) RunMonthly(ctx context.Context, month time.Time) (*PeriodResult, error) {
	win := inventory.MonthOf(month, p.loc)
	fromHourly := p.settings.MonthlyAggregationGranularity == inventory.Hourly
	if err := p.checkPeriod(inventory.Monthly, win, p.now(), fromHourly); err != nil {
		return nil, err
	}
	return p.runPeriod(ctx, inventory.Monthly, win, nil, func(opts aggregate.Options) (*aggregate.Result, error) {
		return aggregate.Monthly(ctx, p.st, win.Start, opts)
	})
}

// runPeriod aggregates one period (for vcs only when set) and writes its
// reports inline when they are not deferred. The existing reports of the
// period are deleted first, so that a re-aggregated period's report is
// pending again rather than stale.
func (p *Pipeline) runPeriod(ctx context.Context, g inventory.Granularity, win inventory.Window, vcs []string, run func(aggregate.Options) (*aggregate.Result, error)) (*PeriodResult, error) {
	if err := p.invalidatePeriodReports(ctx, g, win, vcs); err != nil {
		return nil, err
	}
	began := time.Now()
	ar, err := run(p.aggregateOptions())
	if ar == nil {
		p.logger.Error("aggregation failed", slog.String("stage", "aggregation"), slog.String("granularity", string(g)),
			slog.Time("period", win.Start), slog.Any("error", err))
		return nil, err
	}
	res := &PeriodResult{Result: ar}
	for _, v := range ar.Vcenters {
		p.logger.Info("aggregation", slog.String("stage", "aggregation"), slog.String("granularity", string(g)),
			slog.String("endpoint", v.Vcenter), slog.Time("period", win.Start), slog.Int("rows", v.Rows),
			slog.Int("total_samples", v.TotalSamples), slog.Duration("duration", v.Duration))
	}
	var ae *aggregate.Error
	for _, e := range unjoin(err) {
		if errors.As(e, &ae) {
			p.logger.Error("aggregation failed", slog.String("stage", "aggregation"), slog.String("granularity", string(g)),
				slog.String("endpoint", ae.Vcenter), slog.Time("period", win.Start), slog.Any("error", e))
		} else {
			p.logger.Error("aggregation failed", slog.String("stage", "aggregation"), slog.String("granularity", string(g)),
				slog.Time("period", win.Start), slog.Any("error", e))
		}
	}
	p.logger.Info("aggregation finished", slog.String("stage", "aggregation"), slog.String("granularity", string(g)),
		slog.Time("period", win.Start), slog.Int("vcenters", len(ar.Vcenters)), slog.Duration("duration", time.Since(began)))

	if !p.settings.AsyncReportGeneration && p.reportsEnabled() {
		kind := report.KindDaily
		if g == inventory.Monthly {
			kind = report.KindMonthly
		}
		var reqs []report.Request
		for _, v := range ar.Vcenters {
			if v.TotalSamples > 0 {
				reqs = append(reqs, report.Request{Kind: kind, Vcenter: v.Vcenter, Period: win.Start})
			}
		}
		res.Reports = p.writeReports(ctx, reqs)
	}
	return res, err
}

// unjoin flattens an errors.Join tree one level.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
