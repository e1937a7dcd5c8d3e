package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/daemon"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
)

// freshDatabase creates a database for one test and returns its DSN.
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := "vinv_" + strings.ToLower(rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("VINVENTORY_TEST_PG_DSN must be a URL here: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// replica is one vinventoryd process and its JSON log lines.
type replica struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []map[string]any
	raw  strings.Builder
	done chan struct{}
}

func startReplica(t *testing.T, bin, cfg, name string, env []string) *replica {
	t.Helper()
	r := &replica{name: name, done: make(chan struct{})}
	r.cmd = exec.Command(bin, "-config", cfg, "run", "-owner", name, "-poll", "300ms", "-shutdown-grace", "2s",
		"-job-timeout", "9s", "-rescue-after", "10s", "-retry-backoff", "1s")
	r.cmd.Env = env
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout = io.Discard
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			r.mu.Lock()
			r.raw.WriteString(sc.Text() + "\n")
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				r.logs = append(r.logs, m)
			}
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
		_ = r.cmd.Wait()
	})
	return r
}

// finished returns the keys this replica completed ("jobs: run done").
func (r *replica) finished() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.logs {
		if m["msg"] == "jobs: run done" {
			out = append(out, fmt.Sprint(m["key"]))
		}
	}
	return out
}

func (r *replica) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raw.String()
}

// jobRow is one run in river's job table.
type jobRow struct {
	state       string
	attempts    int
	attemptedBy []string
}

