package storetest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func stateTests() []test {
	return []test{
		{"ListVMsFilters", testListVMsFilters},
		{"ListVMsPagination", testListVMsPagination},
		{"GetVM", testGetVM},
		{"ListOtherKinds", testListOtherKinds},
		{"StateTimeNotFound", func(e *env) {
			_, err := e.st.StateTime(e.ctx, "vc-a")
			wantNotFound(e.t, err, "StateTime of an unknown vCenter")
			e.write(e.snapshot("vc-a", t0, 3, 1))
			_, err = e.st.StateTime(e.ctx, "vc-b")
			wantNotFound(e.t, err, "StateTime of an unknown vCenter")
		}},
	}
}

// twoVcenters writes vc-a and vc-b (which share object ids) and returns
// their expected states, concatenated in (vcenter, id) order.
func (e *env) twoVcenters() inventory.State {
	a, b := e.snapshot("vc-a", t0, 40, 1), e.snapshot("vc-b", t0, 25, 2)
	e.write(b)
	e.write(a)
	sa, sb := e.n.state(a), e.n.state(b)
	return inventory.State{
		VMs: append(sa.VMs, sb.VMs...), Hosts: append(sa.Hosts, sb.Hosts...), Clusters: append(sa.Clusters, sb.Clusters...),
		Datastores: append(sa.Datastores, sb.Datastores...), Networks: append(sa.Networks, sb.Networks...),
		ResourcePools: append(sa.ResourcePools, sb.ResourcePools...),
	}
}

func testListVMsFilters(e *env) {
	all := e.twoVcenters()
	ids := map[string]map[string]bool{"host": {"missing": true}, "pool": {"missing": true}, "ds": {"missing": true}, "net": {"missing": true}}
	for _, v := range all.VMs {
		ids["host"][v.HostID] = true
		ids["pool"][v.ResourcePoolID] = true
		for _, d := range v.DatastoreIDs {
			ids["ds"][d] = true
		}
		for _, n := range v.NetworkIDs {
			ids["net"][n] = true
		}
	}
	var cases []store.ListVMsParams
	for _, vc := range []string{"", "vc-a", "vc-b"} {
		cases = append(cases, store.ListVMsParams{Vcenter: vc})
		for _, id := range slices.Sorted(maps.Keys(ids["host"])) {
			cases = append(cases, store.ListVMsParams{Vcenter: vc, HostID: id})
		}
		for _, id := range slices.Sorted(maps.Keys(ids["pool"])) {
			cases = append(cases, store.ListVMsParams{Vcenter: vc, ResourcePoolID: id})
		}
		for _, id := range slices.Sorted(maps.Keys(ids["ds"])) {
			cases = append(cases, store.ListVMsParams{Vcenter: vc, DatastoreID: id})
		}
		for _, id := range slices.Sorted(maps.Keys(ids["net"])) {
			cases = append(cases, store.ListVMsParams{Vcenter: vc, NetworkID: id})
		}
		cases = append(cases,
			store.ListVMsParams{Vcenter: vc, HostID: "host-1", DatastoreID: "datastore-2"},
			store.ListVMsParams{Vcenter: vc, ResourcePoolID: "resgroup-14", NetworkID: "dvportgroup-21"},
			store.ListVMsParams{Vcenter: vc, HostID: "host-2", ResourcePoolID: "resgroup-22", DatastoreID: "datastore-3", NetworkID: "network-11"},
		)
	}
	cases = append(cases, store.ListVMsParams{Vcenter: "vc-missing"})
	nonEmpty := 0
	for _, p := range cases {
		want := filter(all.VMs, func(v inventory.VM) bool {
			return (p.Vcenter == "" || v.Vcenter == p.Vcenter) && (p.HostID == "" || v.HostID == p.HostID) &&
				(p.ResourcePoolID == "" || v.ResourcePoolID == p.ResourcePoolID) &&
				(p.DatastoreID == "" || slices.Contains(v.DatastoreIDs, p.DatastoreID)) &&
				(p.NetworkID == "" || slices.Contains(v.NetworkIDs, p.NetworkID))
		})
		if len(want) > 0 {
			nonEmpty++
		}
		checkList(e.t, fmt.Sprintf("ListVMs%s", describe(p)), want, e.listVMs(p))
		p.Limit = 4
		checkList(e.t, fmt.Sprintf("ListVMs%s read in pages", describe(p)), want, e.listVMs(p))
	}
	if nonEmpty < len(cases)/2 {
		e.t.Fatalf("suite bug: only %d of %d ListVMs filters match anything", nonEmpty, len(cases))
	}
}

