package aggregate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Mode is how Daily and Monthly compute rows. Every mode writes its rows
// through the same write path, so outputs are identical.
type Mode string

const (
	// ModeGo streams canonical rows (vm_hourly_stats for daily,
	// vm_daily_rollup for monthly) through the pure Go builders. It is the
	// default and the scheduled path.
	ModeGo Mode = "go"
	// ModeSQL lets the database compute the rows from the canonical tables
	// (store.SQLAggregator). Stores that do not implement it fail with an
	// error wrapping store.ErrUnsupported.
	ModeSQL Mode = "sql"
	// ModeLegacy reads the compatibility tables instead of the canonical
	// ones: daily rows from the day's inventory_hourly_* tables, monthly
	// rows from the month's inventory_daily_summary_* tables (or, with
	// inventory.Hourly, its inventory_hourly_* tables). On stores that
	// implement store.SQLAggregator the database runs a UNION ALL over the tables; on
	// others (memstore) the tables are scanned through the CompatTables
	// interface into the Go builders. Repair, backfill and validation only.
	ModeLegacy Mode = "legacy"
)

// OptionError is an invalid Options or BackfillOptions field.
type OptionError struct {
	Field  string
	Reason string
}

func (e *OptionError) Error() string { return "aggregate: " + e.Field + ": " + e.Reason }

func (o *Options) mode() Mode {
	if o.Mode == "" {
		return ModeGo
	}
	return o.Mode
}

func (o *Options) granularity() inventory.Granularity {
	if o.MonthlyGranularity == "" {
		return inventory.Daily
	}
	return o.MonthlyGranularity
}

func (o *Options) validate(monthly bool) error {
	switch o.mode() {
	case ModeGo, ModeSQL, ModeLegacy:
	default:
		return &OptionError{Field: "Mode", Reason: fmt.Sprintf("unknown mode %q (want go, sql or legacy)", string(o.Mode))}
	}
	switch o.granularity() {
	case inventory.Daily, inventory.Hourly:
	default:
		return &OptionError{Field: "MonthlyGranularity", Reason: fmt.Sprintf("unknown granularity %q (want daily or hourly)", string(o.MonthlyGranularity))}
	}
	if monthly && o.mode() == ModeSQL && o.granularity() == inventory.Hourly {
		return fmt.Errorf("aggregate: ModeSQL with MonthlyGranularity hourly: %w", store.ErrUnsupported)
	}
	return nil
}

// checkMode verifies the store supports the mode.
func checkMode(st Store, o *Options) error {
	switch o.mode() {
	case ModeSQL:
		if _, ok := st.(store.SQLAggregator); !ok {
			return fmt.Errorf("aggregate: ModeSQL on backend %q: %w", st.Capabilities().Backend, store.ErrUnsupported)
		}
	case ModeLegacy:
		if _, ok := st.(store.CompatTables); !ok {
			return fmt.Errorf("aggregate: ModeLegacy on backend %q (no compatibility tables): %w", st.Capabilities().Backend, store.ErrUnsupported)
		}
	}
	return nil
}

// sqlAgg returns the store's SQL aggregator when it has the capability.
func sqlAgg(st Store) (store.SQLAggregator, bool) {
	a, ok := st.(store.SQLAggregator)
	return a, ok
}

// inWindow returns the registered times inside win.
func inWindow(snaps []time.Time, win inventory.Window) []time.Time {
	var out []time.Time
	for _, t := range snaps {
		if win.Contains(t) {
			out = append(out, t)
		}
	}
	return out
}

// compatNames lists the compatibility tables of kind whose period lies in
// [from, to).
func compatNames(ctx context.Context, ct store.CompatTables, kind store.CompatKind, from, to time.Time) ([]string, error) {
	ts, err := ct.ListCompatTables(ctx, &store.ListCompatTablesParams{Kind: kind, From: from, To: to})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out, nil
}

// scanCompatHourly streams vc's rows of the hourly tables into fn and
// returns the snapshot times of the tables holding rows of vc.
func scanCompatHourly(ctx context.Context, ct store.CompatTables, vc string, tables []string, fn func(*inventory.Sample)) ([]time.Time, error) {
	var times []time.Time
	for _, name := range tables {
		var at time.Time
		err := ct.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: name, Vcenter: vc}, func(s *inventory.Sample) error {
			at = s.SnapshotTime
			if fn == nil {
				return store.ErrStopScan
			}
			fn(s)
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if !at.IsZero() {
			times = append(times, at)
		}
	}
	return times, nil
}

