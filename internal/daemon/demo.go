package daemon

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// DemoOptions configure RunDemo.
type DemoOptions struct {
	// DataDir holds the SQLite file, the key file and the reports.
	// Defaults to "./demo-data".
	DataDir string
	// Listen is the address of /healthz and /metrics. Defaults to
	// "127.0.0.1:8080"; "-" disables the server.
	Listen string
	// VMs in the simulated vCenter. Defaults to 500.
	VMs int
	// Days of hourly history simulated on a fast clock before live
	// captures start; the history ends at today's midnight (UTC). Defaults
	// to 3.
	Days int
	// LiveInterval between live captures once the history is written.
	// Defaults to 1 minute.
	LiveInterval time.Duration
	// HistoryOnly stops after the history, aggregation and reports (tests).
	HistoryOnly bool
	// Seed makes the inventory and its churn reproducible. Defaults to 1.
	Seed uint64
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// Out receives the human-readable progress. Defaults to io.Discard.
	Out io.Writer
	// Clock defaults to time.Now.
	Clock func() time.Time
}

func (o *DemoOptions) defaults() {
	if o.DataDir == "" {
		o.DataDir = "./demo-data"
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8080"
	}
	if o.VMs == 0 {
		o.VMs = 500
	}
	if o.Days == 0 {
		o.Days = 3
	}
	if o.LiveInterval == 0 {
		o.LiveInterval = time.Minute
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
}

// DemoEndpoint is the name of the demo's simulated vCenter.
const DemoEndpoint = "demo-vcenter"

// demoClock is the pipeline's clock: simulated during the history, then the
// real one.
type demoClock struct {
	real func() time.Time
	sim  atomic.Pointer[time.Time]
}

func (c *demoClock) now() time.Time {
	if t := c.sim.Load(); t != nil {
		return *t
	}
	return c.real()
}

func (c *demoClock) set(t time.Time) { c.sim.Store(&t) }
func (c *demoClock) live()           { c.sim.Store(nil) }

// RunDemo runs the whole pipeline against an in-process vCenter simulator
// and a SQLite file: it builds a realistic inventory (several clusters and
// hosts, VMs in Tin/Bronze/Silver/Gold pools), simulates Days of hourly
// history with churn on a fast clock, aggregates every completed day (and
// month), writes the reports, then keeps capturing live every LiveInterval
// until ctx ends.
func RunDemo(ctx context.Context, o DemoOptions) error {
	o.defaults()
	log := o.Logger
	out := o.Out
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return fmt.Errorf("demo: data dir: %w", err)
	}
	reportDir := filepath.Join(dataDir, "reports")
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	kr, err := demoKeyring(filepath.Join(dataDir, "keyring"))
	if err != nil {
		return err
	}
	dbPath := filepath.Join(dataDir, "vinventory.db")
	st, err := sqlitestore.Open(ctx, dbPath, sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		return fmt.Errorf("demo: open %s: %w", dbPath, err)
	}
	defer st.Close()

	start := time.Now()
	fmt.Fprintf(out, "vinventoryd demo: building a simulated vCenter with %d VMs...\n", o.VMs)
	sim, err := capturetest.Start(ctx, capturetest.Options{
		Datacenters: 2, ClustersPerDatacenter: 2, HostsPerCluster: 3,
		VMs: o.VMs, Templates: 4, Seed: int64(o.Seed),
		Username: "demo-reader@vsphere.local", Password: rand.Text(),
	})
	if err != nil {
		return fmt.Errorf("demo: start simulator: %w", err)
	}
	defer sim.Close()
	exp := sim.Expected()
	fmt.Fprintf(out, "  simulator ready in %s: %d datacenters, %d clusters, %d hosts, %d VMs (+%d templates) at %s\n",
		time.Since(start).Round(time.Millisecond), exp.Datacenters, exp.Clusters, exp.Hosts, exp.VMs-exp.Templates, exp.Templates, redactURL(sim.URL))

	if err := registerDemoEndpoint(ctx, st, kr, sim); err != nil {
		return err
	}

	clock := &demoClock{real: o.Clock}
	settings := vinventory.DefaultSettings()
	settings.ReportDir = reportDir
	settings.CaptureRetry.Attempts = 2
	settings.CaptureRetry.Backoff = time.Second
	p, err := vinventory.NewPipeline(st, settings, log, vinventory.WithClock(clock.now))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	targets, err := Targets(ctx, st, kr, log, nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	metrics := NewMetrics()
	health := &HealthSource{Store: st}
	if o.Listen != "-" {
		srv, addr, err := serveHTTP(ctx, o.Listen, NewMux(health, metrics), log)
		if err != nil {
			fmt.Fprintf(out, "  (no /healthz and /metrics: %v)\n", err)
		} else {
			defer srv.Close()
			fmt.Fprintf(out, "  health and metrics: http://%s/healthz  http://%s/metrics\n", addr, addr)
		}
	}

	// History on a fast clock, unless a previous run already wrote it.
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: DemoEndpoint, Kind: inventory.Hourly, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if len(recs) > 0 {
		fmt.Fprintf(out, "  %s already holds snapshots from an earlier run (%d+): continuing with live captures (delete %s for a fresh demo)\n",
			dbPath, len(recs), dataDir)
	} else {
		if err := demoHistory(ctx, o, p, sim, targets, clock, metrics); err != nil {
			return err
		}
	}
	clock.live()
	fmt.Fprintf(out, "\nWhat to open:\n  SQLite file: %s\n    sqlite3 %s \"select date(day/1000000, 'unixepoch') as day, count(*) as vms, round(sum(avg_vcpu_count*avg_is_present), 1) as billable_vcpu_days from vm_daily_rollup group by 1\"\n  Reports:     %s\n",
		dbPath, dbPath, reportDir)
	listReports(out, reportDir)
	fmt.Fprintf(out, "  Elapsed: %s\n", time.Since(start).Round(time.Millisecond))
	if o.HistoryOnly {
		return nil
	}

	fmt.Fprintf(out, "\nLive captures every %s (Ctrl-C to stop)...\n", o.LiveInterval)
	return demoLive(ctx, o, p, targets, metrics)
}

// demoHistory captures Days × 24 hourly snapshots, with churn between them,
// aggregating each day as it completes and writing its reports.
func demoHistory(ctx context.Context, o DemoOptions, p *vinventory.Pipeline, sim *capturetest.Sim,
	targets []capture.Target, clock *demoClock, metrics *Metrics) error {
	out := o.Out
	end := o.Clock().UTC().Truncate(24 * time.Hour)
	first := end.AddDate(0, 0, -o.Days)
	ch := newChurner(sim, o.Seed)
	fmt.Fprintf(out, "  simulating %d days of hourly history, %s to %s, with churn...\n", o.Days, first.Format("2006-01-02"), end.Format("2006-01-02"))
	for at := first; !at.After(end); at = at.Add(time.Hour) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if at.After(first) {
			if _, err := ch.hour(ctx, at); err != nil {
				o.Logger.Debug("demo churn", zap.Error(err))
			}
		}
		clock.set(at.Add(2 * time.Minute))
		res, err := p.RunHourly(ctx, targets, at)
		if res != nil {
			metrics.ObserveCaptures(res.Endpoints)
		}
		if err != nil {
			return fmt.Errorf("demo: capture at %s: %w", at.Format(time.RFC3339), err)
		}
		if at.Hour() != 0 || at.Equal(first) {
			continue
		}
		// A day completed: aggregate it (and a month, when one completed)
		// and write the pending reports.
		cu, err := p.CatchUp(ctx, clock.now())
		if err != nil {
			return fmt.Errorf("demo: aggregate: %w", err)
		}
		for _, d := range append(cu.Days, cu.Months...) {
			rows := 0
			if d.Result != nil && d.Result.Result != nil {
				for _, v := range d.Result.Vcenters {
					rows += v.Rows
				}
			}
			fmt.Fprintf(out, "  %s %s aggregated: %d rollup rows\n", d.Granularity, d.Period.Start.Format("2006-01-02"), rows)
		}
		rr, err := p.RunReports(ctx, clock.now())
		if rr != nil {
			fmt.Fprintf(out, "  reports written: %d\n", len(rr.Written))
		}
		if err != nil {
			return fmt.Errorf("demo: reports: %w", err)
		}
	}
	return nil
}

