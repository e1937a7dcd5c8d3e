// Package aggbench measures the aggregation paths of the aggregate package
// on a synthetic dataset: it writes N VMs × 24 hourly snapshots of one day
// (canonical tables and inventory_hourly_* compatibility tables, through
// the store's batched writes) plus the daily rollups of a month (computed
// from generated hourly data with the pure daily builder), then times
// aggregate.Daily and aggregate.Monthly in each mode against the read
// bound: streaming the same input rows out of the store and nothing else.
//
// It backs the examples/aggbench command and docs/benchmarks-aggregate.md.
package aggbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// Modes a Config may list. "read_bound" is the time to stream the input
// rows (ScanSamples for daily, ScanDailyRollups for monthly); "hourly" is
// Monthly with GranularityHourly (needs Config.FullMonthHourly).
func Modes() []string { return []string{"go", "sql", "legacy", "hourly", "read_bound"} }

// Config configures Run.
type Config struct {
	// Store is "sqlite" or "postgres". Defaults to "sqlite".
	Store string
	// DSN is the SQLite file path (created if missing; defaults to a file
	// in a new temporary directory, removed afterwards) or the PostgreSQL
	// connection string (required for postgres).
	DSN string
	// Schema is the PostgreSQL schema the dataset is written to; it is
	// dropped and re-created. Defaults to "vinventory_aggbench".
	Schema string
	// VMs is the number of VMs. Defaults to 1000.
	VMs int
	// Days is the number of days of the month with daily rollups (1..28).
	// Defaults to 30 and is capped at the month's length (the benchmark
	// month has 30 days).
	Days int
	// Modes to time, from Modes. Defaults to go, sql, legacy, read_bound.
	Modes []string
	// Repeat is how many times each measurement runs; the best time is
	// reported. Defaults to 3.
	Repeat int
	// FullMonthHourly also writes hourly samples for every day of the
	// month (VMs × 24 × Days rows), which the "hourly" monthly mode reads.
	// Off by default: it multiplies generation time by Days.
	FullMonthHourly bool
	// Rerun times re-runs over the period's existing outputs (what a
	// repair does: every rollup row is deleted and written again in the
	// same transaction). By default each timed run of a writing mode is
	// the scheduled case, the period's first run: before it, untimed, the
	// period's rollup rows and summary table are removed and the rollup
	// table is vacuumed (PostgreSQL), as if the period had never been
	// aggregated.
	Rerun bool
	// Seed seeds the generator. Defaults to 1.
	Seed int64
	// Out receives the table and the JSON lines. Defaults to io.Discard.
	Out io.Writer
	// Log, when set, receives progress lines (generation steps).
	Log io.Writer
}

// Result is one measurement.
type Result struct {
	Op      string  `json:"op"`   // daily | monthly
	Mode    string  `json:"mode"` // go | sql | legacy | hourly | read_bound
	Backend string  `json:"backend"`
	VMs     int     `json:"vms"`
	Rows    int     `json:"rows"`     // input rows read (samples or daily rows)
	OutRows int     `json:"out_rows"` // rollup rows written (0 for read_bound)
	Seconds float64 `json:"seconds"`  // best of Repeat
	Load    string  `json:"load"`     // /proc/loadavg when measured
	// Rerun is true when the writing modes were timed as re-runs over
	// existing outputs (Config.Rerun), false for first runs.
	Rerun bool `json:"rerun"`
}

// Month is the benchmark month; Day0 its first day (the daily benchmark
// day).
var (
	Month = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	Day0  = Month
)

const vcenter = "vc-bench"

