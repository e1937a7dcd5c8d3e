package daemon

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
	livestream "github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/internal/web"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
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
	// LiveCaptures stops after this many live captures. Defaults to 0: run
	// until ctx ends.
	LiveCaptures int
	// Seed makes the inventory and its churn reproducible. Defaults to 1.
	// VMs and Seed apply to a new data dir; a data dir that holds a history
	// keeps the ones it was made with (see demoState).
	Seed uint64
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// Out receives the human-readable progress. Defaults to io.Discard.
	Out io.Writer
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Metrics receives the demo's metrics, served at /metrics. Defaults to
	// NewMetrics().
	Metrics *Metrics
	// NoLive turns off the live watcher (live.enabled), which otherwise
	// follows the simulator between captures once the history is written.
	NoLive bool
	// LiveChurnEvery is how often, once live, the demo powers a simulated
	// VM off or on (now and then resizes one), so the pages have live
	// changes to show. Defaults to 20s; negative: never.
	LiveChurnEvery time.Duration
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
	if o.LiveChurnEvery == 0 {
		o.LiveChurnEvery = 20 * time.Second
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
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
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
	state, resumed, err := loadDemoState(ctx, st, dataDir, o)
	if err != nil {
		return err
	}
	if resumed && (state.VMs != o.VMs || state.Seed != o.Seed) {
		fmt.Fprintf(out, "vinventoryd demo: %s holds a history of a simulated vCenter with %d VMs (seed %d): continuing that one\n", dataDir, state.VMs, state.Seed)
	}
	fmt.Fprintf(out, "vinventoryd demo: building a simulated vCenter with %d VMs...\n", state.VMs)
	sim, err := vcsim.Start(ctx, vcsim.Options{
		Datacenters: 2, ClustersPerDatacenter: 2, HostsPerCluster: 3,
		VMs: state.VMs, Templates: 4, Seed: int64(state.Seed),
		// One worker numbers the VMs in the same order every run, so a
		// rebuilt simulator gives each VM the moref it had.
		Workers:       1,
		DatastoreFill: 0.6,
		Username:      "demo-reader@vsphere.local", Password: rand.Text(),
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
	if err := seedDemoRateCards(ctx, st, state.First); err != nil {
		return err
	}

	clock := &demoClock{real: o.Clock}
	settings := vinventory.DefaultSettings()
	settings.ReportDir = reportDir // a mirror: the reports live in the store's catalog
	settings.ReportCatalog = true
	settings.CaptureRetry.Attempts = 2
	settings.CaptureRetry.Backoff = time.Second
	p, err := vinventory.NewPipeline(st, settings, sdkLogger(log, ""), vinventory.WithClock(clock.now))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	targets, err := Targets(ctx, st, kr, log, nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	metrics := o.Metrics
	health := &HealthSource{Store: st}
	var live *LiveManager
	if !o.NoLive {
		if live, err = demoLiveManager(st, kr, log); err != nil {
			return err
		}
		metrics.WatchLive(live.Status)
		health.Live = live.Status
	}
	// Alerting: a few rules (no notification channel: add one on the
	// alerts page), evaluated once the history is written.
	op, err := Opener(kr, log, nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// One session to the simulator for power events and metrics.
	sess := newSessions(st, op)
	defer sess.close(context.Background())
	alerts, err := newAlertManager(ctx, alertDeps{Store: st, Config: demoAlertConfig(), Keyring: kr, Getenv: OSEnv,
		Clock: o.Clock, Sessions: sess, Owner: "demo", Logger: log})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if alerts != nil {
		metrics.WatchAlerts(alerts.Store, alerts.Status)
		health.Alerts = func() *AlertStatus { s := alerts.Status(); return &s }
	}
	if o.Listen != "-" {
		// A job queue on the SQLite file works the maintenance jobs the
		// admin page and the API's operator calls queue (repair, rebuild,
		// regenerate-reports), as vinventoryd run does.
		app := &App{Config: config.Default(), Store: st, SQLitePath: dbPath, Keyring: kr, Pipeline: p, Logger: log, Getenv: OSEnv}
		q, err := app.queue(ctx)
		if err != nil {
			return fmt.Errorf("demo: job queue: %w", err)
		}
		defer app.jobsDB.Close()
		qctx, stopQueue := context.WithCancel(ctx)
		queueDone := make(chan struct{})
		go func() {
			defer close(queueDone)
			if err := q.Run(qctx); err != nil {
				log.Error("demo: job queue", zap.Error(err))
			}
		}()
		defer func() { stopQueue(); <-queueDone }()
		mux := NewMux(health, metrics)
		// The demo's API needs no token (auth is off for the demo only).
		ao := api.Options{Store: st, NoAuth: true, Jobs: queueJobs{func() *jobs.Scheduler { return q }}, Logger: sdkLogger(log, "api"),
			Connector: api.KeyringConnector{Keyring: kr, Logger: sdkLogger(log, "vsphere")}}
		if live != nil {
			ao.Live = live.watchStats
		}
		hub, err := livestream.New(livestream.Options{Store: st, Logger: sdkLogger(log, "live")})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer hub.Close()
		ao.Hub = hub
		if live != nil {
			live.OnApply = func(*capture.WatchBatch) {
				hub.Wake()
				if alerts != nil {
					alerts.Trigger()
				}
			}
		}
		if alerts != nil {
			alerts.Publish = func(a inventory.Alert) { _ = hub.Publish(livestream.KindAlert, a, a.Vcenter) }
		}
		ao.Alerts = alertHooks(kr)
		h, err := api.New(ao)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := mountUI(mux, h, web.Options{Logger: sdkLogger(log, "web")}); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		srv, addr, err := serveHTTP(ctx, o.Listen, mux, log, hub.Close)
		if err != nil {
			fmt.Fprintf(out, "  (no /healthz, /metrics and API: %v)\n", err)
		} else {
			defer srv.Close()
			fmt.Fprintf(out, "  web UI: http://%s/\n", addr)
			fmt.Fprintf(out, "  health and metrics: http://%s/healthz  http://%s/metrics\n", addr, addr)
			fmt.Fprintf(out, "  JSON API (no token in the demo): http://%s/api/collectors  document: http://%s/api/openapi.json\n", addr, addr)
		}
	}

	// History on a fast clock. A data dir that holds (part of) it gets the
	// same churn replayed on the rebuilt simulator up to its newest
	// snapshot, so the simulated VMs are the ones it captured, and the rest
	// of the history is captured.
	if err := demoHistory(ctx, o, p, sim, targets, clock, metrics, state); err != nil {
		return err
	}
	clock.live()
	if n, err := seedDemoMetrics(ctx, st, DemoEndpoint, o.Clock()); err != nil {
		return fmt.Errorf("demo: %w", err)
	} else if n > 0 {
		fmt.Fprintf(out, "  utilisation: %d made-up hourly points over the last %d days (vcsim keeps no past samples); live collections every %s\n", n, demoMetricDays, o.LiveInterval)
	}
	rvtools, err := demoRVTools(ctx, p, metrics)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWhat to open:\n  SQLite file: %s\n    sqlite3 %s \"select date(day/1000000, 'unixepoch') as day, count(*) as vms, round(sum(avg_vcpu_count*avg_is_present), 1) as billable_vcpu_days from vm_daily_rollup group by 1\"\n  Reports:     %s\n",
		dbPath, dbPath, reportDir)
	listReports(out, reportDir)
	fmt.Fprintf(out, "  RVTools workbook (vInfo, vHost, vHealth, ...): %s\n", rvtools)
	fmt.Fprintf(out, "  Elapsed: %s\n", time.Since(start).Round(time.Millisecond))
	if o.HistoryOnly {
		return nil
	}

	// The evaluator starts after the first live capture: the history
	// ends at midnight, and the present is what it should judge.
	var startAlerts sync.Once
	alertsCtx, stopAlerts := context.WithCancel(ctx)
	alertsDone := make(chan struct{})
	defer func() {
		stopAlerts()
		startAlerts.Do(func() { close(alertsDone) }) // never started
		<-alertsDone
	}()
	collector := &metricsCollector{st: st, sess: sess, cfg: config.Default().Metrics, clock: o.Clock, log: log, prom: metrics,
		since: map[string]time.Time{}}
	afterCapture := func() {
		// The live collection: the simulator's quickStats follow the
		// demo's load model, then are read like any vCenter's.
		if s, err := demoLatestState(ctx, st, DemoEndpoint); err == nil {
			if err := setDemoQuickStats(sim, s, o.Clock()); err != nil && ctx.Err() == nil {
				log.Warn("demo: set quickStats", zap.Error(err))
			}
		}
		if err := collector.collect(ctx, DemoEndpoint); err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "  metrics collection failed: %v\n", err)
		}
		if alerts != nil {
			startAlerts.Do(func() {
				go func() {
					defer close(alertsDone)
					alerts.Run(alertsCtx)
				}()
			})
			alerts.Trigger()
		}
	}
	if live != nil {
		// Started after the history: its captures are stamped in the past,
		// live changes now.
		go live.Run(ctx, st, time.Minute)
		defer live.Stop()
		if o.LiveChurnEvery > 0 {
			go demoLiveChurn(ctx, newChurner(sim, state.Seed+1), o.LiveChurnEvery, log)
		}
		fmt.Fprintf(out, "\nLive updates: a property-collector watcher follows %s; changes reach the pages within seconds.", DemoEndpoint)
	}
	fmt.Fprintf(out, "\nLive captures now and every %s (Ctrl-C to stop)...\n", o.LiveInterval)
	return demoLive(ctx, o, p, targets, metrics, afterCapture)
}

// demoHistory captures the hourly snapshots of state's history, with churn
// between them, aggregating each day as it completes and writing its
// reports. The churn of hours already stored is replayed without
// capturing them again.
func demoHistory(ctx context.Context, o DemoOptions, p *vinventory.Pipeline, sim *vcsim.Sim,
	targets []capture.Target, clock *demoClock, metrics *Metrics, state *demoState) error {
	out := o.Out
	recs, err := p.Store().ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: DemoEndpoint, Kind: inventory.Hourly,
		From: state.First, To: state.End.Add(time.Second), Descending: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	var stored time.Time // newest history snapshot already stored
	if len(recs) > 0 {
		stored = recs[0].SnapshotTime
	}
	ch := newChurner(sim, state.Seed)
	switch {
	case stored.IsZero():
		fmt.Fprintf(out, "  simulating %d days of hourly history, %s to %s, with churn...\n",
			int(state.End.Sub(state.First)/(24*time.Hour)), state.First.Format(time.DateOnly), state.End.Format(time.DateOnly))
	case stored.Equal(state.End):
		fmt.Fprintf(out, "  the data dir already holds the history, %s to %s, from an earlier run: replaying its churn on the simulator (delete %s for a fresh demo)\n",
			state.First.Format(time.DateOnly), state.End.Format(time.DateOnly), o.DataDir)
	default:
		fmt.Fprintf(out, "  the data dir holds the history up to %s from an earlier run: replaying its churn, then capturing the rest to %s\n",
			stored.Format(time.DateTime), state.End.Format(time.DateOnly))
	}
	for at := state.First; !at.After(state.End); at = at.Add(time.Hour) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if at.After(state.First) {
			if _, err := ch.hour(ctx, at); err != nil {
				o.Logger.Debug("demo churn", zap.Error(err))
			}
		}
		if !at.After(stored) {
			continue // captured by an earlier run
		}
		clock.set(at.Add(2 * time.Minute))
		res, err := p.RunHourly(ctx, targets, at)
		if res != nil {
			metrics.ObserveCaptures(res.Endpoints)
		}
		if err != nil {
			return fmt.Errorf("demo: capture at %s: %w", at.Format(time.RFC3339), err)
		}
		if at.Hour() != 0 || at.Equal(state.First) {
			continue
		}
		// A day completed: aggregate it (and a month, when one completed)
		// and write the pending reports.
		if err := demoAggregate(ctx, p, clock.now(), metrics, out); err != nil {
			return err
		}
	}
	return nil
}

