package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestBadCredentialsParked drives the daemon's scheduler on a simulated
// hour with a wrong password for an endpoint polled every 5 minutes: the
// simulator sees one failed login, then nothing until the 30-minute
// back-off passes (one more), where without parking every run would try
// 3 times (36 logins, over vCenter SSO's lock-out of 5 in 180 s). A new
// password in the registry unparks the endpoint at once. The capture
// status says it is parked.
func TestBadCredentialsParked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "right-" + t.Name()})
	logins := sim.InjectSlowCalls("Login", 0) // counts the Login calls the simulator receives
	clock := jobs.NewManualClock(time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC))
	a, setPassword := simApp(t, dir, sim, clock)
	st := a.Store
	setPassword("wrong-password")
	sched, _, err := a.scheduler(ctx, runOptions{owner: "test", poll: time.Second, shutdownGrace: time.Second, concurrency: 1, jobTimeout: time.Hour}, NewMetrics(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	for i := range 12 { // one simulated hour, a run every 5 minutes
		clock.Set(start.Add(time.Duration(i) * 5 * time.Minute))
		_ = sched.RunOnce(ctx)
	}
	if n := logins.Seen(); n != 2 {
		t.Errorf("%d logins in a simulated hour with a wrong password, want 2 (one per 30-minute back-off)", n)
	}
	sts, err := st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
	if err != nil || len(sts) != 1 {
		t.Fatalf("capture status: %v %+v", err, sts)
	}
	var pe *ParkedError
	if !errors.As(a.parking().Check(mustEndpoint(t, st)), &pe) {
		t.Errorf("vc1 is not parked after the refused login")
	}
	if s := sts[0].LastError; s == "" {
		t.Errorf("capture status has no error: %+v", sts[0])
	}
	// The right password unparks it at once.
	setPassword(sim.Password)
	clock.Set(start.Add(61 * time.Minute))
	before := logins.Seen()
	if err := sched.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce with the right password: %v", err)
	}
	if logins.Seen() == before {
		t.Error("no login after the password was fixed")
	}
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1", Kind: inventory.Hourly})
	if err != nil || len(recs) != 1 {
		t.Errorf("snapshots after the fix: %v %+v, want one", err, recs)
	}
}

// simApp is a daemon App on a SQLite store in dir with one endpoint, vc1,
// on sim (polled every 5 minutes), its reports in dir/reports and its
// clocks on clock; setPassword stores vc1's password.
func simApp(t *testing.T, dir string, sim *vcsim.Sim, clock *jobs.ManualClock) (a *App, setPassword func(string)) {
	t.Helper()
	st, kr := sqliteAndKeyring(t, dir)
	u := *sim.URL
	u.User = nil
	setPassword = func(pw string) {
		t.Helper()
		blob, err := kr.Encrypt([]byte(pw), "vc1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpsertEndpoint(context.Background(), &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
			Name: "vc1", URL: u.String(), Username: sim.Username, Credential: blob,
			TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true, PollInterval: 5 * time.Minute,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Settings.ReportDir = filepath.Join(dir, "reports")
	cfg.Settings.CaptureRetry.Backoff = time.Millisecond
	cfg.Settings.CaptureRetry.MaxBackoff = time.Millisecond
	p, err := vinventory.NewPipeline(st, cfg.PipelineSettings(), nil, vinventory.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return &App{Config: cfg, Store: st, Keyring: kr, Pipeline: p, Logger: zap.NewNop(), Clock: clock.Now, JobClock: clock}, setPassword
}

func mustEndpoint(t *testing.T, st store.Endpoints) inventory.Endpoint {
	t.Helper()
	eps, err := st.ListEndpoints(context.Background(), &store.ListEndpointsParams{})
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints: %v %d", err, len(eps))
	}
	return eps[0]
}

// TestLoginFailureBackoffSetting: schedule.login_failure_backoff sets how
// long a refused endpoint stays parked: 10 minutes over the same hour of
// 5-minute polls gives a login every other poll.
func TestLoginFailureBackoffSetting(t *testing.T) {
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "right-" + t.Name()})
	logins := sim.InjectSlowCalls("Login", 0)
	clock := jobs.NewManualClock(time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC))
	a, setPassword := simApp(t, t.TempDir(), sim, clock)
	a.Config.Schedule.LoginFailureBackoff = 10 * time.Minute
	setPassword("wrong-password")
	sched, _, err := a.scheduler(ctx, runOptions{owner: "test", poll: time.Second, shutdownGrace: time.Second, concurrency: 1, jobTimeout: time.Hour}, NewMetrics(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	for i := range 12 {
		clock.Set(start.Add(time.Duration(i) * 5 * time.Minute))
		_ = sched.RunOnce(ctx)
	}
	if n := logins.Seen(); n != 6 {
		t.Errorf("%d logins in a simulated hour with a 10-minute back-off, want 6", n)
	}
}