func (c *Config) defaults() error {
	if c.Store == "" {
		c.Store = "sqlite"
	}
	if c.Store != "sqlite" && c.Store != "postgres" {
		return fmt.Errorf("aggbench: Store is %q, want sqlite or postgres", c.Store)
	}
	if c.Store == "postgres" && c.DSN == "" {
		return errors.New("aggbench: postgres needs a DSN")
	}
	if c.Schema == "" {
		c.Schema = "vinventory_aggbench"
	}
	if c.VMs == 0 {
		c.VMs = 1000
	}
	if c.VMs < 0 {
		return fmt.Errorf("aggbench: VMs is %d, want > 0", c.VMs)
	}
	if c.Days == 0 {
		c.Days = 30
	}
	if c.Days < 0 {
		return fmt.Errorf("aggbench: Days is %d, want > 0", c.Days)
	}
	c.Days = min(c.Days, 30)
	if len(c.Modes) == 0 {
		c.Modes = []string{"go", "sql", "legacy", "read_bound"}
	}
	for _, m := range c.Modes {
		ok := false
		for _, x := range Modes() {
			ok = ok || x == m
		}
		if !ok {
			return fmt.Errorf("aggbench: unknown mode %q (want one of %s)", m, strings.Join(Modes(), ", "))
		}
	}
	if c.Repeat == 0 {
		c.Repeat = 3
	}
	if c.Repeat < 0 {
		return fmt.Errorf("aggbench: Repeat is %d, want > 0", c.Repeat)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	return nil
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Run generates the dataset, times every mode and prints a table followed
// by one JSON object per line.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	st, cleanup, err := open(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer cleanup.close()
	t0 := time.Now()
	if err := Generate(ctx, st, &cfg); err != nil {
		return nil, err
	}
	cfg.logf("generated %d VMs × 24 h + %d days of daily rollups in %s", cfg.VMs, cfg.Days, time.Since(t0).Round(time.Millisecond))
	var out []Result
	backend := st.Capabilities().Backend
	for _, op := range []string{"daily", "monthly"} {
		for _, mode := range cfg.Modes {
			if op == "daily" && mode == "hourly" {
				continue
			}
			if op == "monthly" && mode == "hourly" && !cfg.FullMonthHourly {
				cfg.logf("monthly/hourly skipped: needs FullMonthHourly")
				continue
			}
			r, err := measure(ctx, st, cleanup, &cfg, op, mode)
			if err != nil {
				return out, fmt.Errorf("aggbench: %s %s: %w", op, mode, err)
			}
			r.Backend, r.VMs = backend, cfg.VMs
			cfg.logf("%s %s: %.3fs", op, mode, r.Seconds)
			out = append(out, *r)
		}
	}
	printTable(cfg.Out, out)
	return out, nil
}

// backend holds what Run needs beyond the store: closing it, and
// vacuuming a table after the untimed removal of a period's outputs.
type backend struct {
	close  func()
	vacuum func(ctx context.Context, table string) error
}

func open(ctx context.Context, cfg *Config) (aggregate.BackfillStore, *backend, error) {
	switch cfg.Store {
	case "postgres":
		st, err := pgstore.Open(ctx, cfg.DSN, pgstore.Options{Schema: cfg.Schema})
		if err != nil {
			return nil, nil, err
		}
		schema := `"` + strings.ReplaceAll(cfg.Schema, `"`, `""`) + `"`
		if _, err := st.Pool().Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			st.Close()
			return nil, nil, err
		}
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, nil, err
		}
		return st, &backend{close: func() { st.Close() }, vacuum: func(ctx context.Context, table string) error {
			_, err := st.Pool().Exec(ctx, `VACUUM (ANALYZE) `+schema+`.`+table)
			return err
		}}, nil
	default:
		path, dir := cfg.DSN, ""
		if path == "" {
			d, err := os.MkdirTemp("", "aggbench-")
			if err != nil {
				return nil, nil, err
			}
			dir, path = d, filepath.Join(d, "aggbench.db")
		} else {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					return nil, nil, err
				}
			}
		}
		st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{AutoMigrate: true, Synchronous: "normal"})
		if err != nil {
			if dir != "" {
				os.RemoveAll(dir)
			}
			return nil, nil, err
		}
		return st, &backend{close: func() {
			st.Close()
			if dir != "" {
				os.RemoveAll(dir)
			}
		}, vacuum: func(context.Context, string) error { return nil }}, nil
	}
}

// vm is one synthetic VM.
type vm struct {
	id, uuid, name string
	born, died     int // hours since Month; died < 0: alive
	vcpu           int
	ramMB          int64
	pool           int
	host           int
	disk           float64
	created        time.Time
}

