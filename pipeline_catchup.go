package vinventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// DuePeriod is a completed day or month that needs (re)aggregating.
type DuePeriod struct {
	Granularity inventory.Granularity
	// Period is the day or month, cut in Settings.Location.
	Period inventory.Window
	// Vcenters are the vCenters due in that period, sorted.
	Vcenters []string
}

// periodKey identifies one vCenter's period by its start instant.
type periodKey struct {
	vc    string
	start int64 // Unix seconds of the period start
}

type hourlyStats struct {
	win   inventory.Window
	count int
	// newest is the latest RegisteredAt of the period's snapshots.
	newest time.Time
}

// hourlyStats returns the number and newest registration of the hourly
// snapshots of each vCenter and period in [from, to) (from zero: since the
// first snapshot). A store.SnapshotCounter counts them in the store;
// other stores' records are listed.
func (p *Pipeline) hourlyStats(ctx context.Context, from, to time.Time, period func(time.Time) inventory.Window) (map[periodKey]*hourlyStats, error) {
	stats := map[periodKey]*hourlyStats{}
	sc, ok := p.st.(store.SnapshotCounter)
	if !ok {
		hourly, err := p.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, From: from, To: to})
		if err != nil {
			return nil, fmt.Errorf("list hourly snapshots: %w", err)
		}
		for _, r := range hourly {
			win := period(r.SnapshotTime)
			k := periodKey{r.Vcenter, win.Start.Unix()}
			h := stats[k]
			if h == nil {
				h = &hourlyStats{win: win}
				stats[k] = h
			}
			h.count++
			if r.RegisteredAt.After(h.newest) {
				h.newest = r.RegisteredAt
			}
		}
		return stats, nil
	}
	if from.IsZero() {
		first, err := p.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, To: to, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("find the first hourly snapshot: %w", err)
		}
		if len(first) == 0 {
			return stats, nil
		}
		from = period(first[0].SnapshotTime).Start
	}
	var wins []inventory.Window
	bounds := []time.Time{from}
	for t := from; t.Before(to); {
		w := period(t)
		wins = append(wins, w)
		bounds = append(bounds, w.End)
		t = w.End
	}
	if len(wins) == 0 {
		return stats, nil
	}
	counts, err := sc.CountSnapshots(ctx, &store.CountSnapshotsParams{Kind: inventory.Hourly, Bounds: bounds})
	if err != nil {
		return nil, fmt.Errorf("count hourly snapshots: %w", err)
	}
	for _, c := range counts {
		win := wins[c.Period]
		stats[periodKey{c.Vcenter, win.Start.Unix()}] = &hourlyStats{win: win, count: c.Count, newest: c.NewestRegisteredAt}
	}
	return stats, nil
}

// DueDays returns the completed days (per now, in Settings.Location) that
// need daily aggregation, oldest first, each with the vCenters due: a
// vCenter with registered hourly snapshots in the day and
//   - no daily registry record for it, or
//   - a daily aggregate totals row whose snapshot count differs from the
//     number of registered hourly snapshots (a snapshot arrived or was
//     backfilled after the day was aggregated), or, when the vCenter has no
//     daily aggregate totals (samples imported without totals), a daily
//     record registered before the newest hourly snapshot of the day.
//
// Days whose samples are past retention.hourly_rows are never due. After
// downtime this lists every missed day, so CatchUp can fill them in.
func (p *Pipeline) DueDays(ctx context.Context, now time.Time) ([]DuePeriod, error) {
	if now.IsZero() {
		now = p.now()
	}
	var from time.Time
	if r := p.settings.Retention.HourlyRows; r > 0 {
		// The first day that starts at or after the retention cutoff.
		cut := now.Add(-r)
		from = inventory.DayOf(cut, p.loc).Start
		if from.Before(cut) {
			from = inventory.DayOf(cut, p.loc).End
		}
	}
	to := inventory.DayOf(now, p.loc).Start
	return p.due(ctx, inventory.Daily, from, to, func(t time.Time) inventory.Window { return inventory.DayOf(t, p.loc) })
}

// DueMonths returns the completed months (per now, in Settings.Location)
// that need monthly aggregation, oldest first, by the rules of DueDays
// applied to monthly records and totals. With
// monthly_aggregation_granularity = hourly, months whose samples are past
// retention.hourly_rows are never due.
func (p *Pipeline) DueMonths(ctx context.Context, now time.Time) ([]DuePeriod, error) {
	if now.IsZero() {
		now = p.now()
	}
	var from time.Time
	if r := p.settings.Retention.HourlyRows; r > 0 && p.settings.MonthlyAggregationGranularity == inventory.Hourly {
		cut := now.Add(-r)
		from = inventory.MonthOf(cut, p.loc).Start
		if from.Before(cut) {
			from = inventory.MonthOf(cut, p.loc).End
		}
	}
	to := inventory.MonthOf(now, p.loc).Start
	return p.due(ctx, inventory.Monthly, from, to, func(t time.Time) inventory.Window { return inventory.MonthOf(t, p.loc) })
}

