package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var (
	lifecycleUpsert = Upsert(lifecycleCols, "vcenter", "vm_id")
	eventsIgnore    = "ON CONFLICT (vcenter, snapshot_time, kind, vm_id) DO NOTHING"
)

// ApplyReconcile upserts lifecycle rows and appends events in one
// transaction.
func (c *Core) ApplyReconcile(ctx context.Context, p *store.ApplyReconcileParams) error {
	const op = "ApplyReconcile"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	if err := driver.ValidateLifecycles(op, p.Lifecycles); err != nil {
		return err
	}
	if err := driver.ValidateEvents(op, p.Events); err != nil {
		return err
	}
	if err := driver.ValidateEndpointEvents(op, p.EndpointEvents); err != nil {
		return err
	}
	mark := p.Vcenter != "" && !p.SnapshotTime.IsZero()
	if len(p.Lifecycles) == 0 && len(p.Events) == 0 && len(p.EndpointEvents) == 0 && !mark {
		return nil
	}
	w := &writeOp{op: op, vcenter: p.Vcenter, t: driver.NormTime(p.SnapshotTime), stage: store.StageLifecycles}
	return c.inTx(ctx, w, func(tx Tx) error {
		if err := c.upsertLifecycles(ctx, tx, p.Lifecycles); err != nil {
			return err
		}
		w.stage = store.StageEvents
		if err := c.appendEvents(ctx, tx, p.Events); err != nil {
			return err
		}
		w.stage = store.StageEndpointEvents
		if err := c.InsertBatched(ctx, tx, TableEndpointEvents, &RowSource{N: len(p.EndpointEvents), Cols: endpointEventCols,
			Row: func(i int, dst []any) []any { return c.endpointEventArgs(dst, &p.EndpointEvents[i]) }},
			"ON CONFLICT (vcenter, vm_id, event_time, kind) DO NOTHING"); err != nil {
			return err
		}
		if !mark {
			return nil
		}
		w.stage = store.StageReconcileState
		t := c.time(driver.NormTime(p.SnapshotTime))
		_, err := tx.Exec(ctx, c.sql("INSERT INTO {reconcile_state} (vcenter, reconciled_through) VALUES (?, ?) "+
			"ON CONFLICT (vcenter) DO UPDATE SET reconciled_through = excluded.reconciled_through "+
			"WHERE {reconcile_state}.reconciled_through < excluded.reconciled_through"), p.Vcenter, t)
		return err
	})
}

// ReconciledThrough returns a vCenter's reconciled watermark (zero when
// none of its snapshots has been reconciled).
func (c *Core) ReconciledThrough(ctx context.Context, p *store.ReconciledThroughParams) (time.Time, error) {
	const op = "ReconciledThrough"
	if err := c.check(op); err != nil {
		return time.Time{}, err
	}
	if p == nil || p.Vcenter == "" {
		return time.Time{}, driver.Invalid(op, "Vcenter", "must not be empty")
	}
	q := c.db.NewSelect().ColumnExpr("vcenter, reconciled_through").TableExpr(c.sql("{reconcile_state}")).Where("vcenter = ?", p.Vcenter)
	out, err := queryRows(ctx, c, op, q, func(e *inventory.EndpointEvent) []any { return []any{&e.Vcenter, timeDest{&e.Time}} })
	if err != nil || len(out) == 0 {
		return time.Time{}, err
	}
	return out[0].Time, nil
}

// ListEndpointEvents returns kept endpoint events ordered by (time,
// vm_id, kind).
func (c *Core) ListEndpointEvents(ctx context.Context, p *store.ListEndpointEventsParams) ([]inventory.EndpointEvent, error) {
	const op = "ListEndpointEvents"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || p.Vcenter == "" {
		return nil, driver.Invalid(op, "Vcenter", "must not be empty")
	}
	q := c.db.NewSelect().ColumnExpr(list(endpointEventCols)).TableExpr(c.sql("{vm_endpoint_events}")).Where("vcenter = ?", p.Vcenter)
	if len(p.VMIDs) > 0 {
		q = q.Where("vm_id IN (?)", bun.List(p.VMIDs))
	}
	q = c.inRange(q, "event_time", p.From, p.To).OrderExpr("event_time, vm_id, kind")
	return queryRows(ctx, c, op, q, endpointEventDest)
}

// upsertLifecycles upserts rows in key order, so concurrent writers of
// overlapping rows lock them in one order (no deadlock).
func (c *Core) upsertLifecycles(ctx context.Context, tx Tx, rows []inventory.Lifecycle) error {
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(rows[a].Vcenter, rows[b].Vcenter), strings.Compare(rows[a].VMID, rows[b].VMID))
	})
	return c.InsertBatched(ctx, tx, TableLifecycle, &RowSource{N: len(rows), Cols: lifecycleCols, Row: func(i int, dst []any) []any {
		return c.lifecycleArgs(dst, &rows[order[i]])
	}}, lifecycleUpsert)
}

// appendEvents inserts events in the given order (their ids follow it),
// holding the event lock of each vCenter involved so concurrent appends of
// overlapping events cannot deadlock, then the sequence lock (seqLock) so
// their ids become visible in commit order.
func (c *Core) appendEvents(ctx context.Context, tx Tx, events []inventory.Event) error {
	var vcs []string
	for i := range events {
		vcs = append(vcs, events[i].Vcenter)
	}
	slices.Sort(vcs)
	for _, vc := range slices.Compact(vcs) {
		if err := c.d.Lock(ctx, tx, "events|"+vc); err != nil {
			return err
		}
	}
	if len(events) == 0 {
		return nil
	}
	if err := c.seqLock(ctx, tx); err != nil {
		return err
	}
	return c.InsertBatched(ctx, tx, TableEvents, &RowSource{N: len(events), Cols: eventCols, Row: func(i int, dst []any) []any {
		return c.eventArgs(dst, &events[i])
	}}, eventsIgnore)
}

