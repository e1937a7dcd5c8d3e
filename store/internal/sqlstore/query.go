package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// store.Querier over the latest-state tables. inv_vms carries three
// search columns (SQLite migration 9, PostgreSQL migration 10), written
// with every VM, their texts ASCII-folded and joined by 'A' (a letter
// folding never yields, so a folded query never matches across two of
// them): search_key holds name, vm_id, vm_uuid and ip_address; search_os
// guest_os; search_tags each attribute as "key:value". Substring queries
// read them as stored instead of folding the columns (and expanding the
// JSON attributes) of every row. With Dialect.SearchIndex (SQLite) they
// first find the matching VMs' keys in the index that covers them
// (inv_vms_search_idx), and read the rows of those VMs only.

// vmSearchKey is v's search_key.
func vmSearchKey(v *inventory.VM) string {
	return driver.FoldASCII(v.Name) + "A" + driver.FoldASCII(v.ID) + "A" + driver.FoldASCII(v.UUID) + "A" + driver.FoldASCII(v.IPAddress)
}

// vmSearchTags is v's search_tags.
func vmSearchTags(v *inventory.VM) string {
	tags := make([]string, 0, len(v.Attributes))
	for _, k := range slices.Sorted(maps.Keys(v.Attributes)) {
		tags = append(tags, driver.FoldASCII(k+":"+v.Attributes[k]))
	}
	return strings.Join(tags, "A")
}

// QueryVMs returns one page of the VMs matching p (store.Querier).
func (c *Core) QueryVMs(ctx context.Context, p *store.QueryVMsParams) (*store.VMQueryPage, error) {
	const op = "QueryVMs"
	if err := c.check(op); err != nil {
		return nil, err
	}
	q, err := driver.CheckQueryVMs(p)
	if err != nil {
		return nil, err
	}
	if q.Empty {
		return q.Page(nil, 0), nil
	}
	total := 0
	if q.P.Count {
		cq := c.db.NewSelect().ColumnExpr("count(*)")
		if q.Q != "" && c.d.SearchIndex() && onlyFirst(q) {
			cq = cq.TableExpr("(?) AS k", c.vmKeys(q))
		} else {
			cq = c.whereVMQuery(cq.TableExpr(c.sql("{inv_vms} AS v")), q)
		}
		if err := c.queryAll(ctx, op, cq, func(r *sql.Rows) error { return r.Scan(&total) }); err != nil {
			return nil, err
		}
	}
	sel := c.whereVMQuery(c.db.NewSelect().ColumnExpr(list(vmCols)).TableExpr(c.sql("{inv_vms} AS v")), q)
	col := "v." + q.Field.Column
	if q.After != nil {
		cond, args := c.afterVM(q, col)
		sel = sel.Where(cond, args...)
	}
	dir := " ASC"
	switch {
	case q.Desc && q.Field.Nullable:
		dir = " DESC NULLS LAST"
	case q.Desc:
		dir = " DESC"
	case q.Field.Nullable:
		dir = " ASC NULLS FIRST"
	}
	sel = sel.OrderExpr(col + dir + ", v.vcenter, v.vm_id").Limit(int64(q.Limit + 1))
	vms, err := queryRows(ctx, c, op, sel, vmDest)
	if err != nil {
		return nil, err
	}
	page := q.Page(vms, total)
	if err := c.loadVMRefs(ctx, op, page.VMs); err != nil {
		return nil, err
	}
	return page, nil
}

// whereVMQuery restricts sel (over inv_vms AS v) to the VMs q keeps. With
// a text query and Dialect.SearchIndex, the VMs are those of vmKeys; their
// rows are read only then.
func (c *Core) whereVMQuery(sel *bun.SelectQuery, q *driver.VMQuery) *bun.SelectQuery {
	p := &q.P
	switch {
	case q.Q != "" && c.d.SearchIndex():
		sel = sel.Where("(v.vcenter, v.vm_id) IN (?)", c.vmKeys(q))
	case q.Q != "":
		sel = whereVMFirst(sel, "v.", q).Where(vmText(c.d, "v."), q.Q, q.Q)
	default:
		sel = whereVMFirst(sel, "v.", q)
	}
	sel = c.whereVMRefs(sel, p.HostID, p.ResourcePoolID, p.DatastoreID, p.NetworkID)
	for _, f := range []struct{ col, v string }{{"cluster", p.Cluster}, {"folder", p.Folder}} {
		if f.v != "" {
			sel = sel.Where("v."+f.col+" = ?", f.v)
		}
	}
	pairs := c.d.AttributePairs("v.attributes")
	for _, t := range p.Tags {
		if t.Value == "" {
			sel = sel.Where("EXISTS (SELECT 1 FROM "+pairs+" AS a WHERE a.key = ?)", t.Key)
		} else {
			sel = sel.Where("EXISTS (SELECT 1 FROM "+pairs+" AS a WHERE a.key = ? AND a.value = ?)", t.Key, t.Value)
		}
	}
	return sel
}

