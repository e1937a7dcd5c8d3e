package vsphere_test

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// simCounts counts the objects the simulator holds, straight from its
// registry.
func simCounts(sim *vcsim.Sim) inventory.ObjectCounts {
	n := func(kinds ...string) int {
		total := 0
		for _, k := range kinds {
			total += len(sim.Model.Map().AllReference(k))
		}
		return total
	}
	return inventory.ObjectCounts{
		VMs:           n("VirtualMachine"),
		Hosts:         n("HostSystem"),
		Clusters:      n("ClusterComputeResource"),
		Datastores:    n("Datastore"),
		Networks:      n("Network", "DistributedVirtualPortgroup", "OpaqueNetwork"),
		ResourcePools: n("ResourcePool", "VirtualApp"),
	}
}

// direct reads the fields of one VM with plain per-object property reads
// (the slow way), as the reference the bulk retrieval must equal.
func direct(t *testing.T, c *vim25.Client, id string) inventory.VM {
	t.Helper()
	ctx := context.Background()
	pc := property.DefaultCollector(c)
	one := func(ref types.ManagedObjectReference, props []string, dst any) {
		t.Helper()
		if err := pc.RetrieveOne(ctx, ref, props, dst); err != nil {
			t.Fatalf("read %s: %v", ref, err)
		}
	}
	var vm mo.VirtualMachine
	one(types.ManagedObjectReference{Type: "VirtualMachine", Value: id},
		[]string{"name", "config", "runtime", "resourcePool", "datastore", "network", "summary", "guest", "parent"}, &vm)
	out := inventory.VM{
		ID:         id,
		Name:       vm.Name,
		UUID:       cmp.Or(vm.Config.InstanceUuid, vm.Config.Uuid),
		PowerState: inventory.PowerState(string(vm.Runtime.PowerState)),
		IsTemplate: vm.Config.Template,
		VCPUCount:  int(vm.Config.Hardware.NumCPU),
		RAMMB:      int64(vm.Config.Hardware.MemoryMB),
		GuestOS:    cmp.Or(vm.Config.GuestFullName, vm.Config.GuestId),
		IPAddress:  vm.Guest.IpAddress,
	}
	if vm.Config.CreateDate != nil {
		out.CreationTime = vm.Config.CreateDate.UTC()
	}
	// SEMANTICS §1: provisioned = Σ virtual disk capacities, used =
	// committed storage.
	var disks int64
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			disks += disk.CapacityInBytes
		}
	}
	out.ProvisionedDiskGB = float64(disks) / (1 << 30)
	if st := vm.Summary.Storage; st != nil {
		out.UsedDiskGB = float64(st.Committed) / (1 << 30)
	}
	for _, d := range vm.Datastore {
		out.DatastoreIDs = append(out.DatastoreIDs, d.Value)
	}
	for _, n := range vm.Network {
		out.NetworkIDs = append(out.NetworkIDs, n.Value)
	}
	slices.Sort(out.DatastoreIDs)
	slices.Sort(out.NetworkIDs)
	if h := vm.Runtime.Host; h != nil {
		var host mo.HostSystem
		one(*h, []string{"name", "parent"}, &host)
		out.Host, out.HostID = host.Name, h.Value
		if host.Parent.Type == "ClusterComputeResource" {
			var cl mo.ClusterComputeResource
			one(*host.Parent, []string{"name"}, &cl)
			out.Cluster = cl.Name
		}
	}
	if p := vm.ResourcePool; p != nil {
		// The full inventory path, up to (not including) the root folder.
		out.ResourcePoolID = p.Value
		var path []string
		for ref := p; ref != nil; {
			var e mo.ManagedEntity
			one(*ref, []string{"name", "parent"}, &e)
			if e.Parent == nil {
				break
			}
			path = append([]string{e.Name}, path...)
			ref = e.Parent
		}
		out.ResourcePool = "/" + strings.Join(path, "/")
	}
	var folders []string
	for ref := vm.Parent; ref != nil; {
		var e mo.ManagedEntity
		one(*ref, []string{"name", "parent"}, &e)
		if e.Parent == nil {
			break // the root folder
		}
		if ref.Type == "Datacenter" {
			out.Datacenter = e.Name
		}
		folders = append([]string{e.Name}, folders...)
		ref = e.Parent
	}
	out.Folder = "/" + strings.Join(folders, "/")
	return out
}

