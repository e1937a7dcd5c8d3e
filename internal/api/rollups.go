package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// registerRollups declares the daily and monthly rollups and the vCenter
// totals.
func (a *API) registerRollups() {
	huma.Register(a.h, op(http.MethodGet, "/api/rollups/daily", "list-daily-rollups",
		"Daily rollups (SEMANTICS §4), one row per VM present on the day", RoleViewer, "chargeback"), a.listDailyRollups)
	huma.Register(a.h, op(http.MethodGet, "/api/rollups/monthly", "list-monthly-rollups",
		"Monthly rollups (SEMANTICS §5) with billable figures and coverage, one row per VM", RoleViewer, "chargeback"), a.listMonthlyRollups)
	huma.Register(a.h, op(http.MethodGet, "/api/totals", "list-totals",
		"vCenter totals per snapshot, or their hourly, daily or monthly means (SEMANTICS §6)", RoleViewer, "totals"), a.listTotals)
	huma.Register(a.h, op(http.MethodGet, "/api/totals/latest", "latest-totals",
		"The newest totals of each vCenter", RoleViewer, "totals"), a.latestTotals)
}

type dailyRollupsInput struct {
	Day     string `query:"day" required:"true" format:"date" doc:"The day, YYYY-MM-DD, in the server's aggregation location."`
	Vcenter string `query:"vcenter" maxLength:"256"`
	Page
}

type monthlyRollupsInput struct {
	Month   string `query:"month" required:"true" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"The month, YYYY-MM, in the server's aggregation location."`
	Vcenter string `query:"vcenter" maxLength:"256"`
	Page
}

// DailyRollup is a daily rollup row as the API shows it: every percentage
// a fraction of 1 (SEMANTICS §4; the utilisation's avg/peak CPU and
// memory % too) and the billable figures derived.
type DailyRollup struct {
	inventory.DailyRollup
	Billable
}

// MonthlyRollup is a monthly rollup row, percentages as fractions of 1.
type MonthlyRollup struct {
	inventory.MonthlyRollup
}

// Billable are a daily row's billable figures (avg × avg_is_present).
type Billable struct {
	VCPUDays              float64 `json:"vcpu_days"`
	RAMGBDays             float64 `json:"ram_gb_days"`
	ProvisionedDiskGBDays float64 `json:"provisioned_disk_gb_days"`
	UsedDiskGBDays        float64 `json:"used_disk_gb_days"`
}

// fractions shows a rollup's pool percentages (stored 0–100) as fractions
// of 1, like every other ratio.
func fractions(r *inventory.Rollup) {
	r.PoolTinPct /= 100
	r.PoolBronzePct /= 100
	r.PoolSilverPct /= 100
	r.PoolGoldPct /= 100
}

// utilFractions shows a daily row's utilisation percentages (stored
// 0–100) as fractions of 1.
func utilFractions(u *inventory.Utilisation) {
	u.AvgCPUPct /= 100
	u.PeakCPUPct /= 100
	u.AvgMemPct /= 100
	u.PeakMemPct /= 100
}

// utcRollup shows a rollup's times in UTC.
func utcRollup(r *inventory.Rollup) {
	for _, t := range []*time.Time{&r.FirstSeen, &r.LastSeen, &r.CreationTime, &r.DeletionTime} {
		*t = t.UTC()
	}
}

func (a *API) period(name, layout, value string) (time.Time, error) {
	t, err := time.ParseInLocation(layout, value, a.o.Location)
	if err != nil {
		return time.Time{}, invalid(name, "want "+map[string]string{time.DateOnly: "YYYY-MM-DD", "2006-01": "YYYY-MM"}[layout])
	}
	return t, nil
}

// scanRollups pages the rows of one period: rows come ordered by (vcenter,
// vm_key); the cursor is the last row's vcenter and key.
func scanRollups[T any](ctx context.Context, a *API, in Page, vcenter, list string, scan func(*store.ScanRollupsParams, func(vc, key string, row T) error) error) (*listOutput[T], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(vcenter)
	if !ok {
		return newList[T](nil, ""), nil
	}
	var after string
	if in.Cursor != "" {
		var err error
		if after, err = decodeKeyCursor(in.Cursor, list); err != nil {
			return nil, err
		}
	}
	var items []T
	var lastKey string
	more := false
	err := scan(&store.ScanRollupsParams{Vcenter: vc}, func(rowVC, key string, row T) error {
		k := rowVC + "\x00" + key
		if !sc.sees(rowVC) || after != "" && k <= after {
			return nil
		}
		if len(items) == in.Limit {
			more = true
			return store.ErrStopScan
		}
		items, lastKey = append(items, row), k
		return nil
	})
	if err != nil {
		return nil, a.storeError(ctx, "scan rollups", err)
	}
	next := ""
	if more {
		next = encodeKeyCursor(lastKey, list)
	}
	return newList(items, next), nil
}

