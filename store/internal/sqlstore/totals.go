package sqlstore

import (
	"context"
	"strings"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// ListTotals returns totals ordered by (vcenter, snapshot_time).
func (c *Core) ListTotals(ctx context.Context, p *store.ListTotalsParams) ([]inventory.Totals, error) {
	const op = "ListTotals"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListTotalsParams{}
	}
	q := c.db.NewSelect().ColumnExpr(list(totalsCols)).TableExpr(c.sql("{vcenter_totals}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = c.inRange(q, "snapshot_time", p.From, p.To)
	q = q.OrderExpr("vcenter, snapshot_time")
	return queryRows(ctx, c, op, q, totalsDest)
}

// LatestTotals returns the newest totals of each vCenter, ordered by
// vcenter.
func (c *Core) LatestTotals(ctx context.Context, p *store.LatestTotalsParams) ([]inventory.Totals, error) {
	const op = "LatestTotals"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.LatestTotalsParams{}
	}
	q := c.db.NewSelect().ColumnExpr(list(totalsCols)).TableExpr(c.sql("{vcenter_latest_totals}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = q.OrderExpr("vcenter")
	return queryRows(ctx, c, op, q, totalsDest)
}

// RefreshAggregateTotals recomputes one aggregate period from
// vcenter_totals.
func (c *Core) RefreshAggregateTotals(ctx context.Context, p *store.RefreshAggregateTotalsParams) (*inventory.AggregateTotals, error) {
	const op = "RefreshAggregateTotals"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateAggregatePeriod(p); err != nil {
		return nil, err
	}
	var agg *inventory.AggregateTotals
	w := &writeOp{op: op, vcenter: p.Vcenter, t: driver.NormTime(p.PeriodStart), stage: store.StageTotals}
	err := c.inTx(ctx, w, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, "snapshot|"+p.Vcenter); err != nil {
			return err
		}
		a, _, err := c.refreshAggregate(ctx, tx, p.Vcenter, p.Granularity, p.PeriodStart, p.PeriodEnd)
		agg = a
		return err
	})
	if err != nil {
		return nil, err
	}
	if agg == nil {
		return nil, c.notFound(op, "snapshots of "+p.Vcenter+" in the period")
	}
	return agg, nil
}

// ListAggregateTotals returns rows ordered by (vcenter, granularity,
// period_start).
func (c *Core) ListAggregateTotals(ctx context.Context, p *store.ListAggregateTotalsParams) ([]inventory.AggregateTotals, error) {
	const op = "ListAggregateTotals"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAggregateTotalsParams{}
	}
	q := c.db.NewSelect().ColumnExpr(list(aggregateCols)).TableExpr(c.sql("{vcenter_aggregate_totals}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	if p.Granularity != "" {
		q = q.Where("granularity = ?", string(p.Granularity))
	}
	q = c.inRange(q, "period_start", p.From, p.To)
	q = q.OrderExpr("vcenter, granularity, period_start")
	return queryRows(ctx, c, op, q, aggregateDest)
}

// RegisterSnapshot upserts a registry record on (vcenter, kind,
// snapshot_time), replacing every field but RegisteredAt and Duration,
// which an existing record keeps; a new one gets RegisteredAt (the current
// time when zero).
func (c *Core) RegisterSnapshot(ctx context.Context, p *store.RegisterSnapshotParams) error {
	const op = "RegisterSnapshot"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.RegisterSnapshotParams{}
	}
	r := p.Record
	if err := driver.ValidateRecord(op, &r); err != nil {
		return err
	}
	w := &writeOp{op: op, vcenter: r.Vcenter, t: driver.NormTime(r.SnapshotTime), stage: store.StageRegistry}
	return c.inTx(ctx, w, func(tx Tx) error {
		_, err := c.upsertRecord(ctx, tx, &r)
		return err
	})
}

// ListSnapshots returns records ordered by (snapshot_time, vcenter), newest
// first when Descending.
func (c *Core) ListSnapshots(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error) {
	const op = "ListSnapshots"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListSnapshotsParams{}
	}
	if p.Limit < 0 {
		return nil, driver.Invalid(op, "Limit", "must not be negative")
	}
	q := c.db.NewSelect().ColumnExpr(list(registryCols)).TableExpr(c.sql("{snapshot_registry}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	if p.Kind != "" {
		q = q.Where("kind = ?", string(p.Kind))
	}
	q = c.inRange(q, "snapshot_time", p.From, p.To)
	if p.Descending {
		q = q.OrderExpr("snapshot_time DESC, vcenter DESC, kind DESC")
	} else {
		q = q.OrderExpr("snapshot_time, vcenter, kind")
	}
	if p.Limit > 0 {
		q = q.Limit(int64(p.Limit))
	}
	return queryRows(ctx, c, op, q, registryDest)
}

// countChunk is the number of periods one CountSnapshots statement covers.
const countChunk = 400

// CountSnapshots counts registry records per vCenter and period: the
// periods join the registry as a derived table, so the database reads the
// records through the (kind, snapshot_time) range and returns one row per
// vCenter and period.
func (c *Core) CountSnapshots(ctx context.Context, p *store.CountSnapshotsParams) ([]store.SnapshotCount, error) {
	const op = "CountSnapshots"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateCountSnapshots(p); err != nil {
		return nil, err
	}
	tt := c.d.ColumnType(KindTime)
	var out []store.SnapshotCount
	for lo := 0; lo < len(p.Bounds)-1; lo += countChunk {
		hi := min(lo+countChunk, len(p.Bounds)-1)
		var b strings.Builder
		args := make([]any, 0, 3*(hi-lo)+1)
		for i := lo; i < hi; i++ {
			if i == lo {
				b.WriteString("SELECT CAST(? AS INTEGER) AS i, CAST(? AS " + tt + ") AS s, CAST(? AS " + tt + ") AS e")
			} else {
				b.WriteString(" UNION ALL SELECT ?, ?, ?")
			}
			args = append(args, i, c.bound(p.Bounds[i]), c.bound(p.Bounds[i+1]))
		}
		args = append(args, string(p.Kind))
		q := c.sql("SELECT b.i, r.vcenter, COUNT(*), MAX(r.registered_at) FROM (" + b.String() + ") AS b" +
			" JOIN {snapshot_registry} AS r ON r.snapshot_time >= b.s AND r.snapshot_time < b.e AND r.kind = ?" +
			" GROUP BY b.i, r.vcenter ORDER BY b.i, r.vcenter")
		rows, err := c.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, c.readErr(op, err)
		}
		for rows.Next() {
			var n store.SnapshotCount
			if err := rows.Scan(&n.Period, &n.Vcenter, &n.Count, timeDest{&n.NewestRegisteredAt}); err != nil {
				rows.Close()
				return nil, c.readErr(op, err)
			}
			out = append(out, n)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, c.readErr(op, err)
		}
	}
	return out, nil
}
