package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// TableLiveChanges is the change log of store.LiveState (migration 14 on
// PostgreSQL, 13 on SQLite).
const TableLiveChanges = "live_changes"

// seqLockKey is the fixed key of the sequence lock.
const seqLockKey = "seq|live_changes,inventory_events"

// seqLock takes the sequence lock: one transaction-scoped lock with a
// fixed key, taken immediately before a transaction inserts into
// live_changes or inventory_events, so those inserts (and the numbers
// their identity columns hand out) happen one transaction at a time and
// become visible in commit order across every vCenter. A reader tailing
// by seq or id then never skips a row that commits later with a smaller
// number. Nothing takes another lock after it (it is held to the end of
// the transaction), so it cannot deadlock. On SQLite, whose Begin already
// serializes writers, Dialect.Lock does nothing.
func (c *Core) seqLock(ctx context.Context, tx Tx) error { return c.d.Lock(ctx, tx, seqLockKey) }

var liveChangeCols = []string{"vcenter", "at", "entity", "id", "op", "name", "fields", "data"}

const liveChangeSelectCols = "seq, vcenter, at, entity, id, op, name, fields, data"

// liveChangeArgs appends the values of liveChangeCols.
func (c *Core) liveChangeArgs(dst []any, ch *inventory.Change) ([]any, error) {
	var fields, data any
	if len(ch.Fields) > 0 {
		fields = jsonValue(ch.Fields)
	}
	var row any
	switch {
	case ch.VM != nil:
		row = ch.VM
	case ch.Host != nil:
		row = ch.Host
	case ch.Cluster != nil:
		row = ch.Cluster
	case ch.Datastore != nil:
		row = ch.Datastore
	case ch.Network != nil:
		row = ch.Network
	case ch.ResourcePool != nil:
		row = ch.ResourcePool
	}
	if row != nil {
		b, err := json.Marshal(row)
		if err != nil {
			return nil, fmt.Errorf("encoding the row of change %s %q: %w", ch.Entity, ch.ID, err)
		}
		data = string(b)
	}
	return append(dst, ch.Vcenter, c.time(ch.At), string(ch.Entity), ch.ID, string(ch.Op), ch.Name, fields, data), nil
}

// changeData scans the data column into the row field of a change whose
// Entity was scanned before it.
type changeData struct{ c *inventory.Change }

func (d changeData) Scan(src any) error {
	if src == nil {
		return nil
	}
	var dst any
	switch d.c.Entity {
	case inventory.EntityVM:
		d.c.VM = &inventory.VM{}
		dst = d.c.VM
	case inventory.EntityHost:
		d.c.Host = &inventory.Host{}
		dst = d.c.Host
	case inventory.EntityCluster:
		d.c.Cluster = &inventory.Cluster{}
		dst = d.c.Cluster
	case inventory.EntityDatastore:
		d.c.Datastore = &inventory.Datastore{}
		dst = d.c.Datastore
	case inventory.EntityNetwork:
		d.c.Network = &inventory.Network{}
		dst = d.c.Network
	case inventory.EntityResourcePool:
		d.c.ResourcePool = &inventory.ResourcePool{}
		dst = d.c.ResourcePool
	default:
		return fmt.Errorf("sqlstore: change of unknown entity %q", d.c.Entity)
	}
	if err := (jsonDest{dst}).Scan(src); err != nil {
		return err
	}
	// JSON has no UTC marker beyond the offset: keep times in UTC.
	switch {
	case d.c.VM != nil:
		d.c.VM.SnapshotTime, d.c.VM.CreationTime = driver.NormTime(d.c.VM.SnapshotTime), driver.NormTime(d.c.VM.CreationTime)
	case d.c.Host != nil:
		d.c.Host.SnapshotTime = driver.NormTime(d.c.Host.SnapshotTime)
	case d.c.Cluster != nil:
		d.c.Cluster.SnapshotTime = driver.NormTime(d.c.Cluster.SnapshotTime)
	case d.c.Datastore != nil:
		d.c.Datastore.SnapshotTime = driver.NormTime(d.c.Datastore.SnapshotTime)
	case d.c.Network != nil:
		d.c.Network.SnapshotTime = driver.NormTime(d.c.Network.SnapshotTime)
	case d.c.ResourcePool != nil:
		d.c.ResourcePool.SnapshotTime = driver.NormTime(d.c.ResourcePool.SnapshotTime)
	}
	return nil
}