var pools = []string{"Resources/Tin", "Resources/Bronze", "Resources/Silver", "Resources/Gold", "Resources", "Resources/dev"}

// gen is the synthetic fleet: realistic churn (about 1% of VMs created
// and 1% deleted per day, at random hours), resizes (about 2% per day),
// pool moves (about 2% per day), power changes, hosts and disk growth.
type gen struct {
	rng *rand.Rand
	vms []*vm
	n   int
}

func newGen(seed int64, n int) *gen {
	g := &gen{rng: rand.New(rand.NewSource(seed)), n: n}
	for i := 0; i < n; i++ {
		g.vms = append(g.vms, g.newVM(i, -1))
	}
	return g
}

func (g *gen) newVM(i, born int) *vm {
	v := &vm{id: fmt.Sprintf("vm-%d", 1000+i), uuid: fmt.Sprintf("4210%04x-%04x-4a1b-9c2d-%012x", i>>16, i&0xffff, i),
		name: fmt.Sprintf("app-%05d", i), born: born, died: -1, vcpu: 1 << g.rng.Intn(4), ramMB: int64(1024 << g.rng.Intn(5)),
		pool: g.rng.Intn(len(pools)), host: g.rng.Intn(64), disk: float64(20 + g.rng.Intn(500))}
	if g.rng.Intn(10) > 0 {
		v.created = Month.Add(-time.Duration(g.rng.Intn(3*365*24)) * time.Hour)
	}
	return v
}

// evolve applies one day of churn and changes, before the day's hours.
func (g *gen) evolve(day int) {
	if day == 0 {
		return
	}
	for _, v := range g.vms {
		if v.died >= 0 {
			continue
		}
		switch r := g.rng.Intn(100); {
		case r < 1:
			v.died = day*24 + g.rng.Intn(24)
		case r < 3:
			v.vcpu = 1 << g.rng.Intn(4)
			v.ramMB = int64(1024 << g.rng.Intn(5))
		case r < 5:
			v.pool = g.rng.Intn(len(pools))
		case r < 8:
			v.host = g.rng.Intn(64)
		}
		v.disk += g.rng.Float64()
	}
	births := g.n / 100
	for i := 0; i < births; i++ {
		v := g.newVM(len(g.vms), day*24+g.rng.Intn(24))
		v.created = Month.Add(time.Duration(v.born) * time.Hour)
		g.vms = append(g.vms, v)
	}
}

// samples returns the samples of hour h (hours since Month).
func (g *gen) samples(h int) []inventory.Sample {
	at := Month.Add(time.Duration(h) * time.Hour)
	out := make([]inventory.Sample, 0, len(g.vms))
	for i, v := range g.vms {
		if h < v.born || (v.died >= 0 && h >= v.died) {
			continue
		}
		state := inventory.PoweredOn
		if (i+h/6)%9 == 0 {
			state = inventory.PoweredOff
		}
		out = append(out, inventory.Sample{Vcenter: vcenter, SnapshotTime: at, VMID: v.id, VMUUID: v.uuid, Name: v.name,
			Datacenter: "DC1", Cluster: fmt.Sprintf("cluster-%d", v.host/16), Host: fmt.Sprintf("esx-%02d.example.com", v.host),
			ResourcePool: pools[v.pool], Folder: "vm/apps", PowerState: state, VCPUCount: v.vcpu, RAMMB: v.ramMB,
			ProvisionedDiskGB: v.disk, UsedDiskGB: v.disk * 0.6, GuestOS: "rhel9_64Guest", IPAddress: "10.1.2.3", CreationTime: v.created})
	}
	return out
}

