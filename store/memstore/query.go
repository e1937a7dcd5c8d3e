package memstore

import (
	"context"
	"slices"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// QueryVMs returns one page of the VMs matching p (store.Querier).
func (s *Store) QueryVMs(ctx context.Context, p *store.QueryVMsParams) (*store.VMQueryPage, error) {
	const op = "QueryVMs"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	q, err := driver.CheckQueryVMs(p)
	if err != nil {
		return nil, err
	}
	if q.Empty {
		return q.Page(nil, 0), nil
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	type row struct {
		pos driver.VMPosition
		vm  *inventory.VM
	}
	var rows []row
	total := 0
	for _, vs := range s.scoped(q.Vcenters) {
		for i := range vs.state.VMs {
			v := &vs.state.VMs[i]
			if !q.Keep(v) {
				continue
			}
			total++
			pos := q.Position(v)
			if q.After != nil && q.Compare(pos, *q.After) <= 0 {
				continue
			}
			rows = append(rows, row{pos, v})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return q.Compare(a.pos, b.pos) })
	rows = rows[:min(len(rows), q.Limit+1)]
	vms := make([]inventory.VM, len(rows))
	for i, r := range rows {
		vms[i] = copyVM(*r.vm)
	}
	return q.Page(vms, total), nil
}

// Search finds entities by name, VMs also by id, UUID, IP address and tag
// (store.Querier).
func (s *Store) Search(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error) {
	const op = "Search"
	if err := s.usable(op); err != nil {
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
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	byKind := map[store.SearchKind][]store.SearchHit{}
	add := func(h store.SearchHit, ok bool) {
		if ok {
			byKind[h.Kind] = append(byKind[h.Kind], h)
		}
	}
	for _, vs := range s.scoped(q.Vcenters) {
		st := &vs.state
		for i := range st.VMs {
			add(q.VMHit(&st.VMs[i]))
		}
		for _, h := range st.Hosts {
			add(q.NameHit(store.SearchHost, h.Vcenter, h.ID, h.Name))
		}
		for _, c := range st.Clusters {
			add(q.NameHit(store.SearchCluster, c.Vcenter, c.ID, c.Name))
		}
		for _, d := range st.Datastores {
			add(q.NameHit(store.SearchDatastore, d.Vcenter, d.ID, d.Name))
		}
		for _, n := range st.Networks {
			add(q.NameHit(store.SearchNetwork, n.Vcenter, n.ID, n.Name))
		}
		for _, r := range st.ResourcePools {
			add(q.NameHit(store.SearchResourcePool, r.Vcenter, r.ID, r.Name))
		}
	}
	for _, kind := range store.SearchKinds() {
		hits := byKind[kind]
		slices.SortFunc(hits, q.CompareHits)
		res.Hits = append(res.Hits, hits[:min(len(hits), q.Limit)]...)
	}
	return res, nil
}

// scoped returns the states of the vCenters in scope (nil: all), in
// vcenter order. Callers hold the read lock.
func (s *Store) scoped(vcenters []string) []*vcState {
	var out []*vcState
	for _, vc := range sortedKeys(s.states) {
		if driver.InScope(vcenters, vc) {
			out = append(out, s.states[vc])
		}
	}
	return out
}
