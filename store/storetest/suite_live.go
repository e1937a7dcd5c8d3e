package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The Live section (store.LiveState): live changes of every entity kind
// reach the latest-state reads (pair tables replaced, deletes gone, other
// vCenters untouched), are logged with sequence numbers that grow across
// vCenters and pages, events are upserted on their natural key and marked
// Live, pruning moves FirstSeq, hostile strings survive, invalid params
// and failed writes change nothing, and an hourly snapshot older than the
// live state leaves it alone while a newer one replaces it.
func liveTests() []test {
	return []test{
		{"RoundTrip", testLiveRoundTrip},
		{"Events", testLiveEvents},
		{"Seq", testLiveSeq},
		{"Prune", testLivePrune},
		{"Hostile", testLiveHostile},
		{"InvalidParams", testLiveInvalid},
		{"Atomic", testLiveAtomic},
		{"SnapshotAfterLive", testLiveSnapshotAfter},
	}
}

func (e *env) live() store.LiveState { return e.st.(store.LiveState) }

func (e *env) apply(p *store.ApplyChangesParams) *store.ApplyChangesResult {
	e.t.Helper()
	res, err := e.live().ApplyChanges(e.ctx, p)
	e.ok(err, "ApplyChanges(%s, %d changes, %d events)", p.Vcenter, len(p.Changes), len(p.Events))
	if res == nil {
		e.t.Fatalf("ApplyChanges(%s): nil result and nil error", p.Vcenter)
	}
	return res
}

// changes lists every change-log row after afterSeq, page by page.
func (e *env) changes(p store.ListChangesParams) ([]inventory.Change, *store.ChangePage) {
	e.t.Helper()
	var out []inventory.Change
	for page := 0; ; page++ {
		pg, err := e.live().ListChanges(e.ctx, &p)
		e.ok(err, "ListChanges%s page %d", describe(p), page)
		if len(pg.Changes) == 0 {
			return out, pg
		}
		limit := p.Limit
		if limit <= 0 {
			limit = 1000
		}
		if len(pg.Changes) > limit {
			e.t.Fatalf("ListChanges%s: %d changes, more than the limit", describe(p), len(pg.Changes))
		}
		out = append(out, pg.Changes...)
		p.AfterSeq = pg.Changes[len(pg.Changes)-1].Seq
		if page > 100000 {
			e.t.Fatalf("ListChanges%s: more than 100000 pages", describe(p))
		}
	}
}

// liveVM is a VM row of vc for a live change: the fixture's vm-i, changed
// by gen.
func liveVM(vc string, i, gen int, base *inventory.State) inventory.VM {
	var v inventory.VM
	if base != nil {
		for _, x := range base.VMs {
			if x.ID == fmt.Sprintf("vm-%d", i) {
				v = x
			}
		}
	}
	v.Vcenter, v.ID = vc, fmt.Sprintf("vm-%d", i)
	v.Name = fmt.Sprintf("live-vm-%d-gen%d", i, gen)
	v.PowerState = []inventory.PowerState{inventory.PoweredOn, inventory.PoweredOff, inventory.Suspended}[gen%3]
	v.VCPUCount = 2 + gen
	v.ProvisionedDiskGB = 40.000000000000004 + float64(gen)
	v.DatastoreIDs = []string{"datastore-3", fmt.Sprintf("datastore-live-%d", gen)}
	v.NetworkIDs = []string{fmt.Sprintf("network-live-%d", gen)}
	v.Attributes = map[string]string{"live": fmt.Sprint(gen), "tag:env": "prod"}
	v.HostID, v.ResourcePoolID = "host-2", "resgroup-12"
	v.CreationTime = time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	return v
}

// modelApply applies changes to st as the contract says: upserts replace
// or insert the row with SnapshotTime at, deletes remove it.
func (n norm) modelApply(st *inventory.State, at time.Time, changes []inventory.Change) {
	at = n.t(at)
	for _, c := range changes {
		del := c.Op == inventory.ChangeDelete
		switch c.Entity {
		case inventory.EntityVM:
			var r *inventory.VM
			if !del {
				v := *c.VM
				v.SnapshotTime, v.CreationTime = at, n.t(v.CreationTime)
				v.DatastoreIDs, v.NetworkIDs, v.Attributes = sortedIDs(v.DatastoreIDs), sortedIDs(v.NetworkIDs), nilMap(v.Attributes)
				r = &v
			}
			st.VMs = modelPut(st.VMs, c.ID, func(x inventory.VM) string { return x.ID }, r)
		case inventory.EntityHost:
			var r *inventory.Host
			if !del {
				h := *c.Host
				h.SnapshotTime = at
				r = &h
			}
			st.Hosts = modelPut(st.Hosts, c.ID, func(x inventory.Host) string { return x.ID }, r)
		case inventory.EntityCluster:
			var r *inventory.Cluster
			if !del {
				x := *c.Cluster
				x.SnapshotTime = at
				r = &x
			}
			st.Clusters = modelPut(st.Clusters, c.ID, func(x inventory.Cluster) string { return x.ID }, r)
		case inventory.EntityDatastore:
			var r *inventory.Datastore
			if !del {
				d := *c.Datastore
				d.SnapshotTime, d.HostIDs = at, sortedIDs(d.HostIDs)
				r = &d
			}
			st.Datastores = modelPut(st.Datastores, c.ID, func(x inventory.Datastore) string { return x.ID }, r)
		case inventory.EntityNetwork:
			var r *inventory.Network
			if !del {
				x := *c.Network
				x.SnapshotTime = at
				r = &x
			}
			st.Networks = modelPut(st.Networks, c.ID, func(x inventory.Network) string { return x.ID }, r)
		case inventory.EntityResourcePool:
			var r *inventory.ResourcePool
			if !del {
				x := *c.ResourcePool
				x.SnapshotTime = at
				r = &x
			}
			st.ResourcePools = modelPut(st.ResourcePools, c.ID, func(x inventory.ResourcePool) string { return x.ID }, r)
		}
	}
}

