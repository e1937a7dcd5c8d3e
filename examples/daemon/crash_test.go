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

	// Make the endpoint's event reads hang, then rename a VM: the next
	// capture is written and its reconcile waits on the events.
	slow := sim.InjectSlowCalls("CreateCollectorForEvents", 15*time.Second)
	ctx := context.Background()
	victim := sim.VMRefs()[0]
	if err := sim.Rename(ctx, victim, "renamed-before-crash"); err != nil {
		t.Fatal(err)
	}
	// The first snapshot that holds the new name: a capture under way
	// while the rename was made may be written after it without it.
	renamedIn := func() int {
		return query("SELECT coalesce(min(snapshot_time), 0) FROM vm_hourly_stats WHERE vcenter = 'vc1' AND vm_id = ? AND name = ?",
			victim, "renamed-before-crash")
	}
	waitFor(first, "a snapshot with the rename written but not reconciled", func() bool {
		return renamedIn() > 0 && reconciled() < snapshots()
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	_ = first.cmd.Wait()
	slow.Remove()
	if n := query("SELECT count(*) FROM inventory_events WHERE kind = 'rename'"); n != 0 {
		t.Fatalf("%d rename events before the restart, want none (the reconcile was killed)", n)
	}
	pending := renamedIn()
	if n := query("SELECT count(*) FROM snapshot_registry r JOIN reconcile_state s ON s.vcenter = r.vcenter "+
		"WHERE r.vcenter = 'vc1' AND r.kind = 'hourly' AND r.snapshot_time = ? AND r.snapshot_time <= s.reconciled_through", pending); n != 0 {
		t.Fatalf("the snapshot with the rename (%d) was reconciled before the kill", pending)
	}
	base := snapshots()

	second := startReplica(t, bin, cfg, "second", env)
	waitFor(second, "every snapshot reconciled after the restart", func() bool {
		n := snapshots()
		return n > base && reconciled() == n
	})
	if n := query("SELECT count(*) FROM inventory_events WHERE kind = 'rename' AND vm_id = ? AND snapshot_time = ?", victim, pending); n != 1 {
		t.Errorf("rename events of %s at the killed snapshot %d = %d, want 1 (snapshots %v, rename events %v)\n%s",
			victim, pending, n, column(t, db, "SELECT snapshot_time FROM snapshot_registry WHERE vcenter = 'vc1' ORDER BY 1"),
			column(t, db, "SELECT vm_id || '@' || snapshot_time FROM inventory_events WHERE kind = 'rename'"), second.text())
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

// column returns the first column of q's rows, as text.
func column(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
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
