package sqlstore

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// WriteSnapshot writes one complete snapshot of one vCenter in one
// transaction.
func (c *Core) WriteSnapshot(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error) {
	const op = "WriteSnapshot"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateSnapshot(p); err != nil {
		return nil, err
	}
	st := store.SnapshotTime(p.SnapshotTime)
	res := &store.WriteSnapshotResult{Samples: len(p.Samples)}
	if p.Compat {
		res.CompatTable = inventory.HourlyTableName(st)
	}
	if len(p.Samples) > 0 {
		if err := c.d.PrepareSampleTimes(ctx, []time.Time{st}); err != nil {
			return nil, &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: st, Stage: store.StageSamples, Err: err}
		}
	}
	side := c.sideRows(p.Samples, st)
	w := &writeOp{op: op, vcenter: p.Vcenter, t: st}
	err := c.inTx(ctx, w, func(tx Tx) error {
		// One writer per vCenter at a time, so the replace-by-delete of
		// samples and state cannot interleave with another snapshot's.
		w.stage = store.StageBegin
		if err := c.d.Lock(ctx, tx, "snapshot|"+p.Vcenter); err != nil {
			return err
		}
		if err := c.d.Lock(ctx, tx, sampleLockKey(p.Vcenter, st)); err != nil {
			return err
		}

		w.stage = store.StageSamples
		if _, err := tx.Exec(ctx, c.sql("DELETE FROM {vm_hourly_stats} WHERE vcenter = ? AND snapshot_time = ?"),
			p.Vcenter, c.time(st)); err != nil {
			return err
		}
		if len(p.Samples) > 0 {
			// Fresh: the snapshot's rows were just deleted under its locks.
			if err := c.d.UpsertSamples(ctx, tx, c.SampleRows(p.Samples, st, p.BatchSize), true); err != nil {
				return err
			}
			if err := c.writeSide(ctx, tx, side); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, c.sql("DELETE FROM {sample_times} WHERE vcenter = ? AND snapshot_time = ?"),
			p.Vcenter, c.time(st)); err != nil {
			return err
		}

		w.stage = store.StageInventory
		if p.State != nil {
			replaced, err := c.writeState(ctx, tx, p.Vcenter, st, p.State, p.BatchSize)
			if err != nil {
				return err
			}
			res.StateReplaced = replaced
		}

		w.stage = store.StageTotals
		tot := p.Totals
		tot.Vcenter, tot.SnapshotTime = p.Vcenter, st
		if err := c.writeTotals(ctx, tx, &tot); err != nil {
			return err
		}
		hour := inventory.HourOf(st, p.Location)
		if _, _, err := c.refreshAggregate(ctx, tx, p.Vcenter, inventory.Hourly, hour.Start, hour.End); err != nil {
			return err
		}

		w.stage = store.StageRegistry
		rec := inventory.SnapshotRecord{
			Vcenter: p.Vcenter, Kind: inventory.Hourly, SnapshotTime: st, TableName: res.CompatTable,
			RowCount: len(p.Samples), Duration: p.Duration, RegisteredAt: p.RegisteredAt,
		}
		if rec.RegisteredAt.IsZero() {
			rec.RegisteredAt = c.now()
		}
		stored, err := c.upsertRecord(ctx, tx, &rec)
		if err != nil {
			return err
		}
		res.Record = *stored

		if p.Compat {
			w.stage = store.StageCompat
			if err := c.writeCompatHourly(ctx, tx, p.Vcenter, st, p.Samples, p.BatchSize); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	c.committed(side)
	return res, nil
}

// writeTotals upserts vcenter_totals and, when t is not older than the
// stored latest totals, vcenter_latest_totals.
func (c *Core) writeTotals(ctx context.Context, tx Tx, t *inventory.Totals) error {
	args := c.totalsArgs(make([]any, 0, len(totalsCols)), t)
	if _, err := tx.Exec(ctx, c.insertSQL(TableTotals, totalsCols, Upsert(totalsCols, "vcenter", "snapshot_time"), 1), args...); err != nil {
		return err
	}
	suffix := "ON CONFLICT (vcenter) DO UPDATE SET " + UpdateSet(totalsCols, "vcenter") +
		" WHERE excluded.snapshot_time >= " + TableLatestTotals + ".snapshot_time"
	_, err := tx.Exec(ctx, c.insertSQL(TableLatestTotals, totalsCols, suffix, 1), args...)
	return err
}

// upsertRecord upserts a registry record and returns it as stored. An
// existing record keeps its registered_at and duration (they describe the
// first complete capture or aggregation); a new one is stamped with
// RegisteredAt, or the current time when that is zero.
func (c *Core) upsertRecord(ctx context.Context, tx Tx, r *inventory.SnapshotRecord) (*inventory.SnapshotRecord, error) {
	key := []string{"vcenter", "kind", "snapshot_time"}
	set := without(registryCols, "registered_at", "duration")
	rec := *r
	if rec.RegisteredAt.IsZero() {
		rec.RegisteredAt = c.now()
	}
	suffix := "ON CONFLICT (" + list(key) + ") DO UPDATE SET " + UpdateSet(set, key...)
	if _, err := tx.Exec(ctx, c.insertSQL(TableRegistry, registryCols, suffix, 1),
		c.registryArgs(make([]any, 0, len(registryCols)), &rec)...); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, c.sql("SELECT "+list(registryCols)+" FROM {snapshot_registry} WHERE vcenter = ? AND kind = ? AND snapshot_time = ?"),
		rec.Vcenter, string(rec.Kind), c.time(rec.SnapshotTime))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out inventory.SnapshotRecord
	for rows.Next() {
		if err := rows.Scan(registryDest(&out)...); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return &out, nil
}

// refreshAggregate recomputes the aggregate totals of one period inside tx:
// upserted when the period has snapshots, deleted otherwise.
func (c *Core) refreshAggregate(ctx context.Context, tx Tx, vc string, g inventory.Granularity, start, end time.Time) (*inventory.AggregateTotals, bool, error) {
	rows, err := tx.Query(ctx, c.sql("SELECT "+list(totalsCols)+" FROM {vcenter_totals} WHERE vcenter = ? AND snapshot_time >= ? AND snapshot_time < ? ORDER BY snapshot_time"),
		vc, c.bound(start), c.bound(end))
	if err != nil {
		return nil, false, err
	}
	var all []inventory.Totals
	for rows.Next() {
		var t inventory.Totals
		if err := rows.Scan(totalsDest(&t)...); err != nil {
			rows.Close()
			return nil, false, err
		}
		all = append(all, t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, false, err
	}
	agg, ok := driver.MeanTotals(vc, g, start, all)
	if !ok {
		_, err := tx.Exec(ctx, c.sql("DELETE FROM {vcenter_aggregate_totals} WHERE vcenter = ? AND granularity = ? AND period_start = ?"),
			vc, string(g), c.time(start))
		return nil, false, err
	}
	if _, err := tx.Exec(ctx, c.insertSQL(TableAggregateTotals, aggregateCols, Upsert(aggregateCols, "vcenter", "granularity", "period_start"), 1),
		c.aggregateArgs(make([]any, 0, len(aggregateCols)), &agg)...); err != nil {
		return nil, false, err
	}
	return &agg, true, nil
}