// vmKeys selects (vcenter, vm_id) of the VMs that q's scope, power state,
// template and text filters keep, from inv_vms AS s: the columns
// inv_vms_search_idx covers on SQLite.
func (c *Core) vmKeys(q *driver.VMQuery) *bun.SelectQuery {
	sel := whereVMFirst(c.db.NewSelect().ColumnExpr("s.vcenter, s.vm_id").TableExpr(c.sql("{inv_vms} AS s")), "s.", q)
	return sel.Where(vmText(c.d, "s."), q.Q, q.Q)
}

// vmText is the text filter of QueryVMs on inv_vms (its columns prefixed
// with alias), with two arguments: the folded query twice.
func vmText(d Dialect, alias string) string {
	return "(" + d.Contains(alias+"search_key", "?") + " OR " + d.Contains(alias+"search_os", "?") + ")"
}

// whereVMFirst restricts sel (over inv_vms, its columns prefixed with
// alias) to q's scope, power state and template.
func whereVMFirst(sel *bun.SelectQuery, alias string, q *driver.VMQuery) *bun.SelectQuery {
	p := &q.P
	if q.Vcenters != nil {
		sel = sel.Where(alias+"vcenter IN (?)", bun.List(q.Vcenters))
	}
	if p.PowerState != "" {
		sel = sel.Where(alias+"power_state = ?", string(p.PowerState))
	}
	if p.Template != nil {
		if *p.Template {
			sel = sel.Where(alias + "is_template")
		} else {
			sel = sel.Where("NOT " + alias + "is_template")
		}
	}
	return sel
}

// onlyFirst reports whether whereVMFirst and the text filter are all the
// filters q has (its count is then vmKeys's).
func onlyFirst(q *driver.VMQuery) bool {
	p := &q.P
	return p.HostID == "" && p.ResourcePoolID == "" && p.DatastoreID == "" && p.NetworkID == "" && p.Cluster == "" &&
		p.Folder == "" && len(p.Tags) == 0
}

// whereVMRefs restricts sel (over a VM table aliased v) to the VMs on a
// host, in a pool, on a datastore and on a network (empty ids do not
// filter).
func (c *Core) whereVMRefs(sel *bun.SelectQuery, hostID, poolID, datastoreID, networkID string) *bun.SelectQuery {
	if hostID != "" {
		sel = sel.Where("v.host_id = ?", hostID)
	}
	if poolID != "" {
		sel = sel.Where("v.resource_pool_id = ?", poolID)
	}
	if datastoreID != "" {
		sel = sel.Where(c.sql("EXISTS (SELECT 1 FROM {vm_datastores} d WHERE d.vcenter = v.vcenter AND d.vm_id = v.vm_id AND d.datastore_id = ?)"), datastoreID)
	}
	if networkID != "" {
		sel = sel.Where(c.sql("EXISTS (SELECT 1 FROM {vm_networks} n WHERE n.vcenter = v.vcenter AND n.vm_id = v.vm_id AND n.network_id = ?)"), networkID)
	}
	return sel
}

// afterVM is the keyset condition: col (the sort column) and (vcenter,
// vm_id) after q.After in q's order, where NULL (nullable fields only)
// sorts first ascending and last descending.
func (c *Core) afterVM(q *driver.VMQuery, col string) (string, []any) {
	a := q.After
	tie := "(v.vcenter, v.vm_id) > (?, ?)"
	op := " > "
	if q.Desc {
		op = " < "
	}
	if q.Field.Nullable && a.Key.Time.IsZero() {
		if q.Desc { // NULLs last: only NULLs follow
			return "(" + col + " IS NULL AND " + tie + ")", []any{a.Vcenter, a.ID}
		}
		return "((" + col + " IS NULL AND " + tie + ") OR " + col + " IS NOT NULL)", []any{a.Vcenter, a.ID}
	}
	key := c.sortArg(q.Field.Kind, a.Key)
	if !q.Desc { // one row comparison, which an index on (vcenter, col) serves
		return "(" + col + ", v.vcenter, v.vm_id) > (?, ?, ?)", []any{key, a.Vcenter, a.ID}
	}
	cond := col + op + "? OR (" + col + " = ? AND " + tie + ")"
	if q.Field.Nullable && q.Desc {
		cond += " OR " + col + " IS NULL"
	}
	return "(" + cond + ")", []any{key, key, a.Vcenter, a.ID}
}

