package vinventory_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("time zone data unavailable: %v", err)
	}
	return loc
}

// TestPipelineTwoDays runs the whole pipeline on every backend: two
// simulated days of hourly captures of a vcsim vCenter (with VMs created,
// destroyed, powered off and on, resized and moved between pools), catch-up
// of both days and the month after "downtime", a late snapshot that makes a
// day and the month stale again, deferred reports with an injected
// failure, and retention cleanup.
func TestPipelineTwoDays(t *testing.T) {
	loc := paris(t)
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		const secret = "Pipeline-s3cret-Pässwörd"
		const vc = "vc-sim"
		sim := capturetest.NewSim(t, vcsim.Options{VMs: 30, Templates: 2, HostsPerCluster: 2, Seed: 11, Password: secret})

		// Two days in Paris (UTC+2 on both), the last two of March, so
		// the month completes on day 3.
		day1 := time.Date(2026, 3, 30, 0, 0, 0, 0, loc)
		day2 := time.Date(2026, 3, 31, 0, 0, 0, 0, loc)
		day3 := time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
		win1, win2 := inventory.DayOf(day1, loc), inventory.DayOf(day2, loc)
		march := inventory.MonthOf(day1, loc)
		hour := func(h int) time.Time { return day1.Add(time.Duration(h) * time.Hour) }

		clock := newTestClock(day1)
		logger, logs := observed()
		reporter := &faultyReporter{}
		sleeper := &sleepRecorder{}
		set := vinventory.DefaultSettings()
		set.Location = "Europe/Paris"
		set.ReportDir = filepath.Join(t.TempDir(), "reports")
		// Lower-case names and the root pool mapped to Tin: the pipeline
		// must hand these tiers to the aggregation.
		set.PoolTiers = map[string]inventory.Tier{"tin": inventory.TierTin, "bronze": inventory.TierBronze,
			"silver": inventory.TierSilver, "gold": inventory.TierGold, "Resources": inventory.TierTin}
		p, err := vinventory.NewPipeline(st, set, logger, vinventory.WithClock(clock.Now),
			vinventory.WithReporter(reporter), vinventory.WithSleep(sleeper.Sleep))
		if err != nil {
			t.Fatal(err)
		}
		targets := []capture.Target{simTarget(sim, vc, secret, clock.Now)}

		// --- Two days of hourly captures with mutations in between.
		var vmA, vmB, vmC, vmD, vmR, created1 string // off/on, resize, pool move, destroy, root pool
		var origVCPU int
		mutations := map[int]func() error{
			3: func() (err error) {
				created1, err = sim.CreateVM(ctx, vcsim.VMSpec{Name: "pipeline-new-1", Pool: "Gold", VCPU: 2, MemoryMB: 2048, PowerOn: true})
				return err
			},
			5:  func() error { return sim.PowerOff(ctx, vmA) },
			8:  func() error { return sim.Reconfigure(ctx, vmB, 8, 16384) },
			10: func() error { return sim.MovePool(ctx, vmC, "Gold") },
			14: func() error { return sim.DestroyVM(ctx, vmD) },
			20: func() error { return sim.PowerOn(ctx, vmA) },
			27: func() error {
				_, err := sim.CreateVM(ctx, vcsim.VMSpec{Name: "pipeline-new-2", Pool: "Silver", PowerOn: true})
				return err
			},
			30: func() error { return sim.DestroyVM(ctx, created1) },
			33: func() error { return sim.Reconfigure(ctx, vmB, 2, 4096) },
		}
		tiers := inventory.DefaultTierMap()
		for h := 0; h < 48; h++ {
			if f := mutations[h]; f != nil {
				if err := f(); err != nil {
					t.Fatalf("mutation before hour %d: %v", h, err)
				}
			}
			at := hour(h)
			clock.Set(at.Add(30 * time.Second))
			res, err := p.RunHourly(ctx, targets, at)
			if err != nil {
				t.Fatalf("RunHourly %s: %v", at, err)
			}
			if res.Reports != nil {
				t.Fatalf("async_report_generation is on but RunHourly wrote reports: %+v", res.Reports)
			}
			if got := res.Succeeded(); !slices.Equal(got, []string{vc}) || !res.SnapshotTime.Equal(at) || !res.Endpoints[0].Capture.SnapshotTime.Equal(at) {
				t.Fatalf("RunHourly %s: succeeded %v at %s", at, got, res.SnapshotTime)
			}
			if h == 0 {
				// Pick distinct powered-on VMs in a tiered pool, and one in
				// the root pool.
				var on []inventory.Sample
				for _, s := range res.Endpoints[0].Capture.Samples {
					if s.IsTemplate || s.PowerState != inventory.PoweredOn {
						continue
					}
					if path.Base(s.ResourcePool) == "Resources" {
						if vmR == "" {
							vmR = s.VMID
						}
						continue
					}
					if tiers.Of(s.ResourcePool) != inventory.TierGold {
						on = append(on, s)
					}
				}
				sort.Slice(on, func(i, j int) bool { return on[i].VMID < on[j].VMID })
				if len(on) < 4 || vmR == "" {
					t.Fatalf("simulator has %d powered-on VMs outside Gold and root-pool VM %q; need 4 and 1", len(on), vmR)
				}
				vmA, vmB, vmC, vmD = on[0].VMID, on[1].VMID, on[2].VMID, on[3].VMID
				origVCPU = on[1].VCPUCount
			}
		}

		// Reconcile ran on every snapshot: each mutation became an event.
		evs, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: vc, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range evs.Events {
			kinds[string(e.Kind)]++
		}
		for kind, n := range map[string]int{string(inventory.EventCreated): 2, string(inventory.EventDeleted): 2, string(inventory.EventPower): 2,
			string(inventory.EventResize): 2, string(inventory.EventPoolMove): 1} {
			if kinds[kind] != n {
				t.Errorf("%d %s events, want %d (all: %v)", kinds[kind], kind, n, kinds)
			}
		}
		if recs, _ := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly}); len(recs) != 48 {
			t.Fatalf("%d hourly snapshots registered, want 48", len(recs))
		}
		// Deferred: no report yet, every snapshot's report pending.
		if _, err := os.Stat(set.ReportDir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("report dir exists before RunReports: %v", err)
		}
		if pend, err := p.PendingReports(ctx, time.Time{}); err != nil || len(pend) != 48 {
			t.Fatalf("PendingReports before aggregation: %d, %v; want 48 hourly", len(pend), err)
		}

		// --- Day 3, after "downtime": nothing aggregated yet.
		now := day3.Add(time.Hour)
		clock.Set(now)
		var pe *vinventory.PeriodError
		if _, err := p.RunDaily(ctx, now); !errors.Is(err, vinventory.ErrPeriodIncomplete) || !errors.As(err, &pe) ||
			pe.Granularity != inventory.Daily || !pe.Period.Start.Equal(day3) {
			t.Fatalf("RunDaily on the running day: %v (%+v), want ErrPeriodIncomplete for %s", err, pe, day3)
		}
		if _, err := p.RunMonthly(ctx, now); !errors.Is(err, vinventory.ErrPeriodIncomplete) {
			t.Fatalf("RunMonthly on the running month: %v, want ErrPeriodIncomplete", err)
		}
		if !strings.Contains(pe.Error(), "has not completed") {
			t.Errorf("PeriodError message %q does not say why", pe.Error())
		}
		checkDue(t, p, now, "2026-03-30[vc-sim] 2026-03-31[vc-sim]", "2026-03[vc-sim]")
		cu, err := p.CatchUp(ctx, time.Time{})
		if err != nil {
			t.Fatalf("CatchUp: %v", err)
		}
		if got, want := catchUpString(cu.Days)+" | "+catchUpString(cu.Months), "2026-03-30[vc-sim] 2026-03-31[vc-sim] | 2026-03[vc-sim]"; got != want {
			t.Fatalf("CatchUp ran %s, want %s", got, want)
		}

		// Daily rows: one per VM present in the day, 24 snapshots each.
		d1, d2 := dailyRows(t, st, vc, win1), dailyRows(t, st, vc, win2)
		for _, c := range []struct {
			win  inventory.Window
			rows map[string]inventory.DailyRollup
		}{{win1, d1}, {win2, d2}} {
			present := map[string]bool{}
			for h := 0; h < 24; h++ {
				for _, s := range samplesAt(t, st, vc, c.win.Start.Add(time.Duration(h)*time.Hour)) {
					present[s.VMID] = true
				}
			}
			if len(c.rows) != len(present) || len(present) < 30 {
				t.Fatalf("day %s: %d daily rows for %d VMs present", c.win.Start, len(c.rows), len(present))
			}
			for id, r := range c.rows {
				if !present[id] || r.TotalSamples != 24 {
					t.Fatalf("day %s: row %s present=%v total_samples=%d, want a present VM and 24", c.win.Start, id, present[id], r.TotalSamples)
				}
			}
		}
		checkRow := func(what string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-9 {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		checkRow("created VM samples_present day 1", float64(d1[created1].SamplesPresent), 21)
		checkRow("created VM samples_present day 2", float64(d2[created1].SamplesPresent), 6)
		if !d2[created1].DeletionTime.Equal(hour(30)) || !d1[created1].DeletionTime.IsZero() {
			t.Errorf("created-then-destroyed VM deletion_time day1 %v day2 %v, want only day 2 = %v", d1[created1].DeletionTime, d2[created1].DeletionTime, hour(30))
		}
		checkRow("destroyed VM samples_present", float64(d1[vmD].SamplesPresent), 14)
		if _, ok := d2[vmD]; ok || !d1[vmD].DeletionTime.Equal(hour(14)) {
			t.Errorf("destroyed VM: row on day 2 %v, deletion_time %v want %v", ok, d1[vmD].DeletionTime, hour(14))
		}
		checkRow("powered-off VM samples_powered_on", float64(d1[vmA].SamplesPoweredOn), 9)
		checkRow("moved VM pool_gold_pct", d1[vmC].PoolGoldPct, 100*14.0/24)
		checkRow("resized VM avg_vcpu_count", d1[vmB].AvgVCPUCount, (8*float64(origVCPU)+16*8)/24)
		checkRow("root-pool VM pool_tin_pct (custom pool_tiers)", d1[vmR].PoolTinPct, 100)

		// Monthly rows from the daily rows: 48 snapshots in March.
		m := monthlyRows(t, st, vc, march)
		union := map[string]bool{}
		for id := range d1 {
			union[id] = true
		}
		for id := range d2 {
			union[id] = true
		}
		if len(m) != len(union) {
			t.Fatalf("%d monthly rows, want %d", len(m), len(union))
		}
		for id, r := range m {
			if r.TotalSamples != 48 {
				t.Fatalf("monthly row %s total_samples %d, want 48", id, r.TotalSamples)
			}
		}
		if r := m[created1]; r.SamplesPresent != 27 || r.DaysPresent != 2 || !r.DeletionTime.Equal(hour(30)) {
			t.Errorf("created VM monthly: present %d days %d deletion %v", r.SamplesPresent, r.DaysPresent, r.DeletionTime)
		}
		if r := m[vmD]; r.SamplesPresent != 14 || r.DaysPresent != 1 {
			t.Errorf("destroyed VM monthly: present %d days %d", r.SamplesPresent, r.DaysPresent)
		}

		// A second catch-up finds nothing due and writes nothing.
		before := storetest.Dump(t, st)
		cu, err = p.CatchUp(ctx, now)
		if err != nil || len(cu.Days)+len(cu.Months) != 0 {
			t.Fatalf("second CatchUp ran %s | %s (%v), want nothing", catchUpString(cu.Days), catchUpString(cu.Months), err)
		}
		if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
			t.Fatalf("second CatchUp changed the store:\n%s", d)
		}

		// --- A late snapshot in a completed day makes that day and the
		// month stale; catch-up redoes exactly them.
		late := day2.Add(23*time.Hour + 30*time.Minute)
		if _, err := p.RunHourly(ctx, targets, late); err != nil {
			t.Fatal(err)
		}
		checkDue(t, p, now, "2026-03-31[vc-sim]", "2026-03[vc-sim]")
		cu, err = p.CatchUp(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := catchUpString(cu.Days) + " | " + catchUpString(cu.Months); got != "2026-03-31[vc-sim] | 2026-03[vc-sim]" {
			t.Fatalf("CatchUp after a late snapshot ran %s", got)
		}
		for id, r := range dailyRows(t, st, vc, win2) {
			if r.TotalSamples != 25 {
				t.Fatalf("day 2 row %s total_samples %d after the late snapshot, want 25", id, r.TotalSamples)
			}
		}
		for id, r := range monthlyRows(t, st, vc, march) {
			if r.TotalSamples != 49 {
				t.Fatalf("monthly row %s total_samples %d after the late snapshot, want 49", id, r.TotalSamples)
			}
		}
		if cu, err := p.CatchUp(ctx, now); err != nil || len(cu.Days)+len(cu.Months) != 0 {
			t.Fatalf("CatchUp after redoing the stale periods ran %s | %s (%v)", catchUpString(cu.Days), catchUpString(cu.Months), err)
		}

		// --- Deferred reports, with the monthly report failing every
		// attempt the first time.
		pending, err := p.PendingReports(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		perKind := map[report.Kind]int{}
		for _, r := range pending {
			perKind[r.Kind]++
		}
		if perKind[report.KindHourly] != 49 || perKind[report.KindDaily] != 2 || perKind[report.KindMonthly] != 1 || len(pending) != 52 {
			t.Fatalf("pending reports %v, want 49 hourly, 2 daily, 1 monthly", perKind)
		}
		before = storetest.Dump(t, st)
		reporter.setFailing(report.KindMonthly, true)
		sleeper.take()
		rr, err := p.RunReports(ctx, now)
		var re *vinventory.ReportError
		if !errors.Is(err, errInjected) || !errors.As(err, &re) || re.Request.Kind != report.KindMonthly || re.Attempts != 3 {
			t.Fatalf("RunReports with a failing monthly report: %v (%+v), want a *ReportError after 3 attempts", err, re)
		}
		if len(rr.Written) != 51 || len(rr.Failed) != 1 {
			t.Fatalf("RunReports wrote %d and failed %d, want 51 and 1", len(rr.Written), len(rr.Failed))
		}
		if got := sleeper.take(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
			t.Errorf("report retry waits %v, want [1s 2s] (report_retry backoff doubling)", got)
		}
		if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
			t.Fatalf("a failed report changed captured data:\n%s", d)
		}
		if pend, _ := p.PendingReports(ctx, now); len(pend) != 1 || pend[0].Kind != report.KindMonthly || pend[0].Vcenter != vc {
			t.Fatalf("pending after the failure: %v, want the monthly report only", requestNames(pend))
		}
		for _, f := range rr.Written {
			checkReportFile(t, st, loc, f)
		}
		reporter.setFailing("", false)
		rr, err = p.RunReports(ctx, now)
		if err != nil || len(rr.Written) != 1 || rr.Written[0].Request.Kind != report.KindMonthly {
			t.Fatalf("RunReports retry: %v, wrote %v", err, sortedNames(rr.Written))
		}
		checkReportFile(t, st, loc, rr.Written[0])
		if pend, _ := p.PendingReports(ctx, now); len(pend) != 0 {
			t.Fatalf("still pending after the retry: %v", requestNames(pend))
		}
		if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
			t.Fatalf("reports changed the store:\n%s", d)
		}

		// RegenerateReports replaces a damaged file.
		dayReq := report.Request{Kind: report.KindDaily, Vcenter: vc, Period: day1}
		damaged := filepath.Join(set.ReportDir, dayReq.FileName())
		if err := os.WriteFile(damaged, []byte("not a workbook"), 0o644); err != nil {
			t.Fatal(err)
		}
		rr, err = p.RegenerateReports(ctx, dayReq)
		if err != nil || len(rr.Written) != 1 || rr.Written[0].Path != damaged {
			t.Fatalf("RegenerateReports: %v %+v", err, rr)
		}
		checkReportFile(t, st, loc, rr.Written[0])

		// Another late snapshot: re-aggregating day 2 and the month
		// invalidates their reports, which become pending again.
		late2 := day2.Add(23*time.Hour + 45*time.Minute)
		if _, err := p.RunHourly(ctx, targets, late2); err != nil {
			t.Fatal(err)
		}
		if cu, err := p.CatchUp(ctx, now); err != nil || catchUpString(cu.Days)+" | "+catchUpString(cu.Months) != "2026-03-31[vc-sim] | 2026-03[vc-sim]" {
			t.Fatalf("CatchUp after the second late snapshot: %v", err)
		}
		pending, err = p.PendingReports(ctx, now)
		wantPending := []string{
			report.Request{Kind: report.KindMonthly, Vcenter: vc, Period: march.Start}.FileName(),
			report.Request{Kind: report.KindDaily, Vcenter: vc, Period: day2}.FileName(),
			report.Request{Kind: report.KindHourly, Vcenter: vc, SnapshotTime: late2}.FileName(),
		}
		if err != nil || !slices.Equal(requestNames(pending), wantPending) {
			t.Fatalf("pending after re-aggregation: %v %v, want %v", requestNames(pending), err, wantPending)
		}
		rr, err = p.RunReports(ctx, now)
		if err != nil || len(rr.Written) != 3 {
			t.Fatalf("RunReports after re-aggregation: %v %v", err, sortedNames(rr.Written))
		}
		for _, f := range rr.Written {
			checkReportFile(t, st, loc, f)
		}

		// --- Logs: stage timings per endpoint, and never the password.
		for _, c := range []struct {
			msg, stage string
			n          int
			keys       []string
		}{
			{"capture", "capture", 50, []string{"endpoint", "retrieve", "write", "duration"}},
			{"reconcile", "reconcile", 50, []string{"endpoint", "duration"}},
			{"aggregation", "aggregation", 7, []string{"endpoint", "granularity", "period", "duration"}},
			{"report", "reports", 56, []string{"endpoint", "kind", "file", "duration"}},
			{"report failed", "reports", 1, []string{"endpoint", "kind", "error"}},
			{"report invalidated", "reports", 2, []string{"endpoint", "kind", "file"}},
		} {
			es := stageEntries(logs, c.msg, c.stage)
			if len(es) != c.n {
				t.Errorf("%d %q log entries, want %d", len(es), c.msg, c.n)
			}
			for _, e := range es {
				m := e.ContextMap()
				for _, k := range c.keys {
					if _, ok := m[k]; !ok {
						t.Fatalf("%q log entry lacks %q: %v", c.msg, k, m)
					}
				}
				if m["endpoint"] != vc {
					t.Fatalf("%q log entry endpoint %v", c.msg, m["endpoint"])
				}
			}
		}
		assertNoSecret(t, logs, secret)

		// --- Retention.
		checkCleanup(t, st, set, clock, loc)
	})
}

