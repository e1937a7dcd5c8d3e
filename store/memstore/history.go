package memstore

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// ---------------------------------------------------------------------------
// Lifecycles

func normLifecycle(l inventory.Lifecycle) inventory.Lifecycle {
	l.FirstSeen, l.LastSeen = driver.NormTime(l.FirstSeen), driver.NormTime(l.LastSeen)
	l.CreationTime, l.DeletionTime = driver.NormTime(l.CreationTime), driver.NormTime(l.DeletionTime)
	return l
}

func normEvent(e inventory.Event) inventory.Event {
	e.ID = 0
	e.SnapshotTime = driver.NormTime(e.SnapshotTime)
	e.Before, e.After = cloneMap(e.Before), cloneMap(e.After)
	return e
}

func copyEvent(e inventory.Event) inventory.Event {
	e.Before, e.After = cloneMap(e.Before), cloneMap(e.After)
	return e
}

// prepareEvents validates and normalizes events for appending.
func prepareEvents(op string, in []inventory.Event, b *batches) ([]inventory.Event, error) {
	if err := driver.ValidateEvents(op, in); err != nil {
		return nil, err
	}
	out := make([]inventory.Event, 0, len(in))
	for _, e := range in {
		if err := b.next(); err != nil {
			return nil, err
		}
		out = append(out, normEvent(e))
	}
	return out, nil
}

// appendEvents stores events whose natural key is new. Callers hold the
// write lock.
func (s *Store) appendEvents(evs []inventory.Event) {
	for _, e := range evs {
		k := eventKey{e.Vcenter, e.SnapshotTime, e.Kind, e.VMID}
		if _, dup := s.eventKeys[k]; dup {
			continue
		}
		s.eventKeys[k] = struct{}{}
		s.lastID++
		e.ID = s.lastID
		// The new ID is the largest: it goes after every event at or before
		// its time.
		i, _ := slices.BinarySearchFunc(s.events, e.SnapshotTime, func(x inventory.Event, t time.Time) int {
			if x.SnapshotTime.After(t) {
				return 1
			}
			return -1
		})
		s.events = slices.Insert(s.events, i, e)
	}
}

// ApplyReconcile upserts lifecycle rows and appends events in one write.
func (s *Store) ApplyReconcile(ctx context.Context, p *store.ApplyReconcileParams) error {
	const op = "ApplyReconcile"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.ApplyReconcileParams{}
	}
	if err := driver.ValidateLifecycles(op, p.Lifecycles); err != nil {
		return err
	}
	we := &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: driver.NormTime(p.SnapshotTime)}
	b := newBatches(ctx, 0, we, store.StageLifecycles)
	byVC := map[string][]inventory.Lifecycle{}
	for _, l := range p.Lifecycles {
		if err := b.next(); err != nil {
			return err
		}
		byVC[l.Vcenter] = append(byVC[l.Vcenter], normLifecycle(l))
	}
	for _, rows := range byVC {
		slices.SortFunc(rows, func(a, b inventory.Lifecycle) int { return cmp.Compare(a.VMID, b.VMID) })
	}
	we.Stage = store.StageEvents
	evs, err := prepareEvents(op, p.Events, b)
	if err != nil {
		return err
	}
	if err := driver.ValidateEndpointEvents(op, p.EndpointEvents); err != nil {
		return err
	}
	src := make([]inventory.EndpointEvent, len(p.EndpointEvents))
	for i, e := range p.EndpointEvents {
		e.Time = driver.NormTime(e.Time)
		src[i] = e
	}
	at := driver.NormTime(p.SnapshotTime)
	return s.commit(ctx, we, func() {
		for vc, add := range byVC {
			s.lifecycles[vc] = mergeLifecycles(s.lifecycles[vc], add)
		}
		s.appendEvents(evs)
		for _, e := range src {
			s.endpointEvents[e] = struct{}{}
		}
		if p.Vcenter != "" && !at.IsZero() && at.After(s.reconciled[p.Vcenter]) {
			s.reconciled[p.Vcenter] = at
		}
	})
}