// ListLifecycles returns rows ordered by (vcenter, vm_id), paginated.
func (c *Core) ListLifecycles(ctx context.Context, p *store.ListLifecyclesParams) (*store.LifecyclePage, error) {
	const op = "ListLifecycles"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListLifecyclesParams{}
	}
	cur, err := driver.DecodeCursor(op, p.Cursor, 2)
	if err != nil {
		return nil, err
	}
	limit := driver.LifecyclesPageSize(p)
	table := c.sql("{vm_lifecycle_cache}")
	if p.Deleted != nil && !*p.Deleted {
		table = c.d.LiveLifecycles()
	}
	q := c.db.NewSelect().ColumnExpr(list(lifecycleCols)).TableExpr(table)
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	if p.Deleted != nil {
		if *p.Deleted {
			q = q.Where("deleted")
		} else {
			q = q.Where("NOT deleted")
		}
	}
	if len(p.VMIDs) > 0 {
		q = q.Where("vm_id IN (?)", bun.List(p.VMIDs))
	}
	if cur != nil {
		q = q.Where("(vcenter, vm_id) > (?, ?)", cur[0], cur[1])
	}
	q = q.OrderExpr("vcenter, vm_id").Limit(int64(limit + 1))
	out, err := queryRows(ctx, c, op, q, lifecycleDest)
	if err != nil {
		return nil, err
	}
	page := &store.LifecyclePage{}
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		page.NextCursor = driver.EncodeCursor(last.Vcenter, last.VMID)
	}
	page.Lifecycles = out
	return page, nil
}

// GetLifecycle returns one row or ErrNotFound.
func (c *Core) GetLifecycle(ctx context.Context, p *store.GetLifecycleParams) (*inventory.Lifecycle, error) {
	const op = "GetLifecycle"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || p.Vcenter == "" || p.VMID == "" {
		return nil, driver.Invalid(op, "VMID", "Vcenter and VMID must be set")
	}
	q := c.db.NewSelect().ColumnExpr(list(lifecycleCols)).TableExpr(c.sql("{vm_lifecycle_cache}")).
		Where("vcenter = ?", p.Vcenter).Where("vm_id = ?", p.VMID)
	out, err := queryRows(ctx, c, op, q, lifecycleDest)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, c.notFound(op, "lifecycle of "+p.Vcenter+"/"+p.VMID)
	}
	return &out[0], nil
}

// AppendEvents stores events, ignoring already stored natural keys.
func (c *Core) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	const op = "AppendEvents"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil || len(p.Events) == 0 {
		return nil
	}
	if err := driver.ValidateEvents(op, p.Events); err != nil {
		return err
	}
	w := &writeOp{op: op, stage: store.StageEvents}
	return c.inTx(ctx, w, func(tx Tx) error { return c.appendEvents(ctx, tx, p.Events) })
}

// ListEvents returns events ordered by (snapshot_time, id), paginated.
func (c *Core) ListEvents(ctx context.Context, p *store.ListEventsParams) (*store.EventPage, error) {
	const op = "ListEvents"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListEventsParams{}
	}
	if err := driver.CheckEventsAfterID(p); err != nil {
		return nil, err
	}
	cur, err := driver.DecodeCursor(op, p.Cursor, 2)
	if err != nil {
		return nil, err
	}
	var curT, curID int64
	if cur != nil {
		var e1, e2 error
		curT, e1 = strconv.ParseInt(cur[0], 10, 64)
		curID, e2 = strconv.ParseInt(cur[1], 10, 64)
		if e1 != nil || e2 != nil {
			return nil, driver.Invalid(op, "Cursor", "is not a cursor returned by this method")
		}
	}
	limit := driver.EventsPageSize(p)
	q := c.db.NewSelect().ColumnExpr(eventSelectCols).TableExpr(c.sql("{inventory_events}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	if p.VMID != "" {
		q = q.Where("vm_id = ?", p.VMID)
	}
	if len(p.Kinds) > 0 {
		q = q.Where("kind IN (?)", bun.List(p.Kinds))
	}
	q = c.inRange(q, "snapshot_time", p.From, p.To)
	if p.LiveOnly {
		q = q.Where("live")
	}
	if cur != nil {
		ct := c.time(timeFromMicros(curT))
		if p.Descending {
			q = q.Where("(snapshot_time, id) < (?, ?)", ct, curID)
		} else {
			q = q.Where("(snapshot_time, id) > (?, ?)", ct, curID)
		}
	}
	if p.AfterID > 0 {
		q = q.Where("id > ?", p.AfterID).OrderExpr("id").Limit(int64(limit))
		out, err := queryRows(ctx, c, op, q, eventDest)
		return &store.EventPage{Events: out}, err
	}
	if p.Descending {
		q = q.OrderExpr("snapshot_time DESC, id DESC")
	} else {
		q = q.OrderExpr("snapshot_time, id")
	}
	q = q.Limit(int64(limit + 1))
	out, err := queryRows(ctx, c, op, q, eventDest)
	if err != nil {
		return nil, err
	}
	page := &store.EventPage{}
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		page.NextCursor = driver.EncodeCursor(strconv.FormatInt(last.SnapshotTime.UnixMicro(), 10), strconv.FormatInt(last.ID, 10))
	}
	page.Events = out
	return page, nil
}

func timeFromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
