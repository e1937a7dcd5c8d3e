package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// WriteEntityHistory replaces the history rows of one vCenter snapshot
// (store.EntityHistory).
func (s *Store) WriteEntityHistory(ctx context.Context, p *store.WriteEntityHistoryParams) error {
	st, rows, err := driver.PrepareEntityHistory(p)
	if err != nil {
		return err
	}
	we := &store.WriteError{Op: "WriteEntityHistory", Vcenter: p.Vcenter, SnapshotTime: st}
	return s.commit(ctx, we, func() {
		m := s.history[p.Vcenter]
		if m == nil {
			m = map[time.Time]*store.EntityRows{}
			s.history[p.Vcenter] = m
		}
		m[st] = rows
	})
}

// EntitiesAsOf returns each vCenter's latest history snapshot at or
// before At (store.EntityHistory).
func (s *Store) EntitiesAsOf(ctx context.Context, p *store.EntitiesAsOfParams) (*store.EntityRows, error) {
	if err := driver.ValidateEntitiesAsOf(p); err != nil {
		return nil, err
	}
	unlock, err := s.read("EntitiesAsOf")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var picked []*store.EntityRows
	for vc, m := range s.history {
		if p.Vcenter != "" && vc != p.Vcenter {
			continue
		}
		var best *store.EntityRows
		for t, r := range m {
			if !t.After(p.At) && (best == nil || t.After(best.Snapshots[0].SnapshotTime)) {
				best = r
			}
		}
		if best != nil {
			picked = append(picked, best)
		}
	}
	return joinHistory(picked, "", nil), nil
}

// EntityHistoryRange returns the history rows in [From, To)
// (store.EntityHistory).
func (s *Store) EntityHistoryRange(ctx context.Context, p *store.EntityHistoryRangeParams) (*store.EntityRows, error) {
	if err := driver.ValidateEntityHistoryRange(p); err != nil {
		return nil, err
	}
	unlock, err := s.read("EntityHistoryRange")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var picked []*store.EntityRows
	for vc, m := range s.history {
		if p.Vcenter != "" && vc != p.Vcenter {
			continue
		}
		for t, r := range m {
			if !t.Before(p.From) && t.Before(p.To) {
				picked = append(picked, r)
			}
		}
	}
	return joinHistory(picked, p.Kind, p.IDs), nil
}

// joinHistory copies the rows of snapshots (of kind, with one of ids when
// set) into one EntityRows, ordered by (vcenter, snapshot time, id).
func joinHistory(snaps []*store.EntityRows, kind store.EntityKind, ids []string) *store.EntityRows {
	slices.SortFunc(snaps, func(a, b *store.EntityRows) int {
		return cmp.Or(cmp.Compare(a.Snapshots[0].Vcenter, b.Snapshots[0].Vcenter),
			a.Snapshots[0].SnapshotTime.Compare(b.Snapshots[0].SnapshotTime))
	})
	keep := func(id string) bool { return len(ids) == 0 || slices.Contains(ids, id) }
	out := &store.EntityRows{}
	for _, r := range snaps {
		out.Snapshots = append(out.Snapshots, r.Snapshots[0])
		if driver.ReadsKind(kind, store.EntityHost) {
			for _, h := range r.Hosts {
				if keep(h.ID) {
					out.Hosts = append(out.Hosts, h)
				}
			}
		}
		if driver.ReadsKind(kind, store.EntityCluster) {
			for _, c := range r.Clusters {
				if keep(c.ID) {
					out.Clusters = append(out.Clusters, c)
				}
			}
		}
		if driver.ReadsKind(kind, store.EntityDatastore) {
			for _, d := range r.Datastores {
				if keep(d.ID) {
					out.Datastores = append(out.Datastores, d)
				}
			}
		}
		if driver.ReadsKind(kind, store.EntityExcluded) {
			for _, x := range r.Excluded {
				if keep(x.VMID) {
					out.Excluded = append(out.Excluded, x)
				}
			}
		}
	}
	return out
}

// DeleteEntityHistory removes the history snapshots before Before
// (store.EntityHistory).
func (s *Store) DeleteEntityHistory(ctx context.Context, p *store.DeleteEntityHistoryParams) (int64, error) {
	if err := driver.ValidateDeleteEntityHistory(p); err != nil {
		return 0, err
	}
	var n int64
	err := s.commit(ctx, &store.WriteError{Op: "DeleteEntityHistory"}, func() {
		for vc, m := range s.history {
			for t := range m {
				if t.Before(p.Before) {
					delete(m, t)
					n++
				}
			}
			if len(m) == 0 {
				delete(s.history, vc)
			}
		}
	})
	return n, err
}
