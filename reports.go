package vinventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
)

// ErrReportsDisabled is returned by RegenerateReports when reports are off
// (Settings.ReportDir empty and Settings.ReportCatalog off).
var ErrReportsDisabled = errors.New("vinventory: reports are off (report_dir is empty and report_catalog is off)")

// ReportFile is a report written.
type ReportFile struct {
	Request report.Request
	// Path is the file written in report_dir ("" without one).
	Path string
	// Key is the report's key in the store's report catalog ("" when the
	// catalog is off).
	Key string
	// Attempts made, the successful one included.
	Attempts int
	Duration time.Duration
}

// ReportError is a report that could not be written after every attempt.
// Captured and aggregated data are never touched by a report failure.
type ReportError struct {
	Request report.Request
	// Attempts made.
	Attempts int
	Err      error
}

func (e *ReportError) Error() string {
	return fmt.Sprintf("report %s (%d attempts): %v", e.Request.FileName(), e.Attempts, e.Err)
}

func (e *ReportError) Unwrap() error { return e.Err }

// ReportsResult is the outcome of writing a set of reports.
type ReportsResult struct {
	Written []ReportFile
	Failed  []*ReportError
}

// Err joins the failures (nil when every report was written).
func (r *ReportsResult) Err() error {
	if r == nil {
		return nil
	}
	errs := make([]error, len(r.Failed))
	for i, f := range r.Failed {
		errs[i] = f
	}
	return errors.Join(errs...)
}

// reportRequest is the report of one registry record: the hourly report of
// a snapshot, the daily or monthly summary of one vCenter's period. A daily
// or monthly period without rows (a vCenter without VMs) has no report.
func (p *Pipeline) reportRequest(r *inventory.SnapshotRecord) (report.Request, bool) {
	if r.Kind != inventory.Hourly && r.RowCount == 0 {
		return report.Request{}, false
	}
	switch r.Kind {
	case inventory.Hourly:
		return report.Request{Kind: report.KindHourly, Vcenter: r.Vcenter, SnapshotTime: r.SnapshotTime.UTC()}, true
	case inventory.Daily:
		return report.Request{Kind: report.KindDaily, Vcenter: r.Vcenter, Period: inventory.DayOf(r.SnapshotTime, p.loc).Start}, true
	case inventory.Monthly:
		return report.Request{Kind: report.KindMonthly, Vcenter: r.Vcenter, Period: inventory.MonthOf(r.SnapshotTime, p.loc).Start}, true
	}
	return report.Request{}, false
}

