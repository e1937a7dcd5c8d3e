package vcsim_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// TestNewSimCounts checks that a fresh ContainerView retrieval finds the
// number of objects of each kind the Options ask for.
func TestNewSimCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opts := vcsim.Options{
		Datacenters:           2,
		ClustersPerDatacenter: 2,
		HostsPerCluster:       2,
		StandaloneHosts:       1,
		VMs:                   30,
		Templates:             3,
		Datastores:            3,
		Networks:              3,
		DistributedPortGroups: 2,
		Pools:                 []string{"Tin", "Gold"},
		Seed:                  7,
	}
	s := capturetest.NewSim(t, opts)
	c := s.Client.Client

	// Computed by hand from opts, not from the package, so the test can
	// disagree with it.
	want := map[string]int{
		"Datacenter":             2,
		"ClusterComputeResource": 2 * 2,
		"HostSystem":             2 * (2*2 + 1),
		"Datastore":              2 * 3,
		"Network":                2 * (3 + 2 + 1), // standard, DVPGs, uplink port group
		"ResourcePool":           2*(2+1) + 2*2*2, // root pools + Tin/Gold per cluster
		"VirtualMachine":         30 + 3,
	}
	for kind, n := range want {
		if got := countKind(ctx, t, c, kind); got != n {
			t.Errorf("%s: view has %d, want %d", kind, got, n)
		}
	}

	e := s.Expected()
	got := map[string]int{
		"Datacenter": e.Datacenters, "ClusterComputeResource": e.Clusters, "HostSystem": e.Hosts,
		"Datastore": e.Datastores, "Network": e.Networks, "ResourcePool": e.ResourcePools, "VirtualMachine": e.VMs,
	}
	for kind, n := range want {
		if got[kind] != n {
			t.Errorf("Expected().%s = %d, want %d", kind, got[kind], n)
		}
	}
	if e.Templates != 3 || e.StandardNetworks != 6 || e.DistributedPortGroups != 6 {
		t.Errorf("Expected() = %+v", e)
	}
	if n := len(s.Hosts()); n != 10 {
		t.Errorf("Hosts() has %d hosts, want 10", n)
	}
	if n := len(s.Pools()); n != want["ResourcePool"] {
		t.Errorf("Pools() has %d pools, want %d", n, want["ResourcePool"])
	}
	if n := len(s.VMs()); n != 33 {
		t.Errorf("VMs() has %d VMs, want 33", n)
	}
}