// comparable keeps the fields direct fills, id lists sorted as direct
// sorts them.
func comparable(v inventory.VM) inventory.VM {
	v.Vcenter, v.SnapshotTime, v.Attributes = "", time.Time{}, nil
	v.DatastoreIDs = slices.Sorted(slices.Values(v.DatastoreIDs))
	v.NetworkIDs = slices.Sorted(slices.Values(v.NetworkIDs))
	return v
}

func TestRetrieveMatchesSimulator(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{StandaloneHosts: 1, VMs: 30})
	src, _ := open(t, sim, vsphere.Options{})
	ctx := context.Background()

	st, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Counts(), simCounts(sim); got != want {
		t.Fatalf("counts = %+v, simulator holds %+v", got, want)
	}
	exp := sim.Expected()
	if got := st.Counts(); got.VMs != exp.VMs || got.Hosts != exp.Hosts || got.Clusters != exp.Clusters || got.Networks != exp.Networks || got.ResourcePools != exp.ResourcePools {
		t.Errorf("counts = %+v, capturetest expects %+v", got, exp)
	}

	// Spot-check VMs (first, middle, last, and a template) against direct
	// per-object reads.
	picks := []int{0, len(st.VMs) / 3, 2 * len(st.VMs) / 3, len(st.VMs) - 1}
	if i := slices.IndexFunc(st.VMs, func(v inventory.VM) bool { return v.IsTemplate }); i >= 0 {
		picks = append(picks, i)
	} else {
		t.Error("no template retrieved")
	}
	standalone := false
	for _, v := range st.VMs {
		if v.Vcenter != "vc1" || !v.SnapshotTime.Equal(fixedNow) {
			t.Fatalf("%s: vcenter %q snapshot %v", v.ID, v.Vcenter, v.SnapshotTime)
		}
		if v.Cluster == "" && v.Host != "" {
			standalone = true
			picks = append(picks, slices.IndexFunc(st.VMs, func(x inventory.VM) bool { return x.ID == v.ID }))
			break
		}
	}
	if !standalone {
		t.Error("no VM on the standalone host")
	}
	for _, i := range picks {
		got := comparable(st.VMs[i])
		want := direct(t, sim.Client.Client, got.ID)
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("VM %s differs from a direct read (-direct +retrieved):\n%s", got.ID, diff)
		}
	}

	vcenters := map[string]bool{}
	for _, h := range st.Hosts {
		vcenters[h.Vcenter] = h.SnapshotTime.Equal(fixedNow)
	}
	for _, c := range st.Clusters {
		vcenters[c.Vcenter] = c.SnapshotTime.Equal(fixedNow)
	}
	for _, d := range st.Datastores {
		vcenters[d.Vcenter] = d.SnapshotTime.Equal(fixedNow)
	}
	for _, n := range st.Networks {
		vcenters[n.Vcenter] = n.SnapshotTime.Equal(fixedNow)
	}
	for _, p := range st.ResourcePools {
		vcenters[p.Vcenter] = p.SnapshotTime.Equal(fixedNow)
	}
	if len(vcenters) != 1 || !vcenters["vc1"] {
		t.Errorf("objects carry vcenter/snapshot %v, want only vc1 at the clock's time", vcenters)
	}

	// Other kinds: every reference resolves, and a few fields by hand.
	hostByID := map[string]inventory.Host{}
	for _, h := range st.Hosts {
		hostByID[h.ID] = h
		if h.Datacenter != "DC0" || h.CPUMhz == 0 || h.MemoryMB == 0 || h.Version == "" || h.ConnectionState != "connected" {
			t.Errorf("host %+v incomplete", h)
		}
	}
	for _, v := range st.VMs {
		if h, ok := hostByID[v.HostID]; !ok || h.Name != v.Host || h.Cluster != v.Cluster {
			t.Errorf("VM %s: host %s/%s cluster %q does not match the host list", v.ID, v.HostID, v.Host, v.Cluster)
		}
		if !v.IsTemplate && !strings.HasPrefix(v.ResourcePool, "/DC0/host/") {
			t.Errorf("VM %s: pool %q", v.ID, v.ResourcePool)
		}
		if v.Folder != "/DC0/vm" || v.Datacenter != "DC0" {
			t.Errorf("VM %s: folder %q datacenter %q", v.ID, v.Folder, v.Datacenter)
		}
	}
	var c0 mo.ClusterComputeResource
	cl := st.Clusters[0]
	if err := property.DefaultCollector(sim.Client.Client).RetrieveOne(ctx, types.ManagedObjectReference{Type: "ClusterComputeResource", Value: cl.ID}, []string{"name", "host", "summary"}, &c0); err != nil {
		t.Fatal(err)
	}
	sum := c0.Summary.GetComputeResourceSummary()
	if cl.Name != c0.Name || cl.NumHosts != len(c0.Host) || cl.TotalCPUMhz != int64(sum.TotalCpu) || cl.TotalMemoryMB != sum.TotalMemory>>20 || !cl.DRSEnabled {
		t.Errorf("cluster %+v vs simulator %s hosts=%d summary=%+v", cl, c0.Name, len(c0.Host), sum)
	}
	for _, d := range st.Datastores {
		if d.CapacityGB <= 0 || d.Type == "" || !d.Accessible || len(d.HostIDs) != exp.Hosts {
			t.Errorf("datastore %+v", d)
		}
	}
	kinds := map[string]int{}
	for _, n := range st.Networks {
		kinds[n.Kind]++
		if n.Kind == inventory.NetworkDistributed && (n.Switch == "" || n.VLAN == "") {
			t.Errorf("distributed port group %+v lacks switch or VLAN", n)
		}
	}
	if kinds[inventory.NetworkStandard] != exp.StandardNetworks || kinds[inventory.NetworkDistributed] != exp.DistributedPortGroups {
		t.Errorf("network kinds %v, want %d standard %d distributed", kinds, exp.StandardNetworks, exp.DistributedPortGroups)
	}
	roots := 0
	pathOf := map[string]string{}
	for _, p := range st.ResourcePools {
		pathOf[p.ID] = p.Path
	}
	for _, p := range st.ResourcePools {
		// Full inventory paths: /DC0/host/<compute resource>/Resources/...
		if p.Name == "Resources" {
			roots++
			if p.ParentID != "" || !strings.HasPrefix(p.Path, "/DC0/host/") || !strings.HasSuffix(p.Path, "/Resources") {
				t.Errorf("root pool %+v", p)
			}
			continue
		}
		if p.ParentID == "" || p.Path != pathOf[p.ParentID]+"/"+p.Name {
			t.Errorf("pool %+v", p)
		}
	}
	if roots != exp.Clusters+1 {
		t.Errorf("%d root pools, want one per compute resource (%d)", roots, exp.Clusters+1)
	}
}

