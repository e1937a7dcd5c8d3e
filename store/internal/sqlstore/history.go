package sqlstore

import (
	"context"
	"database/sql"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// WriteEntityHistory replaces the history rows of one vCenter snapshot
// (store.EntityHistory).
func (c *Core) WriteEntityHistory(ctx context.Context, p *store.WriteEntityHistoryParams) error {
	const op = "WriteEntityHistory"
	if err := c.check(op); err != nil {
		return err
	}
	st, rows, err := driver.PrepareEntityHistory(p)
	if err != nil {
		return err
	}
	vc, stv, batch := p.Vcenter, c.time(st), p.BatchSize
	w := &writeOp{op: op, vcenter: vc, t: st, stage: store.StageHistory}
	return c.inTx(ctx, w, func(tx Tx) error {
		for _, t := range []string{TableHostHistory, TableClusterHistory, TableDatastoreHistory, TableExcludedHistory, TableHistorySnapshots} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+c.d.Table(t)+" WHERE vcenter = ? AND snapshot_time = ?", vc, stv); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, c.insertSQL(TableHistorySnapshots, []string{"vcenter", "snapshot_time"}, "", 1), vc, stv); err != nil {
			return err
		}
		ins := func(table string, cols []string, n int, row func(i int, dst []any) []any) error {
			if n == 0 {
				return nil
			}
			return c.d.InsertRows(ctx, tx, table, cols, &RowSource{N: n, Cols: cols, Batch: batch, Row: row})
		}
		if err := ins(TableHostHistory, hostCols, len(rows.Hosts), func(i int, dst []any) []any {
			return hostArgs(dst, &rows.Hosts[i], stv)
		}); err != nil {
			return err
		}
		if err := ins(TableClusterHistory, clusterCols, len(rows.Clusters), func(i int, dst []any) []any {
			return clusterArgs(dst, &rows.Clusters[i], stv)
		}); err != nil {
			return err
		}
		if err := ins(TableDatastoreHistory, datastoreCols, len(rows.Datastores), func(i int, dst []any) []any {
			return datastoreArgs(dst, &rows.Datastores[i], stv)
		}); err != nil {
			return err
		}
		return ins(TableExcludedHistory, excludedCols, len(rows.Excluded), func(i int, dst []any) []any {
			return excludedArgs(dst, &rows.Excluded[i], stv)
		})
	})
}

// DeleteEntityHistory removes the history snapshots before Before
// (store.EntityHistory).
func (c *Core) DeleteEntityHistory(ctx context.Context, p *store.DeleteEntityHistoryParams) (int64, error) {
	const op = "DeleteEntityHistory"
	if err := c.check(op); err != nil {
		return 0, err
	}
	if err := driver.ValidateDeleteEntityHistory(p); err != nil {
		return 0, err
	}
	before := c.bound(p.Before)
	var n int64
	w := &writeOp{op: op, stage: store.StageHistory}
	err := c.inTx(ctx, w, func(tx Tx) error {
		for _, t := range []string{TableHostHistory, TableClusterHistory, TableDatastoreHistory, TableExcludedHistory, TableHistorySnapshots} {
			k, err := tx.Exec(ctx, "DELETE FROM "+c.d.Table(t)+" WHERE snapshot_time < ?", before)
			if err != nil {
				return err
			}
			if t == TableHistorySnapshots {
				n = k
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// EntitiesAsOf returns each vCenter's latest history snapshot at or
// before At (store.EntityHistory).
func (c *Core) EntitiesAsOf(ctx context.Context, p *store.EntitiesAsOfParams) (*store.EntityRows, error) {
	const op = "EntitiesAsOf"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateEntitiesAsOf(p); err != nil {
		return nil, err
	}
	// The latest snapshot at or before At: times are stored at the
	// store's precision, so At is cut down to it.
	pick := c.db.NewSelect().ColumnExpr("vcenter, MAX(snapshot_time) AS snapshot_time").
		TableExpr(c.d.Table(TableHistorySnapshots)).Where("snapshot_time <= ?", c.time(p.At)).GroupExpr("vcenter")
	if p.Vcenter != "" {
		pick = pick.Where("vcenter = ?", p.Vcenter)
	}
	return c.readHistory(ctx, op, "", nil, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Join("JOIN (?) AS s ON s.vcenter = x.vcenter AND s.snapshot_time = x.snapshot_time", pick)
	})
}

// EntityHistoryRange returns the history rows in [From, To)
// (store.EntityHistory).
func (c *Core) EntityHistoryRange(ctx context.Context, p *store.EntityHistoryRangeParams) (*store.EntityRows, error) {
	const op = "EntityHistoryRange"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateEntityHistoryRange(p); err != nil {
		return nil, err
	}
	return c.readHistory(ctx, op, p.Kind, p.IDs, func(q *bun.SelectQuery) *bun.SelectQuery {
		if p.Vcenter != "" {
			q = q.Where("x.vcenter = ?", p.Vcenter)
		}
		return c.inRange(q, "x.snapshot_time", p.From, p.To)
	})
}

// readHistory reads the snapshots and the rows of kind (every kind when
// empty) with one of ids (any when empty) that where selects, each
// ordered by (vcenter, snapshot_time, id).
func (c *Core) readHistory(ctx context.Context, op string, kind store.EntityKind, ids []string, where func(*bun.SelectQuery) *bun.SelectQuery) (*store.EntityRows, error) {
	sel := func(table string, cols []string, idCol string) *bun.SelectQuery {
		q := c.db.NewSelect().TableExpr(c.d.Table(table) + " AS x")
		for _, col := range cols {
			q = q.ColumnExpr("x." + col)
		}
		q = where(q)
		if idCol == "" {
			return q.OrderExpr("x.vcenter, x.snapshot_time")
		}
		if len(ids) > 0 {
			q = q.Where("x."+idCol+" IN (?)", bun.List(ids))
		}
		return q.OrderExpr("x.vcenter, x.snapshot_time, x." + idCol)
	}
	out := &store.EntityRows{}
	err := c.queryAll(ctx, op, sel(TableHistorySnapshots, []string{"vcenter", "snapshot_time"}, ""), func(r *sql.Rows) error {
		var s store.EntitySnapshot
		if err := r.Scan(&s.Vcenter, timeDest{&s.SnapshotTime}); err != nil {
			return err
		}
		out.Snapshots = append(out.Snapshots, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if driver.ReadsKind(kind, store.EntityHost) {
		if out.Hosts, err = queryRows(ctx, c, op, sel(TableHostHistory, hostCols, "host_id"), hostDest); err != nil {
			return nil, err
		}
	}
	if driver.ReadsKind(kind, store.EntityCluster) {
		if out.Clusters, err = queryRows(ctx, c, op, sel(TableClusterHistory, clusterCols, "cluster_id"), clusterDest); err != nil {
			return nil, err
		}
	}
	if driver.ReadsKind(kind, store.EntityDatastore) {
		if out.Datastores, err = queryRows(ctx, c, op, sel(TableDatastoreHistory, datastoreCols, "datastore_id"), datastoreDest); err != nil {
			return nil, err
		}
	}
	if driver.ReadsKind(kind, store.EntityExcluded) {
		if out.Excluded, err = queryRows(ctx, c, op, sel(TableExcludedHistory, excludedCols, "vm_id"), excludedDest); err != nil {
			return nil, err
		}
	}
	return out, nil
}