// TestInventoryShape checks the generated VMs look like a real estate and
// that the host and pool vm lists agree with the VMs' own placement.
func TestInventoryShape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 120, Templates: 3, StandaloneHosts: 1, Seed: 42})
	c := s.Client.Client
	vms := retrieveVMs(ctx, t, c)
	if len(vms) != 123 {
		t.Fatalf("got %d VMs, want 123", len(vms))
	}

	var pools []mo.ResourcePool
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "ResourcePool", []string{"name", "owner"}, &pools)
	poolName := map[string]string{}
	poolOwner := map[string]string{}
	for _, p := range pools {
		poolName[p.Self.Value] = p.Name
		poolOwner[p.Self.Value] = p.Owner.Value
	}
	var hosts []mo.HostSystem
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "HostSystem", []string{"parent"}, &hosts)
	hostOwner := map[string]string{}
	for _, h := range hosts {
		hostOwner[h.Self.Value] = h.Parent.Value
	}

	nameRE := regexp.MustCompile(`^[a-z]{3}-[a-z0-9]+-\d{5}$`)
	power := map[types.VirtualMachinePowerState]int{}
	byPool := map[string]int{}
	cpus := map[int32]bool{}
	noDate, templates, withIP := 0, 0, 0
	names := map[string]bool{}
	for _, vm := range vms {
		if names[vm.Name] {
			t.Errorf("duplicate name %s", vm.Name)
		}
		names[vm.Name] = true
		if vm.Name != vm.ConfigName {
			t.Errorf("%s: config.name %q", vm.Name, vm.ConfigName)
		}
		if vm.CPU < 1 || vm.CPU > 16 || vm.MemoryMB < 1024 || vm.MemoryMB > 64*1024 {
			t.Errorf("%s: %d vCPU, %d MB", vm.Name, vm.CPU, vm.MemoryMB)
		}
		cpus[vm.CPU] = true
		if vm.CreateDate == nil {
			noDate++
		} else if vm.CreateDate.Year() < 2021 || vm.CreateDate.Year() > 2025 {
			t.Errorf("%s: createDate %v", vm.Name, vm.CreateDate)
		}
		if vm.Template {
			templates++
			if !strings.HasPrefix(vm.Name, "tpl-") || vm.Pool != "" || vm.Power != types.VirtualMachinePowerStatePoweredOff {
				t.Errorf("template %+v", vm)
			}
			continue
		}
		if !nameRE.MatchString(vm.Name) {
			t.Errorf("name %q does not look like app-web-00123", vm.Name)
		}
		power[vm.Power]++
		byPool[poolName[vm.Pool]]++
		if poolOwner[vm.Pool] != hostOwner[vm.Host] {
			t.Errorf("%s: pool %s (owner %s) and host %s (owner %s) disagree", vm.Name, vm.Pool, poolOwner[vm.Pool], vm.Host, hostOwner[vm.Host])
		}
		if vm.IP != "" {
			withIP++
			if vm.Power != types.VirtualMachinePowerStatePoweredOn {
				t.Errorf("%s is %s but has IP %s", vm.Name, vm.Power, vm.IP)
			}
		}
	}
	if templates != 3 {
		t.Errorf("%d templates, want 3", templates)
	}
	for _, st := range []types.VirtualMachinePowerState{"poweredOn", "poweredOff", "suspended"} {
		if power[st] == 0 {
			t.Errorf("no %s VM: %v", st, power)
		}
	}
	if power["poweredOn"] <= power["poweredOff"] {
		t.Errorf("expected mostly powered-on VMs: %v", power)
	}
	for _, p := range []string{"Tin", "Bronze", "Silver", "Gold", "Resources"} {
		if byPool[p] == 0 {
			t.Errorf("no VM in pool %s: %v", p, byPool)
		}
	}
	if len(cpus) < 4 {
		t.Errorf("vCPU counts not varied: %v", cpus)
	}
	if noDate == 0 || noDate > len(vms)/3 {
		t.Errorf("%d VMs without createDate, want a few", noDate)
	}
	if withIP == 0 {
		t.Error("no VM has a guest IP")
	}

	// Every VM is listed in Network.vm of exactly its own networks, and a
	// datacenter's networks are on all its hosts.
	var vmNets []mo.VirtualMachine
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "VirtualMachine", []string{"network"}, &vmNets)
	var nets []mo.Network
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "Network", []string{"name", "vm", "host"}, &nets)
	netLists := map[string][]string{}
	for _, n := range nets {
		netLists[n.Self.Value] = refValues(n.Vm)
		if len(n.Host) != len(hosts) {
			t.Errorf("network %s is on %d hosts, want %d", n.Name, len(n.Host), len(hosts))
		}
	}
	attached := 0
	for _, vm := range vmNets {
		if got, want := listedUnder(netLists, vm.Self.Value), refValues(vm.Network); !equal(got, want) {
			t.Errorf("%s on networks %v is listed under %v", vm.Self.Value, want, got)
		}
		attached += len(vm.Network)
	}
	if attached < len(vms) {
		t.Errorf("%d NICs for %d VMs", attached, len(vms))
	}

	// Every VM is listed under exactly its own host and its own pool.
	hostLists, poolLists := hostVMLists(ctx, t, c), poolVMLists(ctx, t, c)
	for _, vm := range vms {
		if got := listedUnder(hostLists, vm.Ref); len(got) != 1 || got[0] != vm.Host {
			t.Errorf("%s (host %s) listed under hosts %v", vm.Name, vm.Host, got)
		}
		want := []string{vm.Pool}
		if vm.Template {
			want = nil
		}
		if got := listedUnder(poolLists, vm.Ref); !equal(got, want) {
			t.Errorf("%s (pool %q) listed under pools %v", vm.Name, vm.Pool, got)
		}
	}
}

