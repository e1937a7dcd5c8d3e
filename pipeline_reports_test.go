package vinventory_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestReportCatalog: with report_catalog on, reports go to the store's
// catalog (no report_dir needed, no file left behind); a second pipeline
// over the same store (another replica) sees them as written and reads
// them back; report_dir, when set too, mirrors the same bytes; a snapshot
// captured again invalidates its report; retention removes catalog rows.
func TestReportCatalog(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		rc := st.(store.ReportCatalog)
		at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		now := at.Add(30 * time.Minute)
		for i, vc := range []string{"vc-a", `vc-"é'<b>`} {
			if _, err := st.WriteSnapshot(ctx, storetest.Snapshot(vc, at, 30+i, int64(i))); err != nil {
				t.Fatal(err)
			}
		}
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp) // the catalog-only pipeline builds workbooks here
		set := vinventory.DefaultSettings()
		set.ReportCatalog = true
		newPipeline := func(set vinventory.Settings) *vinventory.Pipeline {
			t.Helper()
			p, err := vinventory.NewPipeline(st, set, nil, vinventory.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		a := newPipeline(set)
		res, err := a.RunReports(ctx, now)
		if err != nil || len(res.Written) != 2 {
			t.Fatalf("RunReports wrote %d reports, %v; want 2", len(res.Written), err)
		}
		for _, f := range res.Written {
			if f.Path != "" || f.Key != f.Request.FileName() {
				t.Errorf("catalog-only report written as path %q key %q, want no path and key %q", f.Path, f.Key, f.Request.FileName())
			}
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
			t.Errorf("catalog-only reports left files behind: %v", left)
		}

		// Another replica: nothing pending, and every report reads back as
		// a workbook with one row per sample.
		b := newPipeline(set)
		if pending, err := b.PendingReports(ctx, now); err != nil || len(pending) != 0 {
			t.Fatalf("second replica: %d reports pending (%v), want 0", len(pending), err)
		}
		pg, err := rc.ListReports(ctx, &store.ListReportsParams{Kind: string(report.KindHourly)})
		if err != nil || len(pg.Reports) != 2 {
			t.Fatalf("ListReports = %d reports, %v", len(pg.Reports), err)
		}
		for _, info := range pg.Reports {
			_, r, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: info.Key})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			x, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("report %s is not a workbook: %v", info.Key, err)
			}
			rows, err := x.GetRows("VMs")
			x.Close()
			if want := len(samplesAt(t, st, info.Vcenter, at)); err != nil || len(rows) != want+1 {
				t.Fatalf("report %s: %d rows in VMs (%v), want %d + header", info.Key, len(rows), err, want)
			}
			if !info.Period.Equal(at) || !strings.HasPrefix(info.Key, "inventory_hourly_") {
				t.Errorf("report info %+v: want the hourly report of %v", info, at)
			}
		}

		// A mirror directory gets the same bytes.
		mirror := set
		mirror.ReportDir = filepath.Join(t.TempDir(), "reports")
		m := newPipeline(mirror)
		reqs, err := m.ReportRequests(ctx, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		res, err = m.RegenerateReports(ctx, reqs...)
		if err != nil || len(res.Written) != 2 {
			t.Fatalf("RegenerateReports with a mirror: %d written, %v", len(res.Written), err)
		}
		for _, f := range res.Written {
			file, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			_, r, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: f.Key})
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := io.ReadAll(r)
			r.Close()
			if !bytes.Equal(file, stored) {
				t.Errorf("%s: the mirrored file (%d bytes) differs from the catalog's (%d)", f.Key, len(file), len(stored))
			}
		}

		// Retention removes the catalog rows.
		ret := set
		ret.Retention.Reports = time.Hour
		later := at.Add(3 * time.Hour)
		cr, err := newPipeline(ret).Cleanup(ctx, later)
		if err != nil || len(cr.ReportsDeleted) != 2 {
			t.Fatalf("Cleanup deleted %v (%v), want the 2 reports", cr.ReportsDeleted, err)
		}
		if pg, _ := rc.ListReports(ctx, nil); len(pg.Reports) != 0 {
			t.Fatalf("after Cleanup the catalog still lists %d reports", len(pg.Reports))
		}
	})
}

func TestReportCatalogNeedsTheInterface(t *testing.T) {
	set := vinventory.DefaultSettings()
	set.ReportCatalog = true
	_, err := vinventory.NewPipeline(struct{ store.Store }{memstorePipelineStore()}, set, nil)
	if err == nil || !strings.Contains(err.Error(), "report_catalog") {
		t.Fatalf("NewPipeline over a store without a catalog = %v, want an error naming report_catalog", err)
	}
}

// TestReportCatalogInvalidation: a day aggregated again (a snapshot arrived
// after its aggregation) loses its daily report from the catalog, so the
// next RunReports writes it afresh from the new rows.
func TestReportCatalogInvalidation(t *testing.T) {
	ctx := context.Background()
	st := memstorePipelineStore()
	rc := st.(store.ReportCatalog)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for h := 0; h < 3; h++ {
		if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-a", day.Add(time.Duration(h)*time.Hour), 20, 1)); err != nil {
			t.Fatal(err)
		}
	}
	now := day.Add(26 * time.Hour)
	set := vinventory.DefaultSettings()
	set.ReportCatalog = true
	p, err := vinventory.NewPipeline(st, set, nil, vinventory.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.CatchUp(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RunReports(ctx, now); err != nil {
		t.Fatal(err)
	}
	daily := report.Request{Kind: report.KindDaily, Vcenter: "vc-a", Period: day}.FileName()
	before, _, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: daily})
	if err != nil {
		t.Fatalf("the daily report is not in the catalog after RunReports: %v", err)
	}

	// A late snapshot of the day: catch-up aggregates it again and drops
	// the stale report.
	late := storetest.Snapshot("vc-a", day.Add(5*time.Hour), 25, 2)
	late.RegisteredAt = now
	if _, err := st.WriteSnapshot(ctx, late); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := p.CatchUp(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: daily}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after the day was aggregated again its old report is still stored (%v)", err)
	}
	pending, err := p.PendingReports(ctx, now)
	if got := strings.Join(requestNames(pending), " "); err != nil || got != daily+" inventory_hourly_202603100500_vc-a.xlsx" {
		t.Fatalf("PendingReports = %s (%v), want the daily report again and the late snapshot's", got, err)
	}
	if _, err := p.RunReports(ctx, now); err != nil {
		t.Fatal(err)
	}
	after, _, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: daily})
	if err != nil || after.SHA256 == before.SHA256 {
		t.Fatalf("the rewritten daily report: %v, same bytes as before: %v", err, after != nil && after.SHA256 == before.SHA256)
	}
}