func (a *API) listDailyRollups(ctx context.Context, in *dailyRollupsInput) (*listOutput[DailyRollup], error) {
	day, err := a.period("day", time.DateOnly, in.Day)
	if err != nil {
		return nil, err
	}
	return scanRollups(ctx, a, in.Page, in.Vcenter, "day "+in.Day, func(p *store.ScanRollupsParams, fn func(string, string, DailyRollup) error) error {
		p.From, p.To = day, day.AddDate(0, 0, 1)
		return a.o.Store.ScanDailyRollups(ctx, p, func(r *inventory.DailyRollup) error {
			row := DailyRollup{DailyRollup: *r, Billable: Billable{
				VCPUDays: r.BillableVCPUDays(), RAMGBDays: r.BillableRAMGBDays(),
				ProvisionedDiskGBDays: r.BillableDiskGBDays(), UsedDiskGBDays: r.AvgUsedDiskGB * r.AvgIsPresent}}
			row.Day = row.Day.UTC()
			fractions(&row.Rollup)
			utilFractions(&row.Utilisation)
			utcRollup(&row.Rollup)
			return fn(r.Vcenter, r.VMKey, row)
		})
	})
}

func (a *API) listMonthlyRollups(ctx context.Context, in *monthlyRollupsInput) (*listOutput[MonthlyRollup], error) {
	month, err := a.period("month", "2006-01", in.Month)
	if err != nil {
		return nil, err
	}
	return scanRollups(ctx, a, in.Page, in.Vcenter, "month "+in.Month, func(p *store.ScanRollupsParams, fn func(string, string, MonthlyRollup) error) error {
		p.From, p.To = month, month.AddDate(0, 1, 0)
		return a.o.Store.ScanMonthlyRollups(ctx, p, func(r *inventory.MonthlyRollup) error {
			row := MonthlyRollup{*r}
			row.Month = row.Month.UTC()
			fractions(&row.Rollup)
			utcRollup(&row.Rollup)
			return fn(r.Vcenter, r.VMKey, row)
		})
	})
}

type totalsInput struct {
	Granularity string    `query:"granularity" enum:"snapshot,hourly,daily,monthly" default:"snapshot"`
	Vcenter     string    `query:"vcenter" maxLength:"256"`
	From        time.Time `query:"from" doc:"Snapshot time or period start at or after (RFC 3339)."`
	To          time.Time `query:"to" doc:"Snapshot time or period start before (RFC 3339)."`
	Page
}

// TotalsRow is one vCenter's totals: per snapshot (granularity snapshot,
// snapshot_count 1, period_start the snapshot time) or the mean of a
// period's snapshots.
type TotalsRow = inventory.AggregateTotals

func snapshotTotals(t inventory.Totals) TotalsRow {
	return TotalsRow{Vcenter: t.Vcenter, Granularity: "snapshot", PeriodStart: t.SnapshotTime.UTC(), SnapshotCount: 1,
		VMCount: float64(t.VMCount), TemplateCount: float64(t.TemplateCount), PoweredOnCount: float64(t.PoweredOnCount),
		VCPUTotal: float64(t.VCPUTotal), RAMGBTotal: t.RAMGBTotal, ProvisionedDiskGBTotal: t.ProvisionedDiskGBTotal,
		HostCount: float64(t.HostCount), ClusterCount: float64(t.ClusterCount), DatastoreCount: float64(t.DatastoreCount),
		DatastoreCapacityGB: t.DatastoreCapacityGB, DatastoreFreeGB: t.DatastoreFreeGB}
}

func (a *API) listTotals(ctx context.Context, in *totalsInput) (*listOutput[TotalsRow], error) {
	if !in.From.IsZero() && !in.To.IsZero() && !in.To.After(in.From) {
		return nil, invalid("to", "must be after from")
	}
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[TotalsRow](nil, ""), nil
	}
	var rows []TotalsRow
	if in.Granularity == "snapshot" {
		ts, err := a.o.Store.ListTotals(ctx, &store.ListTotalsParams{Vcenter: vc, From: in.From, To: in.To})
		if err != nil {
			return nil, a.storeError(ctx, "list totals", err)
		}
		for _, t := range ts {
			rows = append(rows, snapshotTotals(t))
		}
	} else {
		ts, err := a.o.Store.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{Vcenter: vc,
			Granularity: inventory.Granularity(in.Granularity), From: in.From, To: in.To})
		if err != nil {
			return nil, a.storeError(ctx, "list aggregate totals", err)
		}
		for _, t := range ts {
			t.PeriodStart = t.PeriodStart.UTC()
			rows = append(rows, t)
		}
	}
	page, next, err := offsetPage(visible(sc, rows, func(t TotalsRow) string { return t.Vcenter }), in.Page)
	if err != nil {
		return nil, err
	}
	return newList(page, next), nil
}

type latestTotalsInput struct {
	Vcenter string `query:"vcenter" maxLength:"256"`
}

func (a *API) latestTotals(ctx context.Context, in *latestTotalsInput) (*listOutput[inventory.Totals], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.Totals](nil, ""), nil
	}
	ts, err := a.o.Store.LatestTotals(ctx, &store.LatestTotalsParams{Vcenter: vc})
	if err != nil {
		return nil, a.storeError(ctx, "latest totals", err)
	}
	for i := range ts {
		ts[i].SnapshotTime = ts[i].SnapshotTime.UTC()
	}
	return newList(visible(sc, ts, func(t inventory.Totals) string { return t.Vcenter }), ""), nil
}
