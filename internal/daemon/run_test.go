package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// TestDaemonJobsCatchUp drives the daemon's scheduler (the jobs `run`
// wires: capture, daily, monthly, reports, cleanup) with an injected clock.
// Two days of hourly captures exist but nothing was aggregated (the daemon
// was down); on 2 March one pass captures the current hour, aggregates both
// missing days and the completed February (after its days), and writes
// the reports. A second pass at the same time runs nothing.
func TestDaemonJobsCatchUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 8, Templates: -1, Password: "daemon-test-" + t.Name()})
	st, kr := sqliteAndKeyring(t, dir)
	blob, _ := kr.Encrypt([]byte(sim.Password), "vc1")
	u := *sim.URL
	u.User = nil
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: "vc1", URL: u.String(), Username: sim.Username, Credential: blob,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true,
	}}); err != nil {
		t.Fatal(err)
	}

	clock := jobs.NewManualClock(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC))
	cfg := config.Default()
	cfg.Settings.ReportDir = filepath.Join(dir, "reports")
	p, err := vinventory.NewPipeline(st, cfg.PipelineSettings(), nil, vinventory.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	// River's tables in the store's SQLite file, as `run` has them.
	a := &App{Config: cfg, Store: st, SQLitePath: filepath.Join(dir, "inv.db"), Keyring: kr, Pipeline: p, Logger: zap.NewNop(), Clock: clock.Now, JobClock: clock}
	t.Cleanup(func() {
		if a.jobsDB != nil {
			a.jobsDB.Close()
		}
	})

	// Two days of captures while "down" (no aggregation, no reports).
	targets, err := Targets(ctx, st, kr, zap.NewNop(), nil)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets: %v %d", err, len(targets))
	}
	for at := clock.Now(); at.Before(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); at = at.Add(time.Hour) {
		clock.Set(at)
		if _, err := p.RunHourly(ctx, targets, at); err != nil {
			t.Fatal(err)
		}
	}

	clock.Set(time.Date(2026, 3, 2, 10, 7, 0, 0, time.UTC))
	metrics := NewMetrics()
	sched, jl, err := a.scheduler(ctx, runOptions{owner: "test", poll: time.Second, shutdownGrace: time.Second, concurrency: 1, jobTimeout: time.Hour}, metrics, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range jl {
		names = append(names, j.Name)
	}
	if want := []string{"capture:vc1", "metrics:vc1", "daily", "monthly", "reports", "cleanup", "backfill", "repair", "rebuild", "regenerate-reports", "rotate-keys"}; !slices.Equal(names, want) {
		t.Fatalf("jobs = %v, want %v", names, want)
	}
	if err := sched.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	runs := map[string]int64{}
	for _, js := range sched.Status().Jobs {
		runs[js.Name] = js.Runs
		if js.Failures != 0 {
			t.Errorf("%s: %d failures (%s)", js.Name, js.Failures, js.LastError)
		}
	}
	// capture: the 10:00 slot; daily: 28 Feb and 1 Mar; monthly: February;
	// reports: the current slot; cleanup: the 03:00 slot.
	want := map[string]int64{"capture:vc1": 1, "metrics:vc1": 1, "daily": 2, "monthly": 1, "reports": 1, "cleanup": 1}
	for k, v := range want {
		if runs[k] != v {
			t.Errorf("%s ran %d times, want %d (all: %v)", k, runs[k], v, runs)
		}
	}
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1", Kind: inventory.Hourly, From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(recs) != 1 || !recs[0].SnapshotTime.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("capture of the 10:00 slot: %v %+v", err, recs)
	}
	for _, g := range []inventory.Granularity{inventory.Daily, inventory.Monthly} {
		recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1", Kind: g})
		if err != nil {
			t.Fatal(err)
		}
		n := map[inventory.Granularity]int{inventory.Daily: 2, inventory.Monthly: 1}[g]
		if len(recs) != n {
			t.Errorf("%s registry records = %d, want %d", g, len(recs), n)
		}
	}
	for _, f := range []string{"inventory_daily_summary_20260228_vc1.xlsx", "inventory_daily_summary_20260301_vc1.xlsx", "inventory_monthly_summary_202602_vc1.xlsx"} {
		if _, err := os.Stat(filepath.Join(dir, "reports", f)); err != nil {
			t.Errorf("report %s: %v", f, err)
		}
	}

	// Nothing is due any more at the same time.
	if err := sched.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for _, js := range sched.Status().Jobs {
		if js.Runs != runs[js.Name] {
			t.Errorf("second pass ran %s again (%d -> %d runs)", js.Name, runs[js.Name], js.Runs)
		}
	}
	if sched.Status().QueueDepth != 0 {
		t.Errorf("queue depth = %d after catch-up", sched.Status().QueueDepth)
	}
	// Nor in a restarted daemon on the same file: the runs are in river's
	// table there.
	b := &App{Config: cfg, Store: st, SQLitePath: a.SQLitePath, Keyring: kr, Pipeline: p, Logger: zap.NewNop(), Clock: clock.Now, JobClock: clock}
	t.Cleanup(func() {
		if b.jobsDB != nil {
			b.jobsDB.Close()
		}
	})
	restarted, _, err := b.scheduler(ctx, runOptions{owner: "test-2", poll: time.Second, shutdownGrace: time.Second, concurrency: 1, jobTimeout: time.Hour}, NewMetrics(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for _, js := range restarted.Status().Jobs {
		if js.Runs != 0 {
			t.Errorf("a restarted daemon ran %s %d times at the same time, want 0", js.Name, js.Runs)
		}
	}

	// A late snapshot of 1 March arrives after its aggregation: at the next
	// daily slot, 1 March is aggregated again (a new key) along with 2 March.
	late := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
	if _, err := p.RunHourly(ctx, targets, late); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 3, 3, 0, 20, 0, 0, time.UTC))
	if err := sched.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce after the late snapshot: %v", err)
	}
	for _, js := range sched.Status().Jobs {
		if js.Name == "daily" && js.Runs != runs["daily"]+2 {
			t.Errorf("daily ran %d more times after the late snapshot, want 2 (1 and 2 March)", js.Runs-runs["daily"])
		}
	}
	mar1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	err = st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: "vc1", From: mar1, To: mar1.AddDate(0, 0, 1)}, func(r *inventory.DailyRollup) error {
		if r.TotalSamples != 25 {
			t.Errorf("1 March %s: total_samples %d, want 25 after the late snapshot", r.VMID, r.TotalSamples)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDaemonFollowsEndpoints runs `run` on the real clock: an endpoint
// added to the registry while the daemon runs gets its capture job without
// a restart of the process, and one disabled loses it.
func TestDaemonFollowsEndpoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	// One simulator per endpoint: vcsim's event manager is not safe for
	// one session's logout while another destroys its history collector
	// (the race detector catches it inside govmomi), and two endpoints are
	// two vCenters anyway.
	sims := map[string]*vcsim.Sim{}
	for _, name := range []string{"vc1", "vc2"} {
		sims[name] = capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "daemon-test-" + t.Name()})
	}
	st, kr := sqliteAndKeyring(t, dir)
	upsert := func(name string, enabled bool) {
		t.Helper()
		sim := sims[name]
		u := *sim.URL
		u.User = nil
		blob, _ := kr.Encrypt([]byte(sim.Password), name)
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
			Name: name, URL: u.String(), Username: sim.Username, Credential: blob, PollInterval: time.Second,
			TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: enabled,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	captures := func(name string) int {
		t.Helper()
		recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: name, Kind: inventory.Hourly})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	upsert("vc1", true)

	cfg := config.Default()
	cfg.HTTP.Listen = ""
	cfg.Settings.ReportDir = filepath.Join(dir, "reports")
	p, err := vinventory.NewPipeline(st, cfg.PipelineSettings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	a := &App{Config: cfg, Store: st, Keyring: kr, Pipeline: p, Logger: zap.New(core), Clock: time.Now}
	done := make(chan error, 1)
	go func() {
		done <- runDaemon(ctx, a, []string{"-owner", "t", "-poll", "100ms", "-endpoint-refresh", "200ms", "-shutdown-grace", "5s"})
	}()
	restarts := func() []string {
		var out []string
		for _, e := range logs.FilterMessage("endpoints changed: scheduler restarted").All() {
			out = append(out, fmt.Sprint(e.ContextMap()["jobs"]))
		}
		return out
	}
	waitFor("a capture of vc1", func() bool { return captures("vc1") > 0 })
	upsert("vc2", true)
	waitFor("a capture of vc2, added while running", func() bool { return captures("vc2") > 0 })
	if r := restarts(); len(r) != 1 || !strings.Contains(r[0], "capture:vc1") || !strings.Contains(r[0], "capture:vc2") {
		t.Fatalf("restarts after adding vc2: %q, want one with both capture jobs", r)
	}
	upsert("vc1", false)
	waitFor("the restart after disabling vc1", func() bool { return len(restarts()) == 2 })
	if r := restarts()[1]; strings.Contains(r, "capture:vc1") || !strings.Contains(r, "capture:vc2") {
		t.Fatalf("jobs after disabling vc1: %s", r)
	}
	n1, n2 := captures("vc1"), captures("vc2")
	waitFor("two more captures of vc2", func() bool { return captures("vc2") >= n2+2 })
	if n := captures("vc1"); n != n1 {
		t.Errorf("vc1 captured %d more times after it was disabled", n-n1)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// sqliteAndKeyring opens a SQLite store in dir (closed at cleanup) and
// makes a keyring with one fresh key.
func sqliteAndKeyring(t *testing.T, dir string) (*sqlitestore.Store, *secrets.Keyring) {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "inv.db"), sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keyLine, _ := secrets.GenerateKey("k1")
	kr, err := secrets.ParseKeyring(keyLine)
	if err != nil {
		t.Fatal(err)
	}
	return st, kr
}

// TestRunOnceReportsItsCapture: `run -once` runs the due jobs stage by
// stage, so the report job sees the capture the same run just took (it ran
// beside it before, and found nothing to report).
func TestRunOnceReportsItsCapture(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 30, Templates: -1})
	clock := jobs.NewManualClock(time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC))
	a, setPassword := simApp(t, dir, sim, clock)
	setPassword(sim.Password)
	sched, _, err := a.scheduler(ctx, runOptions{owner: "test", poll: time.Second, shutdownGrace: time.Second, concurrency: 4, jobTimeout: time.Hour}, NewMetrics(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := sched.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	want := filepath.Join(dir, "reports", "inventory_hourly_202603021000_vc1.xlsx")
	if _, err := os.Stat(want); err != nil {
		entries, _ := os.ReadDir(filepath.Join(dir, "reports"))
		t.Errorf("run -once did not report the capture it took: %v (report dir holds %d files)", err, len(entries))
	}
}