// dailyRows computes one vCenter-day's rows in the configured mode and
// returns them with the day's total_samples.
func dailyRows(ctx context.Context, st Store, vc string, win inventory.Window, snaps []time.Time, opts *Options) ([]inventory.DailyRollup, int, error) {
	reg := inWindow(snaps, win)
	switch opts.mode() {
	case ModeSQL:
		total := len(reg)
		if total == 0 {
			times, err := st.SnapshotTimes(ctx, &store.SnapshotTimesParams{Vcenter: vc, From: win.Start, To: win.End})
			if err != nil {
				return nil, 0, err
			}
			total = len(times)
		}
		if total == 0 {
			return nil, 0, nil
		}
		agg, _ := sqlAgg(st)
		rows, err := agg.AggregateDaily(ctx, &store.AggregateDailyParams{Vcenter: vc, From: win.Start, To: win.End,
			SnapshotTimes: reg, TotalSamples: total, Tiers: opts.tiers(), Source: store.SourceCanonical})
		return rows, total, err
	case ModeLegacy:
		ct := st.(store.CompatTables)
		tables, err := compatNames(ctx, ct, store.CompatHourly, win.Start, win.End)
		if err != nil {
			return nil, 0, err
		}
		if agg, ok := sqlAgg(st); ok {
			total := len(reg)
			if total == 0 {
				times, err := scanCompatHourly(ctx, ct, vc, tables, nil)
				if err != nil {
					return nil, 0, err
				}
				total = len(times)
			}
			if total == 0 {
				return nil, 0, nil
			}
			rows, err := agg.AggregateDaily(ctx, &store.AggregateDailyParams{Vcenter: vc, From: win.Start, To: win.End,
				SnapshotTimes: reg, TotalSamples: total, Tiers: opts.tiers(), Source: store.SourceCompat, CompatTables: tables})
			return rows, total, err
		}
		lcs, err := lifecycles(ctx, st, vc)
		if err != nil {
			return nil, 0, err
		}
		b := NewDaily(DailyInput{Vcenter: vc, Day: win, SnapshotTimes: snaps, Tiers: opts.tiers(), Lifecycles: lcs})
		if _, err := scanCompatHourly(ctx, ct, vc, tables, b.Add); err != nil {
			return nil, 0, err
		}
		return b.Rows(), b.TotalSamples(), nil
	}
	// Lifecycle rows are only needed by Rows: load them while the samples
	// stream.
	lcc := loadLifecycles(ctx, st, vc)
	b := NewDaily(DailyInput{Vcenter: vc, Day: win, SnapshotTimes: snaps, Tiers: opts.tiers()})
	b.core.hist = histResolver(lcc.rows)
	if err := pipeScan(ctx, func(ctx context.Context, fn func(*inventory.Sample) error) error {
		return st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc, From: win.Start, To: win.End}, fn)
	}, b.Add); err != nil {
		lcc.get()
		return nil, 0, err
	}
	lr := lcc.get()
	if lr.err != nil {
		return nil, 0, lr.err
	}
	b.in.Lifecycles = lr.m
	return b.Rows(), b.TotalSamples(), nil
}

// lcFuture is a vCenter's lifecycle rows being loaded in the background.
type lcFuture struct {
	once sync.Once
	c    chan lifecycleResult
	res  lifecycleResult
}

type lifecycleResult struct {
	m   map[string]inventory.Lifecycle
	err error
}

// loadLifecycles loads vc's lifecycle rows in the background.
func loadLifecycles(ctx context.Context, st Store, vc string) *lcFuture {
	f := &lcFuture{c: make(chan lifecycleResult, 1)}
	go func() {
		m, err := lifecycles(ctx, st, vc)
		f.c <- lifecycleResult{m, err}
	}()
	return f
}

// get waits for the rows.
func (f *lcFuture) get() lifecycleResult {
	f.once.Do(func() { f.res = <-f.c })
	return f.res
}

// rows returns the rows once loaded (nil after a load error, which get
// reports).
func (f *lcFuture) rows() map[string]inventory.Lifecycle { return f.get().m }

// dayTotals returns total_samples of each day of win for vc: its
// registered snapshots, else its distinct sample times (SEMANTICS §4).
func dayTotals(ctx context.Context, st Store, vc string, win inventory.Window, snaps []time.Time) ([]inventory.Window, []int, error) {
	days := win.Days()
	totals := make([]int, len(days))
	for i, d := range days {
		n := len(inWindow(snaps, d))
		if n == 0 {
			times, err := st.SnapshotTimes(ctx, &store.SnapshotTimesParams{Vcenter: vc, From: d.Start, To: d.End})
			if err != nil {
				return nil, nil, err
			}
			n = len(times)
		}
		totals[i] = n
	}
	return days, totals, nil
}