// Generate writes the dataset into st: day 0 as hourly snapshots
// (canonical and compatibility tables), aggregated with aggregate.Daily;
// days 1..Days-1 as daily rollups built from generated hourly samples with
// the pure daily builder (and, with FullMonthHourly, their hourly
// snapshots too), with registered hourly snapshots so every day's
// total_samples is known; lifecycle rows for every VM.
func Generate(ctx context.Context, st aggregate.BackfillStore, cfg *Config) error {
	g := newGen(cfg.Seed, cfg.VMs)
	reg := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	_, compat := st.(store.CompatTables)
	for day := 0; day < cfg.Days; day++ {
		g.evolve(day)
		full := day == 0 || cfg.FullMonthHourly
		dayWin := inventory.DayOf(Month.AddDate(0, 0, day), time.UTC)
		var b *aggregate.DailyBuilder
		if !full {
			var snaps []time.Time
			for h := 0; h < 24; h++ {
				snaps = append(snaps, dayWin.Start.Add(time.Duration(h)*time.Hour))
			}
			b = aggregate.NewDaily(aggregate.DailyInput{Vcenter: vcenter, Day: dayWin, SnapshotTimes: snaps, Tiers: inventory.DefaultTierMap()})
		}
		for h := 0; h < 24; h++ {
			at := dayWin.Start.Add(time.Duration(h) * time.Hour)
			samples := g.samples(day*24 + h)
			if full {
				if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vcenter, SnapshotTime: at, Samples: samples,
					Totals: inventory.ComputeTotals(vcenter, at, samples, nil), Compat: compat, RegisteredAt: reg}); err != nil {
					return err
				}
				continue
			}
			for i := range samples {
				b.Add(&samples[i])
			}
			if err := st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: inventory.SnapshotRecord{Vcenter: vcenter,
				Kind: inventory.Hourly, SnapshotTime: at, RowCount: len(samples), RegisteredAt: reg}}); err != nil {
				return err
			}
		}
		if full {
			if _, err := aggregate.Daily(ctx, st, dayWin.Start, aggregate.Options{}); err != nil {
				return err
			}
		} else if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: vcenter, Day: dayWin.Start,
			Rows: b.Rows(), Compat: compat}); err != nil {
			return err
		}
		cfg.logf("day %d written", day)
	}
	// Lifecycle rows: creation from config, deletion by absence.
	var lcs []inventory.Lifecycle
	end := cfg.Days * 24
	for _, v := range g.vms {
		if v.born >= end {
			continue
		}
		l := inventory.Lifecycle{Vcenter: vcenter, VMID: v.id, VMUUID: v.uuid, Name: v.name,
			FirstSeen: Month.Add(time.Duration(max(v.born, 0)) * time.Hour), LastSeen: Month.Add(time.Duration(end-1) * time.Hour),
			CreationTime: v.created, CreationSource: inventory.SourceConfig}
		if v.created.IsZero() {
			l.CreationSource = inventory.SourceNone
		}
		if v.died >= 0 && v.died < end {
			l.LastSeen = Month.Add(time.Duration(v.died-1) * time.Hour)
			l.Deleted, l.DeletionTime, l.DeletionSource = true, Month.Add(time.Duration(v.died)*time.Hour), inventory.SourceAbsence
		}
		lcs = append(lcs, l)
	}
	return st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: vcenter, SnapshotTime: Month.Add(time.Duration(end-1) * time.Hour), Lifecycles: lcs})
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// measure times one op and mode, best of Repeat.
func measure(ctx context.Context, st aggregate.BackfillStore, be *backend, cfg *Config, op, mode string) (*Result, error) {
	r := &Result{Op: op, Mode: mode, Load: loadavg(), Rerun: cfg.Rerun}
	best := time.Duration(-1)
	for i := 0; i < cfg.Repeat; i++ {
		if mode != "read_bound" && !cfg.Rerun {
			if err := unaggregate(ctx, st, be, op); err != nil {
				return nil, fmt.Errorf("removing the %s outputs before a first run: %w", op, err)
			}
		}
		start := time.Now()
		rows, outRows, err := once(ctx, st, op, mode)
		d := time.Since(start)
		if err != nil {
			return nil, err
		}
		if best < 0 || d < best {
			best = d
		}
		r.Rows, r.OutRows = rows, outRows
	}
	r.Seconds = best.Seconds()
	if r.Rows < 0 {
		n, err := countInput(ctx, st, op, mode)
		if err != nil {
			return nil, err
		}
		r.Rows = n
	}
	return r, nil
}

