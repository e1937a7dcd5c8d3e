package vinventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/accessvault/vinventory/store"
)

// CleanupResult says what Cleanup removed.
type CleanupResult struct {
	// SamplesBefore is the cutoff of vm_hourly_stats (zero when hourly rows
	// are kept) and SamplesDeleted the number of samples deleted.
	SamplesBefore  time.Time
	SamplesDeleted int64
	// EntityHistoryDeleted is the number of host, cluster and datastore
	// history snapshots deleted with the samples (same cutoff), on stores
	// that keep that history.
	EntityHistoryDeleted int64
	// CompatTablesBefore is the cutoff of compatibility tables (zero when
	// they are kept) and CompatTablesDropped the tables dropped.
	CompatTablesBefore  time.Time
	CompatTablesDropped []string
	// ReportsBefore is the cutoff of reports (zero when they are kept) and
	// ReportsDeleted the catalog keys and file paths deleted.
	ReportsBefore  time.Time
	ReportsDeleted []string
}

// Cleanup applies the retention settings at now (the clock's now when
// zero); a zero retention keeps everything of its kind:
//   - retention.hourly_rows: vm_hourly_stats samples with a snapshot time
//     before now - hourly_rows are deleted, and so is the per-snapshot
//     history of hosts, clusters and datastores (store.EntityHistory)
//     before the same cutoff (rollups, totals, lifecycles, events and the
//     snapshot registry are kept);
//   - retention.compat_tables: compatibility tables whose period (the
//     snapshot time, or the day or month in the table name) is before
//     now - compat_tables are dropped (on backends that have them);
//   - retention.reports: the reports of registered snapshots and periods
//     whose snapshot time or period start is before now - reports are
//     deleted from the report catalog (with their bytes) and report_dir. Other files in the directory are never
//     touched, and PendingReports does not ask for those reports again.
//
// Every part runs even when another fails; the error joins the failures.
func (p *Pipeline) Cleanup(ctx context.Context, now time.Time) (*CleanupResult, error) {
	if now.IsZero() {
		now = p.now()
	}
	began := time.Now()
	ret := p.settings.Retention
	res := &CleanupResult{}
	var errs []error
	fail := func(what string, err error) {
		err = fmt.Errorf("vinventory: cleanup %s: %w", what, err)
		errs = append(errs, err)
		p.logger.Error("cleanup failed", slog.String("stage", "cleanup"), slog.String("what", what), slog.Any("error", err))
	}

	if ret.HourlyRows > 0 {
		res.SamplesBefore = now.Add(-ret.HourlyRows).UTC()
		n, err := p.st.DeleteSamples(ctx, &store.DeleteSamplesParams{Before: res.SamplesBefore})
		res.SamplesDeleted = n
		if err != nil {
			fail("hourly rows", err)
		}
		if eh, ok := p.st.(store.EntityHistory); ok {
			n, err := eh.DeleteEntityHistory(ctx, &store.DeleteEntityHistoryParams{Before: res.SamplesBefore})
			res.EntityHistoryDeleted = n
			if err != nil {
				fail("entity history", err)
			}
		}
	}

	if ct, ok := p.st.(store.CompatTables); ret.CompatTables > 0 && ok {
		res.CompatTablesBefore = now.Add(-ret.CompatTables).UTC()
		tables, err := ct.ListCompatTables(ctx, &store.ListCompatTablesParams{To: res.CompatTablesBefore})
		if err != nil {
			fail("compat tables", err)
		}
		for _, t := range tables {
			err := ct.DropCompatTable(ctx, &store.DropCompatTableParams{Name: t.Name})
			switch {
			case err == nil:
				res.CompatTablesDropped = append(res.CompatTablesDropped, t.Name)
			case errors.Is(err, store.ErrNotFound): // dropped meanwhile
			default:
				fail("compat table "+t.Name, err)
			}
		}
	}

	if ret.Reports > 0 && p.reportsEnabled() {
		res.ReportsBefore = now.Add(-ret.Reports).UTC()
		if err := p.cleanupReports(ctx, res); err != nil {
			fail("reports", err)
		}
	}

	p.logger.Info("cleanup", slog.String("stage", "cleanup"), slog.Int64("samples_deleted", res.SamplesDeleted), slog.Int64("entity_history_deleted", res.EntityHistoryDeleted),
		slog.Int("compat_tables_dropped", len(res.CompatTablesDropped)), slog.Int("reports_deleted", len(res.ReportsDeleted)),
		slog.Duration("duration", time.Since(began)))
	return res, errors.Join(errs...)
}

func (p *Pipeline) cleanupReports(ctx context.Context, res *CleanupResult) error {
	if p.catalog != nil {
		keys, err := p.catalog.DeleteReports(ctx, &store.DeleteReportsParams{Before: res.ReportsBefore})
		if err != nil {
			return fmt.Errorf("vinventory: delete reports: %w", err)
		}
		res.ReportsDeleted = append(res.ReportsDeleted, keys...)
	}
	if p.settings.ReportDir == "" {
		return nil
	}
	reqs, err := p.ReportRequests(ctx, time.Time{}, res.ReportsBefore)
	if err != nil {
		return err
	}
	files, err := p.reportFiles()
	if err != nil {
		return err
	}
	var errs []error
	for _, req := range reqs {
		name := req.FileName()
		if !files[name] {
			continue
		}
		path := filepath.Join(p.settings.ReportDir, name)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		delete(files, name)
		res.ReportsDeleted = append(res.ReportsDeleted, path)
	}
	return errors.Join(errs...)
}
