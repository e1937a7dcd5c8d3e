package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var _ store.LiveState = (*Store)(nil)

// liveLog is the change log of store.LiveState.
type liveLog struct {
	changes []inventory.Change // ordered by Seq
	lastSeq int64              // the last Seq given, pruned or not
}

// ApplyChanges applies one batch of live changes (store.LiveState).
func (s *Store) ApplyChanges(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
	const op = "ApplyChanges"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	changes, events, err := driver.PrepareChanges(p)
	if err != nil {
		return nil, err
	}
	at := driver.NormTime(p.ObservedAt)
	we := &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: at, Stage: store.StageChanges}
	b := newBatches(ctx, p.BatchSize, we, store.StageChanges)
	for range changes {
		if err := b.next(); err != nil {
			return nil, err
		}
	}
	res := &store.ApplyChangesResult{}
	err = s.commit(ctx, we, func() {
		vs := s.states[p.Vcenter]
		if vs == nil {
			vs = &vcState{time: at}
			s.states[p.Vcenter] = vs
		}
		for i := range changes {
			applyChange(&vs.state, &changes[i])
			s.live.lastSeq++
			changes[i].Seq = s.live.lastSeq
			if i == 0 {
				res.FirstSeq = changes[i].Seq
			}
			res.LastSeq = changes[i].Seq
		}
		s.live.changes = append(s.live.changes, changes...)
		s.upsertEvents(events)
		if at.After(vs.time) {
			vs.time = at
		}
		res.StateTime = vs.time
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// applyChange upserts or deletes one row of st. The row is copied, so the
// change logged keeps its own.
func applyChange(st *inventory.State, c *inventory.Change) {
	del := c.Op == inventory.ChangeDelete
	switch c.Entity {
	case inventory.EntityVM:
		st.VMs = putRow(st.VMs, c.ID, func(v inventory.VM) string { return v.ID }, del, c.VM, copyVM)
	case inventory.EntityHost:
		st.Hosts = putRow(st.Hosts, c.ID, func(h inventory.Host) string { return h.ID }, del, c.Host, same)
	case inventory.EntityCluster:
		st.Clusters = putRow(st.Clusters, c.ID, func(x inventory.Cluster) string { return x.ID }, del, c.Cluster, same)
	case inventory.EntityDatastore:
		st.Datastores = putRow(st.Datastores, c.ID, func(d inventory.Datastore) string { return d.ID }, del, c.Datastore,
			func(d inventory.Datastore) inventory.Datastore { d.HostIDs = cloneIDs(d.HostIDs); return d })
	case inventory.EntityNetwork:
		st.Networks = putRow(st.Networks, c.ID, func(n inventory.Network) string { return n.ID }, del, c.Network, same)
	case inventory.EntityResourcePool:
		st.ResourcePools = putRow(st.ResourcePools, c.ID, func(r inventory.ResourcePool) string { return r.ID }, del, c.ResourcePool, same)
	}
}

// putRow replaces, inserts (keeping rows ordered by id) or deletes the row
// with the given id.
func putRow[T any](rows []T, id string, idOf func(T) string, del bool, row *T, cp func(T) T) []T {
	i, found := slices.BinarySearchFunc(rows, id, func(r T, id string) int { return cmp.Compare(idOf(r), id) })
	switch {
	case del && found:
		return slices.Delete(rows, i, i+1)
	case del:
		return rows
	case found:
		rows[i] = cp(*row)
		return rows
	default:
		return slices.Insert(rows, i, cp(*row))
	}
}

// upsertEvents stores events on their natural key: a new key gets a new
// ID, a known one keeps its ID and takes the event's name, before, after
// and Live. Callers hold the write lock.
func (s *Store) upsertEvents(evs []inventory.Event) {
	for _, e := range evs {
		k := eventKey{e.Vcenter, e.SnapshotTime, e.Kind, e.VMID}
		if _, known := s.eventKeys[k]; !known {
			s.appendEvents([]inventory.Event{e})
			continue
		}
		i, _ := slices.BinarySearchFunc(s.events, e.SnapshotTime, func(x inventory.Event, t time.Time) int { return x.SnapshotTime.Compare(t) })
		for ; i < len(s.events) && s.events[i].SnapshotTime.Equal(e.SnapshotTime); i++ {
			x := &s.events[i]
			if x.Vcenter == e.Vcenter && x.Kind == e.Kind && x.VMID == e.VMID {
				x.Name, x.Before, x.After, x.Live = e.Name, e.Before, e.After, e.Live
				break
			}
		}
	}
}

// ListChanges returns change-log rows after p.AfterSeq (store.LiveState).
func (s *Store) ListChanges(ctx context.Context, p *store.ListChangesParams) (*store.ChangePage, error) {
	const op = "ListChanges"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListChangesParams{}
	}
	if err := driver.ValidateListChanges(p); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, readErr(op, err)
	}
	limit := driver.ChangesPageSize(p)
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	log := s.live.changes
	page := &store.ChangePage{}
	if len(log) > 0 {
		page.FirstSeq, page.LastSeq = log[0].Seq, log[len(log)-1].Seq
	}
	i, _ := slices.BinarySearchFunc(log, p.AfterSeq+1, func(c inventory.Change, seq int64) int { return cmp.Compare(c.Seq, seq) })
	for ; i < len(log) && len(page.Changes) < limit; i++ {
		if p.Vcenter == "" || log[i].Vcenter == p.Vcenter {
			page.Changes = append(page.Changes, copyChange(log[i]))
		}
	}
	return page, nil
}

// copyChange deep-copies a logged change for a caller.
func copyChange(c inventory.Change) inventory.Change {
	c.Fields = cloneIDs(c.Fields)
	switch {
	case c.VM != nil:
		v := copyVM(*c.VM)
		c.VM = &v
	case c.Host != nil:
		h := *c.Host
		c.Host = &h
	case c.Cluster != nil:
		x := *c.Cluster
		c.Cluster = &x
	case c.Datastore != nil:
		d := *c.Datastore
		d.HostIDs = cloneIDs(d.HostIDs)
		c.Datastore = &d
	case c.Network != nil:
		n := *c.Network
		c.Network = &n
	case c.ResourcePool != nil:
		r := *c.ResourcePool
		c.ResourcePool = &r
	}
	return c
}

// PruneChanges deletes change-log rows whose At is before p.Before
// (store.LiveState).
func (s *Store) PruneChanges(ctx context.Context, p *store.PruneChangesParams) (*store.PruneChangesResult, error) {
	const op = "PruneChanges"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidatePruneChanges(p); err != nil {
		return nil, err
	}
	res := &store.PruneChangesResult{}
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageChanges}, func() {
		kept := s.live.changes[:0:0]
		for _, c := range s.live.changes {
			if c.At.Before(p.Before) {
				res.Deleted++
				continue
			}
			kept = append(kept, c)
		}
		s.live.changes = kept
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