// TestDeterministic checks that a Seed fixes the generated inventory.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shape := func(seed int64) map[string]string {
		s := capturetest.NewSim(t, vcsim.Options{VMs: 25, Seed: seed})
		hostName := map[string]string{}
		for n, ref := range s.Hosts() {
			hostName[ref] = n
		}
		poolName := map[string]string{}
		for n, ref := range s.Pools() {
			poolName[ref] = n
		}
		out := map[string]string{}
		for _, vm := range retrieveVMs(ctx, t, s.Client.Client) {
			date := "-"
			if vm.CreateDate != nil {
				date = vm.CreateDate.UTC().String()
			}
			out[vm.Name] = fmt.Sprintf("%s|%s|%s|%d|%d|%s|%s", hostName[vm.Host], poolName[vm.Pool], vm.Power,
				vm.CPU, vm.MemoryMB, date, vm.IP)
		}
		return out
	}
	a, b, other := shape(3), shape(3), shape(4)
	if len(a) != 27 {
		t.Fatalf("got %d VMs", len(a))
	}
	for name, v := range a {
		if b[name] != v {
			t.Errorf("seed 3 twice: %s = %q then %q", name, v, b[name])
		}
	}
	same := 0
	for name, v := range a {
		if other[name] == v {
			same++
		}
	}
	if same == len(a) {
		t.Error("seeds 3 and 4 gave the same inventory")
	}
}

// TestESX checks the standalone ESXi model.
func TestESX(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{ESX: true, VMs: 10, Templates: 1})
	c := s.Client.Client
	if c.IsVC() {
		t.Fatal("ESX sim reports vCenter")
	}
	want := map[string]int{
		"Datacenter": 1, "ClusterComputeResource": 0, "HostSystem": 1, "Datastore": 2,
		"Network": 2, "ResourcePool": 1 + 4, "VirtualMachine": 11,
	}
	for kind, n := range want {
		if got := countKind(ctx, t, c, kind); got != n {
			t.Errorf("%s: view has %d, want %d", kind, got, n)
		}
	}
	if e := s.Expected(); e.Hosts != 1 || e.ResourcePools != 5 || e.VMs != 11 || e.Networks != 2 {
		t.Errorf("Expected() = %+v", e)
	}
	if err := s.SetCustomValue(ctx, s.VMRefs()[0], "owner", "x"); !errors.Is(err, vcsim.ErrNotSupported) {
		t.Errorf("SetCustomValue on ESX: %v", err)
	}
	if _, err := s.CreateVM(ctx, vcsim.VMSpec{Name: "esx-new", Pool: "Gold", PowerOn: true}); err != nil {
		t.Fatal(err)
	}
	if got := countKind(ctx, t, c, "VirtualMachine"); got != 12 {
		t.Errorf("after CreateVM: %d VMs", got)
	}
}

