package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/secrets"
)

// TestKilledBetweenCaptureAndReconcile (SEMANTICS §3, exactly-once
// reconcile): a daemon killed with -9 after a snapshot is written but
// before it is reconciled loses no change event: the restarted daemon
// reconciles that snapshot first, against the one before it, and the
// rename made before it is recorded at its time.
func TestKilledBetweenCaptureAndReconcile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon twice")
	}
	bin := buildDaemon(t)
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 12, Password: "s3cret-" + rand.Text()})
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "vinventory.db")
	cfg, env := daemonConfig(t, dir, fmt.Sprintf("{driver: sqlite, path: %q}", dbPath), sim, 3*time.Second, true)

	var db *sql.DB
	query := func(q string, args ...any) int {
		t.Helper()
		if db == nil {
			if _, err := os.Stat(dbPath); err != nil {
				return 0
			}
			var err error
			if db, err = sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			return 0 // tables not there yet
		}
		return n
	}
	snapshots := func() int {
		return query("SELECT count(*) FROM snapshot_registry WHERE vcenter = 'vc1' AND kind = 'hourly'")
	}
	reconciled := func() int {
		return query("SELECT count(*) FROM snapshot_registry r JOIN reconcile_state s ON s.vcenter = r.vcenter " +
			"WHERE r.vcenter = 'vc1' AND r.kind = 'hourly' AND r.snapshot_time <= s.reconciled_through")
	}
	waitFor := func(r *replica, what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second) // hang guard, not a performance assertion
		for !cond() {
			select {
			case <-r.done:
				t.Fatalf("daemon exited while waiting for %s:\n%s", what, r.text())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s:\n%s", what, r.text())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := startReplica(t, bin, cfg, "first", env)
	waitFor(first, "a reconciled snapshot", func() bool { return reconciled() >= 1 })

	// Rename a VM, then make the endpoint's event reads hang: the next
	// capture is written and its reconcile waits on the events.
	ctx := context.Background()
	victim := sim.VMRefs()[0]
	if err := sim.Rename(ctx, victim, "renamed-before-crash"); err != nil {
		t.Fatal(err)
	}
	slow := sim.InjectSlowCalls("CreateCollectorForEvents", 15*time.Second)
	base := snapshots()
	waitFor(first, "a snapshot written but not reconciled", func() bool { return snapshots() > base && reconciled() < snapshots() })
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	_ = first.cmd.Wait()
	slow.Remove()
	if n := query("SELECT count(*) FROM inventory_events WHERE kind = 'rename'"); n != 0 {
		t.Fatalf("%d rename events before the restart, want none (the reconcile was killed)", n)
	}
	var pending int64
	if err := db.QueryRow("SELECT max(snapshot_time) FROM snapshot_registry WHERE vcenter = 'vc1' AND kind = 'hourly'").Scan(&pending); err != nil {
		t.Fatal(err)
	}

	second := startReplica(t, bin, cfg, "second", env)
	waitFor(second, "every snapshot reconciled after the restart", func() bool {
		n := snapshots()
		return n > base+1 && reconciled() == n
	})
	if n := query("SELECT count(*) FROM inventory_events WHERE kind = 'rename' AND vm_id = ? AND snapshot_time = ?", victim, pending); n != 1 {
		t.Errorf("rename events of %s at the killed snapshot = %d, want 1\n%s", victim, n, second.text())
	}
	if n := query("SELECT count(*) FROM inventory_events WHERE kind = 'rename'"); n != 1 {
		t.Errorf("%d rename events in all, want exactly 1", n)
	}
	// The JSON logs carry each key once per line.
	for _, r := range []*replica{first, second} {
		for _, line := range strings.Split(strings.TrimSpace(r.text()), "\n") {
			if d := duplicateKeys(line); len(d) > 0 {
				t.Errorf("log line with duplicate keys %v: %s", d, line)
			}
		}
	}
}

// duplicateKeys returns the top-level keys of a JSON object that appear
// more than once.
func duplicateKeys(line string) []string {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	var dups []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dups
		}
		key, _ := tok.(string)
		if seen[key] {
			dups = append(dups, key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return dups
		}
	}
	return dups
}

// daemonConfig writes a key file and a vinventoryd configuration into dir:
// the store line given (e.g. `{driver: sqlite, path: "..."}`), JSON logs, no
// HTTP server, one endpoint vc1 on sim polled every interval, reports in
// dir/reports when reports is set. It returns the file and the process
// environment holding vc1's password.
func daemonConfig(t *testing.T, dir, storeYAML string, sim *vcsim.Sim, interval time.Duration, reports bool) (cfg string, env []string) {
	t.Helper()
	keyLine, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys")
	if err := os.WriteFile(keyFile, []byte(keyLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reportDir := ""
	if reports {
		reportDir = fmt.Sprintf("\n  report_dir: %q", filepath.Join(dir, "reports"))
	}
	u := *sim.URL
	u.User = nil
	cfg = filepath.Join(dir, "vinventory.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`store: %s
http: {listen: ""}
log: {level: info, format: json}
keys: {file: %q}
settings:%s
  capture_retry: {attempts: 1, backoff: 1s, max_backoff: 1s}
endpoints:
  - name: vc1
    url: %q
    username: %q
    password_env: VC1_PASSWORD
    tls: {thumbprint: %q}
    poll_interval: %s
`, storeYAML, keyFile, reportDir, u.String(), sim.Username, sim.Thumbprint(), interval)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, append(os.Environ(), "VC1_PASSWORD="+sim.Password)
}