func once(ctx context.Context, st aggregate.BackfillStore, op, mode string) (rows, outRows int, err error) {
	if mode == "read_bound" {
		if op == "daily" {
			w := inventory.DayOf(Day0, time.UTC)
			err = st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vcenter, From: w.Start, To: w.End}, func(*inventory.Sample) error {
				rows++
				return nil
			})
			return rows, 0, err
		}
		w := inventory.MonthOf(Month, time.UTC)
		err = st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vcenter, From: w.Start, To: w.End}, func(*inventory.DailyRollup) error {
			rows++
			return nil
		})
		return rows, 0, err
	}
	opts := aggregate.Options{Vcenters: []string{vcenter}}
	switch mode {
	case "go":
		opts.Mode = aggregate.ModeGo
	case "sql":
		opts.Mode = aggregate.ModeSQL
	case "legacy":
		opts.Mode = aggregate.ModeLegacy
	case "hourly":
		opts.MonthlyGranularity = inventory.Hourly
	}
	var res *aggregate.Result
	if op == "daily" {
		res, err = aggregate.Daily(ctx, st, Day0, opts)
	} else {
		res, err = aggregate.Monthly(ctx, st, Month, opts)
	}
	if err != nil {
		return 0, 0, err
	}
	for _, v := range res.Vcenters {
		outRows += v.Rows
	}
	return -1, outRows, nil
}

// unaggregate removes the benchmark period's rollup rows and summary
// compatibility table (its registry record and aggregate totals are
// rewritten in place by every run), so that the next run is the period's
// first. The monthly input (the month's daily rollups) is not touched.
func unaggregate(ctx context.Context, st aggregate.BackfillStore, be *backend, op string) error {
	var table, compat string
	var err error
	if op == "daily" {
		table, compat = "vm_daily_rollup", inventory.DailyTableName(Day0)
		err = st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: vcenter, Day: Day0})
	} else {
		table, compat = "vm_monthly_rollup", inventory.MonthlyTableName(Month)
		err = st.WriteMonthlyRollups(ctx, &store.WriteMonthlyRollupsParams{Vcenter: vcenter, Month: Month})
	}
	if err != nil {
		return err
	}
	if ct, ok := st.(store.CompatTables); ok {
		if err := ct.DropCompatTable(ctx, &store.DropCompatTableParams{Name: compat}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return be.vacuum(ctx, table)
}

// countInput returns the input rows of an op and mode: the samples of the
// day (daily), the daily rows of the month (monthly) or the samples of the
// month (monthly, hourly).
func countInput(ctx context.Context, st aggregate.BackfillStore, op, mode string) (int, error) {
	n := 0
	count := func(*inventory.Sample) error { n++; return nil }
	switch {
	case op == "daily":
		w := inventory.DayOf(Day0, time.UTC)
		return n, st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vcenter, From: w.Start, To: w.End}, count)
	case mode == "hourly":
		w := inventory.MonthOf(Month, time.UTC)
		return n, st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vcenter, From: w.Start, To: w.End}, count)
	default:
		w := inventory.MonthOf(Month, time.UTC)
		return n, st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vcenter, From: w.Start, To: w.End}, func(*inventory.DailyRollup) error {
			n++
			return nil
		})
	}
}

func printTable(w io.Writer, rs []Result) {
	sorted := append([]Result(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Op < sorted[j].Op })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tmode\trun\tbackend\tvms\trows\tout_rows\tseconds\t× read bound\tload\t")
	bound := map[string]float64{}
	for _, r := range rs {
		if r.Mode == "read_bound" {
			bound[r.Op] = r.Seconds
		}
	}
	for _, r := range sorted {
		ratio := "-"
		if b := bound[r.Op]; b > 0 {
			ratio = fmt.Sprintf("%.2f", r.Seconds/b)
		}
		run := "first"
		switch {
		case r.Mode == "read_bound":
			run = "-"
		case r.Rerun:
			run = "re-run"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.3f\t%s\t%s\t\n", r.Op, r.Mode, run, r.Backend, r.VMs, r.Rows, r.OutRows, r.Seconds, ratio, r.Load)
	}
	tw.Flush()
	enc := json.NewEncoder(w)
	for _, r := range rs {
		enc.Encode(r)
	}
}
