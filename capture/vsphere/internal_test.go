package vsphere

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
)

// TestRefetch covers the single-object fallback: an object re-read
// completely joins the inventory, one deleted meanwhile is dropped.
func TestRefetch(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 2, Templates: -1})
	ctx := context.Background()
	src := newSimSource(t, sim)

	vmSpecs := src.units()[0].specs
	vm := types.ManagedObjectReference{Type: tVM, Value: sim.VMRefs()[0]}
	gone := types.ManagedObjectReference{Type: tVM, Value: "vm-999999"}
	b := newBatch()
	b.incomplete = []incomplete{
		{obj: vm, specs: vmSpecs, missing: []types.MissingProperty{{Path: "config"}}},
		{obj: gone, specs: vmSpecs},
	}
	if err := src.refetch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(b.vms) != 1 || b.vms[0].ref != vm || b.vms[0].name == "" || b.vms[0].cpu == 0 || len(b.incomplete) != 0 {
		t.Fatalf("after refetch: %d VMs %+v, %d incomplete", len(b.vms), b.vms, len(b.incomplete))
	}
}

func TestCompareID(t *testing.T) {
	ids := []string{"vm-10", "vm-9", "host-2", "vm-100", "datastore-1", "vm-9a", "group-d1"}
	slices.SortFunc(ids, compareID)
	want := []string{"datastore-1", "group-d1", "host-2", "vm-9", "vm-10", "vm-100", "vm-9a"}
	if !slices.Equal(ids, want) {
		t.Fatalf("sorted %v, want %v", ids, want)
	}
}

func TestParseThumbprint(t *testing.T) {
	for _, ok := range []string{
		"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD",
		"aabbccddeeff00112233445566778899aabbccdd",
		"AA BB CC DD EE FF 00 11 22 33 44 55 66 77 88 99 AA BB CC DD",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	} {
		if tp, err := parseThumbprint(ok); err != nil || tp == nil {
			t.Errorf("parseThumbprint(%q) = %v, %v", ok, tp, err)
		}
	}
	for _, bad := range []string{"AA:BB", "zz:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"} {
		if _, err := parseThumbprint(bad); err == nil {
			t.Errorf("parseThumbprint(%q) accepted", bad)
		}
	}
}

func TestVLANAndValues(t *testing.T) {
	for want, v := range map[string]any{
		"100":           &types.VMwareDVSPortSetting{Vlan: &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: 100}},
		"trunk:0-10,20": types.VMwareDVSPortSetting{Vlan: &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{VlanId: []types.NumericRange{{Start: 0, End: 10}, {Start: 20, End: 20}}}},
		"pvlan:7":       &types.VMwareDVSPortSetting{Vlan: &types.VmwareDistributedVirtualSwitchPvlanSpec{PvlanId: 7}},
		"":              &types.DVPortSetting{},
	} {
		if got := vlanOf(v); got != want {
			t.Errorf("vlanOf(%T) = %q, want %q", v, got, want)
		}
	}
	for want, v := range map[string]any{
		"42": int32(42), "true": true, "x": "x", "vm-1": types.ManagedObjectReference{Value: "vm-1"},
		"a,b":       types.ArrayOfManagedObjectReference{ManagedObjectReference: []types.ManagedObjectReference{{Value: "a"}, {Value: "b"}}},
		"poweredOn": types.VirtualMachinePowerStatePoweredOn,
		`["p","q"]`: types.ArrayOfString{String: []string{"p", "q"}},
	} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%#v) = %q, want %q", v, got, want)
		}
	}
}

// TestBuildVAppChild resolves a VM whose parent is a vApp (no folder),
// which vcsim does not produce.
func TestBuildVAppChild(t *testing.T) {
	ref := func(typ, id string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: typ, Value: id}
	}
	root, dc, vmf, hf := ref(tFolder, "group-d1"), ref(tDC, "datacenter-2"), ref(tFolder, "group-v3"), ref(tFolder, "group-h4")
	cl, rp, app := ref(tCluster, "domain-c5"), ref(tPool, "resgroup-6"), ref(tVApp, "resgroup-v7")
	b := newBatch()
	b.nodes[root] = node{typ: tFolder, name: "Datacenters"}
	b.nodes[dc] = node{typ: tDC, name: "DC", parent: root}
	b.nodes[vmf] = node{typ: tFolder, name: "vm", parent: dc}
	b.nodes[hf] = node{typ: tFolder, name: "host", parent: dc}
	b.nodes[cl] = node{typ: tCluster, name: "C1", parent: hf}
	b.crs = []*rawCR{{ref: cl, name: "C1", parent: hf, pool: rp, cluster: true}}
	b.pools = []*rawPool{
		{ref: rp, name: "Resources", parent: cl, owner: cl},
		{ref: app, name: "app", parent: rp, owner: cl, vapp: true, parentFolder: vmf},
	}
	for _, p := range b.pools {
		b.nodes[p.ref] = node{typ: p.ref.Type, name: p.name, parent: p.parent}
	}
	b.vms = []*rawVM{{ref: ref(tVM, "vm-8"), name: "web", parentVApp: app, pool: app, uuid: "u"}}
	s := &Source{ep: inventory.Endpoint{Name: "vc"}}
	st := s.build(b, nil, nil, fixed)
	vm := st.VMs[0]
	if vm.Folder != "/DC/vm/app" || vm.Datacenter != "DC" || vm.Cluster != "C1" || vm.ResourcePool != "/DC/host/C1/Resources/app" || vm.ResourcePoolID != "resgroup-v7" {
		t.Fatalf("vApp child resolved as %+v", vm)
	}
	if len(st.ResourcePools) != 2 || st.ResourcePools[1].ParentID != "resgroup-6" || st.ResourcePools[0].ParentID != "" {
		t.Fatalf("pools %+v", st.ResourcePools)
	}
}

