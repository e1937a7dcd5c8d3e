package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// WriteDailyRollups replaces the rows of (Vcenter, Day).
func (c *Core) WriteDailyRollups(ctx context.Context, p *store.WriteDailyRollupsParams) error {
	const op = "WriteDailyRollups"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.WriteDailyRollupsParams{}
	}
	rows := p.Rows
	if err := driver.ValidateRollupRows(op, p.Vcenter, p.Day, len(rows), func(i int) (string, time.Time, *inventory.Rollup) {
		return rows[i].Vcenter, rows[i].Day, &rows[i].Rollup
	}); err != nil {
		return err
	}
	if err := driver.ValidateUtilisation(op, rows); err != nil {
		return err
	}
	var compat string
	if p.Compat {
		compat = inventory.DailyTableName(p.Day)
		if _, ok := driver.ParseCompatTableName(compat); !ok {
			return driver.Invalid(op, "Day", "cannot name a compatibility table")
		}
	}
	day := driver.NormTime(p.Day)
	w := &writeOp{op: op, vcenter: p.Vcenter, t: day, stage: store.StageRollups}
	return c.inTx(ctx, w, func(tx Tx) error {
		if err := c.replaceRollups(ctx, tx, TableDaily, "day", p.Vcenter, day, dailySource(c, rows, day, p.BatchSize)); err != nil {
			return err
		}
		if compat == "" {
			return nil
		}
		w.stage = store.StageCompat
		return c.copyToCompat(ctx, tx, compat, CompatDailyColumns, TableDaily, "day", p.Vcenter, day)
	})
}

// WriteMonthlyRollups replaces the rows of (Vcenter, Month).
func (c *Core) WriteMonthlyRollups(ctx context.Context, p *store.WriteMonthlyRollupsParams) error {
	const op = "WriteMonthlyRollups"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.WriteMonthlyRollupsParams{}
	}
	rows := p.Rows
	if err := driver.ValidateRollupRows(op, p.Vcenter, p.Month, len(rows), func(i int) (string, time.Time, *inventory.Rollup) {
		return rows[i].Vcenter, rows[i].Month, &rows[i].Rollup
	}); err != nil {
		return err
	}
	var compat string
	if p.Compat {
		compat = inventory.MonthlyTableName(p.Month)
		if _, ok := driver.ParseCompatTableName(compat); !ok {
			return driver.Invalid(op, "Month", "cannot name a compatibility table")
		}
	}
	month := driver.NormTime(p.Month)
	w := &writeOp{op: op, vcenter: p.Vcenter, t: month, stage: store.StageRollups}
	return c.inTx(ctx, w, func(tx Tx) error {
		if err := c.replaceRollups(ctx, tx, TableMonthly, "month", p.Vcenter, month, monthlySource(c, rows, month, p.BatchSize)); err != nil {
			return err
		}
		if compat == "" {
			return nil
		}
		w.stage = store.StageCompat
		return c.copyToCompat(ctx, tx, compat, CompatMonthlyColumns, TableMonthly, "month", p.Vcenter, month)
	})
}

// dailySource yields daily rollup rows of day (normalised) for bulk
// writes: as arguments (Row) or typed (Encode, pgstore's COPY).
func dailySource(c *Core, rows []inventory.DailyRollup, day time.Time, batch int) *RowSource {
	return &RowSource{N: len(rows), Cols: dailyCols, Batch: batch, Row: func(i int, dst []any) []any {
		u := &rows[i].Utilisation
		return append(c.rollupArgs(dst, day, &rows[i].Rollup), rows[i].Partial, jsonMap(rows[i].Attributes),
			u.UtilSamples, u.AvgCPUMHz, u.PeakCPUMHz, u.AvgCPUPct, u.PeakCPUPct, u.AvgMemPct, u.PeakMemPct)
	}, Encode: func(i int, w ValueWriter) {
		rollupEncode(w, day, &rows[i].Rollup)
		w.Bool(rows[i].Partial)
		w.JSON(jsonMapBytes(rows[i].Attributes))
		u := &rows[i].Utilisation
		w.Int(int64(u.UtilSamples))
		for _, f := range [...]float64{u.AvgCPUMHz, u.PeakCPUMHz, u.AvgCPUPct, u.PeakCPUPct, u.AvgMemPct, u.PeakMemPct} {
			w.Float(f)
		}
	}}
}