// demoLive captures every LiveInterval with the real clock, aggregating
// completed days and writing reports after each capture.
func demoLive(ctx context.Context, o DemoOptions, p *vinventory.Pipeline, targets []capture.Target, metrics *Metrics) error {
	tick := time.NewTicker(o.LiveInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := o.Clock().UTC().Truncate(time.Second)
		res, err := p.RunHourly(ctx, targets, now)
		if res != nil {
			metrics.ObserveCaptures(res.Endpoints)
			for _, e := range res.Endpoints {
				if e.Capture != nil {
					fmt.Fprintf(o.Out, "  %s captured %s: %d VMs in %s\n", now.Format(time.TimeOnly), e.Endpoint, e.Capture.Counts.VMs, e.Capture.Timings.Total.Round(time.Millisecond))
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(o.Out, "  capture failed: %v\n", err)
		}
		if _, err := p.CatchUp(ctx, time.Time{}); err != nil && ctx.Err() == nil {
			fmt.Fprintf(o.Out, "  aggregation failed: %v\n", err)
		}
		if _, err := p.RunReports(ctx, time.Time{}); err != nil && ctx.Err() == nil {
			fmt.Fprintf(o.Out, "  reports failed: %v\n", err)
		}
	}
}

// demoKeyring loads the demo's key file, creating it (mode 0600) on first
// run.
func demoKeyring(path string) (*secrets.Keyring, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		line, err := secrets.GenerateKey("demo1")
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(path, []byte("# vinventoryd demo keyring (generated)\n"+line+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("demo: write key file: %w", err)
		}
	}
	kr, err := secrets.LoadKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return kr, nil
}

// registerDemoEndpoint stores the simulator as an endpoint, its password
// encrypted and its certificate pinned by thumbprint.
func registerDemoEndpoint(ctx context.Context, st store.Endpoints, kr *secrets.Keyring, sim *capturetest.Sim) error {
	blob, err := kr.Encrypt([]byte(sim.Password), DemoEndpoint)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	_, err = st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: DemoEndpoint, URL: redactURL(sim.URL), Kind: inventory.KindVCenter,
		Username: sim.Username, Credential: blob,
		TLS:     inventory.TLSOptions{Thumbprint: sim.Thumbprint()},
		Tags:    map[string]string{"site": "demo", "simulated": "true"},
		Enabled: true,
	}})
	if err != nil {
		return fmt.Errorf("demo: register endpoint: %w", err)
	}
	return nil
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

func listReports(out io.Writer, dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".xlsx" {
			names = append(names, e.Name())
		}
	}
	// Summaries first (newest first), then the newest hourly reports.
	rank := func(n string) int {
		if strings.HasPrefix(n, "inventory_hourly_") {
			return 1
		}
		return 0
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(b, a)
	})
	fmt.Fprintf(out, "    %d XLSX files", len(names))
	for i, n := range names {
		if i == 6 {
			break
		}
		if i == 0 {
			fmt.Fprintf(out, ", for example:")
		}
		fmt.Fprintf(out, "\n      %s", n)
	}
	fmt.Fprintln(out)
}