// modelPut replaces, inserts or (row nil) deletes the row with id, keeping
// rows in id order (rows of one vCenter).
func modelPut[T any](rows []T, id string, idOf func(T) string, row *T) []T {
	i := slices.IndexFunc(rows, func(x T) bool { return idOf(x) == id })
	switch {
	case row == nil && i >= 0:
		rows = slices.Delete(slices.Clone(rows), i, i+1)
	case row == nil:
	case i >= 0:
		rows = slices.Clone(rows)
		rows[i] = *row
	default:
		rows = append(slices.Clone(rows), *row)
	}
	slices.SortFunc(rows, func(a, b T) int { return cmp.Compare(idOf(a), idOf(b)) })
	return rows
}

// liveBatch is a batch of vc at "at" with an upsert of a changed and a new
// row of every kind and a delete of every kind.
func liveBatch(vc string, at time.Time, gen int, base *inventory.State) *store.ApplyChangesParams {
	p := &store.ApplyChangesParams{Vcenter: vc, ObservedAt: at}
	add := func(c inventory.Change) {
		c.Vcenter = vc
		p.Changes = append(p.Changes, c)
	}
	for _, i := range []int{2, 100 + gen} {
		v := liveVM(vc, i, gen, base)
		add(inventory.Change{Entity: inventory.EntityVM, ID: v.ID, Op: inventory.ChangeUpsert, Name: v.Name,
			Fields: []string{"name", "power_state"}, VM: &v})
	}
	add(inventory.Change{Entity: inventory.EntityVM, ID: "vm-3", Op: inventory.ChangeDelete, Name: "vm0003-cache"})
	add(inventory.Change{Entity: inventory.EntityHost, ID: "host-1", Op: inventory.ChangeUpsert, Name: "esx-live",
		Fields: []string{"connection_state"}, Host: &inventory.Host{Vcenter: vc, ID: "host-1", Name: fmt.Sprintf("esx-live-%d", gen),
			ConnectionState: "disconnected", PowerState: "poweredOn", CPUCores: 32 + gen, MemoryMB: 1 << 20, ClusterID: "domain-c2", Cluster: "Cluster-B"}})
	add(inventory.Change{Entity: inventory.EntityHost, ID: fmt.Sprintf("host-live-%d", gen), Op: inventory.ChangeUpsert,
		Host: &inventory.Host{Vcenter: vc, ID: fmt.Sprintf("host-live-%d", gen), Name: "new host", InMaintenance: true}})
	add(inventory.Change{Entity: inventory.EntityHost, ID: "host-3", Op: inventory.ChangeDelete})
	add(inventory.Change{Entity: inventory.EntityCluster, ID: "domain-c1", Op: inventory.ChangeUpsert,
		Cluster: &inventory.Cluster{Vcenter: vc, ID: "domain-c1", Name: fmt.Sprintf("renamed-%d", gen), DRSEnabled: gen%2 == 0, NumHosts: 7}})
	add(inventory.Change{Entity: inventory.EntityCluster, ID: "domain-c2", Op: inventory.ChangeDelete})
	add(inventory.Change{Entity: inventory.EntityDatastore, ID: "datastore-1", Op: inventory.ChangeUpsert,
		Datastore: &inventory.Datastore{Vcenter: vc, ID: "datastore-1", Name: "ds-live", Type: "VMFS", CapacityGB: 0.1 + float64(gen),
			FreeGB: 1e-9, Accessible: true, HostIDs: []string{"host-live-" + fmt.Sprint(gen), "host-1"}}})
	add(inventory.Change{Entity: inventory.EntityDatastore, ID: "datastore-2", Op: inventory.ChangeDelete})
	add(inventory.Change{Entity: inventory.EntityNetwork, ID: "network-11", Op: inventory.ChangeUpsert,
		Network: &inventory.Network{Vcenter: vc, ID: "network-11", Name: "VM Network live", Kind: inventory.NetworkStandard, VLAN: fmt.Sprint(gen)}})
	add(inventory.Change{Entity: inventory.EntityNetwork, ID: "network-o31", Op: inventory.ChangeDelete})
	add(inventory.Change{Entity: inventory.EntityResourcePool, ID: "resgroup-11", Op: inventory.ChangeUpsert,
		ResourcePool: &inventory.ResourcePool{Vcenter: vc, ID: "resgroup-11", Name: "Tin", Path: "Resources/Tin", CPULimitMhz: int64(gen), MemoryLimitMB: -1}})
	add(inventory.Change{Entity: inventory.EntityResourcePool, ID: "resgroup-v2", Op: inventory.ChangeDelete})
	// Deleting what is not there is no error.
	add(inventory.Change{Entity: inventory.EntityVM, ID: "vm-absent", Op: inventory.ChangeDelete})
	return p
}