// TestTLS checks that the certificate can be trusted by CA or pinned by
// thumbprint, and that an untrusted connection fails.
func TestTLS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: -1, Templates: -1})
	other := capturetest.NewSim(t, vcsim.Options{VMs: -1, Templates: -1})
	if s.Thumbprint() == other.Thumbprint() {
		t.Error("two Sims share a certificate")
	}
	if s.Thumbprint() != soap.ThumbprintSHA1(s.Server.Certificate()) {
		t.Error("Thumbprint does not match the served certificate")
	}
	if !strings.HasPrefix(string(s.CertificatePEM()), "-----BEGIN CERTIFICATE-----") {
		t.Error("CertificatePEM is not PEM")
	}
	u := *s.URL
	connect := func(setup func(*soap.Client)) error {
		sc := soap.NewClient(&u, false)
		setup(sc)
		_, err := vim25.NewClient(ctx, sc)
		return err
	}

	if err := connect(func(*soap.Client) {}); err == nil {
		t.Error("untrusted certificate accepted")
	}
	if err := connect(func(sc *soap.Client) { sc.SetThumbprint(s.Addr(), s.Thumbprint()) }); err != nil {
		t.Errorf("SHA-1 thumbprint pinning: %v", err)
	}
	if err := connect(func(sc *soap.Client) { sc.SetThumbprint(s.Addr(), s.ThumbprintSHA256()) }); err != nil {
		t.Errorf("SHA-256 thumbprint pinning: %v", err)
	}
	if err := connect(func(sc *soap.Client) { sc.SetThumbprint(s.Addr(), other.Thumbprint()) }); err == nil {
		t.Error("wrong thumbprint accepted")
	}
	if err := connect(func(sc *soap.Client) { sc.DefaultTransport().TLSClientConfig = &tls.Config{RootCAs: s.CertPool()} }); err != nil {
		t.Errorf("CA pool: %v", err)
	}

	// Credentials are checked.
	bad := *s.URL
	bad.User = url.UserPassword(s.Username, "wrong")
	sc := soap.NewClient(&bad, false)
	sc.SetThumbprint(s.Addr(), s.Thumbprint())
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := loginErr(ctx, vc, bad.User); err == nil {
		t.Error("wrong password accepted")
	}
	if err := loginErr(ctx, vc, s.URL.User); err != nil {
		t.Errorf("login: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func loginErr(ctx context.Context, c *vim25.Client, u *url.Userinfo) error {
	return session.NewManager(c).Login(ctx, u)
}

// TestDeterministicMorefs: with one build worker, the same seed gives every
// VM the same moref (vcsim numbers objects in creation order), which a
// simulator rebuilt to continue a stored history needs.
func TestDeterministicMorefs(t *testing.T) {
	t.Parallel()
	build := func() map[string]string {
		return capturetest.NewSim(t, vcsim.Options{VMs: 40, Seed: 5, Workers: 1}).VMs()
	}
	a, b := build(), build()
	if len(a) != 42 {
		t.Fatalf("got %d VMs", len(a))
	}
	for name, ref := range a {
		if b[name] != ref {
			t.Errorf("%s is %s in one build and %s in the other", name, ref, b[name])
		}
	}
}

// TestDatastoreFill: the datastores are sized so their VMs' disks fill the
// fraction asked for, and free space is what vcsim's own accounting left.
func TestDatastoreFill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 60, Datastores: 2, DatastoreFill: 0.6})
	dss := datastores(ctx, t, s)
	if len(dss) != 2 {
		t.Fatalf("%d datastores", len(dss))
	}
	for _, ds := range dss {
		sum := ds.Summary
		used := sum.Capacity - sum.FreeSpace
		if len(ds.Vm) == 0 || sum.FreeSpace <= 0 || used <= 0 {
			t.Errorf("%s: %d VMs, capacity %d, free %d", sum.Name, len(ds.Vm), sum.Capacity, sum.FreeSpace)
			continue
		}
		if f := float64(used) / float64(sum.Capacity); f > 0.6 || f < 0.59 {
			t.Errorf("%s: disks fill %.4f of it, want 0.6 (capacity rounded up to a GiB)", sum.Name, f)
		}
	}
	if _, err := vcsim.Start(ctx, vcsim.Options{DatastoreFill: 1.5}); err == nil || !strings.Contains(err.Error(), "DatastoreFill") {
		t.Errorf("DatastoreFill 1.5: %v, want an error naming it", err)
	}
}

// TestDestroyFreesDisks: creating a VM takes its disks' space from the
// datastore and destroying it gives the space back, so churn keeps free
// space plausible.
func TestDestroyFreesDisks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, DatastoreFill: 0.5})
	free := func() int64 {
		for _, ds := range datastores(ctx, t, s) {
			if ds.Summary.Name == "LocalDS_1" {
				return ds.Summary.FreeSpace
			}
		}
		t.Fatal("no LocalDS_1")
		return 0
	}
	before := free()
	if _, err := s.CreateVM(ctx, vcsim.VMSpec{Name: "big", DiskGB: 50, Datastore: "LocalDS_1"}); err != nil {
		t.Fatal(err)
	}
	if got := before - free(); got != 50<<30 {
		t.Errorf("creating a 50 GiB disk took %d bytes", got)
	}
	if err := s.DestroyVM(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	if got := free(); got != before {
		t.Errorf("free space after destroy = %d, want %d as before the VM", got, before)
	}
}

func datastores(ctx context.Context, t *testing.T, s *vcsim.Sim) []mo.Datastore {
	t.Helper()
	var dss []mo.Datastore
	v, err := view.NewManager(s.Client.Client).CreateContainerView(ctx, s.Client.Client.ServiceContent.RootFolder, []string{"Datastore"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Destroy(ctx)
	if err := v.Retrieve(ctx, []string{"Datastore"}, []string{"summary", "vm"}, &dss); err != nil {
		t.Fatal(err)
	}
	return dss
}