// demoAggregate aggregates the days and months due at now, writes the
// pending reports, counts both in metrics and says what it did on out.
func demoAggregate(ctx context.Context, p *vinventory.Pipeline, now time.Time, metrics *Metrics, out io.Writer) error {
	cu, err := p.CatchUp(ctx, now)
	if cu != nil {
		for _, d := range cu.Days {
			metrics.ObservePeriod("vm_daily_rollup", d.Result)
		}
		for _, m := range cu.Months {
			metrics.ObservePeriod("vm_monthly_rollup", m.Result)
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
	}
	if err != nil {
		return fmt.Errorf("demo: aggregate: %w", err)
	}
	rr, err := p.RunReports(ctx, now)
	if rr != nil {
		metrics.AddReports(len(rr.Written))
		if len(rr.Written) > 0 {
			fmt.Fprintf(out, "  reports written: %d\n", len(rr.Written))
		}
	}
	if err != nil {
		return fmt.Errorf("demo: reports: %w", err)
	}
	return nil
}

// demoRVTools writes the RVTools-compatible workbook of the demo's
// vCenter from its latest state (into the report catalog and its mirror
// directory) and returns its path.
func demoRVTools(ctx context.Context, p *vinventory.Pipeline, metrics *Metrics) (string, error) {
	rr, err := p.RegenerateReports(ctx, report.Request{Kind: report.KindRVTools, Vcenter: DemoEndpoint})
	if rr != nil {
		metrics.AddReports(len(rr.Written))
	}
	if err != nil {
		return "", fmt.Errorf("demo: RVTools workbook: %w", err)
	}
	if len(rr.Written) != 1 {
		return "", fmt.Errorf("demo: RVTools workbook: %d files written", len(rr.Written))
	}
	return rr.Written[0].Path, nil
}

// demoState is what rebuilding a data dir's simulated vCenter takes: its
// inventory's seed and size and the hours its history's churn covered. It
// is kept in the data dir as demo.json.
type demoState struct {
	Seed  uint64    `json:"seed"`
	VMs   int       `json:"vms"`
	First time.Time `json:"history_first"`
	End   time.Time `json:"history_end"`
}

const demoStateFile = "demo.json"

// loadDemoState reads the data dir's demoState, or makes one from o for a
// data dir with no history (resumed false). A data dir with snapshots but
// no state (made by an older demo) is refused: its VMs cannot be rebuilt,
// and a simulator with other VMs under the same ids would corrupt it.
func loadDemoState(ctx context.Context, st store.Store, dataDir string, o DemoOptions) (*demoState, bool, error) {
	path := filepath.Join(dataDir, demoStateFile)
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: DemoEndpoint, Kind: inventory.Hourly, Limit: 1})
	if err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(recs) > 0:
		var s demoState
		if err := json.Unmarshal(b, &s); err != nil || s.VMs <= 0 || s.Seed == 0 || !s.End.After(s.First) {
			return nil, false, fmt.Errorf("demo: %s is not a demo state file (delete %s for a fresh demo): %w", path, dataDir, cmp.Or(err, errors.New("missing fields")))
		}
		return &s, true, nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, false, fmt.Errorf("demo: %w", err)
	case len(recs) > 0:
		return nil, false, fmt.Errorf("demo: %s holds snapshots from a demo that did not record its simulated vCenter (%s is missing), so its VMs cannot be rebuilt: delete %s for a fresh demo", dataDir, demoStateFile, dataDir)
	}
	end := o.Clock().UTC().Truncate(24 * time.Hour)
	s := &demoState{Seed: o.Seed, VMs: o.VMs, First: end.AddDate(0, 0, -o.Days), End: end}
	b, err = json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return nil, false, fmt.Errorf("demo: write %s: %w", path, err)
	}
	return s, false, nil
}