// wantState compares every latest-state read of the store with want.
func (e *env) wantState(what string, want inventory.State) {
	e.t.Helper()
	c := e.dump()
	checkList(e.t, what+": ListVMs", want.VMs, c.VMs)
	checkList(e.t, what+": ListHosts", want.Hosts, c.Hosts)
	checkList(e.t, what+": ListClusters", want.Clusters, c.Clusters)
	checkList(e.t, what+": ListDatastores", want.Datastores, c.Datastores)
	checkList(e.t, what+": ListNetworks", want.Networks, c.Networks)
	checkList(e.t, what+": ListResourcePools", want.ResourcePools, c.ResourcePools)
}

func joinStates(a, b inventory.State) inventory.State {
	return inventory.State{VMs: append(slices.Clone(a.VMs), b.VMs...), Hosts: append(slices.Clone(a.Hosts), b.Hosts...),
		Clusters: append(slices.Clone(a.Clusters), b.Clusters...), Datastores: append(slices.Clone(a.Datastores), b.Datastores...),
		Networks: append(slices.Clone(a.Networks), b.Networks...), ResourcePools: append(slices.Clone(a.ResourcePools), b.ResourcePools...)}
}

// loggedChanges is what ListChanges returns for p's changes: Seq from
// first on, At defaulting to ObservedAt, rows as stored.
func (e *env) loggedChanges(p *store.ApplyChangesParams, first int64) []inventory.Change {
	var out []inventory.Change
	for i, c := range p.Changes {
		c.Seq = first + int64(i)
		if c.At.IsZero() {
			c.At = p.ObservedAt
		}
		c.At = e.n.t(c.At)
		if len(c.Fields) == 0 {
			c.Fields = nil
		}
		var st inventory.State
		e.n.modelApply(&st, p.ObservedAt, []inventory.Change{c})
		switch {
		case c.VM != nil:
			c.VM = &st.VMs[0]
		case c.Host != nil:
			c.Host = &st.Hosts[0]
		case c.Cluster != nil:
			c.Cluster = &st.Clusters[0]
		case c.Datastore != nil:
			c.Datastore = &st.Datastores[0]
		case c.Network != nil:
			c.Network = &st.Networks[0]
		case c.ResourcePool != nil:
			c.ResourcePool = &st.ResourcePools[0]
		}
		out = append(out, c)
	}
	return out
}

