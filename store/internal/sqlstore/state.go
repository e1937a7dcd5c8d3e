package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// DeleteInsertState is the plain Dialect.ReplaceState: vc's rows of table
// are deleted and rows inserted.
func (c *Core) DeleteInsertState(ctx context.Context, tx Tx, table, vc string, rows *RowSource) error {
	if _, err := tx.Exec(ctx, "DELETE FROM "+c.d.Table(table)+" WHERE vcenter = ?", vc); err != nil {
		return err
	}
	if rows.N == 0 {
		return nil
	}
	return c.d.InsertRows(ctx, tx, table, rows.Cols, rows)
}

// sortedIDs returns ids sorted ascending without duplicates.
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

type pair struct{ id, ref string }

// writeState replaces a vCenter's latest-state inventory with s when st is
// not older than the stored state.
func (c *Core) writeState(ctx context.Context, tx Tx, vc string, st time.Time, s *inventory.State, batch int) (bool, error) {
	rows, err := tx.Query(ctx, c.sql("SELECT snapshot_time FROM {inv_state} WHERE vcenter = ?"), vc)
	if err != nil {
		return false, err
	}
	var stored time.Time
	found := false
	for rows.Next() {
		if err := rows.Scan(timeDest{&stored}); err != nil {
			rows.Close()
			return false, err
		}
		found = true
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return false, err
	}
	if found && st.Before(stored) {
		return false, nil
	}
	stv := c.time(st)
	// ins replaces vc's rows of table with n rows. Entity tables (their
	// last column is the snapshot time) are keyed by (vcenter, id); pair
	// tables by all their columns.
	ins := func(table string, cols []string, n int, row func(i int, dst []any) []any) error {
		keyCols := 2
		if cols[len(cols)-1] != "snapshot_time" {
			keyCols = len(cols)
		}
		return c.d.ReplaceState(ctx, tx, table, keyCols, vc, &RowSource{N: n, Cols: cols, Batch: batch, Row: row}, !found)
	}
	var vmDS, vmNet, dsHosts []pair
	for i := range s.VMs {
		v := &s.VMs[i]
		for _, id := range sortedIDs(v.DatastoreIDs) {
			vmDS = append(vmDS, pair{v.ID, id})
		}
		for _, id := range sortedIDs(v.NetworkIDs) {
			vmNet = append(vmNet, pair{v.ID, id})
		}
	}
	for i := range s.Datastores {
		d := &s.Datastores[i]
		for _, id := range sortedIDs(d.HostIDs) {
			dsHosts = append(dsHosts, pair{d.ID, id})
		}
	}
	pairRows := func(ps []pair) func(i int, dst []any) []any {
		return func(i int, dst []any) []any { return append(dst, vc, ps[i].id, ps[i].ref) }
	}
	for _, step := range []func() error{
		func() error {
			return ins(TableVMs, vmWriteCols, len(s.VMs), func(i int, dst []any) []any { return c.vmArgs(dst, &s.VMs[i], stv) })
		},
		func() error {
			return ins(TableVMDatastores, []string{"vcenter", "vm_id", "datastore_id"}, len(vmDS), pairRows(vmDS))
		},
		func() error {
			return ins(TableVMNetworks, []string{"vcenter", "vm_id", "network_id"}, len(vmNet), pairRows(vmNet))
		},
		func() error {
			return ins(TableHosts, hostCols, len(s.Hosts), func(i int, dst []any) []any { return hostArgs(dst, &s.Hosts[i], stv) })
		},
		func() error {
			return ins(TableClusters, clusterCols, len(s.Clusters), func(i int, dst []any) []any {
				return clusterArgs(dst, &s.Clusters[i], stv)
			})
		},
		func() error {
			return ins(TableDatastores, datastoreCols, len(s.Datastores), func(i int, dst []any) []any {
				return datastoreArgs(dst, &s.Datastores[i], stv)
			})
		},
		func() error {
			return ins(TableDatastoreHosts, []string{"vcenter", "datastore_id", "host_id"}, len(dsHosts), pairRows(dsHosts))
		},
		func() error {
			return ins(TableNetworks, networkCols, len(s.Networks), func(i int, dst []any) []any {
				return networkArgs(dst, &s.Networks[i], stv)
			})
		},
		func() error {
			return ins(TablePools, poolCols, len(s.ResourcePools), func(i int, dst []any) []any {
				return poolArgs(dst, &s.ResourcePools[i], stv)
			})
		},
	} {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if err := step(); err != nil {
			return false, err
		}
	}
	if _, err := tx.Exec(ctx, c.insertSQL(TableState, []string{"vcenter", "snapshot_time"},
		"ON CONFLICT (vcenter) DO UPDATE SET snapshot_time = excluded.snapshot_time", 1), vc, stv); err != nil {
		return false, err
	}
	return true, nil
}