// demoLive captures at once and then every LiveInterval with the real
// clock, aggregating completed days and writing reports after each
// capture, and calls after (the alert evaluator).
func demoLive(ctx context.Context, o DemoOptions, p *vinventory.Pipeline, targets []capture.Target, metrics *Metrics, after func()) error {
	tick := time.NewTicker(o.LiveInterval)
	defer tick.Stop()
	captures := 0
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
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
		after()
		if err := demoAggregate(ctx, p, time.Time{}, metrics, io.Discard); err != nil && ctx.Err() == nil {
			fmt.Fprintf(o.Out, "  %v\n", err)
		}
		if _, err := demoRVTools(ctx, p, metrics); err != nil && ctx.Err() == nil {
			fmt.Fprintf(o.Out, "  %v\n", err)
		}
		if captures++; o.LiveCaptures > 0 && captures >= o.LiveCaptures {
			return nil
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
func registerDemoEndpoint(ctx context.Context, st store.Endpoints, kr *secrets.Keyring, sim *vcsim.Sim) error {
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

// seedDemoRateCards gives a demo store (one without rate cards) a price
// list, so /api/chargeback shows costs: a base card for every VM-day and
// dearer vCPUs in the Gold tier, from the history's first day.
func seedDemoRateCards(ctx context.Context, st store.Store, from time.Time) error {
	rs, ok := st.(store.RateCardStore)
	if !ok {
		return nil
	}
	cards, err := rs.ListRateCards(ctx, &store.ListRateCardsParams{})
	if err != nil || len(cards) > 0 {
		return err
	}
	for _, c := range []inventory.RateCard{
		{Name: "demo base", Currency: "EUR", VCPUDay: "0.50", RAMGBDay: "0.10", ProvisionedDiskGBDay: "0.002", VMDay: "0.20"},
		{Name: "demo gold", Currency: "EUR", Tier: string(inventory.TierGold), VCPUDay: "0.90", RAMGBDay: "0.15", ProvisionedDiskGBDay: "0.004", VMDay: "0.20"},
	} {
		c.EffectiveFrom = from
		if _, err := rs.CreateRateCard(ctx, &store.CreateRateCardParams{Card: c}); err != nil {
			return fmt.Errorf("demo: rate card %q: %w", c.Name, err)
		}
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

// demoLiveManager is the demo's live watcher manager, over the SQLite store
// (no replicas).
func demoLiveManager(st store.Store, kr *secrets.Keyring, log *zap.Logger) (*LiveManager, error) {
	ws, ok := st.(capture.WatchStore)
	if !ok {
		return nil, fmt.Errorf("demo: the %s store does not keep live changes (store.LiveState)", st.Capabilities().Backend)
	}
	op, err := Opener(kr, log, nil)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return &LiveManager{Store: ws, Open: op, Config: config.Default().Live, Logger: log}, nil
}

// demoAlertConfig is the demo's alerting: the example configuration's
// rules, one of them (datastores above 55%) firing on the simulated
// datastores, which are about 60% full, and two metric rules judged on
// the live collections.
func demoAlertConfig() config.AlertsConfig {
	c := config.Default().Alerts
	c.Rules = []config.AlertRuleConfig{
		{ID: "host-down", Name: "Host disconnected", Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, For: 5 * time.Minute},
		{ID: "host-maintenance", Name: "Host in maintenance over 8h", Kind: inventory.RuleHostMaintenance, Severity: inventory.SeverityInfo, Duration: 8 * time.Hour},
		{ID: "datastore-full", Name: "Datastore above 85%", Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityWarning, Threshold: 85, Clear: 80},
		{ID: "datastore-filling", Name: "Datastore above 55%", Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityInfo, Threshold: 55, Clear: 50},
		{ID: "old-snapshots", Name: "Snapshot older than 7 days", Kind: inventory.RuleVMSnapshotAge, Severity: inventory.SeverityInfo, Threshold: 7},
		{ID: "capture-failing", Name: "Capture failing", Kind: inventory.RuleCaptureFailing, Severity: inventory.SeverityCritical, Threshold: 3},
		{ID: "stale", Name: "No capture for 3h", Kind: inventory.RuleDataStale, Severity: inventory.SeverityCritical, Duration: 3 * time.Hour},
		{ID: "vm-cpu-busy", Name: "VM CPU above 90% over 15m", Kind: inventory.RuleVMCPUUsagePct, Severity: inventory.SeverityWarning, Threshold: 90, Clear: 80},
		{ID: "host-memory", Name: "Host memory above 90% over 15m", Kind: inventory.RuleHostMemUsagePct, Severity: inventory.SeverityWarning, Threshold: 90, Clear: 85},
	}
	return c
}

// demoLiveChurn makes a small change to the simulator every interval until
// ctx ends (the live watcher shows it on the pages within seconds).
func demoLiveChurn(ctx context.Context, ch *churner, every time.Duration, log *zap.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if vm, err := ch.blip(ctx); err != nil && ctx.Err() == nil {
			log.Warn("demo: live change failed", zap.String("vm", vm), zap.Error(err))
		}
	}
}