func testLiveRoundTrip(e *env) {
	a, b := e.snapshot("vc-a", t0, 12, 1), e.snapshot("vc-b", t0, 5, 2)
	e.write(a)
	e.write(b)
	wantA, wantB := e.n.state(a), e.n.state(b)
	at := t0.Add(10*time.Minute + 123456789*time.Nanosecond)
	p := liveBatch("vc-a", at, 1, a.State)
	res := e.apply(p)
	if res.LastSeq-res.FirstSeq != int64(len(p.Changes)-1) || res.FirstSeq <= 0 {
		e.t.Errorf("ApplyChanges: FirstSeq %d, LastSeq %d for %d changes", res.FirstSeq, res.LastSeq, len(p.Changes))
	}
	if !res.StateTime.Equal(e.n.t(at)) {
		e.t.Errorf("ApplyChanges: StateTime %s, want ObservedAt %s", res.StateTime, e.n.t(at))
	}
	e.n.modelApply(&wantA, at, p.Changes)
	e.wantState("after a live batch", joinStates(wantA, wantB))
	got, err := e.st.StateTime(e.ctx, "vc-a")
	e.ok(err, "StateTime(vc-a)")
	checkEq(e.t, "StateTime(vc-a) after a live batch", e.n.t(at), got)
	got, err = e.st.StateTime(e.ctx, "vc-b")
	e.ok(err, "StateTime(vc-b)")
	checkEq(e.t, "StateTime(vc-b) after vc-a's live batch", e.n.snap(t0), got)

	// GetVM and the filters that read the pair tables.
	v, err := e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-a", VMID: "vm-2"})
	e.ok(err, "GetVM(vm-2)")
	checkEq(e.t, "GetVM(vm-2) after its upsert", wantA.VMs[slices.IndexFunc(wantA.VMs, func(x inventory.VM) bool { return x.ID == "vm-2" })], *v)
	_, err = e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-a", VMID: "vm-3"})
	wantNotFound(e.t, err, "GetVM(vm-3) after its delete")
	byDS := e.listVMs(store.ListVMsParams{Vcenter: "vc-a", DatastoreID: "datastore-live-1"})
	checkEq(e.t, "ListVMs(DatastoreID datastore-live-1) VMs", 2, len(byDS))
	byNet := e.listVMs(store.ListVMsParams{Vcenter: "vc-a", NetworkID: "network-live-1"})
	checkEq(e.t, "ListVMs(NetworkID network-live-1) VMs", 2, len(byNet))
	for _, x := range e.listVMs(store.ListVMsParams{Vcenter: "vc-a", DatastoreID: "datastore-2"}) {
		if x.ID == "vm-2" {
			e.t.Errorf("ListVMs(DatastoreID datastore-2) still lists vm-2, whose upsert replaced its datastores")
		}
	}
	dss, err := e.st.ListDatastores(e.ctx, &store.ListDatastoresParams{Vcenter: "vc-a", HostID: "host-live-1"})
	e.ok(err, "ListDatastores(HostID host-live-1)")
	if len(dss) != 1 || dss[0].ID != "datastore-1" {
		e.t.Errorf("ListDatastores(HostID host-live-1) = %v, want datastore-1 alone", dss)
	}

	// The log holds the batch in order.
	log, pg := e.changes(store.ListChangesParams{})
	checkList(e.t, "ListChanges after one batch", e.loggedChanges(p, res.FirstSeq), log)
	if pg.FirstSeq != res.FirstSeq || pg.LastSeq != res.LastSeq {
		e.t.Errorf("ListChanges: FirstSeq %d LastSeq %d, want %d %d", pg.FirstSeq, pg.LastSeq, res.FirstSeq, res.LastSeq)
	}

	// A second batch changes the changed rows again (the later change of
	// one object in a batch wins) and brings a deleted one back.
	at2 := at.Add(time.Minute)
	p2 := liveBatch("vc-a", at2, 2, a.State)
	v3 := liveVM("vc-a", 3, 2, a.State)
	p2.Changes = append(p2.Changes, inventory.Change{Vcenter: "vc-a", Entity: inventory.EntityVM, ID: "vm-3", Op: inventory.ChangeUpsert, VM: &v3})
	v2 := liveVM("vc-a", 2, 5, a.State)
	v2.DatastoreIDs, v2.NetworkIDs, v2.Attributes = nil, nil, nil
	p2.Changes = append(p2.Changes, inventory.Change{Vcenter: "vc-a", Entity: inventory.EntityVM, ID: "vm-2", Op: inventory.ChangeUpsert, VM: &v2})
	res2 := e.apply(p2)
	if res2.FirstSeq <= res.LastSeq {
		e.t.Errorf("second batch FirstSeq %d, want > %d", res2.FirstSeq, res.LastSeq)
	}
	e.n.modelApply(&wantA, at2, p2.Changes)
	e.wantState("after a second live batch", joinStates(wantA, wantB))
	v, err = e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-a", VMID: "vm-2"})
	e.ok(err, "GetVM(vm-2)")
	if len(v.DatastoreIDs) != 0 || len(v.NetworkIDs) != 0 || v.Attributes != nil {
		e.t.Errorf("GetVM(vm-2) after an upsert without links: datastores %v, networks %v, attributes %v; want none", v.DatastoreIDs, v.NetworkIDs, v.Attributes)
	}
	log, _ = e.changes(store.ListChangesParams{AfterSeq: res.LastSeq})
	checkList(e.t, "ListChanges after the first batch", e.loggedChanges(p2, res2.FirstSeq), log)
}

func testLiveEvents(e *env) {
	e.write(e.snapshot("vc-a", t0, 5, 1))
	old := Events("vc-a", t0, 4, 1)
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: old}), "AppendEvents")
	oldIDs := e.listEvents(store.ListEventsParams{})
	at := t0.Add(20 * time.Minute)
	fresh := Events("vc-a", at, 3, 2)
	// One event has the natural key of an appended one: it replaces its
	// name, before and after, and becomes Live.
	same := old[1]
	same.Name, same.Before, same.After = "renamed <b>", map[string]string{"name": "x"}, map[string]string{"name": "renamed <b>"}
	p := &store.ApplyChangesParams{Vcenter: "vc-a", ObservedAt: at, Events: append(slices.Clone(fresh), same)}
	e.apply(p)
	var want []inventory.Event
	for i, ev := range old {
		if i == 1 {
			ev = same
			ev.Live = true
		}
		want = append(want, e.n.event(ev))
	}
	for _, ev := range fresh {
		ev.Live = true
		want = append(want, e.n.event(ev))
	}
	got := e.listEvents(store.ListEventsParams{})
	checkList(e.t, "ListEvents after a live batch", want, got, ignoreEventID)
	if len(got) == len(want) && len(oldIDs) == len(old) && got[1].ID != oldIDs[1].ID {
		e.t.Errorf("the upserted event changed its ID from %d to %d", oldIDs[1].ID, got[1].ID)
	}
	liveOnly := e.listEvents(store.ListEventsParams{LiveOnly: true})
	checkList(e.t, "ListEvents{LiveOnly}", filter(want, func(ev inventory.Event) bool { return ev.Live }), liveOnly, ignoreEventID)
	// The same batch again stores nothing new.
	e.apply(p)
	checkList(e.t, "ListEvents after the same live batch twice", want, e.listEvents(store.ListEventsParams{}), ignoreEventID)
	// Tailing by ID with LiveOnly.
	pg, err := e.st.ListEvents(e.ctx, &store.ListEventsParams{AfterID: got[0].ID, LiveOnly: true})
	e.ok(err, "ListEvents{AfterID, LiveOnly}")
	checkEq(e.t, "ListEvents{AfterID, LiveOnly} events", len(liveOnly), len(pg.Events))
}

