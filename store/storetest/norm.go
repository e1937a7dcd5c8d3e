package storetest

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// norm turns values given to a store into the values the contract says
// come back: times in UTC truncated to the backend's precision (snapshot
// times to the second), empty maps and slices nil, id slices sorted.
type norm struct{ prec time.Duration }

func newNorm(st store.Store) norm {
	p := st.Capabilities().TimePrecision
	if p <= 0 {
		p = driver.Precision
	}
	return norm{prec: p}
}

func (n norm) t(x time.Time) time.Time {
	if x.IsZero() {
		return time.Time{}
	}
	return x.UTC().Truncate(n.prec)
}

// snap is the stored form of a snapshot time: UTC, whole seconds.
func (n norm) snap(x time.Time) time.Time {
	if x.IsZero() {
		return time.Time{}
	}
	return n.t(store.SnapshotTime(x))
}

func nilMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func sortedIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func (n norm) sample(s inventory.Sample) inventory.Sample {
	s.SnapshotTime = n.snap(s.SnapshotTime)
	s.CreationTime = n.t(s.CreationTime)
	s.Attributes = nilMap(s.Attributes)
	return s
}

func (n norm) samples(in []inventory.Sample) []inventory.Sample {
	out := make([]inventory.Sample, 0, len(in))
	for _, s := range in {
		out = append(out, n.sample(s))
	}
	sortSamples(out)
	return out
}

func compareSamples(a, b inventory.Sample) int {
	return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), a.SnapshotTime.Compare(b.SnapshotTime), cmp.Compare(a.Key(), b.Key()))
}

func sortSamples(s []inventory.Sample) { slices.SortStableFunc(s, compareSamples) }

// state returns the latest-state inventory WriteSnapshot p stores, each
// kind ordered by id.
func (n norm) state(p *store.WriteSnapshotParams) inventory.State {
	st := n.snap(p.SnapshotTime)
	var out inventory.State
	if p.State == nil {
		return out
	}
	for _, v := range p.State.VMs {
		v.SnapshotTime = st
		v.CreationTime = n.t(v.CreationTime)
		v.DatastoreIDs, v.NetworkIDs = sortedIDs(v.DatastoreIDs), sortedIDs(v.NetworkIDs)
		v.Attributes = nilMap(v.Attributes)
		out.VMs = append(out.VMs, v)
	}
	for _, h := range p.State.Hosts {
		h.SnapshotTime = st
		out.Hosts = append(out.Hosts, h)
	}
	for _, c := range p.State.Clusters {
		c.SnapshotTime = st
		out.Clusters = append(out.Clusters, c)
	}
	for _, d := range p.State.Datastores {
		d.SnapshotTime = st
		d.HostIDs = sortedIDs(d.HostIDs)
		out.Datastores = append(out.Datastores, d)
	}
	for _, nw := range p.State.Networks {
		nw.SnapshotTime = st
		out.Networks = append(out.Networks, nw)
	}
	for _, rp := range p.State.ResourcePools {
		rp.SnapshotTime = st
		out.ResourcePools = append(out.ResourcePools, rp)
	}
	slices.SortFunc(out.VMs, func(a, b inventory.VM) int { return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(out.Hosts, func(a, b inventory.Host) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(out.Clusters, func(a, b inventory.Cluster) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(out.Datastores, func(a, b inventory.Datastore) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(out.Networks, func(a, b inventory.Network) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(out.ResourcePools, func(a, b inventory.ResourcePool) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (n norm) totals(p *store.WriteSnapshotParams) inventory.Totals {
	t := p.Totals
	t.Vcenter, t.SnapshotTime = p.Vcenter, n.snap(p.SnapshotTime)
	return t
}

func (n norm) event(e inventory.Event) inventory.Event {
	e.ID = 0
	e.SnapshotTime = n.t(e.SnapshotTime)
	e.Before, e.After = nilMap(e.Before), nilMap(e.After)
	return e
}

func (n norm) lifecycle(l inventory.Lifecycle) inventory.Lifecycle {
	l.FirstSeen, l.LastSeen = n.t(l.FirstSeen), n.t(l.LastSeen)
	l.CreationTime, l.DeletionTime = n.t(l.CreationTime), n.t(l.DeletionTime)
	return l
}

func (n norm) lifecycles(in []inventory.Lifecycle) []inventory.Lifecycle {
	out := make([]inventory.Lifecycle, 0, len(in))
	for _, l := range in {
		out = append(out, n.lifecycle(l))
	}
	slices.SortFunc(out, func(a, b inventory.Lifecycle) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.VMID, b.VMID))
	})
	return out
}

func (n norm) rollup(r inventory.Rollup) inventory.Rollup {
	r.FirstSeen, r.LastSeen = n.t(r.FirstSeen), n.t(r.LastSeen)
	r.CreationTime, r.DeletionTime = n.t(r.CreationTime), n.t(r.DeletionTime)
	r.Attributes = nilMap(r.Attributes)
	return r
}

func (n norm) daily(in []inventory.DailyRollup) []inventory.DailyRollup {
	out := make([]inventory.DailyRollup, 0, len(in))
	for _, r := range in {
		r.Day = n.t(r.Day)
		r.Rollup = n.rollup(r.Rollup)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b inventory.DailyRollup) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), a.Day.Compare(b.Day), cmp.Compare(a.VMKey, b.VMKey))
	})
	return out
}

func (n norm) monthly(in []inventory.MonthlyRollup) []inventory.MonthlyRollup {
	out := make([]inventory.MonthlyRollup, 0, len(in))
	for _, r := range in {
		r.Month = n.t(r.Month)
		r.Rollup = n.rollup(r.Rollup)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b inventory.MonthlyRollup) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), a.Month.Compare(b.Month), cmp.Compare(a.VMKey, b.VMKey))
	})
	return out
}

// endpoint is e as stored, CreatedAt and UpdatedAt aside.
func (n norm) endpoint(e inventory.Endpoint) inventory.Endpoint {
	if len(e.Credential) == 0 {
		e.Credential = nil
	} else {
		e.Credential = slices.Clone(e.Credential)
	}
	e.Tags = nilMap(e.Tags)
	e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
	return e
}

func (n norm) status(s inventory.CaptureStatus) inventory.CaptureStatus {
	s.LastAttempt, s.LastSuccess = n.t(s.LastAttempt), n.t(s.LastSuccess)
	return s
}

func (n norm) record(r inventory.SnapshotRecord) inventory.SnapshotRecord {
	r.SnapshotTime, r.RegisteredAt = n.t(r.SnapshotTime), n.t(r.RegisteredAt)
	return r
}

// snapshotRecord is the registry record WriteSnapshot p stores when no
// record existed.
func (n norm) snapshotRecord(p *store.WriteSnapshotParams) inventory.SnapshotRecord {
	r := inventory.SnapshotRecord{
		Vcenter: p.Vcenter, Kind: inventory.Hourly, SnapshotTime: n.snap(p.SnapshotTime),
		RowCount: len(p.Samples), Duration: p.Duration, RegisteredAt: n.t(p.RegisteredAt),
	}
	if p.Compat {
		r.TableName = inventory.HourlyTableName(n.snap(p.SnapshotTime))
	}
	return r
}