// monthlySource is dailySource for monthly rows of month.
func monthlySource(c *Core, rows []inventory.MonthlyRollup, month time.Time, batch int) *RowSource {
	return &RowSource{N: len(rows), Cols: monthlyCols, Batch: batch, Row: func(i int, dst []any) []any {
		r := &rows[i]
		return append(c.rollupArgs(dst, month, &r.Rollup), r.DaysPresent, r.VCPUDays, r.RAMGBDays, r.ProvisionedDiskGBDays,
			r.UsedDiskGBDays, r.CoverageDays, r.DaysInMonth, r.Partial, jsonMap(r.Attributes))
	}, Encode: func(i int, w ValueWriter) {
		r := &rows[i]
		rollupEncode(w, month, &r.Rollup)
		w.Int(int64(r.DaysPresent))
		w.Float(r.VCPUDays)
		w.Float(r.RAMGBDays)
		w.Float(r.ProvisionedDiskGBDays)
		w.Float(r.UsedDiskGBDays)
		w.Int(int64(r.CoverageDays))
		w.Int(int64(r.DaysInMonth))
		w.Bool(r.Partial)
		w.JSON(jsonMapBytes(r.Attributes))
	}}
}

func (c *Core) replaceRollups(ctx context.Context, tx Tx, table, periodCol, vc string, period time.Time, rs *RowSource) error {
	if err := c.d.Lock(ctx, tx, table+"|"+vc); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM "+c.d.Table(table)+" WHERE vcenter = ? AND "+periodCol+" = ?", vc, c.time(period)); err != nil {
		return err
	}
	return c.d.InsertRows(ctx, tx, table, rs.Cols, rs)
}

// scanRollups streams rows of a rollup table in (vcenter, period, vm_key)
// order; each is decoded with dest and passed to emit.
func (c *Core) scanRollups(ctx context.Context, op, table, periodCol string, cols []string, p *store.ScanRollupsParams, dest []any, emit func() error) error {
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.ScanRollupsParams{}
	}
	q := c.db.NewSelect().ColumnExpr(list(cols)).TableExpr(c.d.Table(table))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = c.inRange(q, periodCol, p.From, p.To)
	if p.VMKey != "" {
		q = q.Where("vm_key = ?", p.VMKey)
	}
	rows, err := q.OrderExpr("vcenter, " + periodCol + ", vm_key").Rows(ctx)
	if err != nil {
		return c.readErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return c.readErr(op, err)
		}
		if err := emit(); err != nil {
			if errors.Is(err, store.ErrStopScan) {
				return nil
			}
			return c.wrap(op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return c.readErr(op, err)
	}
	return nil
}

// ScanDailyRollups streams rows ordered by (vcenter, day, vm_key).
func (c *Core) ScanDailyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.DailyRollup) error) error {
	if fn == nil {
		return driver.Invalid("ScanDailyRollups", "fn", "must not be nil")
	}
	var r inventory.DailyRollup
	return c.scanRollups(ctx, "ScanDailyRollups", TableDaily, "day", dailyCols, p, dailyDest(&r),
		func() error { return fn(&r) })
}

// ScanMonthlyRollups streams rows ordered by (vcenter, month, vm_key).
func (c *Core) ScanMonthlyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.MonthlyRollup) error) error {
	if fn == nil {
		return driver.Invalid("ScanMonthlyRollups", "fn", "must not be nil")
	}
	var r inventory.MonthlyRollup
	return c.scanRollups(ctx, "ScanMonthlyRollups", TableMonthly, "month", monthlyCols, p,
		monthlyDest(&r), func() error { return fn(&r) })
}

// copyToCompat replaces vc's rows of a summary compatibility table with
// the rows just written to the canonical rollup table for (vc, period),
// inside the database: the same rows as sending them again, without the
// second trip through the client.
func (c *Core) copyToCompat(ctx context.Context, tx Tx, name string, cols []Column, table, periodCol, vc string, period time.Time) error {
	after, err := c.prepareCompat(ctx, tx, name, cols, vc)
	if err != nil {
		return err
	}
	l := list(names(cols))
	if _, err := tx.Exec(ctx, "INSERT INTO "+c.d.Table(name)+" ("+l+") SELECT "+l+" FROM "+c.d.Table(table)+
		" WHERE vcenter = ? AND "+periodCol+" = ?", vc, c.time(period)); err != nil {
		return err
	}
	return c.execAfter(ctx, tx, after)
}
