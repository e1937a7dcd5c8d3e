package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/testbackends"
)

// privatePostgres starts a PostgreSQL cluster of the test's own
// (scripts/pgtmp.sh), which the test may stop and start, and returns its
// DSN and the pause/resume functions.
func privatePostgres(t *testing.T) (dsn string, pause, resume func()) {
	t.Helper()
	testbackends.PostgresDSN(t) // the suite's PostgreSQL policy: skip, or fail when required
	script, err := filepath.Abs("../../scripts/pgtmp.sh")
	if err != nil {
		t.Fatal(err)
	}
	// Crash-safe settings: what PostgreSQL committed survives the
	// immediate stop, as in production.
	cmd := exec.Command("bash", script, "start")
	cmd.Env = append(os.Environ(), "PGTMP_DURABLE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pgtmp.sh start: %v", err)
	}
	var dir string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimPrefix(line, "export ")
		if k, v, ok := strings.Cut(line, "="); ok {
			v = strings.Trim(v, "'")
			switch k {
			case "PGTMP_DIR":
				dir = v
			case "VINVENTORY_TEST_PG_DSN":
				dsn = v
			}
		}
	}
	if dir == "" || dsn == "" {
		t.Fatalf("pgtmp.sh start printed %q", out)
	}
	t.Cleanup(func() { _ = exec.Command("bash", script, "stop", dir).Run() })
	run := func(cmd string) func() {
		return func() {
			t.Helper()
			if out, err := exec.Command("bash", script, cmd, dir).CombinedOutput(); err != nil {
				t.Fatalf("pgtmp.sh %s: %v\n%s", cmd, err, out)
			}
		}
	}
	return dsn, run("pause"), run("resume")
}

// TestPostgresRestartMidRun stops PostgreSQL (as a crash would) while the
// daemon's capture run is in flight and starts it again seconds later: the
// daemon keeps running, the run cut short does not stay "running" in
// river's table (its error is recorded, or river's rescuer takes it back),
// and later slots complete.
func TestPostgresRestartMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL cluster under a running daemon")
	}
	dsn, pause, resume := privatePostgres(t)
	bin := buildDaemon(t)
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 20, Password: "s3cret-" + rand.Text()})
	dir := t.TempDir()
	const interval = 15 * time.Second
	cfg, env := daemonConfig(t, dir, fmt.Sprintf("{driver: postgres, dsn: %q}", dsn), sim, interval, false)
	r := startReplica(t, bin, cfg, "solo", env)
	ctx := context.Background()
	query := func() map[string]jobRow {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil // down
		}
		defer conn.Close(ctx)
		return jobTable(t, ctx, conn)
	}
	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit) // hang guard, not a performance assertion
		for !cond() {
			select {
			case <-r.done:
				t.Fatalf("the daemon exited:\n%s", r.text())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\n%s", what, r.text())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	completed := func(tab map[string]jobRow) int {
		n := 0
		for k, row := range tab {
			if strings.HasPrefix(k, "capture:vc1:") && row.state == "completed" {
				n++
			}
		}
		return n
	}
	waitFor("a first capture", 2*interval, func() bool { return completed(query()) >= 1 })
	slow := sim.InjectSlowCalls("RetrievePropertiesEx", 2*time.Second)
	var cut string
	waitFor("a slowed capture in flight", 3*interval, func() bool {
		for k, row := range query() {
			if strings.HasPrefix(k, "capture:vc1:") && row.state == "running" {
				cut = k
				return true
			}
		}
		return false
	})
	pause()
	slow.Remove()
	// Down until the run has failed on the store (its write cannot begin).
	waitFor("the cut run to fail", 2*interval, func() bool {
		for _, line := range strings.Split(r.text(), "\n") {
			if strings.Contains(line, `"msg":"jobs: run failed"`) && strings.Contains(line, `"key":"`+cut+`"`) {
				return true
			}
		}
		return false
	})
	time.Sleep(2 * time.Second)
	resume()
	t.Logf("PostgreSQL stopped and restarted while %s ran", cut)
	before := completed(query())
	waitFor("no run left running and a later slot completed", 6*interval, func() bool {
		tab := query()
		if tab == nil || completed(tab) < before+1 {
			return false
		}
		for _, row := range tab {
			if row.state == "running" {
				return false
			}
		}
		return true
	})
	// The failure was recorded once PostgreSQL was back, and the run was
	// retried (completed) or given up for a newer slot (cancelled).
	final := query()[cut]
	if (final.state != "completed" && final.state != "cancelled") || final.attempts < 2 {
		t.Errorf("the run cut short ended %+v, want a failed attempt recorded, then completed or given up", final)
	}
	t.Logf("the run cut short ended %s after %d attempts", final.state, final.attempts)
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-r.done
	if err := r.cmd.Wait(); err != nil {
		t.Errorf("daemon did not stop cleanly after the outage: %v\n%s", err, r.text())
	}
}
