package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/internal/testbackends"
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
	r.cmd = exec.Command(bin, "-config", cfg, "run", "-owner", name, "-poll", "300ms", "-shutdown-grace", "2s")
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

type jobRow struct {
	status, owner string
	attempts      int
}

func jobTable(t *testing.T, ctx context.Context, conn *pgx.Conn) map[string]jobRow {
	t.Helper()
	rows, err := conn.Query(ctx, "SELECT key, status, owner, attempts FROM vinventory_jobs")
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]jobRow{}
	for rows.Next() {
		var k string
		var r jobRow
		if err := rows.Scan(&k, &r.status, &r.owner, &r.attempts); err != nil {
			t.Fatal(err)
		}
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplicasPostgres runs two vinventoryd processes against one
// PostgreSQL database and one simulated vCenter captured every 10 s. Every
// capture slot runs exactly once across both; one replica is killed (-9) in
// the middle of a (slowed) capture, and the other takes that slot over and
// completes it. The registry holds exactly one snapshot per completed slot.
func TestReplicasPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons for about a minute")
	}
	dsn := freshDatabase(t, testbackends.PostgresDSN(t))
	bin := buildDaemon(t)
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 30, Password: "s3cret-" + rand.Text()})
	dir := t.TempDir()

	keyLine, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys")
	if err := os.WriteFile(keyFile, []byte(keyLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := *sim.URL
	u.User = nil
	cfg := filepath.Join(dir, "vinventory.yaml")
	const interval = 10 * time.Second
	yaml := fmt.Sprintf(`store: {driver: postgres, dsn: %q}
http: {listen: ""}
log: {level: info, format: json}
keys: {file: %q}
settings:
  report_dir: %q
  capture_retry: {attempts: 1, backoff: 1s, max_backoff: 1s}
endpoints:
  - name: vc1
    url: %q
    username: %q
    password_env: VC1_PASSWORD
    tls: {thumbprint: %q}
    poll_interval: %s
`, dsn, keyFile, filepath.Join(dir, "reports"), u.String(), sim.Username, sim.Thumbprint(), interval)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "VC1_PASSWORD="+sim.Password)

	// Migrate once before the replicas race (they would serialize on the
	// migration lock anyway).
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
	captureKeys := func(status string) []string {
		var out []string
		for k, r := range jobTable(t, ctx, conn) {
			if strings.HasPrefix(k, "capture:vc1:") && (status == "" || r.status == status) {
				out = append(out, k)
			}
		}
		return out
	}
	// Two slots complete normally.
	waitFor("two capture slots done", 3*interval, func() bool { return len(captureKeys("done")) >= 2 })

	// Slow the simulator down so the next capture takes seconds, then kill
	// whichever replica starts it.
	done := map[string]bool{}
	for _, k := range captureKeys("done") {
		done[k] = true
	}
	slow := sim.InjectSlowCalls("RetrievePropertiesEx", 4*time.Second)
	var victimKey, victimOwner string
	waitFor("a slowed capture to start", 2*interval, func() bool {
		for k, r := range jobTable(t, ctx, conn) {
			if strings.HasPrefix(k, "capture:vc1:") && !done[k] && r.status == "running" {
				victimKey, victimOwner = k, r.owner
				return true
			}
		}
		return false
	})
	victim, survivor := a, b
	if victimOwner == "replica-b" {
		victim, survivor = b, a
	}
	killed[victim] = true
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	slow.Remove()
	t.Logf("killed %s while it ran %s", victim.name, victimKey)
	waitFor("the survivor to take over "+victimKey, interval, func() bool {
		r := jobTable(t, ctx, conn)[victimKey]
		return r.status == "done"
	})
	// One more slot on the survivor alone.
	waitFor("another slot after the takeover", 2*interval, func() bool { return len(captureKeys("done")) >= len(done)+2 })
	killed[survivor] = true
	if err := survivor.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-survivor.done
	if err := survivor.cmd.Wait(); err != nil {
		t.Errorf("survivor did not stop cleanly on SIGTERM: %v", err)
	}

	table := jobTable(t, ctx, conn)
	if r := table[victimKey]; r.status != "done" || r.owner != survivor.name || r.attempts != 2 {
		t.Errorf("taken-over key %s = %+v, want done by %s after 2 attempts", victimKey, r, survivor.name)
	}
	finished := map[string][]string{}
	for _, r := range []*replica{a, b} {
		for _, k := range r.finished() {
			finished[k] = append(finished[k], r.name)
		}
	}
	keys := captureKeys("")
	for _, k := range keys {
		r := table[k]
		if r.status != "done" {
			t.Errorf("%s: status %s", k, r.status)
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
	var snapshots int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM snapshot_registry WHERE vcenter = 'vc1' AND kind = 'hourly'").Scan(&snapshots); err != nil {
		t.Fatal(err)
	}
	if snapshots != len(keys) {
		t.Errorf("registry holds %d hourly snapshots for %d completed capture slots", snapshots, len(keys))
	}
	for _, r := range []*replica{a, b} {
		if strings.Contains(r.text(), sim.Password) {
			t.Errorf("%s logged the vCenter password", r.name)
		}
	}
	t.Logf("%d capture slots, each completed once; %s taken over by %s", len(keys), victimKey, survivor.name)
}