func liveChangeDest(ch *inventory.Change) []any {
	return []any{&ch.Seq, &ch.Vcenter, timeDest{&ch.At}, (*string)(&ch.Entity), &ch.ID, (*string)(&ch.Op), &ch.Name,
		jsonDest{&ch.Fields}, changeData{ch}}
}

// liveTable describes how one entity kind's latest-state rows are
// written: its table, key column, columns and row values, and the pair
// table its row owns (vm_datastores, vm_networks, datastore_hosts).
type liveTable struct {
	table, idCol string
	cols         []string
	args         func(c *Core, dst []any, ch *inventory.Change, st any) []any
	pairs        []livePairs
}

type livePairs struct {
	table, ownerCol, refCol string
	refs                    func(ch *inventory.Change) []string
}

var liveTables = map[inventory.EntityType]*liveTable{
	inventory.EntityVM: {TableVMs, "vm_id", vmWriteCols,
		func(c *Core, dst []any, ch *inventory.Change, st any) []any { return c.vmArgs(dst, ch.VM, st) },
		[]livePairs{
			{TableVMDatastores, "vm_id", "datastore_id", func(ch *inventory.Change) []string { return ch.VM.DatastoreIDs }},
			{TableVMNetworks, "vm_id", "network_id", func(ch *inventory.Change) []string { return ch.VM.NetworkIDs }},
		}},
	inventory.EntityHost: {TableHosts, "host_id", hostCols,
		func(_ *Core, dst []any, ch *inventory.Change, st any) []any { return hostArgs(dst, ch.Host, st) }, nil},
	inventory.EntityCluster: {TableClusters, "cluster_id", clusterCols,
		func(_ *Core, dst []any, ch *inventory.Change, st any) []any { return clusterArgs(dst, ch.Cluster, st) }, nil},
	inventory.EntityDatastore: {TableDatastores, "datastore_id", datastoreCols,
		func(_ *Core, dst []any, ch *inventory.Change, st any) []any {
			return datastoreArgs(dst, ch.Datastore, st)
		},
		[]livePairs{
			{TableDatastoreHosts, "datastore_id", "host_id", func(ch *inventory.Change) []string { return ch.Datastore.HostIDs }},
		}},
	inventory.EntityNetwork: {TableNetworks, "network_id", networkCols,
		func(_ *Core, dst []any, ch *inventory.Change, st any) []any { return networkArgs(dst, ch.Network, st) }, nil},
	inventory.EntityResourcePool: {TablePools, "pool_id", poolCols,
		func(_ *Core, dst []any, ch *inventory.Change, st any) []any {
			return poolArgs(dst, ch.ResourcePool, st)
		}, nil},
}