func testLiveSeq(e *env) {
	var all []inventory.Change
	var last int64
	for round := range 5 {
		for _, vc := range []string{"vc-b", "vc-a"} {
			at := t0.Add(time.Duration(round) * time.Minute)
			p := &store.ApplyChangesParams{Vcenter: vc, ObservedAt: at, BatchSize: 2}
			for i := range 3 + round {
				h := inventory.Host{Vcenter: vc, ID: fmt.Sprintf("host-%d", i), Name: fmt.Sprintf("h%d-r%d", i, round)}
				p.Changes = append(p.Changes, inventory.Change{Vcenter: vc, Entity: inventory.EntityHost, ID: h.ID,
					Op: inventory.ChangeUpsert, Host: &h, At: at.Add(time.Duration(i) * time.Second)})
			}
			res := e.apply(p)
			if res.FirstSeq <= last || res.LastSeq != res.FirstSeq+int64(len(p.Changes)-1) {
				e.t.Fatalf("round %d %s: FirstSeq %d LastSeq %d after %d, want consecutive numbers after it", round, vc, res.FirstSeq, res.LastSeq, last)
			}
			last = res.LastSeq
			all = append(all, e.loggedChanges(p, res.FirstSeq)...)
		}
	}
	// An empty batch gives no numbers.
	res := e.apply(&store.ApplyChangesParams{Vcenter: "vc-a", ObservedAt: t0})
	if res.FirstSeq != 0 || res.LastSeq != 0 {
		e.t.Errorf("empty batch: FirstSeq %d LastSeq %d, want 0 0", res.FirstSeq, res.LastSeq)
	}
	for _, limit := range []int{1, 4, 7, 0} {
		got, pg := e.changes(store.ListChangesParams{Limit: limit})
		checkList(e.t, fmt.Sprintf("ListChanges(Limit %d) pages", limit), all, got)
		if pg.LastSeq != last || pg.FirstSeq != all[0].Seq {
			e.t.Errorf("ListChanges(Limit %d): FirstSeq %d LastSeq %d, want %d %d", limit, pg.FirstSeq, pg.LastSeq, all[0].Seq, last)
		}
	}
	pg, err := e.live().ListChanges(e.ctx, &store.ListChangesParams{Limit: 4})
	e.ok(err, "ListChanges(Limit 4)")
	checkEq(e.t, "ListChanges(Limit 4) changes", 4, len(pg.Changes))
	gotB, _ := e.changes(store.ListChangesParams{Vcenter: "vc-b", Limit: 3})
	checkList(e.t, "ListChanges(vc-b)", filter(all, func(c inventory.Change) bool { return c.Vcenter == "vc-b" }), gotB)
	mid := all[len(all)/2].Seq
	gotAfter, _ := e.changes(store.ListChangesParams{AfterSeq: mid})
	checkList(e.t, "ListChanges(AfterSeq mid)", filter(all, func(c inventory.Change) bool { return c.Seq > mid }), gotAfter)
	pg, err = e.live().ListChanges(e.ctx, &store.ListChangesParams{AfterSeq: last})
	e.ok(err, "ListChanges(AfterSeq last)")
	if len(pg.Changes) != 0 || pg.LastSeq != last {
		e.t.Errorf("ListChanges(AfterSeq last): %d changes, LastSeq %d; want none, %d", len(pg.Changes), pg.LastSeq, last)
	}
	_, err = e.live().ListChanges(e.ctx, &store.ListChangesParams{AfterSeq: -1})
	if ipe := wantInvalid(e.t, err, "ListChanges", "AfterSeq -1"); ipe != nil && ipe.Field != "AfterSeq" {
		e.t.Errorf("ListChanges AfterSeq -1: field %q, want AfterSeq", ipe.Field)
	}
	// Limit above the maximum is clamped, not refused.
	_, err = e.live().ListChanges(e.ctx, &store.ListChangesParams{Limit: math.MaxInt32})
	e.ok(err, "ListChanges(Limit MaxInt32)")
}