// checkDue compares DueDays and DueMonths with their expected renderings.
func checkDue(t *testing.T, p *vinventory.Pipeline, now time.Time, days, months string) {
	t.Helper()
	ctx := context.Background()
	dd, err := p.DueDays(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := p.DueMonths(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := dueString(dd); got != days {
		t.Errorf("DueDays = %q, want %q", got, days)
	}
	if got := dueString(dm); got != months {
		t.Errorf("DueMonths = %q, want %q", got, months)
	}
}

// checkReportFile reads a written report back and compares its row count
// with the store.
func checkReportFile(t *testing.T, st store.Store, loc *time.Location, f vinventory.ReportFile) {
	t.Helper()
	ctx := context.Background()
	req := f.Request
	if filepath.Base(f.Path) != req.FileName() {
		t.Fatalf("report written to %s, want file name %s", f.Path, req.FileName())
	}
	var sheet string
	want := 0
	switch req.Kind {
	case report.KindHourly:
		sheet, want = "VMs", len(samplesAt(t, st, req.Vcenter, req.SnapshotTime))
	case report.KindDaily:
		sheet, want = "Daily summary", len(dailyRows(t, st, req.Vcenter, inventory.DayOf(req.Period, loc)))
	case report.KindMonthly:
		sheet = "Monthly summary"
		err := st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{Vcenter: req.Vcenter, From: req.Period, To: inventory.MonthOf(req.Period, loc).End},
			func(*inventory.MonthlyRollup) error { want++; return nil })
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unexpected report kind %s", req.Kind)
	}
	if want == 0 {
		t.Fatalf("%s: the store has no rows for it", f.Path)
	}
	if got := sheetRows(t, f.Path, sheet); got != want+1 {
		t.Fatalf("%s: sheet %q has %d rows, want %d data rows + header", f.Path, sheet, got, want)
	}
}

// checkCleanup applies retention through a second pipeline at day 3 noon
// and checks exactly what is removed and what is kept.
func checkCleanup(t *testing.T, st store.Store, set vinventory.Settings, clock *testClock, loc *time.Location) {
	t.Helper()
	ctx := context.Background()
	const vc = "vc-sim"
	day1 := time.Date(2026, 3, 30, 0, 0, 0, 0, loc)
	hour := func(h int) time.Time { return day1.Add(time.Duration(h) * time.Hour) }
	late, late2 := hour(47).Add(30*time.Minute), hour(47).Add(45*time.Minute)
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, loc)
	clock.Set(now)
	set.Retention = vinventory.RetentionSettings{HourlyRows: 48 * time.Hour, CompatTables: 36 * time.Hour, Reports: 30 * time.Hour}
	p, err := vinventory.NewPipeline(st, set, nil, vinventory.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(set.ReportDir, "notes.txt")
	if err := os.WriteFile(notes, []byte("not a report"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A day whose samples retention is about to cut is refused.
	if _, err := p.RunDaily(ctx, day1); !errors.Is(err, vinventory.ErrPeriodExpired) {
		t.Fatalf("RunDaily on a day past hourly retention: %v, want ErrPeriodExpired", err)
	}

	before := storetest.Dump(t, st)
	res, err := p.Cleanup(ctx, now)
	if err != nil {
		t.Fatalf("Cleanup: %v", err)
	}

	// Samples: everything before day 1 noon (now - 48h), nothing else.
	cut := hour(12)
	if !res.SamplesBefore.Equal(cut) {
		t.Fatalf("SamplesBefore %v, want %v", res.SamplesBefore, cut)
	}
	exp := *before
	exp.Samples = nil
	var deleted int64
	for _, s := range before.Samples {
		if s.SnapshotTime.Before(cut) {
			deleted++
		} else {
			exp.Samples = append(exp.Samples, s)
		}
	}
	if deleted == 0 || res.SamplesDeleted != deleted {
		t.Fatalf("SamplesDeleted %d, want %d", res.SamplesDeleted, deleted)
	}
	// Host, cluster and datastore history goes with the samples, at the
	// same cutoff.
	if eh, ok := st.(store.EntityHistory); ok {
		gone, err := eh.EntityHistoryRange(ctx, &store.EntityHistoryRangeParams{From: hour(0).Add(-time.Hour), To: cut})
		if err != nil {
			t.Fatal(err)
		}
		kept, err := eh.EntityHistoryRange(ctx, &store.EntityHistoryRangeParams{From: cut, To: now})
		if err != nil {
			t.Fatal(err)
		}
		if res.EntityHistoryDeleted != 12 || len(gone.Snapshots) != 0 || len(kept.Snapshots) == 0 || len(kept.Hosts) == 0 {
			t.Fatalf("entity history: %d deleted (want 12: day 1 00:00-11:00), %d snapshots left before the cutoff, %d after (%d host rows)",
				res.EntityHistoryDeleted, len(gone.Snapshots), len(kept.Snapshots), len(kept.Hosts))
		}
	}

	// Compatibility tables: now - 36h is day 2 00:00 Paris (22:00 UTC on
	// day 1): day 1's 24 hourly tables, its daily summary and March's
	// monthly summary go; day 2's 26 hourly tables and daily summary stay.
	var wantDropped []string
	for h := 0; h < 24; h++ {
		wantDropped = append(wantDropped, inventory.HourlyTableName(hour(h)))
	}
	wantDropped = append(wantDropped, "inventory_daily_summary_20260330", "inventory_monthly_summary_202603")
	sort.Strings(wantDropped)
	got := slices.Clone(res.CompatTablesDropped)
	sort.Strings(got)
	if !slices.Equal(got, wantDropped) {
		t.Fatalf("dropped tables %v,\nwant %v", got, wantDropped)
	}
	exp.CompatTables = nil
	for _, tb := range before.CompatTables {
		if !slices.Contains(wantDropped, tb.Name) {
			exp.CompatTables = append(exp.CompatTables, tb)
		}
	}
	if len(exp.CompatTables) != 27 {
		t.Fatalf("%d compatibility tables should remain, want 27 (26 hourly + 1 daily)", len(exp.CompatTables))
	}
	exp.CompatHourly, exp.CompatDaily, exp.CompatMonthly = keep(before.CompatHourly, wantDropped), keep(before.CompatDaily, wantDropped), keep(before.CompatMonthly, wantDropped)
	if d := storetest.Diff(&exp, storetest.Dump(t, st)); d != "" {
		t.Fatalf("Cleanup removed more or less than retention says:\n%s", d)
	}

	// Reports: now - 30h is day 2 06:00 Paris: the hourly reports of day 1
	// and day 2 00:00-05:00, both daily reports (their periods start
	// before) and March's go; the other 20 hourly reports and unrelated
	// files stay.
	var wantDeleted []string
	for h := 0; h < 30; h++ {
		wantDeleted = append(wantDeleted, report.Request{Kind: report.KindHourly, Vcenter: vc, SnapshotTime: hour(h)}.FileName())
	}
	wantDeleted = append(wantDeleted,
		report.Request{Kind: report.KindDaily, Vcenter: vc, Period: day1}.FileName(),
		report.Request{Kind: report.KindDaily, Vcenter: vc, Period: hour(24)}.FileName(),
		report.Request{Kind: report.KindMonthly, Vcenter: vc, Period: time.Date(2026, 3, 1, 0, 0, 0, 0, loc)}.FileName())
	sort.Strings(wantDeleted)
	var gotDeleted []string
	for _, pth := range res.ReportsDeleted {
		gotDeleted = append(gotDeleted, filepath.Base(pth))
	}
	sort.Strings(gotDeleted)
	if !slices.Equal(gotDeleted, wantDeleted) {
		t.Fatalf("deleted reports %v,\nwant %v", gotDeleted, wantDeleted)
	}
	wantLeft := []string{"notes.txt", report.Request{Kind: report.KindHourly, Vcenter: vc, SnapshotTime: late}.FileName(),
		report.Request{Kind: report.KindHourly, Vcenter: vc, SnapshotTime: late2}.FileName()}
	for h := 30; h < 48; h++ {
		wantLeft = append(wantLeft, report.Request{Kind: report.KindHourly, Vcenter: vc, SnapshotTime: hour(h)}.FileName())
	}
	sort.Strings(wantLeft)
	entries, err := os.ReadDir(set.ReportDir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, wantLeft) {
		t.Fatalf("report dir holds %v,\nwant %v", left, wantLeft)
	}
	// Deleted reports are not pending again, and no due period reaches
	// into the cut samples.
	if pend, err := p.PendingReports(ctx, now); err != nil || len(pend) != 0 {
		t.Fatalf("pending after cleanup: %v %v", pend, err)
	}
	if dd, err := p.DueDays(ctx, now); err != nil || len(dd) != 0 {
		t.Fatalf("due days after cleanup: %s %v", dueString(dd), err)
	}

	// A second cleanup removes nothing more.
	after := storetest.Dump(t, st)
	res, err = p.Cleanup(ctx, now)
	if err != nil || res.SamplesDeleted != 0 || len(res.CompatTablesDropped) != 0 || len(res.ReportsDeleted) != 0 {
		t.Fatalf("second Cleanup: %+v %v", res, err)
	}
	if d := storetest.Diff(after, storetest.Dump(t, st)); d != "" {
		t.Fatalf("second Cleanup changed the store:\n%s", d)
	}
}

func keep[T any](m map[string]T, drop []string) map[string]T {
	out := map[string]T{}
	for k, v := range m {
		if !slices.Contains(drop, k) {
			out[k] = v
		}
	}
	return out
}

// TestRunHourlyInlineReports runs with async_report_generation = false:
// reports are written inline, a report failure never undoes the capture
// and is retried by RunReports; monthly_aggregation_granularity is
// honoured.
func TestRunHourlyInlineReports(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		// A hostile vCenter name: quotes, a formula, HTML, a path, unicode.
		const vc = `=HYPERLINK("x") 'vc' <b>ïnline</b>/../`
		sim := capturetest.NewSim(t, vcsim.Options{VMs: 6, Templates: 1, HostsPerCluster: 1, Seed: 5})
		vms := sim.Expected().VMs
		day := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		clock := newTestClock(day)
		logger, logs := observed()
		reporter := &faultyReporter{}
		sleeper := &sleepRecorder{}
		set := vinventory.DefaultSettings()
		set.AsyncReportGeneration = false
		set.ReportDir = t.TempDir()
		set.ReportRetry = vinventory.RetrySettings{Attempts: 2, Backoff: time.Minute, MaxBackoff: time.Minute}
		p, err := vinventory.NewPipeline(st, set, logger, vinventory.WithClock(clock.Now),
			vinventory.WithReporter(reporter), vinventory.WithSleep(sleeper.Sleep))
		if err != nil {
			t.Fatal(err)
		}
		targets := []capture.Target{simTarget(sim, vc, sim.Password, clock.Now)}

		// The first snapshot's report fails: the capture stands.
		at1 := day.Add(10 * time.Hour)
		clock.Set(at1.Add(time.Minute))
		reporter.setFailing(report.KindHourly, true)
		res, err := p.RunHourly(ctx, targets, at1)
		if err != nil {
			t.Fatalf("RunHourly returned the report failure (or a capture failure): %v", err)
		}
		if res.Reports == nil || len(res.Reports.Failed) != 1 || len(res.Reports.Written) != 0 ||
			res.Reports.Failed[0].Attempts != 2 || !errors.Is(res.Reports.Err(), errInjected) {
			t.Fatalf("inline report result %+v, want one failure after 2 attempts", res.Reports)
		}
		if got := sleeper.take(); !slices.Equal(got, []time.Duration{time.Minute}) {
			t.Errorf("report retry waits %v, want [1m]", got)
		}
		if n := len(samplesAt(t, st, vc, at1)); n != vms {
			t.Fatalf("%d samples stored after a failed report, want %d", n, vms)
		}
		if recs, _ := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc}); len(recs) != 1 {
			t.Fatalf("%d registry records after a failed report, want the snapshot's", len(recs))
		}
		if len(stageEntries(logs, "report failed", "reports")) != 1 {
			t.Error("the report failure was not logged")
		}
		before := storetest.Dump(t, st)
		reporter.setFailing("", false)
		rr, err := p.RunReports(ctx, time.Time{})
		if err != nil || len(rr.Written) != 1 || !rr.Written[0].Request.SnapshotTime.Equal(at1) {
			t.Fatalf("RunReports after the failure: %v %+v", err, rr)
		}
		checkReportFile(t, st, time.UTC, rr.Written[0])
		if d := storetest.Diff(before, storetest.Dump(t, st)); d != "" {
			t.Fatalf("RunReports changed the store:\n%s", d)
		}

		// The next snapshot's report is written inline.
		at2 := day.Add(11 * time.Hour)
		clock.Set(at2.Add(time.Minute))
		res, err = p.RunHourly(ctx, targets, at2)
		if err != nil || res.Reports == nil || len(res.Reports.Written) != 1 || len(res.Reports.Failed) != 0 {
			t.Fatalf("RunHourly inline report: %v %+v", err, res.Reports)
		}
		checkReportFile(t, st, time.UTC, res.Reports.Written[0])

		// monthly_aggregation_granularity = hourly reads the samples: with
		// no daily rollup yet it still finds every VM, 2 snapshots each.
		clock.Set(time.Date(2026, 2, 1, 0, 5, 0, 0, time.UTC))
		hourlySet := set
		hourlySet.MonthlyAggregationGranularity = inventory.Hourly
		ph, err := vinventory.NewPipeline(st, hourlySet, nil, vinventory.WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		mr, err := ph.RunMonthly(ctx, day)
		if err != nil || len(mr.Vcenters) != 1 || mr.Vcenters[0].Rows != vms || mr.Vcenters[0].TotalSamples != 2 {
			t.Fatalf("RunMonthly from hourly samples: %v %+v", err, mr)
		}
		// The daily path (the default) reads the daily rollups.
		dr, err := p.RunDaily(ctx, day)
		if err != nil || dr.Reports == nil || len(dr.Reports.Written) != 1 || dr.Vcenters[0].Rows != vms {
			t.Fatalf("RunDaily inline: %v %+v", err, dr)
		}
		checkReportFile(t, st, time.UTC, dr.Reports.Written[0])
		mr, err = p.RunMonthly(ctx, day)
		if err != nil || mr.Reports == nil || len(mr.Reports.Written) != 1 || mr.Vcenters[0].Rows != vms {
			t.Fatalf("RunMonthly inline: %v %+v", err, mr)
		}
		checkReportFile(t, st, time.UTC, mr.Reports.Written[0])
		for id, r := range monthlyRows(t, st, vc, inventory.MonthOf(day, time.UTC)) {
			if r.TotalSamples != 2 || r.SamplesPresent != 2 || r.DaysPresent != 1 {
				t.Fatalf("monthly row %s: %+v", id, r)
			}
		}
		if pend, err := p.PendingReports(ctx, time.Time{}); err != nil || len(pend) != 0 {
			t.Fatalf("pending with inline reports: %v %v", requestNames(pend), err)
		}
	})
}