// ApplyChanges applies one batch of live changes (store.LiveState): in one
// transaction, under the vCenter's snapshot lock (so it never interleaves
// with a WriteSnapshot of the same vCenter), it upserts and deletes the
// latest-state rows, then takes the sequence lock and logs the changes,
// upserts the events and moves the state time. On PostgreSQL the writes
// whose results nobody reads are deferred (Deferrer) and sent with the
// next statement, so a batch costs a few round trips.
func (c *Core) ApplyChanges(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
	const op = "ApplyChanges"
	if err := c.check(op); err != nil {
		return nil, err
	}
	changes, events, err := driver.PrepareChanges(p)
	if err != nil {
		return nil, err
	}
	at := driver.NormTime(p.ObservedAt)
	events = lastEventPerKey(events)
	res := &store.ApplyChangesResult{}
	w := &writeOp{op: op, vcenter: p.Vcenter, t: at, stage: store.StageInventory}
	err = c.inTx(ctx, w, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, "snapshot|"+p.Vcenter); err != nil {
			return err
		}
		if err := c.applyStateChanges(ctx, tx, p.Vcenter, at, changes, p.BatchSize); err != nil {
			return err
		}
		w.stage = store.StageChanges
		if len(changes) > 0 || len(events) > 0 {
			if err := c.seqLock(ctx, tx); err != nil {
				return err
			}
		}
		if err := c.logChanges(ctx, tx, changes, p.BatchSize, res); err != nil {
			return err
		}
		w.stage = store.StageEvents
		if err := c.insertBatched(ctx, tx, TableEvents, &RowSource{N: len(events), Cols: eventCols, Batch: p.BatchSize,
			Row: func(i int, dst []any) []any { return c.eventArgs(dst, &events[i]) }}, eventsUpsert, true); err != nil {
			return err
		}
		w.stage = store.StageInventory
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, c.sql("INSERT INTO {inv_state} (vcenter, snapshot_time) VALUES (?, ?) "+
			"ON CONFLICT (vcenter) DO UPDATE SET snapshot_time = excluded.snapshot_time "+
			"WHERE {inv_state}.snapshot_time < excluded.snapshot_time"), p.Vcenter, c.time(at)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, c.sql("SELECT snapshot_time FROM {inv_state} WHERE vcenter = ?"), p.Vcenter)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := rows.Scan(timeDest{&res.StateTime}); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// eventsUpsert replaces a stored event's name, before, after and live
// mark (ApplyChanges); its id stays.
const eventsUpsert = `ON CONFLICT (vcenter, snapshot_time, kind, vm_id) DO UPDATE SET name = excluded.name, ` +
	`"before" = excluded."before", "after" = excluded."after", live = excluded.live`

// lastEventPerKey returns events with one per natural key (one statement
// may not upsert a row twice): in the order of each key's first event,
// with the values of its last.
func lastEventPerKey(events []inventory.Event) []inventory.Event {
	type key struct {
		vc   string
		at   int64
		kind inventory.EventKind
		vm   string
	}
	idx := make(map[key]int, len(events))
	out := make([]inventory.Event, 0, len(events))
	for _, e := range events {
		k := key{e.Vcenter, e.SnapshotTime.UnixMicro(), e.Kind, e.VMID}
		if i, ok := idx[k]; ok {
			out[i] = e
			continue
		}
		idx[k] = len(out)
		out = append(out, e)
	}
	return out
}