// monthlyRows computes one vCenter-month's rows in the configured mode and
// granularity and returns them with the month's total_samples.
func monthlyRows(ctx context.Context, st Store, vc string, win inventory.Window, snaps []time.Time, opts *Options) ([]inventory.MonthlyRollup, int, error) {
	if opts.granularity() == inventory.Hourly {
		lcs, err := lifecycles(ctx, st, vc)
		if err != nil {
			return nil, 0, err
		}
		b := NewMonthlyFromHourly(MonthlyHourlyInput{Vcenter: vc, Month: win, SnapshotTimes: snaps, Tiers: opts.tiers(), Lifecycles: lcs})
		if opts.mode() == ModeLegacy {
			ct := st.(store.CompatTables)
			tables, err := compatNames(ctx, ct, store.CompatHourly, win.Start, win.End)
			if err != nil {
				return nil, 0, err
			}
			if _, err := scanCompatHourly(ctx, ct, vc, tables, b.Add); err != nil {
				return nil, 0, err
			}
		} else if err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc, From: win.Start, To: win.End}, func(s *inventory.Sample) error {
			b.Add(s)
			return nil
		}); err != nil {
			return nil, 0, err
		}
		return b.Rows(), b.TotalSamples(), nil
	}
	days, totals, err := dayTotals(ctx, st, vc, win, snaps)
	if err != nil {
		return nil, 0, err
	}
	switch opts.mode() {
	case ModeSQL, ModeLegacy:
		p := &store.AggregateMonthlyParams{Vcenter: vc, From: win.Start, To: win.End, Source: store.SourceCanonical}
		var tables []string
		if opts.mode() == ModeLegacy {
			tables, err = dailySummaryNames(ctx, st.(store.CompatTables), days)
			if err != nil {
				return nil, 0, err
			}
			p.Source, p.CompatTables = store.SourceCompat, tables
		}
		if agg, ok := sqlAgg(st); ok {
			// total_samples: Σ of the day totals; a day with none falls
			// back to its rows' own total_samples, as in the Go builder.
			if err := dayTotalsFromRows(ctx, st, vc, days, totals, opts.mode() == ModeLegacy); err != nil {
				return nil, 0, err
			}
			for _, n := range totals {
				p.TotalSamples += n
			}
			if p.TotalSamples == 0 {
				return nil, 0, nil
			}
			rows, err := agg.AggregateMonthly(ctx, p)
			covered := 0
			for _, n := range totals {
				if n > 0 {
					covered++
				}
			}
			setCoverage(rows, covered, len(days))
			return rows, p.TotalSamples, err
		}
		// memstore, legacy: read the daily summary tables.
		lcs, err := lifecycles(ctx, st, vc)
		if err != nil {
			return nil, 0, err
		}
		b := NewMonthly(MonthlyInput{Vcenter: vc, Month: win, Lifecycles: lcs})
		for i, d := range days {
			if totals[i] > 0 {
				b.AddDayTotal(d.Start, totals[i])
			}
		}
		for _, name := range tables {
			rs, err := st.(store.CompatTables).ReadCompatDaily(ctx, &store.ScanCompatParams{Name: name, Vcenter: vc})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, 0, err
			}
			for i := range rs {
				b.Add(&rs[i])
			}
		}
		return b.Rows(), b.TotalSamples(), nil
	}
	lcc := loadLifecycles(ctx, st, vc)
	b := NewMonthly(MonthlyInput{Vcenter: vc, Month: win})
	b.hist = histResolver(lcc.rows)
	for i, d := range days {
		if totals[i] > 0 {
			b.AddDayTotal(d.Start, totals[i])
		}
	}
	if err := pipeScan(ctx, func(ctx context.Context, fn func(*inventory.DailyRollup) error) error {
		return st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vc, From: win.Start, To: win.End}, fn)
	}, b.Add); err != nil {
		lcc.get()
		return nil, 0, err
	}
	lr := lcc.get()
	if lr.err != nil {
		return nil, 0, lr.err
	}
	b.in.Lifecycles = lr.m
	return b.Rows(), b.TotalSamples(), nil
}

// dailySummaryNames returns the existing inventory_daily_summary_* tables
// of days.
func dailySummaryNames(ctx context.Context, ct store.CompatTables, days []inventory.Window) ([]string, error) {
	ts, err := ct.ListCompatTables(ctx, &store.ListCompatTablesParams{Kind: store.CompatDaily})
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, t := range ts {
		have[t.Name] = true
	}
	var out []string
	for _, d := range days {
		if n := inventory.DailyTableName(d.Start); have[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// dayTotalsFromRows returns, for each day of days with no known total
// (totals[i] == 0), the total_samples of vc's daily rows of that day (from
// vm_daily_rollup, or from the summary tables when legacy): the Go
// builder's fallback for days without registered snapshots or samples.
func dayTotalsFromRows(ctx context.Context, st Store, vc string, days []inventory.Window, totals []int, legacy bool) error {
	var have map[string]bool
	for i, d := range days {
		if totals[i] != 0 {
			continue
		}
		n := 0
		add := func(r *inventory.DailyRollup) {
			if r.SamplesPresent > 0 && r.TotalSamples > n {
				n = r.TotalSamples
			}
		}
		if legacy {
			if have == nil {
				names, err := dailySummaryNames(ctx, st.(store.CompatTables), days)
				if err != nil {
					return err
				}
				have = map[string]bool{}
				for _, x := range names {
					have[x] = true
				}
			}
			name := inventory.DailyTableName(d.Start)
			if !have[name] {
				continue
			}
			rs, err := st.(store.CompatTables).ReadCompatDaily(ctx, &store.ScanCompatParams{Name: name, Vcenter: vc})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			for j := range rs {
				add(&rs[j])
			}
		} else if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vc, From: d.Start, To: d.End}, func(r *inventory.DailyRollup) error {
			add(r)
			return nil
		}); err != nil {
			return err
		}
		totals[i] = n
	}
	return nil
}
