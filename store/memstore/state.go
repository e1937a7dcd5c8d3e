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

// normState returns the stored form of a state written at st: a deep copy,
// each kind ordered by id, id slices sorted, empty ones nil.
func normState(in *inventory.State, st time.Time, b *batches) (inventory.State, error) {
	var out inventory.State
	out.VMs = make([]inventory.VM, 0, len(in.VMs))
	for _, v := range in.VMs {
		if err := b.next(); err != nil {
			return out, err
		}
		v.SnapshotTime = st
		v.CreationTime = driver.NormTime(v.CreationTime)
		v.DatastoreIDs, v.NetworkIDs = sortedIDs(v.DatastoreIDs), sortedIDs(v.NetworkIDs)
		v.Attributes = cloneMap(v.Attributes)
		out.VMs = append(out.VMs, v)
	}
	for _, h := range in.Hosts {
		h.SnapshotTime = st
		out.Hosts = append(out.Hosts, h)
	}
	for _, c := range in.Clusters {
		c.SnapshotTime = st
		out.Clusters = append(out.Clusters, c)
	}
	for _, d := range in.Datastores {
		d.SnapshotTime = st
		d.HostIDs = sortedIDs(d.HostIDs)
		out.Datastores = append(out.Datastores, d)
	}
	for _, n := range in.Networks {
		n.SnapshotTime = st
		out.Networks = append(out.Networks, n)
	}
	for _, r := range in.ResourcePools {
		r.SnapshotTime = st
		out.ResourcePools = append(out.ResourcePools, r)
	}
	slices.SortFunc(out.VMs, func(a, b inventory.VM) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Hosts, func(a, b inventory.Host) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Clusters, func(a, b inventory.Cluster) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Datastores, func(a, b inventory.Datastore) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Networks, func(a, b inventory.Network) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.ResourcePools, func(a, b inventory.ResourcePool) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func copyVM(v inventory.VM) inventory.VM {
	v.DatastoreIDs, v.NetworkIDs, v.Attributes = cloneIDs(v.DatastoreIDs), cloneIDs(v.NetworkIDs), cloneMap(v.Attributes)
	return v
}

// WriteSnapshot writes one vCenter snapshot atomically.
func (s *Store) WriteSnapshot(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error) {
	const op = "WriteSnapshot"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateSnapshot(p); err != nil {
		return nil, err
	}
	st := store.SnapshotTime(p.SnapshotTime)
	we := &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: st}
	b := newBatches(ctx, p.BatchSize, we, store.StageSamples)
	groups, err := groupSamples(p.Samples, b)
	if err != nil {
		return nil, err
	}
	rows := groups[bucketKey{p.Vcenter, st}]
	var state inventory.State
	if p.State != nil {
		we.Stage = store.StageInventory
		if state, err = normState(p.State, st, b); err != nil {
			return nil, err
		}
	}
	tot := p.Totals
	tot.Vcenter, tot.SnapshotTime = p.Vcenter, st
	var table string
	if p.Compat {
		table = inventory.HourlyTableName(st)
	}
	res := &store.WriteSnapshotResult{Samples: len(p.Samples), CompatTable: table}
	err = s.commit(ctx, we, func() {
		s.setBucket(p.Vcenter, st, rows)
		if cur := s.states[p.Vcenter]; p.State != nil && (cur == nil || !st.Before(cur.time)) {
			s.states[p.Vcenter] = &vcState{time: st, state: state}
			res.StateReplaced = true
		}
		s.putTotals(tot)
		w := inventory.HourOf(st, p.Location)
		s.refreshAggregate(p.Vcenter, inventory.Hourly, w.Start, w.End)
		if p.Compat {
			t := s.compatTable(table)
			if len(rows) == 0 {
				delete(t.hourly, p.Vcenter)
			} else {
				t.hourly[p.Vcenter] = rows
			}
		}
		rec := inventory.SnapshotRecord{Vcenter: p.Vcenter, Kind: inventory.Hourly, SnapshotTime: st, TableName: table,
			RowCount: len(p.Samples), Duration: p.Duration, RegisteredAt: driver.NormTime(p.RegisteredAt)}
		res.Record = s.putRecord(rec)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// putTotals upserts a vcenter_totals row and vcenter_latest_totals. Callers
// hold the write lock.
func (s *Store) putTotals(t inventory.Totals) {
	rows := s.totals[t.Vcenter]
	i, found := slices.BinarySearchFunc(rows, t.SnapshotTime, func(r inventory.Totals, at time.Time) int { return r.SnapshotTime.Compare(at) })
	if found {
		rows[i] = t
	} else {
		rows = slices.Insert(rows, i, t)
	}
	s.totals[t.Vcenter] = rows
	if cur, ok := s.latest[t.Vcenter]; !ok || !t.SnapshotTime.Before(cur.SnapshotTime) {
		s.latest[t.Vcenter] = t
	}
}

// refreshAggregate recomputes one aggregate row; it reports false (and
// removes the row) when the period holds no snapshot. Callers hold the write
// lock.
func (s *Store) refreshAggregate(vc string, g inventory.Granularity, start, end time.Time) (inventory.AggregateTotals, bool) {
	var in []inventory.Totals
	for _, t := range s.totals[vc] {
		if !t.SnapshotTime.Before(start) && t.SnapshotTime.Before(end) {
			in = append(in, t)
		}
	}
	a, ok := driver.MeanTotals(vc, g, start, in)
	k := aggKey{vc, g, a.PeriodStart}
	if ok {
		s.aggs[k] = a
	} else {
		delete(s.aggs, k)
	}
	return a, ok
}

// putRecord upserts a registry record, keeping an existing RegisteredAt,
// and returns it as stored. Callers hold the write lock.
func (s *Store) putRecord(r inventory.SnapshotRecord) inventory.SnapshotRecord {
	k := regKey{r.Vcenter, r.Kind, r.SnapshotTime}
	if old, ok := s.registry[k]; ok {
		r.RegisteredAt, r.Duration = old.RegisteredAt, old.Duration
	} else if r.RegisteredAt.IsZero() {
		r.RegisteredAt = driver.NormTime(s.now())
	}
	s.registry[k] = r
	return r
}

// ---------------------------------------------------------------------------
// Latest-state reads

// stateOf returns the states to read, by vcenter, in vcenter order.
func (s *Store) statesOf(vcenter string) []*vcState {
	if vcenter != "" {
		if st := s.states[vcenter]; st != nil {
			return []*vcState{st}
		}
		return nil
	}
	out := make([]*vcState, 0, len(s.states))
	for _, vc := range sortedKeys(s.states) {
		out = append(out, s.states[vc])
	}
	return out
}

// ListVMs returns VMs ordered by (vcenter, vm_id), paginated.
func (s *Store) ListVMs(ctx context.Context, p *store.ListVMsParams) (*store.VMPage, error) {
	const op = "ListVMs"
	if err := s.usable(op); err != nil {
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
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	page := &store.VMPage{}
	for _, vs := range s.statesOf(p.Vcenter) {
		vms := vs.state.VMs
		if len(vms) == 0 {
			continue
		}
		vc := vms[0].Vcenter
		i := 0
		if cur != nil {
			if vc < cur[0] {
				continue
			}
			if vc == cur[0] {
				i, _ = slices.BinarySearchFunc(vms, cur[1], func(v inventory.VM, id string) int { return cmp.Compare(v.ID, id) })
				if i < len(vms) && vms[i].ID == cur[1] {
					i++
				}
			}
		}
		for ; i < len(vms); i++ {
			v := &vms[i]
			if !driver.VMRefsMatch(v, p.HostID, p.ResourcePoolID, p.DatastoreID, p.NetworkID) {
				continue
			}
			if len(page.VMs) == limit {
				last := page.VMs[limit-1]
				page.NextCursor = driver.EncodeCursor(last.Vcenter, last.ID)
				return page, nil
			}
			page.VMs = append(page.VMs, copyVM(*v))
		}
	}
	return page, nil
}

// GetVM returns one VM or ErrNotFound.
func (s *Store) GetVM(ctx context.Context, p *store.GetVMParams) (*inventory.VM, error) {
	const op = "GetVM"
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
	if vs := s.states[p.Vcenter]; vs != nil {
		vms := vs.state.VMs
		if i, ok := slices.BinarySearchFunc(vms, p.VMID, func(v inventory.VM, id string) int { return cmp.Compare(v.ID, id) }); ok {
			v := copyVM(vms[i])
			return &v, nil
		}
	}
	return nil, notFound(op, "VM %q of %q", p.VMID, p.Vcenter)
}

// listState collects rows of one kind across states, filtered and copied.
func listState[T any](s *Store, op, vcenter string, rows func(*inventory.State) []T, keep func(*T) bool, cp func(T) T) ([]T, error) {
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []T
	for _, vs := range s.statesOf(vcenter) {
		for _, r := range rows(&vs.state) {
			if keep(&r) {
				out = append(out, cp(r))
			}
		}
	}
	return out, nil
}

func same[T any](v T) T { return v }

// inIDs reports whether id passes an IDs filter (empty: every id).
func inIDs(ids []string, id string) bool { return len(ids) == 0 || slices.Contains(ids, id) }

// ListHosts returns hosts ordered by (vcenter, host_id).
func (s *Store) ListHosts(ctx context.Context, p *store.ListHostsParams) ([]inventory.Host, error) {
	if p == nil {
		p = &store.ListHostsParams{}
	}
	return listState(s, "ListHosts", p.Vcenter, func(st *inventory.State) []inventory.Host { return st.Hosts },
		func(h *inventory.Host) bool {
			return (p.ClusterID == "" || h.ClusterID == p.ClusterID) && inIDs(p.IDs, h.ID)
		}, same)
}

// ListClusters returns clusters ordered by (vcenter, cluster_id).
func (s *Store) ListClusters(ctx context.Context, p *store.ListClustersParams) ([]inventory.Cluster, error) {
	if p == nil {
		p = &store.ListClustersParams{}
	}
	return listState(s, "ListClusters", p.Vcenter, func(st *inventory.State) []inventory.Cluster { return st.Clusters },
		func(c *inventory.Cluster) bool { return inIDs(p.IDs, c.ID) }, same)
}

// ListDatastores returns datastores ordered by (vcenter, datastore_id).
func (s *Store) ListDatastores(ctx context.Context, p *store.ListDatastoresParams) ([]inventory.Datastore, error) {
	if p == nil {
		p = &store.ListDatastoresParams{}
	}
	return listState(s, "ListDatastores", p.Vcenter, func(st *inventory.State) []inventory.Datastore { return st.Datastores },
		func(d *inventory.Datastore) bool {
			return (p.HostID == "" || slices.Contains(d.HostIDs, p.HostID)) && inIDs(p.IDs, d.ID)
		},
		func(d inventory.Datastore) inventory.Datastore { d.HostIDs = cloneIDs(d.HostIDs); return d })
}

// ListNetworks returns networks ordered by (vcenter, network_id).
func (s *Store) ListNetworks(ctx context.Context, p *store.ListNetworksParams) ([]inventory.Network, error) {
	if p == nil {
		p = &store.ListNetworksParams{}
	}
	return listState(s, "ListNetworks", p.Vcenter, func(st *inventory.State) []inventory.Network { return st.Networks },
		func(n *inventory.Network) bool { return inIDs(p.IDs, n.ID) }, same)
}

// ListResourcePools returns pools ordered by (vcenter, pool_id).
func (s *Store) ListResourcePools(ctx context.Context, p *store.ListResourcePoolsParams) ([]inventory.ResourcePool, error) {
	if p == nil {
		p = &store.ListResourcePoolsParams{}
	}
	return listState(s, "ListResourcePools", p.Vcenter, func(st *inventory.State) []inventory.ResourcePool { return st.ResourcePools },
		func(r *inventory.ResourcePool) bool {
			return (p.ClusterID == "" || r.ClusterID == p.ClusterID) && inIDs(p.IDs, r.ID)
		}, same)
}

// StateTime returns the snapshot time of a vCenter's latest-state inventory.
func (s *Store) StateTime(ctx context.Context, vcenter string) (time.Time, error) {
	const op = "StateTime"
	unlock, err := s.read(op)
	if err != nil {
		return time.Time{}, err
	}
	defer unlock()
	if vs := s.states[vcenter]; vs != nil {
		return vs.time, nil
	}
	return time.Time{}, notFound(op, "no latest-state inventory for %q", vcenter)
}
