package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoHistory runs the demo's history on a small simulator with a clock
// on 2 March: two days (28 February and 1 March) of hourly captures with
// churn, both days aggregated, February aggregated as a completed month,
// reports written; then a second run on the same data dir keeps the
// history.
func TestDemoHistory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var out syncBuffer
	core, logs := observer.New(zap.DebugLevel)
	metrics := NewMetrics()
	opts := DemoOptions{DataDir: dir, Listen: "-", VMs: 40, Days: 2, HistoryOnly: true,
		Out: &out, Logger: zap.New(core), Clock: func() time.Time { return now }, Metrics: metrics}
	if err := RunDemo(ctx, opts); err != nil {
		t.Fatalf("RunDemo: %v\n%s", err, out.String())
	}
	// The metrics tell the simulated history as it happened: every report
	// written is counted, and capture durations are real ones even though
	// the pipeline's clock stood still during each capture.
	xlsx, _ := filepath.Glob(filepath.Join(dir, "reports", "*.xlsx"))
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var reports float64
	var captures uint64
	var captureSeconds float64
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "vinventory_reports_written_total":
				reports += m.GetCounter().GetValue()
			case "vinventory_capture_duration_seconds":
				for _, l := range m.GetLabel() {
					if l.GetName() == "stage" && l.GetValue() == "total" {
						captures += m.GetHistogram().GetSampleCount()
						captureSeconds += m.GetHistogram().GetSampleSum()
					}
				}
			}
		}
	}
	if len(xlsx) == 0 || reports != float64(len(xlsx)) {
		t.Errorf("vinventory_reports_written_total = %v, the report dir holds %d XLSX files", reports, len(xlsx))
	}
	if captures != 49 || captureSeconds <= 0 {
		t.Errorf("capture duration histogram: %d captures taking %v s in all, want 49 taking more than 0", captures, captureSeconds)
	}

	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "vinventory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// The reports live in the store's catalog; the report dir mirrors it.
	pg, err := st.ListReports(ctx, &store.ListReportsParams{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var keys, files []string
	for _, r := range pg.Reports {
		keys = append(keys, r.Key)
	}
	for _, f := range xlsx {
		files = append(files, filepath.Base(f))
	}
	slices.Sort(files)
	if len(keys) == 0 || !slices.Equal(keys, files) {
		t.Errorf("report catalog %v, report dir %v: want the same reports", keys, files)
	}

	// The demo's rate cards price its first day: a bill in EUR with a
	// cost, Gold VMs at the Gold card.
	cards, err := st.ListRateCards(ctx, &store.ListRateCardsParams{})
	if err != nil || len(cards) != 2 {
		t.Fatalf("rate cards %+v, %v", cards, err)
	}
	bill, err := chargeback.Compute(ctx, st, &chargeback.Request{Period: chargeback.PeriodDay, At: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
		By: []string{chargeback.ByTier}, Cards: cards, Now: now})
	if err != nil || bill.Currency != "EUR" || !bill.Total.Cost.Exact.IsPositive() || !slices.ContainsFunc(bill.Lines, func(l chargeback.Line) bool {
		return len(l.Key) == 1 && l.Key[0] == string(inventory.TierGold) && l.Cost.Exact.IsPositive()
	}) {
		t.Errorf("the demo's first day bill: %+v, %v", bill, err)
	}

	// 49 hourly snapshots: 28 Feb 00:00 .. 2 Mar 00:00.
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: DemoEndpoint, Kind: inventory.Hourly})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 49 {
		t.Errorf("hourly snapshots = %d, want 49", len(recs))
	}
	for _, day := range []time.Time{time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} {
		var rows []inventory.DailyRollup
		err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: DemoEndpoint, From: day, To: day.AddDate(0, 0, 1)},
			func(r *inventory.DailyRollup) error { rows = append(rows, *r); return nil })
		if err != nil {
			t.Fatal(err)
		}
		// Churn creates and destroys VMs, so a day has at least the
		// simulator's 40 VMs + 4 templates minus what was destroyed.
		if len(rows) < 30 {
			t.Errorf("daily rollups of %s = %d, want about 44", day.Format(time.DateOnly), len(rows))
		}
		name := "inventory_daily_summary_" + day.Format("20060102") + "_" + DemoEndpoint + ".xlsx"
		f, err := excelize.OpenFile(filepath.Join(dir, "reports", name))
		if err != nil {
			t.Fatalf("daily report: %v", err)
		}
		xrows, err := f.GetRows(f.GetSheetList()[0])
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(xrows) != len(rows)+1 {
			t.Errorf("%s: %d rows, want %d rollups + header", name, len(xrows), len(rows))
		}
	}
	// The RVTools-compatible workbook of the demo's vCenter: its path is
	// printed, it is in the catalog, and it has RVTools' 20 sheets with a
	// vInfo row per VM of the latest state and a vHost row per host.
	rvName := report.Request{Kind: report.KindRVTools, Vcenter: DemoEndpoint}.FileName()
	rvPath := filepath.Join(dir, "reports", rvName)
	if !strings.Contains(out.String(), "RVTools workbook (vInfo, vHost, vHealth, ...): "+rvPath+"\n") || !slices.Contains(keys, rvName) {
		t.Errorf("the demo does not print or catalog %s:\n%s", rvPath, out.String())
	}
	rv, err := excelize.OpenFile(rvPath)
	if err != nil {
		t.Fatalf("RVTools workbook: %v", err)
	}
	if got := rv.GetSheetList(); !slices.Equal(got, report.RVToolsSheets()) {
		t.Errorf("RVTools sheets %v", got)
	}
	vmPage, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: DemoEndpoint, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: DemoEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	for sheet, want := range map[string]int{"vInfo": len(vmPage.VMs), "vHost": len(hosts)} {
		rows, err := rv.GetRows(sheet)
		if err != nil || want == 0 || len(rows) != want+1 {
			t.Errorf("RVTools %s: %d rows (%v), want %d + header", sheet, len(rows), err, want)
		}
	}
	rv.Close()

	feb := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	months := 0
	err = st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{Vcenter: DemoEndpoint, From: feb, To: feb.AddDate(0, 1, 0)},
		func(*inventory.MonthlyRollup) error { months++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if months == 0 {
		t.Error("February (completed) has no monthly rollups")
	}

	// Datastores keep free space through the churn: none is ever negative
	// (vcsim's fixed 1 TB per host was less than the VMs' disks).
	dss, err := st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: DemoEndpoint})
	if err != nil || len(dss) == 0 {
		t.Fatalf("datastores: %v %d", err, len(dss))
	}
	for _, d := range dss {
		if d.FreeGB <= 0 || d.FreeGB >= d.CapacityGB {
			t.Errorf("datastore %s: %.1f GB free of %.1f", d.Name, d.FreeGB, d.CapacityGB)
		}
	}
	tots, err := st.ListTotals(ctx, &store.ListTotalsParams{Vcenter: DemoEndpoint})
	if err != nil || len(tots) != 49 {
		t.Fatalf("totals: %v %d", err, len(tots))
	}
	for _, tt := range tots {
		if tt.DatastoreFreeGB <= 0 {
			t.Errorf("%s: datastore free %.1f GB", tt.SnapshotTime.Format(time.DateTime), tt.DatastoreFreeGB)
		}
	}

	fi, err := os.Stat(filepath.Join(dir, "keyring"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring mode = %v, want 0600", fi.Mode().Perm())
	}
	// The simulator's password is stored encrypted and appears nowhere.
	kr, err := secrets.LoadKeyFile(filepath.Join(dir, "keyring"))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: DemoEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := kr.Decrypt(ep.Credential, DemoEndpoint)
	if err != nil || len(pw) < 16 {
		t.Fatalf("stored credential: %v (len %d)", err, len(pw))
	}
	if bytes.Contains(ep.Credential, pw) {
		t.Error("credential blob holds the plaintext password")
	}
	var logText strings.Builder
	for _, e := range logs.All() {
		logText.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			logText.WriteString(" " + k + "=" + strings.ReplaceAll(strings.TrimSpace(fmtAny(v)), "\n", " "))
		}
		logText.WriteString("\n")
	}
	for what, text := range map[string]string{"output": out.String(), "logs": logText.String()} {
		if strings.Contains(text, string(pw)) {
			t.Errorf("the simulator password appears in the demo's %s", what)
		}
	}
	if !strings.Contains(out.String(), "What to open") || !strings.Contains(out.String(), "inventory_daily_summary_20260301") {
		t.Errorf("output does not say what to open:\n%s", out.String())
	}

	// A second run keeps the history and does not simulate it again.
	var out2 syncBuffer
	opts.Out = &out2
	if err := RunDemo(ctx, opts); err != nil {
		t.Fatalf("second RunDemo: %v", err)
	}
	recs2, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: DemoEndpoint, Kind: inventory.Hourly})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs2) != len(recs) || !strings.Contains(out2.String(), "earlier run") {
		t.Errorf("second run: %d snapshots (want %d), output:\n%s", len(recs2), len(recs), out2.String())
	}
}