func testLivePrune(e *env) {
	pg, err := e.live().ListChanges(e.ctx, &store.ListChangesParams{})
	e.ok(err, "ListChanges of an empty log")
	if len(pg.Changes) != 0 || pg.FirstSeq != 0 || pg.LastSeq != 0 {
		e.t.Errorf("ListChanges of an empty log: %d changes, FirstSeq %d, LastSeq %d; want none, 0, 0", len(pg.Changes), pg.FirstSeq, pg.LastSeq)
	}
	var all []inventory.Change
	for i := range 6 {
		at := t0.Add(time.Duration(i) * time.Hour)
		vc := []string{"vc-a", "vc-b"}[i%2]
		n := inventory.Network{Vcenter: vc, ID: "net", Name: fmt.Sprint(i)}
		p := &store.ApplyChangesParams{Vcenter: vc, ObservedAt: at, Changes: []inventory.Change{
			{Vcenter: vc, Entity: inventory.EntityNetwork, ID: "net", Op: inventory.ChangeUpsert, Network: &n},
			{Vcenter: vc, Entity: inventory.EntityNetwork, ID: "gone", Op: inventory.ChangeDelete, At: at.Add(time.Microsecond)},
		}}
		all = append(all, e.loggedChanges(p, e.apply(p).FirstSeq)...)
	}
	_, err = e.live().PruneChanges(e.ctx, &store.PruneChangesParams{})
	wantInvalid(e.t, err, "PruneChanges", "without Before")
	// Before is exclusive: the row at exactly Before stays.
	res, err := e.live().PruneChanges(e.ctx, &store.PruneChangesParams{Before: t0.Add(2 * time.Hour)})
	e.ok(err, "PruneChanges")
	checkEq(e.t, "PruneChanges deleted", int64(4), res.Deleted)
	got, pg := e.changes(store.ListChangesParams{})
	checkList(e.t, "ListChanges after PruneChanges", all[4:], got)
	if pg.FirstSeq != all[4].Seq || pg.LastSeq != all[len(all)-1].Seq {
		e.t.Errorf("after PruneChanges: FirstSeq %d LastSeq %d, want %d %d", pg.FirstSeq, pg.LastSeq, all[4].Seq, all[len(all)-1].Seq)
	}
	// A Before between two stored times: the row before it goes, the
	// row a microsecond later stays.
	res, err = e.live().PruneChanges(e.ctx, &store.PruneChangesParams{Before: t0.Add(2*time.Hour + 500*time.Nanosecond)})
	e.ok(err, "PruneChanges(Before with nanoseconds)")
	checkEq(e.t, "PruneChanges(Before with nanoseconds) deleted", int64(1), res.Deleted)
	got, pg = e.changes(store.ListChangesParams{})
	checkList(e.t, "ListChanges after PruneChanges(Before with nanoseconds)", all[5:], got)
	if pg.FirstSeq != all[5].Seq {
		e.t.Errorf("after PruneChanges(Before with nanoseconds): FirstSeq %d, want %d", pg.FirstSeq, all[5].Seq)
	}
	// A reader behind FirstSeq sees it has missed rows.
	pg, err = e.live().ListChanges(e.ctx, &store.ListChangesParams{AfterSeq: all[1].Seq, Limit: 1})
	e.ok(err, "ListChanges(behind)")
	if pg.FirstSeq <= all[1].Seq+1 {
		e.t.Errorf("ListChanges(AfterSeq %d) after pruning: FirstSeq %d does not show the gap", all[1].Seq, pg.FirstSeq)
	}
	// Pruning keeps the latest state and later numbers still grow.
	res, err = e.live().PruneChanges(e.ctx, &store.PruneChangesParams{Before: t0.Add(100 * time.Hour)})
	e.ok(err, "PruneChanges(everything)")
	checkEq(e.t, "PruneChanges(everything) deleted", int64(len(all)-5), res.Deleted)
	nets, err := e.st.ListNetworks(e.ctx, &store.ListNetworksParams{})
	e.ok(err, "ListNetworks")
	checkEq(e.t, "ListNetworks after pruning the log", 2, len(nets))
	n := inventory.Network{Vcenter: "vc-a", ID: "net2"}
	r := e.apply(&store.ApplyChangesParams{Vcenter: "vc-a", ObservedAt: t0, Changes: []inventory.Change{
		{Vcenter: "vc-a", Entity: inventory.EntityNetwork, ID: "net2", Op: inventory.ChangeUpsert, Network: &n}}})
	if r.FirstSeq <= all[len(all)-1].Seq {
		e.t.Errorf("after pruning everything: FirstSeq %d, want > %d", r.FirstSeq, all[len(all)-1].Seq)
	}
}