func TestRetrievePaging(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 40, Templates: -1})
	ctx := context.Background()

	big, _ := open(t, sim, vsphere.Options{})
	want, err := big.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	small, _ := open(t, sim, vsphere.Options{PageSize: 7, Concurrency: 1})
	continued := sim.InjectSlowCalls("ContinueRetrievePropertiesEx", 0) // counts calls
	got, err := small.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 40 VMs in pages of 7 alone need 5 continuations.
	if n := continued.Seen(); n < 5 {
		t.Fatalf("PageSize 7 made %d ContinueRetrievePropertiesEx calls, want at least 5", n)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("paged retrieval differs (-page 1000 +page 7):\n%s", diff)
	}
}

func TestRetrieveAttributes(t *testing.T) {
	t.Parallel()
	// capturetest's servers do not serve the REST API, so this test runs
	// its own vcsim with the registered endpoints (vapi/simulator).
	sim := rawVPX(t)
	ctx := context.Background()
	c := sim.client(t)
	vms, err := find.NewFinder(c.Client).VirtualMachineList(ctx, "*")
	if err != nil || len(vms) < 2 {
		t.Fatalf("VMs: %d, %v", len(vms), err)
	}
	vm := vms[0].Reference().Value
	ref := vms[0].Reference()
	cfm, err := object.GetCustomFieldsManager(c.Client)
	if err != nil {
		t.Fatal(err)
	}
	def, err := cfm.Add(ctx, "Owner", "VirtualMachine", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfm.Set(ctx, ref, def.Key, "alice"); err != nil {
		t.Fatal(err)
	}
	rc := rest.NewClient(c.Client)
	if err := rc.Login(ctx, url.UserPassword("user", "pass")); err != nil {
		t.Fatal(err)
	}
	tm := tags.NewManager(rc)
	for cat, names := range map[string][]string{"env": {"prod"}, "team": {"web", "db"}} {
		cid, err := tm.CreateCategory(ctx, &tags.Category{Name: cat, Cardinality: "MULTIPLE", AssociableTypes: []string{"VirtualMachine"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			tid, err := tm.CreateTag(ctx, &tags.Tag{Name: name, CategoryID: cid})
			if err != nil {
				t.Fatal(err)
			}
			if err := tm.AttachTag(ctx, tid, ref); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A tag on a host only must not show up on VMs.
	cid, _ := tm.CreateCategory(ctx, &tags.Category{Name: "rack", AssociableTypes: []string{"HostSystem"}})
	tid, _ := tm.CreateTag(ctx, &tags.Tag{Name: "r1", CategoryID: cid})
	hosts, _ := find.NewFinder(c.Client).HostSystemList(ctx, "*/*")
	if err := tm.AttachTag(ctx, tid, hosts[0].Reference()); err != nil {
		t.Fatal(err)
	}

	l := &logins{password: "pass"}
	src, err := vsphere.New(ctx, sim.endpoint(), vsphere.Options{Credentials: l.creds, ExtraVMProperties: []string{"summary.config.numCpu", "config.version"}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	st, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range st.VMs {
		want := map[string]string{"prop:summary.config.numCpu": strconv.Itoa(v.VCPUCount), "prop:config.version": "vmx-13"}
		if v.ID == vm {
			want["Owner"] = "alice"
			want["tag:env"] = "prod"
			want["tag:team"] = "db, web"
		}
		if diff := gocmp.Diff(want, v.Attributes); diff != "" {
			t.Errorf("VM %s attributes (-want +got):\n%s", v.ID, diff)
		}
	}

	// Without tags, only custom attributes and extra properties remain.
	notags, err := vsphere.New(ctx, sim.endpoint(), vsphere.Options{Credentials: l.creds, DisableTags: true})
	if err != nil {
		t.Fatal(err)
	}
	defer notags.Close(ctx)
	st, err = notags.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range st.VMs {
		if v.ID == vm && (len(v.Attributes) != 1 || v.Attributes["Owner"] != "alice") {
			t.Errorf("VM %s attributes without tags = %v", v.ID, v.Attributes)
		}
	}
}

func TestRetrieveESX(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{ESX: true, VMs: 6})
	ep := endpoint(sim)
	ep.Kind = inventory.KindESXi
	l := &logins{password: sim.Password}
	src, err := vsphere.New(context.Background(), ep, vsphere.Options{Credentials: l.creds})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	st, err := src.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Counts(), simCounts(sim); got != want {
		t.Fatalf("counts = %+v, simulator holds %+v", got, want)
	}
	if len(st.Clusters) != 0 || len(st.Hosts) != 1 {
		t.Fatalf("ESX: %d clusters, %d hosts", len(st.Clusters), len(st.Hosts))
	}
	h := st.Hosts[0]
	if h.Cluster != "" || h.ClusterID != "" || h.Datacenter != "ha-datacenter" {
		t.Errorf("host %+v", h)
	}
	for _, v := range st.VMs {
		if v.Host != h.Name || v.Cluster != "" || v.Datacenter != "ha-datacenter" || v.Folder != "/ha-datacenter/vm" {
			t.Errorf("VM %+v", v)
		}
		if !v.IsTemplate && !strings.HasPrefix(v.ResourcePool, "/ha-datacenter/host/") {
			t.Errorf("VM %s pool %q", v.ID, v.ResourcePool)
		}
		want := direct(t, sim.Client.Client, v.ID)
		if diff := gocmp.Diff(want, comparable(v)); diff != "" {
			t.Errorf("VM %s (-direct +retrieved):\n%s", v.ID, diff)
		}
	}
	for _, p := range st.ResourcePools {
		if p.Cluster != "" || p.Datacenter != "ha-datacenter" {
			t.Errorf("pool %+v", p)
		}
	}
	if _, err := src.Events(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Minute)); err != nil {
		t.Errorf("Events on ESX: %v", err)
	}
}

func TestRetrieveIncomplete(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 6, Templates: -1})
	ctx := context.Background()
	// vcsim reports an unknown property path in each object's missingSet,
	// as vCenter does for properties it cannot read.
	extra := []string{"config.noSuchProperty"}

	reads := sim.InjectSlowCalls("RetrieveProperties", 0) // counts single reads
	src, _ := open(t, sim, vsphere.Options{ExtraVMProperties: extra})
	before := reads.Seen()
	st, err := src.Retrieve(ctx)
	var ie *vsphere.IncompleteError
	if !errors.As(err, &ie) || st != nil {
		t.Fatalf("Retrieve = %v; want an *IncompleteError and no state", err)
	}
	if got, want := ie.IDs(), sim.VMRefs(); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Fatalf("incomplete VMs %v, want %v", got, want)
	}
	if o := ie.Objects[0]; o.Type != "VirtualMachine" || o.Name == "" || len(o.Missing) != 1 || !strings.Contains(o.Missing[0], "config.noSuchProperty: InvalidProperty") {
		t.Fatalf("incomplete object %+v", o)
	}
	if !strings.Contains(err.Error(), ie.Objects[0].ID) || !strings.Contains(err.Error(), "vc1") {
		t.Fatalf("error %q does not name the VMs and endpoint", err)
	}
	if n := reads.Seen() - before; n < len(sim.VMRefs()) {
		t.Fatalf("%d single-object reads, want one per incomplete VM", n)
	}

	// Over MaxRefetch, no single-object reads are tried.
	capped, _ := open(t, sim, vsphere.Options{ExtraVMProperties: extra, MaxRefetch: 2})
	before = reads.Seen()
	if _, err := capped.Retrieve(ctx); !errors.As(err, &ie) || len(ie.Objects) != len(sim.VMRefs()) {
		t.Fatalf("capped Retrieve = %v", err)
	}
	if n := reads.Seen() - before; n > 1 { // the custom attribute definitions
		t.Fatalf("%d single-object reads despite MaxRefetch", n)
	}
}

// TestRetrieveFoldersAndVApps checks nested folders (datacenters and VMs
// inside folders), child pools and vApps against direct reads.
func TestRetrieveFoldersAndVApps(t *testing.T) {
	t.Parallel()
	sim := rawVPX(t, func(m *simulator.Model) {
		m.Folder = 1 // a folder above the datacenter and one in its vm folder
		m.Pool = 1
		m.App = 1
	})
	c := sim.client(t)
	src, err := vsphere.New(context.Background(), sim.endpoint(), vsphere.Options{Credentials: vsphere.Password("pass"), DisableTags: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	st, err := src.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	vapp := false
	for _, v := range st.VMs {
		want := direct(t, c.Client, v.ID)
		if diff := gocmp.Diff(want, comparable(v)); diff != "" {
			t.Errorf("VM %s (-direct +retrieved):\n%s", v.ID, diff)
		}
		if strings.Contains(v.ResourcePool, "APP") {
			vapp = true
		}
		if !strings.HasPrefix(v.Folder, "/F0/DC0/vm") {
			t.Errorf("VM %s folder %q", v.ID, v.Folder)
		}
	}
	if !vapp {
		t.Error("no VM in a vApp")
	}
	if got, want := st.Counts().ResourcePools, len(sim.model.Map().AllReference("ResourcePool"))+len(sim.model.Map().AllReference("VirtualApp")); got != want {
		t.Errorf("%d pools, simulator holds %d", got, want)
	}
}

// TestProvisionedDiskIsDiskCapacity (SEMANTICS §1): provisioned_disk_gb
// is the sum of the VM's virtual disk capacities as the simulator holds
// them, the same powered on and off; used_disk_gb is committed storage.
func TestProvisionedDiskIsDiskCapacity(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 6})
	src, _ := open(t, sim, vsphere.Options{})
	ctx := context.Background()
	read := func() map[string]inventory.VM {
		st, err := src.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]inventory.VM{}
		for _, v := range st.VMs {
			out[v.ID] = v
		}
		return out
	}
	before := read()
	var on string
	for id, v := range before {
		if v.PowerState == "poweredOn" && !v.IsTemplate {
			on = id
			break
		}
	}
	if on == "" {
		t.Fatal("no powered-on VM")
	}
	var vm mo.VirtualMachine
	if err := property.DefaultCollector(sim.Client.Client).RetrieveOne(ctx, types.ManagedObjectReference{Type: "VirtualMachine", Value: on},
		[]string{"config.hardware.device", "summary.storage"}, &vm); err != nil {
		t.Fatal(err)
	}
	var disks int64
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			disks += disk.CapacityInBytes
		}
	}
	if disks == 0 {
		t.Fatal("the simulated VM has no disk")
	}
	if got, want := before[on].ProvisionedDiskGB, float64(disks)/(1<<30); got != want {
		t.Errorf("provisioned = %v GiB, want Σ disk capacities %v GiB (committed+uncommitted is %v)", got, want,
			float64(vm.Summary.Storage.Committed+vm.Summary.Storage.Uncommitted)/(1<<30))
	}
	if got, want := before[on].UsedDiskGB, float64(vm.Summary.Storage.Committed)/(1<<30); got != want {
		t.Errorf("used = %v GiB, want committed %v GiB", got, want)
	}
	if err := sim.PowerOff(ctx, on); err != nil {
		t.Fatal(err)
	}
	if got := read()[on].ProvisionedDiskGB; got != before[on].ProvisionedDiskGB {
		t.Errorf("provisioned after power-off = %v GiB, before %v GiB", got, before[on].ProvisionedDiskGB)
	}
}