// ReportRequests returns the reports of every registered hourly snapshot,
// daily and monthly period (one per vCenter; periods without rows have no
// report) whose snapshot time or period start lies in [from, to) (zero
// bounds are open), ordered by that time. Pass them
// to RegenerateReports to rebuild a range of reports.
func (p *Pipeline) ReportRequests(ctx context.Context, from, to time.Time) ([]report.Request, error) {
	recs, err := p.st.ListSnapshots(ctx, &store.ListSnapshotsParams{From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("vinventory: list snapshots: %w", err)
	}
	out := make([]report.Request, 0, len(recs))
	for i := range recs {
		if req, ok := p.reportRequest(&recs[i]); ok {
			out = append(out, req)
		}
	}
	return out, nil
}

// storedReports returns the names of the reports already stored: the keys
// of the report catalog with a period at or after from when it is on,
// else the files of report_dir.
func (p *Pipeline) storedReports(ctx context.Context, from time.Time) (map[string]bool, error) {
	if p.catalog == nil {
		return p.reportFiles()
	}
	keys := map[string]bool{}
	for cursor := ""; ; {
		pg, err := p.catalog.ListReports(ctx, &store.ListReportsParams{From: from, Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("vinventory: list reports: %w", err)
		}
		for _, r := range pg.Reports {
			keys[r.Key] = true
		}
		if cursor = pg.NextCursor; cursor == "" {
			return keys, nil
		}
	}
}

// reportFiles returns the names of the entries of the report directory (an
// empty set when it does not exist yet).
func (p *Pipeline) reportFiles() (map[string]bool, error) {
	entries, err := os.ReadDir(p.settings.ReportDir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vinventory: read report_dir: %w", err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names[e.Name()] = true
		}
	}
	return names, nil
}

// PendingReports returns the reports that should exist but are missing
// from the report catalog (when report_catalog is on) or from report_dir:
// one per registered hourly snapshot and per vCenter's registered daily
// and monthly period, oldest first. It is derived from the store (and the
// directory) alone, so it survives restarts without a queue. Periods older than retention.reports are left out (their
// files are due for deletion), and so are hourly snapshots whose samples
// are past retention.hourly_rows. Empty when reports are off.
func (p *Pipeline) PendingReports(ctx context.Context, now time.Time) ([]report.Request, error) {
	if !p.reportsEnabled() {
		return nil, nil
	}
	if now.IsZero() {
		now = p.now()
	}
	var from time.Time
	if r := p.settings.Retention.Reports; r > 0 {
		from = now.Add(-r)
	}
	var samplesFrom time.Time
	if r := p.settings.Retention.HourlyRows; r > 0 {
		samplesFrom = now.Add(-r)
	}
	reqs, err := p.ReportRequests(ctx, from, time.Time{})
	if err != nil {
		return nil, err
	}
	files, err := p.storedReports(ctx, from)
	if err != nil {
		return nil, err
	}
	var out []report.Request
	for _, req := range reqs {
		if req.Kind == report.KindHourly && req.SnapshotTime.Before(samplesFrom) {
			continue
		}
		if !files[req.FileName()] {
			out = append(out, req)
		}
	}
	return out, nil
}

// RunReports writes every pending report (PendingReports), each retried
// with report_retry's backoff. Failures are collected, not fatal: the error
// joins their *ReportError values and the result lists both the written
// files and the failures. A failed report stays pending, so the next
// RunReports tries it again. Reports only read the store.
func (p *Pipeline) RunReports(ctx context.Context, now time.Time) (*ReportsResult, error) {
	reqs, err := p.PendingReports(ctx, now)
	if err != nil {
		return nil, err
	}
	res := p.writeReports(ctx, reqs)
	return res, res.Err()
}

// RegenerateReports writes the given reports now, replacing existing files
// (each file is replaced atomically). Use ReportRequests to select a range.
func (p *Pipeline) RegenerateReports(ctx context.Context, reqs ...report.Request) (*ReportsResult, error) {
	if !p.reportsEnabled() {
		return nil, ErrReportsDisabled
	}
	res := p.writeReports(ctx, reqs)
	return res, res.Err()
}

// writeReports writes reqs one after the other with retries; it never
// returns nil.
func (p *Pipeline) writeReports(ctx context.Context, reqs []report.Request) *ReportsResult {
	res := &ReportsResult{}
	if len(reqs) == 0 {
		return res
	}
	dir := p.settings.ReportDir
	var err error
	if dir == "" { // catalog only: each workbook is built in a temporary directory
		dir, err = os.MkdirTemp("", "vinventory-reports-")
		if err == nil {
			defer os.RemoveAll(dir)
		}
	} else {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		for _, req := range reqs {
			res.Failed = append(res.Failed, &ReportError{Request: req, Err: fmt.Errorf("create report directory: %w", err)})
		}
		p.logger.Error("report directory", slog.String("stage", "reports"), slog.Any("error", err))
		return res
	}
	tiers := p.tiers
	opts := report.Options{Location: p.loc, Tiers: &tiers, Clock: p.clock}
	retry := p.settings.ReportRetry
	began := time.Now()
	for i, req := range reqs {
		if err := ctx.Err(); err != nil {
			for _, r := range reqs[i:] {
				res.Failed = append(res.Failed, &ReportError{Request: r, Err: err})
			}
			p.logger.Warn("reports cancelled", slog.String("stage", "reports"), slog.Int("left", len(reqs)-i), slog.Any("error", err))
			break
		}
		fields := []any{slog.String("stage", "reports"), slog.String("kind", string(req.Kind)),
			slog.String("endpoint", req.Vcenter), slog.String("file", req.FileName())}
		start := time.Now()
		backoff := retry.Backoff
		var (
			path     string
			err      error
			attempts int
		)
		for attempts < retry.Attempts {
			if attempts > 0 {
				if serr := p.sleep(ctx, backoff); serr != nil {
					err = errors.Join(err, serr)
					break
				}
				backoff = min(backoff*2, retry.MaxBackoff)
			}
			attempts++
			path, err = p.reporter.WriteFile(ctx, p.st, req, dir, opts)
			if err == nil && p.catalog != nil {
				err = p.putReport(ctx, req, path)
			}
			if err == nil || !retryableReport(err) {
				break
			}
			p.logger.Warn("report attempt failed", append(fields, slog.Int("attempt", attempts), slog.Any("error", err))...)
		}
		d := time.Since(start)
		if err != nil {
			res.Failed = append(res.Failed, &ReportError{Request: req, Attempts: attempts, Err: err})
			p.logger.Error("report failed", append(fields, slog.Int("attempts", attempts), slog.Duration("duration", d), slog.Any("error", err))...)
			continue
		}
		rf := ReportFile{Request: req, Path: path, Attempts: attempts, Duration: d}
		if p.catalog != nil {
			rf.Key = req.FileName()
		}
		if p.settings.ReportDir == "" {
			rf.Path = ""
			_ = os.Remove(path)
		}
		res.Written = append(res.Written, rf)
		p.logger.Info("report", append(fields, slog.Int("attempts", attempts), slog.Duration("duration", d))...)
	}
	p.logger.Info("reports finished", slog.String("stage", "reports"), slog.Int("written", len(res.Written)),
		slog.Int("failed", len(res.Failed)), slog.Duration("duration", time.Since(began)))
	return res
}

// putReport stores the report file at path in the report catalog under
// the request's file name.
func (p *Pipeline) putReport(ctx context.Context, req report.Request, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("vinventory: store report: %w", err)
	}
	defer f.Close()
	period := req.Period
	switch {
	case req.Kind == report.KindHourly, req.Kind == report.KindRVTools && !req.SnapshotTime.IsZero():
		period = req.SnapshotTime
	case req.Kind == report.KindRVTools: // the latest state: as of now
		period = p.now().UTC().Truncate(time.Second)
	}
	_, err = p.catalog.PutReport(ctx, &store.PutReportParams{
		Info: store.ReportInfo{Key: req.FileName(), Kind: string(req.Kind), Vcenter: req.Vcenter, Period: period}, Body: f})
	if err != nil {
		return fmt.Errorf("vinventory: store report: %w", err)
	}
	return nil
}