func testLiveHostile(e *env) {
	h := HostileStrings()
	for i, vc := range []string{"vc-a", h[3], h[7]} {
		p := &store.ApplyChangesParams{Vcenter: vc, ObservedAt: t0.Add(time.Duration(i) * time.Second)}
		for j, s := range h {
			v := inventory.VM{Vcenter: vc, ID: "vm-" + s, Name: s, Folder: h[(j+1)%len(h)], GuestOS: h[(j+2)%len(h)],
				HostID: s, DatastoreIDs: []string{s, h[(j+3)%len(h)]}, NetworkIDs: []string{s},
				Attributes: map[string]string{s: h[(j+4)%len(h)], "": s}}
			p.Changes = append(p.Changes, inventory.Change{Vcenter: vc, Entity: inventory.EntityVM, ID: v.ID, Op: inventory.ChangeUpsert,
				Name: s, Fields: []string{s, "name"}, VM: &v})
			d := inventory.Datastore{Vcenter: vc, ID: "ds-" + s, Name: s, URL: s, HostIDs: []string{s}}
			p.Changes = append(p.Changes, inventory.Change{Vcenter: vc, Entity: inventory.EntityDatastore, ID: d.ID, Op: inventory.ChangeUpsert,
				Name: s, Datastore: &d})
			p.Changes = append(p.Changes, inventory.Change{Vcenter: vc, Entity: inventory.EntityHost, ID: s, Op: inventory.ChangeDelete, Name: s})
			p.Events = append(p.Events, inventory.Event{Vcenter: vc, SnapshotTime: t0, Kind: inventory.EventRename, VMID: "vm-" + s,
				Name: s, Before: map[string]string{"name": s}, After: map[string]string{s: s}})
		}
		res := e.apply(p)
		var want inventory.State
		e.n.modelApply(&want, p.ObservedAt, p.Changes)
		got := e.listVMs(store.ListVMsParams{Vcenter: vc})
		checkList(e.t, "ListVMs of hostile live rows", want.VMs, got)
		dss, err := e.st.ListDatastores(e.ctx, &store.ListDatastoresParams{Vcenter: vc})
		e.ok(err, "ListDatastores")
		checkList(e.t, "ListDatastores of hostile live rows", want.Datastores, dss)
		log, _ := e.changes(store.ListChangesParams{Vcenter: vc, AfterSeq: res.FirstSeq - 1})
		checkList(e.t, "ListChanges of hostile changes", e.loggedChanges(p, res.FirstSeq), log)
		var wantEv []inventory.Event
		for _, ev := range p.Events {
			ev.Live = true
			wantEv = append(wantEv, e.n.event(ev))
		}
		checkList(e.t, "ListEvents of hostile live events", wantEv, e.listEvents(store.ListEventsParams{Vcenter: vc}), ignoreEventID)
	}
}

func testLiveInvalid(e *env) {
	a := e.snapshot("vc-a", t0, 5, 1)
	e.write(a)
	e.apply(liveBatch("vc-a", t0.Add(time.Minute), 1, a.State))
	before := e.dump()
	ls := e.live()
	bad := func(change func(p *store.ApplyChangesParams)) *store.ApplyChangesParams {
		p := liveBatch("vc-a", t0.Add(2*time.Minute), 2, a.State)
		p.Events = Events("vc-a", t0.Add(2*time.Minute), 3, 1)
		change(p)
		return p
	}
	for _, tc := range []struct {
		name, field string
		p           *store.ApplyChangesParams
	}{
		{"nil", "params", nil},
		{"no vcenter", "Vcenter", bad(func(p *store.ApplyChangesParams) { p.Vcenter = "" })},
		{"NUL in the vcenter", "Vcenter", bad(func(p *store.ApplyChangesParams) { p.Vcenter = "vc\x00a" })},
		{"no ObservedAt", "ObservedAt", bad(func(p *store.ApplyChangesParams) { p.ObservedAt = time.Time{} })},
		{"change of another vcenter", "Changes[5].Vcenter", bad(func(p *store.ApplyChangesParams) { p.Changes[5].Vcenter = "vc-b" })},
		{"change without vcenter", "Changes[0].Vcenter", bad(func(p *store.ApplyChangesParams) { p.Changes[0].Vcenter = "" })},
		{"unknown entity", "Changes[2].Entity", bad(func(p *store.ApplyChangesParams) { p.Changes[2].Entity = "folder" })},
		{"unknown op", "Changes[3].Op", bad(func(p *store.ApplyChangesParams) { p.Changes[3].Op = "merge" })},
		{"empty id", "Changes[2].ID", bad(func(p *store.ApplyChangesParams) { p.Changes[2].ID = "" })},
		{"upsert without its row", "Changes[4].Host", bad(func(p *store.ApplyChangesParams) { p.Changes[4].Host = nil })},
		{"upsert with another kind's row", "Changes[1].Host", bad(func(p *store.ApplyChangesParams) {
			p.Changes[1].Host = &inventory.Host{Vcenter: "vc-a", ID: p.Changes[1].ID}
		})},
		{"upsert of a VM carrying a host", "Changes[0].Host", bad(func(p *store.ApplyChangesParams) {
			p.Changes[0].Host, p.Changes[0].VM = &inventory.Host{Vcenter: "vc-a", ID: p.Changes[0].ID}, nil
		})},
		{"delete with a row", "Changes[2].VM", bad(func(p *store.ApplyChangesParams) {
			p.Changes[2].VM = &inventory.VM{Vcenter: "vc-a", ID: "vm-3"}
		})},
		{"row with another id", "Changes[0].VM.ID", bad(func(p *store.ApplyChangesParams) { p.Changes[0].VM.ID = "vm-9" })},
		{"row of another vcenter", "Changes[3].Host.Vcenter", bad(func(p *store.ApplyChangesParams) { p.Changes[3].Host.Vcenter = "vc-b" })},
		{"NUL in a name", "Changes[6]", bad(func(p *store.ApplyChangesParams) { p.Changes[6].Name = "a\x00" })},
		{"bad UTF-8 field name", "Changes[0].Fields", bad(func(p *store.ApplyChangesParams) { p.Changes[0].Fields = []string{"\xff"} })},
		{"bad UTF-8 VM name", "Changes[1].VM", bad(func(p *store.ApplyChangesParams) { p.Changes[1].VM.Name = "\xc3" })},
		{"NUL in an attribute", "Changes[0].VM", bad(func(p *store.ApplyChangesParams) { p.Changes[0].VM.Attributes["k"] = "\x00" })},
		{"NUL in a datastore link", "Changes[0].VM", bad(func(p *store.ApplyChangesParams) { p.Changes[0].VM.DatastoreIDs[1] = "\x00" })},
		{"bad UTF-8 datastore host", "Changes[8].Datastore", bad(func(p *store.ApplyChangesParams) { p.Changes[8].Datastore.HostIDs[0] = "\xfe" })},
		{"NaN capacity", "Changes[8].Datastore", bad(func(p *store.ApplyChangesParams) { p.Changes[8].Datastore.CapacityGB = math.NaN() })},
		{"infinite VM disk", "Changes[0].VM", bad(func(p *store.ApplyChangesParams) { p.Changes[0].VM.ProvisionedDiskGB = math.Inf(1) })},
		{"event of another vcenter", "Events[1].Vcenter", bad(func(p *store.ApplyChangesParams) { p.Events[1].Vcenter = "vc-b" })},
		{"event without time", "Events[2].SnapshotTime", bad(func(p *store.ApplyChangesParams) { p.Events[2].SnapshotTime = time.Time{} })},
		{"NUL in an event's after", "Events[0].After", bad(func(p *store.ApplyChangesParams) { p.Events[0].After = map[string]string{"a": "\x00"} })},
	} {
		_, err := ls.ApplyChanges(e.ctx, tc.p)
		if ipe := wantInvalid(e.t, err, "ApplyChanges", tc.name); ipe != nil && !strings.HasPrefix(ipe.Field, tc.field) {
			e.t.Errorf("ApplyChanges %s: field %q, want %q (%v)", tc.name, ipe.Field, tc.field, err)
		}
	}
	e.unchanged(before, "invalid ApplyChanges")
}

