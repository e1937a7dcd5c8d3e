package aggregate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Store is what Daily and Monthly need of a store.
type Store interface {
	store.HourlyStats
	store.Rollups
	store.Lifecycles
	store.Registry
	store.Totals
	Capabilities() store.Capabilities
}

// Options configure Daily and Monthly.
type Options struct {
	// Location cuts days and months. Defaults to UTC.
	Location *time.Location
	// Tiers maps resource pools to tiers. Defaults to
	// inventory.DefaultTierMap().
	Tiers *inventory.TierMap
	// Vcenters limits the run to these vCenters. Defaults to every vCenter
	// with a registered hourly snapshot in the period.
	Vcenters []string
	// NoCompatTables skips inventory_daily_summary_<YYYYMMDD> and
	// inventory_monthly_summary_<YYYYMM> (snapshot_table_compat_mode =
	// false). They are also skipped when the store lacks the CompatTables
	// capability.
	NoCompatTables bool
	// Clock returns the current time. Defaults to time.Now.
	Clock func() time.Time
	// Mode selects how rows are computed. Defaults to ModeGo. Every mode
	// writes the same rows through the same write path.
	Mode Mode
	// MonthlyGranularity selects what Monthly reads: inventory.Daily
	// (vm_daily_rollup, the scheduled path) or inventory.Hourly (hourly
	// samples; manual rebuild and validation only). Defaults to
	// inventory.Daily. Daily ignores it.
	MonthlyGranularity inventory.Granularity
	// AllowPartial aggregates a period that has not ended yet (per Clock,
	// in Location): its rows, registry record and reports are marked
	// partial. Defaults to false: such a period is refused with an
	// *IncompleteError (SEMANTICS §5).
	AllowPartial bool

	partial bool // set by Daily and Monthly for a period not ended
}

// ErrPeriodIncomplete is wrapped by an *IncompleteError: the day or month
// has not ended yet.
var ErrPeriodIncomplete = errors.New("aggregate: period has not completed")

// IncompleteError refuses a period that has not ended at Now, unless
// Options.AllowPartial asks for a partial result.
type IncompleteError struct {
	Granularity inventory.Granularity
	Period      inventory.Window
	Now         time.Time
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("aggregate %s %s: %v: it ends at %s, now is %s (set AllowPartial, or -partial, for a partial result)",
		e.Granularity, e.Period.Start.Format("2006-01-02"), ErrPeriodIncomplete, e.Period.End.Format(time.RFC3339), e.Now.Format(time.RFC3339))
}

func (e *IncompleteError) Unwrap() error { return ErrPeriodIncomplete }

// checkComplete refuses win when it has not ended and partial results
// were not asked for, and reports whether the result is partial.
func (o *Options) checkComplete(g inventory.Granularity, win inventory.Window) (partial bool, err error) {
	now := o.now()
	if !win.End.After(now) {
		return false, nil
	}
	if !o.AllowPartial {
		return false, &IncompleteError{Granularity: g, Period: win, Now: now}
	}
	return true, nil
}

func (o *Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o *Options) tiers() inventory.TierMap {
	if o.Tiers == nil {
		return inventory.DefaultTierMap()
	}
	return *o.Tiers
}

func (o *Options) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return time.Now()
}

// VcenterResult is one vCenter's aggregation of one period.
type VcenterResult struct {
	Vcenter      string
	Rows         int
	TotalSamples int
	CompatTable  string
	Duration     time.Duration
}

// Result is the outcome of Daily or Monthly.
type Result struct {
	Granularity inventory.Granularity
	Period      inventory.Window
	Vcenters    []VcenterResult
	// Partial is set when the period had not ended (Options.AllowPartial).
	Partial bool
}

// Error is a failed aggregation of one vCenter and period; the other
// vCenters' results stand.
type Error struct {
	Vcenter     string
	Granularity inventory.Granularity
	Period      time.Time
	Err         error
}

func (e *Error) Error() string {
	return fmt.Sprintf("aggregate %s %s %s: %v", e.Granularity, e.Vcenter, e.Period.Format("2006-01-02"), e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Daily computes vm_daily_rollup for the day holding day (in
// opts.Location) from vm_hourly_stats, for each vCenter: the rollup rows
// (replacing the vCenter's rows of that day), the daily summary
// compatibility table, a daily registry record and the daily aggregate
// totals. When the store keeps metrics (store.MetricStore), each row's
// Utilisation is filled from the VM's metric points in the day's window
// (see fillUtilisation), whatever Mode computed the rows. Re-running it
// gives the same rows. vCenters fail independently;
// the error joins their *Error values.
func Daily(ctx context.Context, st Store, day time.Time, opts Options) (*Result, error) {
	if err := opts.validate(false); err != nil {
		return nil, err
	}
	if err := checkMode(st, &opts); err != nil {
		return nil, err
	}
	win := inventory.DayOf(day, opts.loc())
	partial, err := opts.checkComplete(inventory.Daily, win)
	if err != nil {
		return nil, err
	}
	opts.partial = partial
	res := &Result{Granularity: inventory.Daily, Period: win, Partial: partial}
	vcs, snaps, err := periodSnapshots(ctx, st, win, &opts)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, vc := range vcs {
		r, err := daily(ctx, st, vc, win, snaps[vc], &opts)
		if err != nil {
			errs = append(errs, &Error{Vcenter: vc, Granularity: inventory.Daily, Period: win.Start, Err: err})
			continue
		}
		res.Vcenters = append(res.Vcenters, *r)
	}
	return res, errors.Join(errs...)
}

func daily(ctx context.Context, st Store, vc string, win inventory.Window, snaps []time.Time, opts *Options) (*VcenterResult, error) {
	t0 := time.Now()
	rows, total, err := dailyRows(ctx, st, vc, win, snaps, opts)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return &VcenterResult{Vcenter: vc}, nil
	}
	if err := fillUtilisation(ctx, st, vc, win, rows); err != nil {
		return nil, err
	}
	if opts.partial {
		for i := range rows {
			rows[i].Partial = true
		}
	}
	_, compat := st.(store.CompatTables)
	compat = compat && !opts.NoCompatTables
	if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: vc, Day: win.Start, Rows: rows, Compat: compat}); err != nil {
		return nil, err
	}
	r := &VcenterResult{Vcenter: vc, Rows: len(rows), TotalSamples: total, Duration: time.Since(t0)}
	if compat {
		r.CompatTable = inventory.DailyTableName(win.Start)
	}
	return r, finish(ctx, st, vc, inventory.Daily, win, r, opts)
}

