package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// buildDaemon builds vinventoryd into a temp dir.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vinventoryd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// TestDemoCommand runs `vinventoryd --demo` as README tells a new user to
// (with its defaults: 500 VMs, 3 days of history), in a fresh data dir, and
// checks that it produces daily rollups in the SQLite file and XLSX reports,
// serves /healthz, captures live, and stops cleanly on SIGINT.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo (about a minute)")
	}
	bin := buildDaemon(t)
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute) // hang guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--demo", "-listen", "127.0.0.1:0")
	cmd.Dir = work // ./demo-data is relative to the working directory
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	healthRE := regexp.MustCompile(`http://(\S+)/healthz`)
	var healthURL string
	live := false
	for !live {
		line, ok := <-lines
		if !ok {
			t.Fatalf("demo exited before going live: %v\nstdout:\n%s\nstderr:\n%s", cmd.Wait(), out.String(), stderr.String())
		}
		out.WriteString(line + "\n")
		if m := healthRE.FindStringSubmatch(line); m != nil {
			healthURL = "http://" + m[1] + "/healthz"
		}
		live = strings.HasPrefix(line, "Live captures")
	}
	t.Logf("demo went live after %s:\n%s", time.Since(start).Round(time.Second), out.String())

	dataDir := filepath.Join(work, "demo-data")
	st, err := sqlitestore.Open(ctx, filepath.Join(dataDir, "vinventory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	days := map[time.Time]int{}
	err = st.ScanDailyRollups(ctx, &store.ScanRollupsParams{}, func(r *inventory.DailyRollup) error { days[r.Day]++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 3 {
		t.Errorf("daily rollups cover %d days, want 3: %v", len(days), days)
	}
	for d, n := range days {
		if n < 450 {
			t.Errorf("%s: %d daily rows, want about 500", d.Format(time.DateOnly), n)
		}
	}
	xlsx, _ := filepath.Glob(filepath.Join(dataDir, "reports", "*.xlsx"))
	summaries, _ := filepath.Glob(filepath.Join(dataDir, "reports", "inventory_daily_summary_*.xlsx"))
	if len(xlsx) == 0 || len(summaries) != 3 {
		t.Errorf("reports: %d XLSX, %d daily summaries (want 3)", len(xlsx), len(summaries))
	}
	// The demo writes the RVTools-compatible workbook of its vCenter and
	// says where: RVTools' 20 sheets, a vInfo row per VM.
	rvRE := regexp.MustCompile(`RVTools workbook \(vInfo, vHost, vHealth, \.\.\.\): (\S+\.xlsx)`)
	if m := rvRE.FindStringSubmatch(out.String()); m == nil || filepath.Dir(m[1]) != filepath.Join(dataDir, "reports") {
		t.Errorf("the demo does not print its RVTools workbook in %s", filepath.Join(dataDir, "reports"))
	} else if rv, err := excelize.OpenFile(m[1]); err != nil {
		t.Errorf("RVTools workbook: %v", err)
	} else {
		rows, err := rv.GetRows("vInfo")
		if got := rv.GetSheetList(); !slices.Equal(got, report.RVToolsSheets()) || err != nil || len(rows) < 451 {
			t.Errorf("RVTools workbook %s: sheets %v, %d vInfo rows (%v), want 20 sheets and about 500 VMs", m[1], got, len(rows), err)
		}
		rv.Close()
	}

	if healthURL == "" {
		t.Fatal("demo did not print its /healthz address")
	}
	resp, err := http.Get(healthURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var health struct {
		Status    string `json:"status"`
		Endpoints []struct {
			Name string `json:"name"`
			VMs  int    `json:"vms"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(body, &health); err != nil || health.Status != "ok" || len(health.Endpoints) != 1 || health.Endpoints[0].VMs < 450 {
		t.Errorf("/healthz: %v %s", err, body)
	}
	// The demo serves the JSON API without a token: the collector of the
	// simulated vCenter and the hourly snapshots it took.
	apiBase := strings.TrimSuffix(healthURL, "/healthz") + "/api"
	var cols struct {
		Items []struct {
			Endpoint string `json:"endpoint"`
			Counts   struct {
				VMs int `json:"vms"`
			} `json:"counts"`
		} `json:"items"`
	}
	if err := getJSON(apiBase+"/collectors", &cols); err != nil || len(cols.Items) != 1 || cols.Items[0].Counts.VMs != health.Endpoints[0].VMs {
		t.Errorf("/api/collectors: %v %+v", err, cols)
	}
	var snaps struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	if err := getJSON(apiBase+"/snapshots?kind=daily", &snaps); err != nil || len(snaps.Items) < 2 {
		t.Errorf("/api/snapshots?kind=daily: %v %+v", err, snaps)
	}

	// The web UI: printed, and every page has data.
	if !strings.Contains(out.String(), "web UI: http://") {
		t.Errorf("the demo did not print the web UI's address")
	}
	base := strings.TrimSuffix(healthURL, "/healthz")
	var billed string
	for d := range days {
		billed = d.Format(time.DateOnly)
	}
	for p, empty := range map[string]string{
		"/": "No events.", "/vms": "Nothing matches.", "/hosts": "Nothing matches.", "/clusters": "Nothing matches.",
		"/datastores": "Nothing matches.", "/networks": "Nothing matches.", "/resource-pools": "Nothing matches.",
		"/chargeback?period=day&at=" + billed: "Nothing billed", "/snapshots": "No snapshots.", "/totals": "No totals yet.",
		"/events": "No events.", "/reports": "No reports.", "/admin": "No endpoints.",
	} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), empty) {
			t.Errorf("demo page %s: %d, empty: %v", p, resp.StatusCode, strings.Contains(string(body), empty))
		}
	}

	// The demo works maintenance jobs: a rebuild queued through the admin
	// page's API call completes with its progress.
	req, _ := http.NewRequest(http.MethodPost, apiBase+"/snapshots/aggregate", strings.NewReader(`{"from":"`+billed+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var queued struct {
		JobID int64 `json:"job_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&queued)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted || queued.JobID == 0 {
		t.Fatalf("queue a rebuild: %d %v", resp.StatusCode, err)
	}
	var run struct {
		State    string `json:"state"`
		Progress *struct {
			Done, Total int
		} `json:"progress"`
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && run.State != "completed"; time.Sleep(250 * time.Millisecond) {
		if err := getJSON(fmt.Sprintf("%s/jobs/%d", apiBase, queued.JobID), &run); err != nil {
			t.Fatal(err)
		}
	}
	if run.State != "completed" || run.Progress == nil || run.Progress.Done != run.Progress.Total {
		t.Errorf("the demo's rebuild job: %+v", run)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo did not exit cleanly on SIGINT: %v\nstderr:\n%s", err, stderr.String())
	}
}

// getJSON GETs url and decodes a 200 answer into v.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}