func (p *Pipeline) due(ctx context.Context, g inventory.Granularity, from, to time.Time, period func(time.Time) inventory.Window) ([]DuePeriod, error) {
	if !from.IsZero() && !from.Before(to) {
		return nil, nil
	}
	stats, err := p.hourlyStats(ctx, from, to, period)
	if err != nil {
		return nil, fmt.Errorf("vinventory: due %s periods: %w", g, err)
	}
	if len(stats) == 0 {
		return nil, nil
	}
	recs, err := p.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: g, From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("vinventory: due %s periods: list %s records: %w", g, g, err)
	}
	registered := map[periodKey]inventory.SnapshotRecord{}
	for _, r := range recs {
		registered[periodKey{r.Vcenter, r.SnapshotTime.Unix()}] = r
	}
	aggs, err := p.st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{Granularity: g, From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("vinventory: due %s periods: list aggregate totals: %w", g, err)
	}
	counts := map[periodKey]int{}
	for _, a := range aggs {
		counts[periodKey{a.Vcenter, a.PeriodStart.Unix()}] = a.SnapshotCount
	}

	byPeriod := map[int64]*DuePeriod{}
	for k, h := range stats {
		rec, ok := registered[k]
		switch n, hasAgg := counts[k]; {
		case !ok:
		case hasAgg && n != h.count:
		case !hasAgg && rec.RegisteredAt.Before(h.newest):
		default:
			continue // up to date
		}
		d := byPeriod[k.start]
		if d == nil {
			d = &DuePeriod{Granularity: g, Period: h.win}
			byPeriod[k.start] = d
		}
		d.Vcenters = append(d.Vcenters, k.vc)
	}
	out := make([]DuePeriod, 0, len(byPeriod))
	for _, d := range byPeriod {
		sort.Strings(d.Vcenters)
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period.Start.Before(out[j].Period.Start) })
	return out, nil
}

// CatchUpResult is the outcome of CatchUp.
type CatchUpResult struct {
	// Days and Months are the periods run, oldest first, with their
	// results (nil for a period that failed as a whole or was skipped).
	Days, Months []CatchUpPeriod
}

// CatchUpPeriod is one period CatchUp ran or skipped.
type CatchUpPeriod struct {
	DuePeriod
	Result *PeriodResult
	Err    error
}

// ErrDayFailed is wrapped by the *PeriodError of a month CatchUp skipped
// because the aggregation of one of its days failed.
var ErrDayFailed = errors.New("vinventory: a day of the month failed to aggregate")

// CatchUp runs every due day (DueDays), oldest first, then every due month
// (DueMonths, computed after the days ran), for the vCenters due only. A
// month whose vCenter had a day fail is skipped for that vCenter. A zero
// now means the clock's now. Running it again right after finds nothing
// due and runs nothing. The error joins every period's failures.
func (p *Pipeline) CatchUp(ctx context.Context, now time.Time) (*CatchUpResult, error) {
	if now.IsZero() {
		now = p.now()
	}
	res := &CatchUpResult{}
	var errs []error
	days, err := p.DueDays(ctx, now)
	if err != nil {
		return res, err
	}
	failed := map[periodKey]bool{} // vCenter and month start of failed days
	for _, d := range days {
		cp := CatchUpPeriod{DuePeriod: d}
		cp.Result, cp.Err = p.runDue(ctx, d, now)
		if cp.Err != nil {
			errs = append(errs, cp.Err)
			for _, vc := range failedVcenters(d, cp.Result, cp.Err) {
				failed[periodKey{vc, inventory.MonthOf(d.Period.Start, p.loc).Start.Unix()}] = true
			}
		}
		res.Days = append(res.Days, cp)
		if ctx.Err() != nil {
			return res, errors.Join(append(errs, ctx.Err())...)
		}
	}
	months, err := p.DueMonths(ctx, now)
	if err != nil {
		return res, errors.Join(append(errs, err)...)
	}
	for _, m := range months {
		var run, skipped []string
		for _, vc := range m.Vcenters {
			if failed[periodKey{vc, m.Period.Start.Unix()}] {
				skipped = append(skipped, vc)
			} else {
				run = append(run, vc)
			}
		}
		if len(skipped) > 0 {
			sm := m
			sm.Vcenters = skipped
			err := &PeriodError{Granularity: inventory.Monthly, Period: m.Period, Now: now, Err: ErrDayFailed}
			res.Months = append(res.Months, CatchUpPeriod{DuePeriod: sm, Err: err})
			errs = append(errs, err)
			p.logger.Warn("monthly aggregation skipped", slog.String("stage", "aggregation"), slog.Any("endpoints", skipped),
				slog.Time("period", m.Period.Start), slog.Any("error", err))
		}
		if len(run) == 0 {
			continue
		}
		m.Vcenters = run
		cp := CatchUpPeriod{DuePeriod: m}
		cp.Result, cp.Err = p.runDue(ctx, m, now)
		if cp.Err != nil {
			errs = append(errs, cp.Err)
		}
		res.Months = append(res.Months, cp)
		if ctx.Err() != nil {
			return res, errors.Join(append(errs, ctx.Err())...)
		}
	}
	return res, errors.Join(errs...)
}

// failedVcenters returns the vCenters of d whose aggregation failed.
func failedVcenters(d DuePeriod, r *PeriodResult, err error) []string {
	if r == nil {
		return d.Vcenters
	}
	var out []string
	for _, e := range unjoin(err) {
		var ae *aggregate.Error
		if errors.As(e, &ae) {
			out = append(out, ae.Vcenter)
		} else {
			return d.Vcenters
		}
	}
	return out
}

// runDue aggregates one due period for its vCenters.
func (p *Pipeline) runDue(ctx context.Context, d DuePeriod, now time.Time) (*PeriodResult, error) {
	fromHourly := p.settings.MonthlyAggregationGranularity == inventory.Hourly
	needSamples := d.Granularity == inventory.Daily || fromHourly
	if err := p.checkPeriod(d.Granularity, d.Period, now, needSamples); err != nil {
		return nil, err
	}
	return p.runPeriod(ctx, d.Granularity, d.Period, d.Vcenters, func(opts aggregate.Options) (*aggregate.Result, error) {
		opts.Vcenters = d.Vcenters
		if d.Granularity == inventory.Daily {
			return aggregate.Daily(ctx, p.st, d.Period.Start, opts)
		}
		return aggregate.Monthly(ctx, p.st, d.Period.Start, opts)
	})
}