// TestPipelineSecrets: a failing endpoint's error, status and logs never
// carry its password, and the good endpoint is captured regardless.
func TestPipelineSecrets(t *testing.T) {
	ctx := context.Background()
	const secret = "Good-pässword-8d1f"
	const wrong = "Wrong-pässword-c3a9"
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, HostsPerCluster: 1, Seed: 2, Password: secret})
	st := memstorePipelineStore()
	logger, logs := observed()
	sleeper := &sleepRecorder{}
	clock := newTestClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	p, err := vinventory.NewPipeline(st, vinventory.DefaultSettings(), logger, vinventory.WithClock(clock.Now), vinventory.WithSleep(sleeper.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	targets := []capture.Target{simTarget(sim, "vc-good", secret, clock.Now), simTarget(sim, "vc-bad", wrong, clock.Now)}
	// Bad input is refused before anything is captured.
	for _, bad := range [][]capture.Target{
		{targets[0], targets[0]},
		{{Endpoint: inventory.Endpoint{Name: "no-open"}}},
		{{Open: targets[0].Open}},
	} {
		if _, err := p.RunHourly(ctx, bad, time.Time{}); err == nil {
			t.Fatalf("RunHourly accepted targets %v", bad)
		}
	}
	if recs, _ := st.ListSnapshots(ctx, &store.ListSnapshotsParams{}); len(recs) != 0 {
		t.Fatalf("refused RunHourly calls stored %d snapshots", len(recs))
	}
	res, err := p.RunHourly(ctx, targets, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "vc-bad") || strings.Contains(err.Error(), "vc-good") {
		t.Fatalf("RunHourly error %v, want one naming vc-bad only", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), secret) {
		t.Fatalf("error carries a password: %v", err)
	}
	if got := res.Succeeded(); !slices.Equal(got, []string{"vc-good"}) || res.Endpoints[1].Err == nil {
		t.Fatalf("succeeded %v", got)
	}
	if res.SnapshotTime.IsZero() || !res.SnapshotTime.Equal(res.SnapshotTime.Truncate(time.Second)) {
		t.Fatalf("snapshot time %v, want the clock's now truncated to a second", res.SnapshotTime)
	}
	if n, waits := res.Endpoints[1].Attempts, sleeper.take(); len(waits) != n-1 {
		t.Errorf("%d attempts but %d waits", n, len(waits))
	}
	status, err := st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{Endpoint: "vc-bad"})
	if err != nil || len(status) != 1 || status[0].ConsecutiveFailures != 1 || status[0].LastError == "" ||
		strings.Contains(status[0].LastError, wrong) {
		t.Fatalf("vc-bad status %+v %v", status, err)
	}
	if len(stageEntries(logs, "capture failed", "capture")) != 1 {
		t.Error("the failed endpoint was not logged")
	}
	assertNoSecret(t, logs, secret, wrong)
}