// sortArg encodes a sort key as a query argument of its column.
func (c *Core) sortArg(kind driver.SortKind, k driver.SortKey) any {
	switch kind {
	case driver.SortInt:
		return k.Int
	case driver.SortFloat:
		// Exponent notation: both databases parse it to the same float64
		// (SQLite may round a long integer literal, which bun's plain
		// notation gives for large values, differently).
		return bun.Safe(strconv.FormatFloat(k.Float, 'e', -1, 64))
	case driver.SortTime:
		return c.time(k.Time)
	}
	return k.Text
}

// Search finds entities by name, VMs also by id, UUID, IP address and tag
// (store.Querier).
func (c *Core) Search(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error) {
	const op = "Search"
	if err := c.check(op); err != nil {
		return nil, err
	}
	q, err := driver.CheckSearch(p)
	if err != nil {
		return nil, err
	}
	res := &store.SearchResult{}
	if q.Empty {
		return res, nil
	}
	// inScope restricts sel (over a table aliased x) to the scope.
	inScope := func(sel *bun.SelectQuery, alias string) *bun.SelectQuery {
		if q.Vcenters != nil {
			sel = sel.Where(alias+"vcenter IN (?)", bun.List(q.Vcenters))
		}
		return sel
	}
	// first orders the rows of sel (over a table aliased x whose id column
	// is id), names equal to the query first, then by name, vcenter and id,
	// and keeps a page.
	first := func(sel *bun.SelectQuery, id string) *bun.SelectQuery {
		return sel.OrderExpr("CASE WHEN lower(x.name) = ? THEN 0 ELSE 1 END, x.name, x.vcenter, x."+id, q.Q).Limit(int64(q.Limit))
	}
	// text is the text condition on a VM table aliased alias.
	text := func(alias string) string {
		return "(" + c.d.Contains(alias+".search_key", "?") + " OR " + c.d.Contains(alias+".search_tags", "?") + ")"
	}
	vms := c.db.NewSelect().ColumnExpr("x.vcenter, x.vm_id, x.vm_uuid, x.name, x.ip_address, x.attributes").
		TableExpr(c.sql("{inv_vms} AS x"))
	if c.d.SearchIndex() { // the keys first, from inv_vms_search_idx
		keys := inScope(c.db.NewSelect().ColumnExpr("s.vcenter, s.vm_id").TableExpr(c.sql("{inv_vms} AS s")), "s.").
			Where(text("s"), q.Q, q.Q)
		vms = vms.Where("(x.vcenter, x.vm_id) IN (?)", keys)
	} else {
		vms = inScope(vms, "x.").Where(text("x"), q.Q, q.Q)
	}
	err = c.queryAll(ctx, op, first(vms, "vm_id"), func(r *sql.Rows) error {
		var v inventory.VM
		if err := r.Scan(&v.Vcenter, &v.ID, &v.UUID, &v.Name, &v.IPAddress, mapDest{&v.Attributes}); err != nil {
			return err
		}
		hit, ok := q.VMHit(&v)
		if !ok { // the SQL condition and driver's matching disagree
			return fmt.Errorf("VM %q of %q matched in SQL but not by driver's rules", v.ID, v.Vcenter)
		}
		res.Hits = append(res.Hits, hit)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range []struct {
		kind      store.SearchKind
		table, id string
	}{
		{store.SearchHost, TableHosts, "host_id"}, {store.SearchCluster, TableClusters, "cluster_id"},
		{store.SearchDatastore, TableDatastores, "datastore_id"}, {store.SearchNetwork, TableNetworks, "network_id"},
		{store.SearchResourcePool, TablePools, "pool_id"},
	} {
		sel := c.db.NewSelect().ColumnExpr("x.vcenter, x."+t.id+", x.name").TableExpr(c.d.Table(t.table)+" AS x").
			Where(c.d.Contains("lower(x.name)", "?"), q.Q)
		err := c.queryAll(ctx, op, first(inScope(sel, "x."), t.id), func(r *sql.Rows) error {
			var vc, id, name string
			if err := r.Scan(&vc, &id, &name); err != nil {
				return err
			}
			hit, ok := q.NameHit(t.kind, vc, id, name)
			if !ok {
				return fmt.Errorf("%s %q of %q matched in SQL but not by driver's rules", t.kind, id, vc)
			}
			res.Hits = append(res.Hits, hit)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}