// applyStateChanges upserts and deletes latest-state rows: per entity
// kind, the last change of each object decides (a later change of the
// same object wins). Rows of deleted and upserted objects leave their
// pair tables, upserted ones bring theirs back.
func (c *Core) applyStateChanges(ctx context.Context, tx Tx, vc string, at time.Time, changes []inventory.Change, batch int) error {
	stv := c.time(at)
	for _, et := range inventory.EntityTypes() {
		last := map[string]int{}
		var ids []string
		for i := range changes {
			if changes[i].Entity != et {
				continue
			}
			if _, seen := last[changes[i].ID]; !seen {
				ids = append(ids, changes[i].ID)
			}
			last[changes[i].ID] = i
		}
		if len(ids) == 0 {
			continue
		}
		slices.Sort(ids) // one lock order for concurrent writers
		lt := liveTables[et]
		var del []string
		var ups []*inventory.Change
		for _, id := range ids {
			ch := &changes[last[id]]
			if ch.Op == inventory.ChangeDelete {
				del = append(del, id)
			} else {
				ups = append(ups, ch)
			}
		}
		if err := c.deleteIDs(ctx, tx, lt.table, "vcenter = ? AND "+lt.idCol, vc, del, batch); err != nil {
			return err
		}
		for _, pt := range lt.pairs {
			if err := c.deleteIDs(ctx, tx, pt.table, "vcenter = ? AND "+pt.ownerCol, vc, ids, batch); err != nil {
				return err
			}
		}
		if err := c.insertBatched(ctx, tx, lt.table, &RowSource{N: len(ups), Cols: lt.cols, Batch: batch,
			Row: func(i int, dst []any) []any { return lt.args(c, dst, ups[i], stv) }}, Upsert(lt.cols, "vcenter", lt.idCol), true); err != nil {
			return err
		}
		for _, pt := range lt.pairs {
			var ps []pair
			for _, ch := range ups {
				for _, ref := range sortedIDs(pt.refs(ch)) {
					ps = append(ps, pair{ch.ID, ref})
				}
			}
			if err := c.insertBatched(ctx, tx, pt.table, &RowSource{N: len(ps), Cols: []string{"vcenter", pt.ownerCol, pt.refCol}, Batch: batch,
				Row: func(i int, dst []any) []any { return append(dst, vc, ps[i].id, ps[i].ref) }}, "", true); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteIDs deletes the rows of table matching "where IN (ids)" (where
// takes vc as its first argument), a statement per batch of ids, deferred
// when tx is a Deferrer.
func (c *Core) deleteIDs(ctx context.Context, tx Tx, table, where, vc string, ids []string, batch int) error {
	per := RowsPerStatement(batch, 1, c.d.MaxParams()-1)
	for start := 0; start < len(ids); start += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := ids[start:min(start+per, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, vc)
		for _, id := range chunk {
			args = append(args, id)
		}
		q := "DELETE FROM " + c.d.Table(table) + " WHERE " + where + " IN (" + strings.Repeat("?, ", len(chunk)-1) + "?)"
		if d, ok := tx.(Deferrer); ok {
			d.Defer(q, args...)
			continue
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// logChanges inserts changes into live_changes, in order, and records the
// first and last sequence number given. The caller holds the sequence
// lock, so the numbers of one statement are this transaction's alone.
func (c *Core) logChanges(ctx context.Context, tx Tx, changes []inventory.Change, batch int, res *store.ApplyChangesResult) error {
	per := RowsPerStatement(batch, len(liveChangeCols), c.d.MaxParams())
	for start := 0; start < len(changes); start += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+per, len(changes))
		args := make([]any, 0, (end-start)*len(liveChangeCols))
		for i := start; i < end; i++ {
			var err error
			if args, err = c.liveChangeArgs(args, &changes[i]); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, c.insertSQL(TableLiveChanges, liveChangeCols, "RETURNING seq", end-start), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return err
			}
			if res.FirstSeq == 0 || seq < res.FirstSeq {
				res.FirstSeq = seq
			}
			res.LastSeq = max(res.LastSeq, seq)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// ListChanges returns change-log rows after p.AfterSeq (store.LiveState).
// The page is read before FirstSeq and LastSeq, so LastSeq is never below
// the page's last row and FirstSeq shows a prune that raced the read.
func (c *Core) ListChanges(ctx context.Context, p *store.ListChangesParams) (*store.ChangePage, error) {
	const op = "ListChanges"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListChangesParams{}
	}
	if err := driver.ValidateListChanges(p); err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr(liveChangeSelectCols).TableExpr(c.sql("{live_changes}")).Where("seq > ?", p.AfterSeq)
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = q.OrderExpr("seq").Limit(int64(driver.ChangesPageSize(p)))
	out, err := queryRows(ctx, c, op, q, liveChangeDest)
	if err != nil {
		return nil, err
	}
	page := &store.ChangePage{Changes: out}
	bounds := c.db.NewSelect().ColumnExpr("min(seq), max(seq)").TableExpr(c.sql("{live_changes}"))
	err = c.queryAll(ctx, op, bounds, func(r *sql.Rows) error {
		var first, last sql.NullInt64
		if err := r.Scan(&first, &last); err != nil {
			return err
		}
		page.FirstSeq, page.LastSeq = first.Int64, last.Int64
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// PruneChanges deletes change-log rows whose At is before p.Before
// (store.LiveState).
func (c *Core) PruneChanges(ctx context.Context, p *store.PruneChangesParams) (*store.PruneChangesResult, error) {
	const op = "PruneChanges"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidatePruneChanges(p); err != nil {
		return nil, err
	}
	res := &store.PruneChangesResult{}
	err := c.inTx(ctx, &writeOp{op: op, stage: store.StageChanges}, func(tx Tx) error {
		n, err := tx.Exec(ctx, c.sql("DELETE FROM {live_changes} WHERE at < ?"), c.bound(p.Before))
		res.Deleted = n
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