// testLiveAtomic fails a batch at each of its context checks: nothing
// changes (latest state, log, events, state time) until it succeeds.
func testLiveAtomic(e *env) {
	a := e.snapshot("vc-a", t0, 30, 1)
	e.countdown("ApplyChanges", func(st store.Store) {
		mustWrite(e.t, e.ctx, st, a)
		if _, err := st.(store.LiveState).ApplyChanges(e.ctx, liveBatch("vc-a", t0.Add(time.Minute), 1, a.State)); err != nil {
			e.t.Fatalf("ApplyChanges: %v", err)
		}
	}, func(ctx context.Context, st store.Store) error {
		p := liveBatch("vc-a", t0.Add(2*time.Minute), 2, a.State)
		p.Events = Events("vc-a", t0.Add(2*time.Minute), 5, 1)
		p.BatchSize = 3
		_, err := st.(store.LiveState).ApplyChanges(ctx, p)
		return err
	})
}

// testLiveSnapshotAfter: an hourly snapshot stamped before the live state
// keeps the live rows; a later one replaces them (and the log stays).
func testLiveSnapshotAfter(e *env) {
	a := e.snapshot("vc-a", t0, 8, 1)
	e.write(a)
	at := t0.Add(30 * time.Minute)
	p := liveBatch("vc-a", at, 1, a.State)
	e.apply(p)
	want := e.n.state(a)
	e.n.modelApply(&want, at, p.Changes)
	older := e.snapshot("vc-a", t0.Add(20*time.Minute), 8, 3)
	if res := e.write(older); res.StateReplaced {
		e.t.Errorf("WriteSnapshot older than the live state: StateReplaced, want the live rows kept")
	}
	e.wantState("after a snapshot older than the live state", want)
	got, err := e.st.StateTime(e.ctx, "vc-a")
	e.ok(err, "StateTime")
	checkEq(e.t, "StateTime after an older snapshot", e.n.t(at), got)
	// An older live batch leaves the state time alone but applies.
	p2 := liveBatch("vc-a", t0.Add(25*time.Minute), 2, a.State)
	res := e.apply(p2)
	checkEq(e.t, "ApplyChanges(older).StateTime", e.n.t(at), res.StateTime)
	e.n.modelApply(&want, t0.Add(25*time.Minute), p2.Changes)
	e.wantState("after an older live batch", want)
	newer := e.snapshot("vc-a", t0.Add(time.Hour), 8, 4)
	if res := e.write(newer); !res.StateReplaced {
		e.t.Errorf("WriteSnapshot newer than the live state: state not replaced")
	}
	e.wantState("after a snapshot newer than the live state", e.n.state(newer))
	log, _ := e.changes(store.ListChangesParams{})
	checkEq(e.t, "ListChanges after the snapshots", len(p.Changes)+len(p2.Changes), len(log))
}