// ---------------------------------------------------------------------------
// Reads

// queryAll runs q and scans every row with scan.
func (c *Core) queryAll(ctx context.Context, op string, q *bun.SelectQuery, scan func(r *sql.Rows) error) error {
	rows, err := q.Rows(ctx)
	if err != nil {
		return c.readErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return c.readErr(op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return c.readErr(op, err)
	}
	return nil
}

// queryRows runs q and scans each row into a new T through dest.
func queryRows[T any](ctx context.Context, c *Core, op string, q *bun.SelectQuery, dest func(*T) []any) ([]T, error) {
	var out []T
	err := c.queryAll(ctx, op, q, func(r *sql.Rows) error {
		var v T
		if err := r.Scan(dest(&v)...); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// ListVMs returns VMs ordered by (vcenter, vm_id), paginated.
func (c *Core) ListVMs(ctx context.Context, p *store.ListVMsParams) (*store.VMPage, error) {
	const op = "ListVMs"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListVMsParams{}
	}
	cur, err := driver.DecodeCursor(op, p.Cursor, 2)
	if err != nil {
		return nil, err
	}
	limit := driver.VMsPageSize(p)
	q := c.db.NewSelect().ColumnExpr(list(vmCols)).TableExpr(c.sql("{inv_vms} AS v"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = c.whereVMRefs(q, p.HostID, p.ResourcePoolID, p.DatastoreID, p.NetworkID)
	if cur != nil {
		q = q.Where("(vcenter, vm_id) > (?, ?)", cur[0], cur[1])
	}
	q = q.OrderExpr("vcenter, vm_id").Limit(int64(limit + 1))
	vms, err := queryRows(ctx, c, op, q, vmDest)
	if err != nil {
		return nil, err
	}
	page := &store.VMPage{}
	if len(vms) > limit {
		vms = vms[:limit]
		last := vms[limit-1]
		page.NextCursor = driver.EncodeCursor(last.Vcenter, last.ID)
	}
	if err := c.loadVMRefs(ctx, op, vms); err != nil {
		return nil, err
	}
	page.VMs = vms
	return page, nil
}

// loadVMRefs fills DatastoreIDs and NetworkIDs of vms. VMs ordered by
// (vcenter, vm_id), a ListVMs page, have their relations read as one range
// of keys; others (a QueryVMs page, in any order) by their vcenters and ids.
func (c *Core) loadVMRefs(ctx context.Context, op string, vms []inventory.VM) error {
	if len(vms) == 0 {
		return nil
	}
	type key struct{ vc, id string }
	idx := make(map[key]int, len(vms))
	var vcs, ids []string
	for i := range vms {
		idx[key{vms[i].Vcenter, vms[i].ID}] = i
		vcs, ids = append(vcs, vms[i].Vcenter), append(ids, vms[i].ID)
	}
	keys := func(q *bun.SelectQuery) *bun.SelectQuery {
		if slices.IsSortedFunc(vms, func(a, b inventory.VM) int {
			return cmp.Or(strings.Compare(a.Vcenter, b.Vcenter), strings.Compare(a.ID, b.ID))
		}) {
			first, last := vms[0], vms[len(vms)-1]
			return q.Where("(vcenter, vm_id) >= (?, ?)", first.Vcenter, first.ID).
				Where("(vcenter, vm_id) <= (?, ?)", last.Vcenter, last.ID)
		}
		// A superset of the pairs (the map keeps the VMs' own).
		return q.Where("vcenter IN (?)", bun.List(sortedIDs(vcs))).Where("vm_id IN (?)", bun.List(sortedIDs(ids)))
	}
	for _, rel := range []struct {
		table, col string
		set        func(v *inventory.VM, id string)
	}{
		{TableVMDatastores, "datastore_id", func(v *inventory.VM, id string) { v.DatastoreIDs = append(v.DatastoreIDs, id) }},
		{TableVMNetworks, "network_id", func(v *inventory.VM, id string) { v.NetworkIDs = append(v.NetworkIDs, id) }},
	} {
		q := keys(c.db.NewSelect().ColumnExpr("vcenter, vm_id, " + rel.col).TableExpr(c.d.Table(rel.table))).
			OrderExpr("vcenter, vm_id, " + rel.col)
		err := c.queryAll(ctx, op, q, func(r *sql.Rows) error {
			var vc, vm, ref string
			if err := r.Scan(&vc, &vm, &ref); err != nil {
				return err
			}
			if i, ok := idx[key{vc, vm}]; ok {
				rel.set(&vms[i], ref)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// GetVM returns one VM or ErrNotFound.
func (c *Core) GetVM(ctx context.Context, p *store.GetVMParams) (*inventory.VM, error) {
	const op = "GetVM"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || p.Vcenter == "" || p.VMID == "" {
		return nil, driver.Invalid(op, "VMID", "Vcenter and VMID must be set")
	}
	q := c.db.NewSelect().ColumnExpr(list(vmCols)).TableExpr(c.sql("{inv_vms}")).
		Where("vcenter = ?", p.Vcenter).Where("vm_id = ?", p.VMID)
	vms, err := queryRows(ctx, c, op, q, vmDest)
	if err != nil {
		return nil, err
	}
	if len(vms) == 0 {
		return nil, c.notFound(op, "VM "+p.Vcenter+"/"+p.VMID)
	}
	if err := c.loadVMRefs(ctx, op, vms); err != nil {
		return nil, err
	}
	return &vms[0], nil
}

// listState lists rows of a state table filtered by vcenter and extra
// where clauses, ordered by (vcenter, id).
func listState[T any](ctx context.Context, c *Core, op, table, cols, idCol, vcenter string, where func(q *bun.SelectQuery) *bun.SelectQuery, dest func(*T) []any) ([]T, error) {
	if err := c.check(op); err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr(cols).TableExpr(c.d.Table(table) + " AS x")
	if vcenter != "" {
		q = q.Where("vcenter = ?", vcenter)
	}
	if where != nil {
		q = where(q)
	}
	q = q.OrderExpr("vcenter, " + idCol)
	return queryRows(ctx, c, op, q, dest)
}

// ListHosts returns hosts ordered by (vcenter, host_id).
func (c *Core) ListHosts(ctx context.Context, p *store.ListHostsParams) ([]inventory.Host, error) {
	if p == nil {
		p = &store.ListHostsParams{}
	}
	return listState(ctx, c, "ListHosts", TableHosts, list(hostCols), "host_id", p.Vcenter, func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(p.IDs) > 0 {
			q = q.Where("x.host_id IN (?)", bun.List(p.IDs))
		}
		if p.ClusterID != "" {
			q = q.Where("cluster_id = ?", p.ClusterID)
		}
		return q
	}, hostDest)
}

// ListClusters returns clusters ordered by (vcenter, cluster_id).
func (c *Core) ListClusters(ctx context.Context, p *store.ListClustersParams) ([]inventory.Cluster, error) {
	if p == nil {
		p = &store.ListClustersParams{}
	}
	return listState(ctx, c, "ListClusters", TableClusters, list(clusterCols), "cluster_id", p.Vcenter, func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(p.IDs) > 0 {
			q = q.Where("x.cluster_id IN (?)", bun.List(p.IDs))
		}
		return q
	}, clusterDest)
}

// ListDatastores returns datastores ordered by (vcenter, datastore_id).
func (c *Core) ListDatastores(ctx context.Context, p *store.ListDatastoresParams) ([]inventory.Datastore, error) {
	const op = "ListDatastores"
	if p == nil {
		p = &store.ListDatastoresParams{}
	}
	out, err := listState(ctx, c, op, TableDatastores, list(datastoreCols), "datastore_id", p.Vcenter, func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(p.IDs) > 0 {
			q = q.Where("x.datastore_id IN (?)", bun.List(p.IDs))
		}
		if p.HostID != "" {
			q = q.Where(c.sql("EXISTS (SELECT 1 FROM {datastore_hosts} h WHERE h.vcenter = x.vcenter AND h.datastore_id = x.datastore_id AND h.host_id = ?)"), p.HostID)
		}
		return q
	}, datastoreDest)
	if err != nil || len(out) == 0 {
		return out, err
	}
	type key struct{ vc, id string }
	idx := make(map[key]int, len(out))
	for i := range out {
		idx[key{out[i].Vcenter, out[i].ID}] = i
	}
	q := c.db.NewSelect().ColumnExpr("vcenter, datastore_id, host_id").TableExpr(c.sql("{datastore_hosts}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = q.OrderExpr("vcenter, datastore_id, host_id")
	err = c.queryAll(ctx, op, q, func(r *sql.Rows) error {
		var vc, ds, host string
		if err := r.Scan(&vc, &ds, &host); err != nil {
			return err
		}
		if i, ok := idx[key{vc, ds}]; ok {
			out[i].HostIDs = append(out[i].HostIDs, host)
		}
		return nil
	})
	return out, err
}

// ListNetworks returns networks ordered by (vcenter, network_id).
func (c *Core) ListNetworks(ctx context.Context, p *store.ListNetworksParams) ([]inventory.Network, error) {
	if p == nil {
		p = &store.ListNetworksParams{}
	}
	return listState(ctx, c, "ListNetworks", TableNetworks, list(networkCols), "network_id", p.Vcenter, func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(p.IDs) > 0 {
			q = q.Where("x.network_id IN (?)", bun.List(p.IDs))
		}
		return q
	}, networkDest)
}

// ListResourcePools returns pools ordered by (vcenter, pool_id).
func (c *Core) ListResourcePools(ctx context.Context, p *store.ListResourcePoolsParams) ([]inventory.ResourcePool, error) {
	if p == nil {
		p = &store.ListResourcePoolsParams{}
	}
	return listState(ctx, c, "ListResourcePools", TablePools, list(poolCols), "pool_id", p.Vcenter, func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(p.IDs) > 0 {
			q = q.Where("x.pool_id IN (?)", bun.List(p.IDs))
		}
		if p.ClusterID != "" {
			q = q.Where("cluster_id = ?", p.ClusterID)
		}
		return q
	}, poolDest)
}

// StateTime returns the snapshot time of a vCenter's latest-state
// inventory, or ErrNotFound.
func (c *Core) StateTime(ctx context.Context, vcenter string) (time.Time, error) {
	const op = "StateTime"
	if err := c.check(op); err != nil {
		return time.Time{}, err
	}
	q := c.db.NewSelect().ColumnExpr("snapshot_time").TableExpr(c.sql("{inv_state}")).Where("vcenter = ?", vcenter)
	var t time.Time
	found := false
	err := c.queryAll(ctx, op, q, func(r *sql.Rows) error {
		found = true
		return r.Scan(timeDest{&t})
	})
	if err != nil {
		return time.Time{}, err
	}
	if !found {
		return time.Time{}, c.notFound(op, "state of "+vcenter)
	}
	return t, nil
}