// Monthly computes the monthly rollup of the month holding month (in
// opts.Location) from vm_daily_rollup (SEMANTICS §5, the scheduled path),
// for each vCenter: vm_monthly_rollup rows, the monthly summary
// compatibility table, a monthly registry record and the monthly aggregate
// totals. Each day's total_samples comes from the hourly snapshot registry
// (else the distinct sample times), so days a VM was absent count. Run it
// after Daily has run for every day of the month.
func Monthly(ctx context.Context, st Store, month time.Time, opts Options) (*Result, error) {
	if err := opts.validate(true); err != nil {
		return nil, err
	}
	if err := checkMode(st, &opts); err != nil {
		return nil, err
	}
	win := inventory.MonthOf(month, opts.loc())
	partial, err := opts.checkComplete(inventory.Monthly, win)
	if err != nil {
		return nil, err
	}
	opts.partial = partial
	res := &Result{Granularity: inventory.Monthly, Period: win, Partial: partial}
	vcs, snaps, err := periodSnapshots(ctx, st, win, &opts)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, vc := range vcs {
		r, err := monthly(ctx, st, vc, win, snaps[vc], &opts)
		if err != nil {
			errs = append(errs, &Error{Vcenter: vc, Granularity: inventory.Monthly, Period: win.Start, Err: err})
			continue
		}
		res.Vcenters = append(res.Vcenters, *r)
	}
	return res, errors.Join(errs...)
}

func monthly(ctx context.Context, st Store, vc string, win inventory.Window, snaps []time.Time, opts *Options) (*VcenterResult, error) {
	t0 := time.Now()
	rows, total, err := monthlyRows(ctx, st, vc, win, snaps, opts)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return &VcenterResult{Vcenter: vc}, nil
	}
	if opts.partial {
		for i := range rows {
			rows[i].Partial = true
		}
	}
	_, compat := st.(store.CompatTables)
	compat = compat && !opts.NoCompatTables
	if err := st.WriteMonthlyRollups(ctx, &store.WriteMonthlyRollupsParams{Vcenter: vc, Month: win.Start, Rows: rows, Compat: compat}); err != nil {
		return nil, err
	}
	r := &VcenterResult{Vcenter: vc, Rows: len(rows), TotalSamples: total, Duration: time.Since(t0)}
	if compat {
		r.CompatTable = inventory.MonthlyTableName(win.Start)
	}
	return r, finish(ctx, st, vc, inventory.Monthly, win, r, opts)
}

// finish registers the period and refreshes its aggregate totals.
func finish(ctx context.Context, st Store, vc string, g inventory.Granularity, win inventory.Window, r *VcenterResult, opts *Options) error {
	if err := st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: inventory.SnapshotRecord{
		Vcenter: vc, Kind: g, SnapshotTime: win.Start, TableName: r.CompatTable, RowCount: r.Rows,
		Duration: r.Duration, RegisteredAt: opts.now(), Partial: opts.partial,
	}}); err != nil {
		return err
	}
	_, err := st.RefreshAggregateTotals(ctx, &store.RefreshAggregateTotalsParams{Vcenter: vc, Granularity: g, PeriodStart: win.Start, PeriodEnd: win.End})
	if errors.Is(err, store.ErrNotFound) {
		return nil // no totals in the period (samples imported without them)
	}
	return err
}

// periodSnapshots returns the vCenters to aggregate and their registered
// hourly snapshot times in win.
func periodSnapshots(ctx context.Context, st Store, win inventory.Window, opts *Options) ([]string, map[string][]time.Time, error) {
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, From: win.Start, To: win.End})
	if err != nil {
		return nil, nil, err
	}
	snaps := map[string][]time.Time{}
	for _, r := range recs {
		snaps[r.Vcenter] = append(snaps[r.Vcenter], r.SnapshotTime)
	}
	vcs := opts.Vcenters
	if len(vcs) == 0 {
		for vc := range snaps {
			vcs = append(vcs, vc)
		}
		sort.Strings(vcs)
	}
	return vcs, snaps, nil
}

func lifecycles(ctx context.Context, st store.Lifecycles, vc string) (map[string]inventory.Lifecycle, error) {
	m := map[string]inventory.Lifecycle{}
	for cursor := ""; ; {
		page, err := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: vc, Limit: 100000, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, l := range page.Lifecycles {
			m[l.VMID] = l
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	return m, nil
}