// TestDemoRerunContinuesSameVMs: a second demo run on a data dir with a
// history rebuilds the same simulated vCenter (the history's churn
// replayed), so its first live capture finds the VMs the history left, each
// under its moref and uuid: no rename, deletion, creation or
// identity_change. (Before, the rebuilt simulator gave the ids to other VMs
// and one capture made hundreds of false events.) The -demo-vms of the
// second run does not change the data dir's simulated vCenter.
func TestDemoRerunContinuesSameVMs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	opts := DemoOptions{DataDir: dir, Listen: "-", VMs: 40, Days: 1, HistoryOnly: true, Clock: func() time.Time { return now }}
	if err := RunDemo(ctx, opts); err != nil {
		t.Fatalf("RunDemo: %v", err)
	}
	var out syncBuffer
	opts.HistoryOnly, opts.LiveCaptures, opts.LiveInterval, opts.VMs, opts.Out = false, 1, 10*time.Millisecond, 60, &out
	if err := RunDemo(ctx, opts); err != nil {
		t.Fatalf("second RunDemo: %v\n%s", err, out.String())
	}

	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "vinventory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	vmsAt := func(at time.Time) map[string]string {
		t.Helper()
		out := map[string]string{}
		err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: DemoEndpoint, From: at, To: at.Add(time.Second)}, func(s *inventory.Sample) error {
			out[s.VMID] = s.VMUUID + " " + s.Name
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	last, live := vmsAt(end), vmsAt(now)
	if len(last) < 40 || len(live) != len(last) {
		t.Fatalf("the history's last snapshot has %d VMs, the live one %d", len(last), len(live))
	}
	for id, v := range last {
		if live[id] != v {
			t.Errorf("%s was %q at the history's end, %q in the re-run's live capture", id, v, live[id])
		}
	}
	page, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: DemoEndpoint, From: end.Add(time.Second), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Events {
		t.Errorf("event after the history: %s %s %s", e.Kind, e.VMID, e.Name)
	}
	if !strings.Contains(out.String(), "replaying its churn") || !strings.Contains(out.String(), "with 40 VMs (seed 1)") {
		t.Errorf("second run's output:\n%s", out.String())
	}
	// Utilisation: the first run made up demoMetricDays of history (rolled
	// up), the second kept it and collected live from the simulator.
	stats, err := st.MetricStats(ctx, &store.MetricStatsParams{Vcenter: DemoEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Series == 0 {
		t.Fatal("no metric series")
	}
	for _, tr := range stats.Tiers {
		switch tr.Tier {
		case inventory.TierRaw:
			if want := now.Add(-demoMetricDays * 24 * time.Hour); !tr.Oldest.Equal(want) {
				t.Errorf("oldest raw point %s, want %s", tr.Oldest, want)
			}
			if !tr.Newest.After(now) {
				t.Errorf("newest raw point %s: the live collection (on the real clock) stored nothing", tr.Newest)
			}
		case inventory.TierDay:
			if !tr.Watermark.Equal(now.Truncate(24 * time.Hour)) {
				t.Errorf("day tier watermark %s, want %s", tr.Watermark, now.Truncate(24*time.Hour))
			}
		}
	}
	keys, err := st.ListMetricKeys(ctx, &store.ListMetricKeysParams{Vcenter: DemoEndpoint, EntityType: inventory.EntityVM})
	if err != nil {
		t.Fatal(err)
	}
	perf := false
	for _, k := range keys {
		perf = perf || k.Metric == inventory.MetricPerfCPUReadyPct // only the live collection reads counters
	}
	if !perf {
		t.Error("no VM series of a performance counter: the live collection did not run")
	}
}