// TestVAppFolderNestedAndCycle: nested vApps each add their name to the
// folder path; a cycle of vApps ends (it once recursed without bound).
func TestVAppFolderNestedAndCycle(t *testing.T) {
	ref := func(typ, id string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: typ, Value: id}
	}
	root, dc, vmf := ref(tFolder, "group-d1"), ref(tDC, "datacenter-2"), ref(tFolder, "group-v3")
	outer, inner := ref(tVApp, "resgroup-v1"), ref(tVApp, "resgroup-v2")
	b := newBatch()
	b.nodes[root] = node{typ: tFolder, name: "Datacenters"}
	b.nodes[dc] = node{typ: tDC, name: "DC", parent: root}
	b.nodes[vmf] = node{typ: tFolder, name: "vm", parent: dc}
	b.pools = []*rawPool{
		{ref: outer, name: "outer", vapp: true, parentFolder: vmf},
		{ref: inner, name: "inner", parent: outer, vapp: true},
	}
	r := newResolver(b)
	if got := r.vappFolder(inner); got != "/DC/vm/outer/inner" {
		t.Errorf("nested vApp folder = %q, want /DC/vm/outer/inner", got)
	}
	a, c := ref(tVApp, "resgroup-v8"), ref(tVApp, "resgroup-v9")
	b.pools = []*rawPool{{ref: a, name: "a", parent: c, vapp: true}, {ref: c, name: "c", parent: a, vapp: true}}
	if got := newResolver(b).vappFolder(a); got != "" {
		t.Errorf("vApp cycle folder = %q, want empty", got)
	}
}

var fixed = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestReadChunks covers the split VM read: every listed VM is read once,
// through several collectors, with the same values as the single-collector
// view read; a VM deleted since the listing is left out, not an error.
func TestReadChunks(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 23, Templates: -1})
	ctx := context.Background()
	u := *sim.URL
	u.User = nil
	ep := inventory.Endpoint{Name: "vc1", URL: u.String(), Username: sim.Username, TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}
	open := func(o Options) *Source {
		o.Credentials = Password(sim.Password)
		src, err := New(ctx, ep, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close(ctx) })
		return src
	}
	single := open(Options{Concurrency: 1})
	want, err := single.collectUnit(ctx, single.units()[0])
	if err != nil {
		t.Fatal(err)
	}
	src := open(Options{Concurrency: 4, PageSize: 5})
	var refs []moref
	for _, v := range sim.VMRefs() {
		refs = append(refs, types.ManagedObjectReference{Type: tVM, Value: v})
	}
	refs = append(refs, types.ManagedObjectReference{Type: tVM, Value: "vm-999999"}) // listed, then deleted
	created := sim.InjectSlowCalls("CreatePropertyCollector", 0)                     // counts calls
	got, err := src.readChunks(ctx, src.units()[0], single.vc.ServiceContent.PropertyCollector, refs)
	if err != nil {
		t.Fatal(err)
	}
	if n := created.Seen(); n != 3 {
		t.Errorf("%d extra property collectors for 24 objects in pages of 5 at concurrency 4, want 3", n)
	}
	if len(got.incomplete) != 0 {
		t.Errorf("incomplete after the split read: %+v", got.incomplete)
	}
	byRef := func(b *batch) map[string]rawVM {
		m := map[string]rawVM{}
		for _, v := range b.vms {
			if _, dup := m[v.ref.Value]; dup {
				t.Errorf("%s read twice", v.ref.Value)
			}
			m[v.ref.Value] = *v
		}
		return m
	}
	w, g := byRef(want), byRef(got)
	if len(w) != 23 || len(g) != 23 {
		t.Fatalf("%d VMs by the view, %d by the split read, want 23 each", len(w), len(g))
	}
	for id, v := range w {
		if gv, ok := g[id]; !ok || !reflect.DeepEqual(gv, v) {
			t.Errorf("%s: split read %+v, view read %+v", id, gv, v)
		}
	}
}

// vcsim leaves a missing object out of a result; vCenter reports it with
// ManagedObjectNotFound in its missingSet, which deleted recognizes (and
// only that: a property fault makes the object incomplete, not deleted).
func TestDeleted(t *testing.T) {
	gone := types.MissingProperty{Path: "", Fault: types.LocalizedMethodFault{Fault: &types.ManagedObjectNotFound{}}}
	prop := types.MissingProperty{Path: "config", Fault: types.LocalizedMethodFault{Fault: &types.SystemError{}}}
	for _, c := range []struct {
		missing []types.MissingProperty
		want    bool
	}{{nil, false}, {[]types.MissingProperty{gone}, true}, {[]types.MissingProperty{prop}, false}, {[]types.MissingProperty{gone, prop}, false}} {
		if got := deleted(types.ObjectContent{MissingSet: c.missing}); got != c.want {
			t.Errorf("deleted(%+v) = %v, want %v", c.missing, got, c.want)
		}
	}
}

// newSimSource opens a Source named vc1 on sim, closed when t ends.
func newSimSource(t *testing.T, sim *vcsim.Sim) *Source {
	t.Helper()
	ctx := context.Background()
	u := *sim.URL
	u.User = nil
	src, err := New(ctx, inventory.Endpoint{Name: "vc1", URL: u.String(), Username: sim.Username, TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}},
		Options{Credentials: Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(context.Background()) })
	return src
}