func testListVMsPagination(e *env) {
	n := e.n
	var all []inventory.VM
	for _, c := range []struct {
		vc string
		n  int
	}{{"beta", 21}, {"Alpha", 14}, {"_gamma", 7}} {
		p := e.snapshot(c.vc, t0, c.n, int64(c.n))
		e.write(p)
		all = append(all, n.state(p).VMs...)
	}
	slices.SortFunc(all, func(a, b inventory.VM) int {
		if a.Vcenter != b.Vcenter {
			if a.Vcenter < b.Vcenter {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	for _, limit := range []int{1, 5, 7, 42, 43, 1000} {
		p := store.ListVMsParams{Limit: limit}
		var got []inventory.VM
		for page := 0; ; page++ {
			pg, err := e.st.ListVMs(e.ctx, &p)
			e.ok(err, "ListVMs(Limit %d) page %d", limit, page)
			rest := len(all) - len(got)
			wantLen := min(limit, rest)
			if len(pg.VMs) != wantLen {
				e.t.Fatalf("ListVMs(Limit %d) page %d: %d VMs, want %d (%d of %d read so far)", limit, page, len(pg.VMs), wantLen, len(got), len(all))
			}
			got = append(got, pg.VMs...)
			last := len(got) == len(all)
			if last != (pg.NextCursor == "") {
				e.t.Fatalf("ListVMs(Limit %d) page %d: NextCursor %q after %d of %d VMs (want empty exactly on the page holding the last VM)",
					limit, page, pg.NextCursor, len(got), len(all))
			}
			if last {
				break
			}
			p.Cursor = pg.NextCursor
		}
		checkList(e.t, fmt.Sprintf("ListVMs pages of %d, concatenated (byte order of vcenter, vm_id)", limit), all, got)
	}
	_, err := e.st.ListVMs(e.ctx, &store.ListVMsParams{Cursor: "not a cursor!"})
	wantInvalid(e.t, err, "ListVMs", "with a malformed cursor")
}

func testGetVM(e *env) {
	all := e.twoVcenters()
	for _, i := range []int{0, 7, len(all.VMs) - 1} {
		want := all.VMs[i]
		got, err := e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: want.Vcenter, VMID: want.ID})
		e.ok(err, "GetVM(%s, %s)", want.Vcenter, want.ID)
		checkEq(e.t, fmt.Sprintf("GetVM(%s, %s)", want.Vcenter, want.ID), &want, got)
	}
	_, err := e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-a", VMID: "vm-999"})
	wantNotFound(e.t, err, "GetVM of an unknown VM")
	_, err = e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-z", VMID: "vm-1"})
	wantNotFound(e.t, err, "GetVM in an unknown vCenter")
	_, err = e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-b", VMID: "vm-40"}) // exists in vc-a only
	wantNotFound(e.t, err, "GetVM of a VM of another vCenter")
}

func testListOtherKinds(e *env) {
	all := e.twoVcenters()
	if n := len(filter(all.Hosts, func(h inventory.Host) bool { return inIDs([]string{"host-3", "host-1"}, h.ID) })); n < 2 || n == len(all.Hosts) {
		e.t.Fatalf("the fixture's hosts do not exercise the IDs filter (%d of %d match)", n, len(all.Hosts))
	}
	for _, p := range []store.ListHostsParams{{}, {Vcenter: "vc-a"}, {ClusterID: "domain-c1"}, {Vcenter: "vc-b", ClusterID: "domain-c2"}, {ClusterID: "missing"},
		{IDs: []string{"host-3", "host-1", "missing"}}, {Vcenter: "vc-b", IDs: []string{"host-2"}}, {ClusterID: "domain-c1", IDs: []string{"host-1", "host-2"}}} {
		got, err := e.st.ListHosts(e.ctx, &p)
		e.ok(err, "ListHosts%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListHosts%s", describe(p)), filter(all.Hosts, func(h inventory.Host) bool {
			return (p.Vcenter == "" || h.Vcenter == p.Vcenter) && (p.ClusterID == "" || h.ClusterID == p.ClusterID) && inIDs(p.IDs, h.ID)
		}), got)
	}
	for _, p := range []store.ListClustersParams{{}, {Vcenter: "vc-b"}, {Vcenter: "missing"}, {IDs: []string{"domain-c2"}}, {Vcenter: "vc-a", IDs: []string{"domain-c1", "x"}}} {
		got, err := e.st.ListClusters(e.ctx, &p)
		e.ok(err, "ListClusters%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListClusters%s", describe(p)), filter(all.Clusters, func(c inventory.Cluster) bool {
			return (p.Vcenter == "" || c.Vcenter == p.Vcenter) && inIDs(p.IDs, c.ID)
		}), got)
	}
	for _, p := range []store.ListDatastoresParams{{}, {Vcenter: "vc-a"}, {HostID: "host-1"}, {HostID: "host-2"}, {Vcenter: "vc-b", HostID: "host-3"},
		{HostID: "host-4"}, {HostID: "missing"}, {IDs: []string{"datastore-2", "datastore-1"}}, {HostID: "host-1", IDs: []string{"datastore-2"}}} {
		got, err := e.st.ListDatastores(e.ctx, &p)
		e.ok(err, "ListDatastores%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListDatastores%s (HostID: datastores that host mounts)", describe(p)), filter(all.Datastores, func(d inventory.Datastore) bool {
			return (p.Vcenter == "" || d.Vcenter == p.Vcenter) && (p.HostID == "" || slices.Contains(d.HostIDs, p.HostID)) && inIDs(p.IDs, d.ID)
		}), got)
	}
	for _, p := range []store.ListNetworksParams{{}, {Vcenter: "vc-a"}, {Vcenter: "missing"}, {IDs: []string{"network-11", "dvportgroup-21"}}} {
		got, err := e.st.ListNetworks(e.ctx, &p)
		e.ok(err, "ListNetworks%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListNetworks%s", describe(p)), filter(all.Networks, func(x inventory.Network) bool {
			return (p.Vcenter == "" || x.Vcenter == p.Vcenter) && inIDs(p.IDs, x.ID)
		}), got)
	}
	for _, p := range []store.ListResourcePoolsParams{{}, {Vcenter: "vc-b"}, {ClusterID: "domain-c2"}, {Vcenter: "vc-a", ClusterID: "domain-c1"}, {ClusterID: "missing"},
		{IDs: []string{"resgroup-14", "resgroup-22"}}} {
		got, err := e.st.ListResourcePools(e.ctx, &p)
		e.ok(err, "ListResourcePools%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListResourcePools%s", describe(p)), filter(all.ResourcePools, func(x inventory.ResourcePool) bool {
			return (p.Vcenter == "" || x.Vcenter == p.Vcenter) && (p.ClusterID == "" || x.ClusterID == p.ClusterID) && inIDs(p.IDs, x.ID)
		}), got)
	}
}

// inIDs reports whether id passes an IDs filter (empty: every id).
func inIDs(ids []string, id string) bool { return len(ids) == 0 || slices.Contains(ids, id) }