// ReconciledThrough returns a vCenter's reconciled watermark.
func (s *Store) ReconciledThrough(ctx context.Context, p *store.ReconciledThroughParams) (time.Time, error) {
	const op = "ReconciledThrough"
	if err := s.usable(op); err != nil {
		return time.Time{}, err
	}
	if p == nil || p.Vcenter == "" {
		return time.Time{}, driver.Invalid(op, "Vcenter", "must not be empty")
	}
	unlock, err := s.read(op)
	if err != nil {
		return time.Time{}, err
	}
	defer unlock()
	return s.reconciled[p.Vcenter], nil
}

// ListEndpointEvents returns kept endpoint events ordered by (time, vm_id,
// kind).
func (s *Store) ListEndpointEvents(ctx context.Context, p *store.ListEndpointEventsParams) ([]inventory.EndpointEvent, error) {
	const op = "ListEndpointEvents"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil || p.Vcenter == "" {
		return nil, driver.Invalid(op, "Vcenter", "must not be empty")
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ids := map[string]bool{}
	for _, id := range p.VMIDs {
		ids[id] = true
	}
	from, to := driver.NormTime(p.From), driver.NormTime(p.To)
	var out []inventory.EndpointEvent
	for e := range s.endpointEvents {
		if e.Vcenter != p.Vcenter || (len(ids) > 0 && !ids[e.VMID]) ||
			(!from.IsZero() && e.Time.Before(from)) || (!to.IsZero() && !e.Time.Before(to)) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b inventory.EndpointEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.VMID, b.VMID), cmp.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

func mergeLifecycles(old, add []inventory.Lifecycle) []inventory.Lifecycle {
	out := make([]inventory.Lifecycle, 0, len(old)+len(add))
	i, j := 0, 0
	for i < len(old) || j < len(add) {
		switch {
		case j == len(add) || (i < len(old) && old[i].VMID < add[j].VMID):
			out = append(out, old[i])
			i++
		case i == len(old) || add[j].VMID < old[i].VMID:
			out = append(out, add[j])
			j++
		default:
			out = append(out, add[j])
			i++
			j++
		}
	}
	return out
}

// ListLifecycles returns rows ordered by (vcenter, vm_id), paginated.
func (s *Store) ListLifecycles(ctx context.Context, p *store.ListLifecyclesParams) (*store.LifecyclePage, error) {
	const op = "ListLifecycles"
	if err := s.usable(op); err != nil {
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
	var ids map[string]bool
	if len(p.VMIDs) > 0 {
		ids = make(map[string]bool, len(p.VMIDs))
		for _, id := range p.VMIDs {
			ids[id] = true
		}
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	vcs := []string{p.Vcenter}
	if p.Vcenter == "" {
		vcs = sortedKeys(s.lifecycles)
	}
	page := &store.LifecyclePage{}
	for _, vc := range vcs {
		rows := s.lifecycles[vc]
		i := 0
		if cur != nil {
			if vc < cur[0] {
				continue
			}
			if vc == cur[0] {
				i, _ = slices.BinarySearchFunc(rows, cur[1], func(l inventory.Lifecycle, id string) int { return cmp.Compare(l.VMID, id) })
				if i < len(rows) && rows[i].VMID == cur[1] {
					i++
				}
			}
		}
		for ; i < len(rows); i++ {
			l := rows[i]
			if (p.Deleted != nil && l.Deleted != *p.Deleted) || (ids != nil && !ids[l.VMID]) {
				continue
			}
			if len(page.Lifecycles) == limit {
				last := page.Lifecycles[limit-1]
				page.NextCursor = driver.EncodeCursor(last.Vcenter, last.VMID)
				return page, nil
			}
			page.Lifecycles = append(page.Lifecycles, l)
		}
	}
	return page, nil
}

// GetLifecycle returns one row or ErrNotFound.
func (s *Store) GetLifecycle(ctx context.Context, p *store.GetLifecycleParams) (*inventory.Lifecycle, error) {
	const op = "GetLifecycle"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil || p.VMID == "" {
		return nil, driver.Invalid(op, "VMID", "must not be empty")
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rows := s.lifecycles[p.Vcenter]
	if i, ok := slices.BinarySearchFunc(rows, p.VMID, func(l inventory.Lifecycle, id string) int { return cmp.Compare(l.VMID, id) }); ok {
		l := rows[i]
		return &l, nil
	}
	return nil, notFound(op, "lifecycle of %q in %q", p.VMID, p.Vcenter)
}

// ---------------------------------------------------------------------------
// Events

// AppendEvents stores events, ignoring known (vcenter, snapshot_time, kind,
// vm_id) keys.
func (s *Store) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	const op = "AppendEvents"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.AppendEventsParams{}
	}
	we := &store.WriteError{Op: op}
	evs, err := prepareEvents(op, p.Events, newBatches(ctx, 0, we, store.StageEvents))
	if err != nil {
		return err
	}
	return s.commit(ctx, we, func() { s.appendEvents(evs) })
}

// eventPos compares event x with the cursor position (t, id).
func eventPos(x *inventory.Event, t time.Time, id int64) int {
	return cmp.Or(x.SnapshotTime.Compare(t), cmp.Compare(x.ID, id))
}

// ListEvents returns events ordered by (snapshot_time, id), paginated.
func (s *Store) ListEvents(ctx context.Context, p *store.ListEventsParams) (*store.EventPage, error) {
	const op = "ListEvents"
	if err := s.usable(op); err != nil {
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
	var curT time.Time
	var curID int64
	if cur != nil {
		us, err1 := strconv.ParseInt(cur[0], 10, 64)
		id, err2 := strconv.ParseInt(cur[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, driver.Invalid(op, "Cursor", "is not a cursor returned by this method")
		}
		curT, curID = time.UnixMicro(us).UTC(), id
	}
	limit := driver.EventsPageSize(p)
	var kinds map[inventory.EventKind]bool
	if len(p.Kinds) > 0 {
		kinds = map[inventory.EventKind]bool{}
		for _, k := range p.Kinds {
			kinds[k] = true
		}
	}
	match := func(e *inventory.Event) bool {
		return (p.Vcenter == "" || e.Vcenter == p.Vcenter) && (p.VMID == "" || e.VMID == p.VMID) &&
			(kinds == nil || kinds[e.Kind]) && inRange(e.SnapshotTime, p.From, p.To) && (!p.LiveOnly || e.Live)
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	evs := s.events
	page := &store.EventPage{}
	if p.AfterID > 0 {
		for i := range evs {
			if evs[i].ID > p.AfterID && match(&evs[i]) {
				page.Events = append(page.Events, copyEvent(evs[i]))
			}
		}
		slices.SortFunc(page.Events, func(a, b inventory.Event) int { return cmp.Compare(a.ID, b.ID) })
		page.Events = page.Events[:min(limit, len(page.Events))]
		return page, nil
	}
	add := func(e *inventory.Event) bool {
		if !match(e) {
			return true
		}
		if len(page.Events) == limit {
			last := page.Events[limit-1]
			page.NextCursor = driver.EncodeCursor(strconv.FormatInt(last.SnapshotTime.UnixMicro(), 10), strconv.FormatInt(last.ID, 10))
			return false
		}
		page.Events = append(page.Events, copyEvent(*e))
		return true
	}
	if !p.Descending {
		i := 0
		if cur != nil {
			i, _ = slices.BinarySearchFunc(evs, 0, func(x inventory.Event, _ int) int {
				if eventPos(&x, curT, curID) > 0 {
					return 1
				}
				return -1
			})
		}
		for ; i < len(evs) && add(&evs[i]); i++ {
		}
		return page, nil
	}
	i := len(evs)
	if cur != nil {
		i, _ = slices.BinarySearchFunc(evs, 0, func(x inventory.Event, _ int) int {
			if eventPos(&x, curT, curID) >= 0 {
				return 1
			}
			return -1
		})
	}
	for i--; i >= 0 && add(&evs[i]); i-- {
	}
	return page, nil
}