// jobTable returns river's runs by key (job:period).
func jobTable(t *testing.T, ctx context.Context, conn *pgx.Conn) map[string]jobRow {
	t.Helper()
	rows, err := conn.Query(ctx, `SELECT args->>'job', args->>'period', state, attempt, coalesce(attempted_by, '{}')
		FROM river_job WHERE kind = 'vinventory_run'`)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]jobRow{}
	for rows.Next() {
		var job, period string
		var r jobRow
		if err := rows.Scan(&job, &period, &r.state, &r.attempts, &r.attemptedBy); err != nil {
			t.Fatal(err)
		}
		out[job+":"+period] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// by names the replica whose river client made the latest attempt (client
// IDs start with the replica's -owner).
func (r jobRow) by() string {
	if len(r.attemptedBy) == 0 {
		return ""
	}
	id := r.attemptedBy[len(r.attemptedBy)-1]
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// seedDays captures the simulated vCenter at six times on each of the two
// days before today (UTC), as a daemon that then went down would have, so
// the replicas find two days to aggregate.
func seedDays(t *testing.T, cfgPath string, env []string) (days []string) {
	t.Helper()
	ctx := context.Background()
	getenv := func(k string) (string, bool) {
		for _, kv := range env {
			if name, v, ok := strings.Cut(kv, "="); ok && name == k {
				return v, true
			}
		}
		return "", false
	}
	cfg, err := config.Load(cfgPath, getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := daemon.OpenApp(ctx, cfg, getenv, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	targets, err := daemon.Targets(ctx, a.Store, a.Keyring, zap.NewNop(), nil)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets: %v (%d)", err, len(targets))
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for d := 2; d >= 1; d-- {
		day := today.AddDate(0, 0, -d)
		days = append(days, day.Format(time.DateOnly))
		for h := 1; h < 24; h += 4 {
			at := day.Add(time.Duration(h) * time.Hour)
			a.Clock = func() time.Time { return at }
			if _, err := a.Pipeline.RunHourly(ctx, targets, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	return days
}

// TestReplicasPostgres runs two vinventoryd processes against one
// PostgreSQL database (river's job table) and one simulated vCenter
// captured every minute, after two days without a daemon. Every capture
// slot and both missing days run exactly once across the two (river's
// table, the logs and the registry agree); one replica is killed (-9) in
// the middle of a (slowed) capture and the other takes that run over once
// river's rescuer finds it stuck (-rescue-after 10s); a repair enqueued
// twice before the replicas start runs once; nothing is left running.
func TestReplicasPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons for about three minutes")
	}
	dsn := freshDatabase(t, testbackends.PostgresDSN(t))
	bin := buildDaemon(t)
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 30, Password: "s3cret-" + rand.Text()})
	dir := t.TempDir()

	const interval = time.Minute
	cfg, env := daemonConfig(t, dir, fmt.Sprintf("{driver: postgres, dsn: %q}", dsn), sim, interval, true)
	days := seedDays(t, cfg, env)

	// A repair of the two days asked for twice before any daemon runs.
	var enqueued []string
	for range 2 {
		cmd := exec.Command(bin, "-config", cfg, "enqueue", "repair", "-from", days[0], "-to", days[1])
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("enqueue: %v\n%s", err, out)
		}
		enqueued = append(enqueued, string(out))
	}
	if !strings.Contains(enqueued[0], "enqueued") || !strings.Contains(enqueued[1], "not queued again") {
		t.Fatalf("enqueue twice:\n%s", strings.Join(enqueued, ""))
	}

	ctx := context.Background()
	a := startReplica(t, bin, cfg, "replica-a", env)
	b := startReplica(t, bin, cfg, "replica-b", env)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	killed := map[*replica]bool{}
	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit) // hang guard, not a performance assertion
		for !cond() {
			for _, r := range []*replica{a, b} {
				select {
				case <-r.done:
					if !killed[r] {
						t.Fatalf("%s exited:\n%s", r.name, r.text())
					}
				default:
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nreplica-a:\n%s\nreplica-b:\n%s", what, a.text(), b.text())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	keysOf := func(prefix, state string) []string {
		var out []string
		for k, r := range jobTable(t, ctx, conn) {
			if strings.HasPrefix(k, prefix) && (state == "" || r.state == state) {
				out = append(out, k)
			}
		}
		return out
	}
	waitFor("the first capture slot, both days and the repair", 2*interval, func() bool {
		// Each missing day's first aggregation (a day the concurrent repair
		// re-registered may be aggregated once more, under "<day>#<count>").
		tab := jobTable(t, ctx, conn)
		return len(keysOf("capture:vc1:", "completed")) >= 1 && tab["daily:"+days[0]].state == "completed" &&
			tab["daily:"+days[1]].state == "completed" && len(keysOf("repair:", "completed")) == 1
	})

	// Slow the simulator down so the next capture takes seconds, then kill
	// whichever replica starts it.
	done := map[string]bool{}
	for _, k := range keysOf("capture:vc1:", "completed") {
		done[k] = true
	}
	slow := sim.InjectSlowCalls("RetrievePropertiesEx", 3*time.Second)
	var victimKey, victimName string
	waitFor("a slowed capture to start", 2*interval, func() bool {
		for k, r := range jobTable(t, ctx, conn) {
			if strings.HasPrefix(k, "capture:vc1:") && !done[k] && r.state == "running" {
				victimKey, victimName = k, r.by()
				return true
			}
		}
		return false
	})
	victim, survivor := a, b
	if victimName == "replica-b" {
		victim, survivor = b, a
	}
	killed[victim] = true
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	slow.Remove()
	t.Logf("killed %s while it ran %s", victim.name, victimKey)
	waitFor("the survivor to take over "+victimKey, interval, func() bool {
		return jobTable(t, ctx, conn)[victimKey].state == "completed"
	})
	// One more slot on the survivor alone.
	waitFor("another slot after the takeover", 2*interval, func() bool { return len(keysOf("capture:vc1:", "completed")) >= len(done)+2 })
	killed[survivor] = true
	if err := survivor.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-survivor.done
	if err := survivor.cmd.Wait(); err != nil {
		t.Errorf("survivor did not stop cleanly on SIGTERM: %v", err)
	}

	table := jobTable(t, ctx, conn)
	if r := table[victimKey]; r.state != "completed" || r.by() != survivor.name || r.attempts != 2 {
		t.Errorf("taken-over run %s = %+v, want completed by %s on its second attempt", victimKey, r, survivor.name)
	}
	finished := map[string][]string{}
	outputs := 0
	for _, r := range []*replica{a, b} {
		for _, k := range r.finished() {
			finished[k] = append(finished[k], r.name)
		}
		outputs += strings.Count(r.text(), `"msg":"on-demand job output"`)
	}
	captures := keysOf("capture:vc1:", "")
	for _, k := range append(captures, keysOf("daily:", "")...) {
		r := table[k]
		if r.state != "completed" {
			t.Errorf("%s: state %s", k, r.state)
		}
		if k != victimKey && r.attempts != 1 {
			t.Errorf("%s: %d attempts, want 1", k, r.attempts)
		}
		if len(finished[k]) != 1 {
			t.Errorf("%s completed %d times (%v), want exactly once", k, len(finished[k]), finished[k])
		}
	}
	if got := finished[victimKey]; len(got) != 1 || got[0] != survivor.name {
		t.Errorf("%s completed by %v, want only %s", victimKey, got, survivor.name)
	}
	if n := len(keysOf("repair:", "")); n != 1 || outputs != 1 {
		t.Errorf("repair enqueued twice: %d runs, %d outputs logged; want 1 and 1", n, outputs)
	}
	if running := keysOf("", "running"); len(running) != 0 {
		t.Errorf("runs left running: %v", running)
	}
	count := func(kind, from string) int {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM snapshot_registry WHERE vcenter = 'vc1' AND kind = $1 AND snapshot_time >= $2::date",
			kind, from).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if n := count("hourly", today); n != len(captures) {
		t.Errorf("registry holds %d hourly snapshots today for %d completed capture slots", n, len(captures))
	}
	if n := count("daily", days[0]); n != 2 {
		t.Errorf("registry holds %d daily snapshots, want 2 (each missing day once)", n)
	}
	// The reports the replicas wrote are in the store's catalog: a third
	// process lists every one and reads back the bytes that were stored.
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pg, err := st.ListReports(ctx, &store.ListReportsParams{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, info := range pg.Reports {
		kinds[info.Kind]++
		_, rc, err := st.OpenReport(ctx, &store.OpenReportParams{Key: info.Key})
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil || n != info.Size || hex.EncodeToString(h.Sum(nil)) != info.SHA256 {
			t.Errorf("report %s: read %d bytes (%v), checksum mismatch or size %d", info.Key, n, err, info.Size)
		}
	}
	// The seeding wrote no report (reports are deferred): a replica's
	// reports run wrote one per seeded snapshot. (Daily reports and the
	// live slots' hourly ones wait for the next reports slot, or were
	// invalidated by the days' re-aggregation.)
	if kinds["hourly"] < 12 {
		t.Errorf("catalog holds %v, want at least the 12 hourly reports of the seeded snapshots", kinds)
	}
	for _, r := range []*replica{a, b} {
		if strings.Contains(r.text(), sim.Password) {
			t.Errorf("%s logged the vCenter password", r.name)
		}
	}
	t.Logf("%d capture slots and %d days, each completed once; %s taken over by %s", len(captures), 2, victimKey, survivor.name)
}