// retryableReport reports whether another attempt could succeed: not for
// an invalid request, a period without data or a cancelled context.
func retryableReport(err error) bool {
	return !errors.Is(err, report.ErrInvalidRequest) && !errors.Is(err, report.ErrNoData) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// invalidateReports deletes the reports of reqs that exist (from the
// catalog and report_dir), so that data about to be rewritten gets a fresh
// report (PendingReports lists it again). Deleting before the rewrite keeps
// a crash in between harmless.
func (p *Pipeline) invalidateReports(ctx context.Context, reqs []report.Request) {
	if p.catalog != nil && len(reqs) > 0 {
		keys := make([]string, len(reqs))
		for i, req := range reqs {
			keys[i] = req.FileName()
		}
		deleted, err := p.catalog.DeleteReports(ctx, &store.DeleteReportsParams{Keys: keys})
		if err != nil {
			p.logger.Warn("report invalidation failed", slog.String("stage", "reports"), slog.Any("keys", keys), slog.Any("error", err))
		}
		for _, k := range deleted {
			p.logger.Info("report invalidated", slog.String("stage", "reports"), slog.String("key", k))
		}
	}
	if p.settings.ReportDir == "" {
		return
	}
	for _, req := range reqs {
		path := filepath.Join(p.settings.ReportDir, req.FileName())
		err := os.Remove(path)
		switch {
		case err == nil:
			p.logger.Info("report invalidated", slog.String("stage", "reports"), slog.String("kind", string(req.Kind)),
				slog.String("endpoint", req.Vcenter), slog.String("file", req.FileName()))
		case !errors.Is(err, fs.ErrNotExist):
			p.logger.Warn("report invalidation failed", slog.String("stage", "reports"), slog.String("file", req.FileName()), slog.Any("error", err))
		}
	}
}

// invalidatePeriodReports invalidates the reports of the vCenters (all
// when vcs is empty) already registered for one daily or monthly period.
func (p *Pipeline) invalidatePeriodReports(ctx context.Context, g inventory.Granularity, win inventory.Window, vcs []string) error {
	if !p.reportsEnabled() {
		return nil
	}
	recs, err := p.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: g, From: win.Start, To: win.Start.Add(time.Second)})
	if err != nil {
		return fmt.Errorf("vinventory: list %s records: %w", g, err)
	}
	var reqs []report.Request
	for i := range recs {
		if len(vcs) > 0 && !slices.Contains(vcs, recs[i].Vcenter) {
			continue
		}
		rec := recs[i]
		rec.RowCount = 1 // a period that had no rows may have some now
		if req, ok := p.reportRequest(&rec); ok {
			reqs = append(reqs, req)
		}
	}
	p.invalidateReports(ctx, reqs)
	return nil
}
