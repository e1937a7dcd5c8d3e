package vcsim

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// inventory is the shape of the built simulator, read once from the model
// before the server starts. It never changes afterwards (VMs are looked up
// live), so it needs no lock, except hosts (by name), which RenameHost
// changes under Sim.hostMu.
type inventory struct {
	datacenters []*dcInfo
	computes    []*computeInfo
	hosts       map[string]types.ManagedObjectReference // by name
	pools       []poolInfo
}

type dcInfo struct {
	ref        types.ManagedObjectReference
	name       string
	vmFolder   types.ManagedObjectReference
	datastores []dsInfo
	networks   []netInfo // standard port groups, then distributed ones
	hosts      []types.ManagedObjectReference
}

type dsInfo struct {
	ref  types.ManagedObjectReference
	name string
}

type netInfo struct {
	ref     types.ManagedObjectReference
	name    string
	backing types.BaseVirtualDeviceBackingInfo
}

type computeInfo struct {
	ref   types.ManagedObjectReference
	name  string
	dc    *dcInfo
	hosts []types.ManagedObjectReference
	// pools are the root pool first, then the child pools in Options.Pools
	// order.
	pools []poolInfo
}

type poolInfo struct {
	ref  types.ManagedObjectReference
	name string // "Resources" for a root pool
}

// vmPlan is everything needed to create one VM.
type vmPlan struct {
	name       string
	dc         *dcInfo
	folder     types.ManagedObjectReference
	pool       types.ManagedObjectReference
	host       types.ManagedObjectReference
	ds         dsInfo
	guestID    string
	vcpu       int32
	memoryMB   int64
	disksGB    []int64
	nets       []netInfo
	power      types.VirtualMachinePowerState
	createDate *time.Time
	bootTime   time.Time // when poweredOn
	ip         string
	annotation string
	template   bool
}

// readInventory reads the model's datacenters, compute resources, hosts,
// datastores and networks straight from the registry. It runs before the
// server starts, so nothing else touches the objects.
func (s *Sim) readInventory() *inventory {
	m := s.Model.Map()
	inv := &inventory{hosts: map[string]types.ManagedObjectReference{}}

	name := func(ref types.ManagedObjectReference) string {
		return m.Get(ref).(mo.Entity).Entity().Name
	}
	byName := func(refs []types.ManagedObjectReference) []types.ManagedObjectReference {
		refs = slices.Clone(refs)
		slices.SortFunc(refs, func(a, b types.ManagedObjectReference) int { return strings.Compare(name(a), name(b)) })
		return refs
	}

	for _, e := range m.All("Datacenter") {
		dc := e.(*simulator.Datacenter)
		inv.datacenters = append(inv.datacenters, &dcInfo{ref: dc.Self, name: dc.Name, vmFolder: dc.VmFolder})
	}
	slices.SortFunc(inv.datacenters, func(a, b *dcInfo) int { return strings.Compare(a.name, b.name) })

	dcOf := func(e mo.Entity) *dcInfo {
		for e != nil {
			if e.Entity().Parent == nil {
				return nil
			}
			parent := m.Get(*e.Entity().Parent)
			if dc, ok := parent.(*simulator.Datacenter); ok {
				for _, info := range inv.datacenters {
					if info.ref == dc.Self {
						return info
					}
				}
			}
			e, _ = parent.(mo.Entity)
		}
		return nil
	}

	add := func(e mo.Entity, hosts []types.ManagedObjectReference, root *types.ManagedObjectReference) {
		ci := &computeInfo{ref: e.Reference(), name: e.Entity().Name, dc: dcOf(e), hosts: byName(hosts)}
		if root != nil {
			ci.pools = []poolInfo{{ref: *root, name: name(*root)}}
		}
		ci.dc.hosts = append(ci.dc.hosts, ci.hosts...)
		for _, h := range ci.hosts {
			inv.hosts[name(h)] = h
		}
		inv.computes = append(inv.computes, ci)
	}
	for _, e := range m.All("ClusterComputeResource") {
		c := e.(*simulator.ClusterComputeResource)
		add(c, c.Host, c.ResourcePool)
	}
	for _, e := range m.All("ComputeResource") {
		c := e.(*mo.ComputeResource)
		add(c, c.Host, c.ResourcePool)
	}
	slices.SortFunc(inv.computes, func(a, b *computeInfo) int {
		return cmp.Or(strings.Compare(a.dc.name, b.dc.name), strings.Compare(a.name, b.name))
	})
	for _, dc := range inv.datacenters {
		dc.hosts = byName(dc.hosts)
	}
	return inv
}

// readDatacenterContents fills dc.datastores and dc.networks (after they
// exist).
func (s *Sim) readDatacenterContents() {
	m := s.Model.Map()
	for _, dc := range s.inv.datacenters {
		obj := m.Get(dc.ref).(*simulator.Datacenter)
		dc.datastores = nil
		for _, ref := range obj.Datastore {
			dc.datastores = append(dc.datastores, dsInfo{ref: ref, name: m.Get(ref).(*simulator.Datastore).Name})
		}
		slices.SortFunc(dc.datastores, func(a, b dsInfo) int { return strings.Compare(a.name, b.name) })

		dc.networks = nil
		var dist []netInfo
		for _, ref := range obj.Network {
			switch n := m.Get(ref).(type) {
			case *mo.Network:
				dc.networks = append(dc.networks, netInfo{
					ref:  ref,
					name: n.Name,
					backing: &types.VirtualEthernetCardNetworkBackingInfo{
						VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: n.Name},
						Network:                        &ref,
					},
				})
			case *simulator.DistributedVirtualPortgroup:
				if strings.Contains(n.Name, "-DVUplinks") || n.Config.DistributedVirtualSwitch == nil {
					continue
				}
				dvs := m.Get(*n.Config.DistributedVirtualSwitch).(*simulator.DistributedVirtualSwitch)
				dist = append(dist, netInfo{
					ref:  ref,
					name: n.Name,
					backing: &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
						Port: types.DistributedVirtualSwitchPortConnection{PortgroupKey: n.Key, SwitchUuid: dvs.Uuid},
					},
				})
			}
		}
		byName := func(a, b netInfo) int { return strings.Compare(a.name, b.name) }
		slices.SortFunc(dc.networks, byName)
		slices.SortFunc(dist, byName)
		dc.networks = append(dc.networks, dist...)
	}
}

// build creates pools, port groups, VMs and templates through the
// in-process client c.
func (s *Sim) build(ctx context.Context, c *vim25.Client) error {
	o := s.Options
	s.inv = s.readInventory()

	// Local datastores, LocalDS_0.. in each datacenter, mounted on every
	// host of the datacenter (what Model.Datastore does, but in s.dir).
	for _, dc := range s.inv.datacenters {
		for i := range o.Datastores {
			name := fmt.Sprintf("LocalDS_%d", i)
			dir := filepath.Join(s.dir, dc.name+"-"+name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				return fmt.Errorf("vcsim: datastore directory: %w", err)
			}
			for _, h := range dc.hosts {
				host := s.Model.Map().Get(h).(*simulator.HostSystem)
				dss := object.NewHostDatastoreSystem(c, *host.ConfigManager.DatastoreSystem)
				if _, err := dss.CreateLocalDatastore(ctx, name, dir); err != nil {
					return fmt.Errorf("vcsim: create datastore %s/%s on %s: %w", dc.name, name, host.Name, err)
				}
			}
		}
	}

	// Child resource pools under every root pool (clusters, and the ESXi
	// host; standalone hosts of a vCenter keep only their root pool).
	for _, ci := range s.inv.computes {
		if ci.ref.Type != "ClusterComputeResource" && !o.ESX {
			continue
		}
		root := object.NewResourcePool(c, ci.pools[0].ref)
		for _, name := range o.Pools {
			p, err := root.Create(ctx, name, types.DefaultResourceConfigSpec())
			if err != nil {
				return fmt.Errorf("vcsim: create pool %s/%s: %w", ci.name, name, err)
			}
			ci.pools = append(ci.pools, poolInfo{ref: p.Reference(), name: name})
		}
	}
	for _, ci := range s.inv.computes {
		s.inv.pools = append(s.inv.pools, ci.pools...)
	}

	// Standard port groups: vcsim creates the datacenter's Network object
	// when the first host adds the port group.
	for _, dc := range s.inv.datacenters {
		if len(dc.hosts) == 0 {
			continue
		}
		for i := 1; i < o.Networks; i++ {
			if err := s.addPortGroup(ctx, c, dc, fmt.Sprintf("VM Network %d", i), int32(100+i)); err != nil {
				return err
			}
		}
	}
	s.readDatacenterContents()
	s.linkNetworks()
	for _, dc := range s.inv.datacenters {
		for _, ds := range dc.datastores {
			s.dsLocks[ds.ref] = new(sync.Mutex)
		}
	}

	plans := s.plan()
	if err := s.createVMs(ctx, plans); err != nil {
		return err
	}
	// MarkAsTemplate left the templates in their pools' vm lists.
	s.syncVMLists()
	if o.DatastoreFill > 0 {
		s.fillDatastores(o.DatastoreFill)
	}
	return nil
}

// fillDatastores resizes every datastore so that the disks on it (vcsim's
// capacity minus its free space) fill the fraction fill of it.
func (s *Sim) fillDatastores(fill float64) {
	const gib = 1 << 30
	m := s.Model.Map()
	ctx := s.lockContext()
	for _, dc := range s.inv.datacenters {
		for _, d := range dc.datastores {
			ds, ok := m.Get(d.ref).(*simulator.Datastore)
			if !ok {
				continue
			}
			m.WithLock(ctx, ds, func() {
				used := ds.Summary.Capacity - ds.Summary.FreeSpace
				capacity := int64(math.Ceil(float64(max(used, gib))/fill/gib)) * gib
				info := ds.Info.GetDatastoreInfo()
				info.FreeSpace = capacity - used
				info.MaxFileSize, info.MaxMemoryFileSize = capacity, capacity
				m.Update(ctx, ds, []types.PropertyChange{
					{Name: "summary.capacity", Val: capacity},
					{Name: "summary.freeSpace", Val: capacity - used},
				})
			})
		}
	}
}

func (s *Sim) addPortGroup(ctx context.Context, c *vim25.Client, dc *dcInfo, name string, vlan int32) error {
	host := s.Model.Map().Get(dc.hosts[0]).(*simulator.HostSystem)
	ns := object.NewHostNetworkSystem(c, *host.ConfigManager.NetworkSystem)
	err := ns.AddPortGroup(ctx, types.HostPortGroupSpec{
		Name:        name,
		VlanId:      vlan,
		VswitchName: "vSwitch0",
		Policy:      types.HostNetworkPolicy{},
	})
	if err != nil {
		return fmt.Errorf("vcsim: add port group %s/%s: %w", dc.name, name, err)
	}
	return nil
}

// linkNetworks records every host of a datacenter on its standard port
// groups (Network.host) and the port groups on the hosts (HostSystem.network),
// which vcsim leaves empty for port groups added with AddPortGroup.
func (s *Sim) linkNetworks() {
	m := s.Model.Map()
	ctx := s.lockContext()
	for _, dc := range s.inv.datacenters {
		for _, n := range dc.networks {
			net, ok := m.Get(n.ref).(*mo.Network)
			if !ok {
				continue
			}
			m.WithLock(ctx, net, func() {
				hosts := slices.Clone(net.Host)
				for _, h := range dc.hosts {
					if !slices.Contains(hosts, h) {
						hosts = append(hosts, h)
					}
				}
				m.Update(ctx, net, []types.PropertyChange{{Name: "host", Val: hosts}})
			})
			for _, h := range dc.hosts {
				host := m.Get(h).(*simulator.HostSystem)
				m.WithLock(ctx, host, func() {
					if !slices.Contains(host.Network, n.ref) {
						m.Update(ctx, host, []types.PropertyChange{{Name: "network", Val: append(slices.Clone(host.Network), n.ref)}})
					}
				})
			}
		}
	}
}

var (
	namePrefixes = []string{"app", "app", "prd", "prd", "dev", "tst", "ops", "int"}
	nameRoles    = []string{"web", "web", "api", "db", "db", "cache", "mq", "batch", "k8s", "ldap", "mail", "file", "mon", "ci", "etl", "vdi"}
	guestIDs     = []string{
		"rhel8_64Guest", "rhel9_64Guest", "ubuntu64Guest", "ubuntu64Guest", "debian11_64Guest",
		"sles15_64Guest", "centos7_64Guest", "windows2019srv_64Guest", "windows2019srvNext_64Guest",
		"windows9Server64Guest", "otherLinux64Guest",
	}
	// guestNames are the guest OS names vCenter shows (vcsim reports the
	// guest ID itself as the full name).
	guestNames = map[string]string{
		"rhel8_64Guest":              "Red Hat Enterprise Linux 8 (64-bit)",
		"rhel9_64Guest":              "Red Hat Enterprise Linux 9 (64-bit)",
		"ubuntu64Guest":              "Ubuntu Linux (64-bit)",
		"debian11_64Guest":           "Debian GNU/Linux 11 (64-bit)",
		"sles15_64Guest":             "SUSE Linux Enterprise 15 (64-bit)",
		"centos7_64Guest":            "CentOS 7 (64-bit)",
		"windows2019srv_64Guest":     "Microsoft Windows Server 2019 (64-bit)",
		"windows2019srvNext_64Guest": "Microsoft Windows Server 2022 (64-bit)",
		"windows9Server64Guest":      "Microsoft Windows Server 2016 or later (64-bit)",
		"otherLinux64Guest":          "Other Linux (64-bit)",
	}
	vcpuChoices = []int32{1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 8, 8, 12, 16}
	diskChoices = []int64{16, 20, 40, 40, 50, 60, 80, 100, 100, 120, 200, 250, 500}
)

// baseTime anchors generated creation dates, so a Seed gives the same
// dates on every run.
var baseTime = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// plan generates the VMs and templates deterministically from Options.Seed.
func (s *Sim) plan() []vmPlan {
	o := s.Options
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed_cafe_f00d))
	var plans []vmPlan

	if len(s.inv.computes) == 0 {
		return nil
	}
	// VMs go round-robin over all hosts, so each host (clustered or
	// standalone) gets about the same number.
	type slot struct {
		ci   *computeInfo
		host types.ManagedObjectReference
	}
	var slots []slot
	for _, ci := range s.inv.computes {
		for _, h := range ci.hosts {
			slots = append(slots, slot{ci, h})
		}
	}
	for i := 0; i < o.VMs; i++ {
		ci, host := slots[i%len(slots)].ci, slots[i%len(slots)].host
		p := vmPlan{
			name:   fmt.Sprintf("%s-%s-%05d", namePrefixes[rng.IntN(len(namePrefixes))], nameRoles[rng.IntN(len(nameRoles))], i),
			dc:     ci.dc,
			folder: ci.dc.vmFolder,
			host:   host,
			ds:     ci.dc.datastores[rng.IntN(len(ci.dc.datastores))],
		}
		// Pools: root pool gets a share, the child pools the rest.
		if len(ci.pools) == 1 || rng.IntN(10) == 0 {
			p.pool = ci.pools[0].ref
		} else {
			p.pool = ci.pools[1+rng.IntN(len(ci.pools)-1)].ref
		}
		s.fillSpec(rng, &p)

		switch r := rng.IntN(100); {
		case r < 78:
			p.power = types.VirtualMachinePowerStatePoweredOn
		case r < 93:
			p.power = types.VirtualMachinePowerStatePoweredOff
		default:
			p.power = types.VirtualMachinePowerStateSuspended
		}
		if p.power == types.VirtualMachinePowerStatePoweredOn {
			p.bootTime = baseTime.Add(-time.Duration(1+rng.IntN(90*24)) * time.Hour)
			if p.createDate != nil && p.bootTime.Before(*p.createDate) {
				p.bootTime = p.createDate.Add(time.Hour)
			}
		}
		if p.power == types.VirtualMachinePowerStatePoweredOn {
			p.ip = fmt.Sprintf("10.%d.%d.%d", 1+i/65024%200, i/254%256, 1+i%254)
		}
		plans = append(plans, p)
	}

	for i := 0; i < o.Templates; i++ {
		ci := s.inv.computes[i%len(s.inv.computes)]
		p := vmPlan{
			dc:       ci.dc,
			folder:   ci.dc.vmFolder,
			pool:     ci.pools[0].ref,
			host:     ci.hosts[i%len(ci.hosts)],
			ds:       ci.dc.datastores[i%len(ci.dc.datastores)],
			power:    types.VirtualMachinePowerStatePoweredOff,
			template: true,
		}
		s.fillSpec(rng, &p)
		p.name = fmt.Sprintf("tpl-%s-%05d", strings.TrimSuffix(strings.TrimSuffix(p.guestID, "Guest"), "_64"), i)
		plans = append(plans, p)
	}
	return plans
}

func (s *Sim) fillSpec(rng *rand.Rand, p *vmPlan) {
	p.guestID = guestIDs[rng.IntN(len(guestIDs))]
	p.vcpu = vcpuChoices[rng.IntN(len(vcpuChoices))]
	gib := int64(p.vcpu) * []int64{1, 2, 2, 4, 4, 8}[rng.IntN(6)]
	gib = min(max(gib, 1), 64)
	p.memoryMB = gib * 1024
	disks := 1 // 60% one disk, 30% two, 10% three
	if r := rng.IntN(10); r >= 9 {
		disks = 3
	} else if r >= 6 {
		disks = 2
	}
	for n := disks; n > 0; n-- {
		p.disksGB = append(p.disksGB, diskChoices[rng.IntN(len(diskChoices))])
	}
	nets := p.dc.networks
	if len(nets) > 0 {
		p.nets = append(p.nets, nets[rng.IntN(len(nets))])
		if rng.IntN(8) == 0 && len(nets) > 1 {
			second := nets[rng.IntN(len(nets))]
			if second.ref != p.nets[0].ref {
				p.nets = append(p.nets, second)
			}
		}
	}
	// About 1 VM in 12 has no creation date, like VMs registered before
	// vSphere recorded it.
	if rng.IntN(12) != 0 {
		t := baseTime.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour).Add(time.Duration(rng.IntN(3600)) * time.Second)
		p.createDate = &t
	}
	if rng.IntN(4) == 0 {
		p.annotation = fmt.Sprintf("owner: team-%02d", rng.IntN(40))
	}
}

// configSpec turns a plan into a CreateVM_Task spec.
func (p *vmPlan) configSpec() types.VirtualMachineConfigSpec {
	spec := types.VirtualMachineConfigSpec{
		Name:              p.name,
		GuestId:           p.guestID,
		NumCPUs:           p.vcpu,
		NumCoresPerSocket: types.NewInt32(p.vcpu),
		MemoryMB:          p.memoryMB,
		Annotation:        p.annotation,
		Files:             &types.VirtualMachineFileInfo{VmPathName: "[" + p.ds.name + "]"},
	}
	if p.vcpu > 8 {
		spec.NumCoresPerSocket = types.NewInt32(p.vcpu / 2)
	}

	var devices object.VirtualDeviceList
	scsi, _ := devices.CreateSCSIController("pvscsi")
	devices = append(devices, scsi)
	for i, gb := range p.disksGB {
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), p.ds.ref,
			fmt.Sprintf("[%s] %s/%s_%d.vmdk", p.ds.name, p.name, p.name, i))
		disk.CapacityInKB = gb * 1024 * 1024
		disk.UnitNumber = types.NewInt32(int32(i))
		if i >= 7 {
			*disk.UnitNumber++ // unit 7 is the controller's
		}
		devices = append(devices, disk)
	}
	running := p.power != "" && p.power != types.VirtualMachinePowerStatePoweredOff
	for _, n := range p.nets {
		nic, _ := object.EthernetCardTypes().CreateEthernetCard("vmxnet3", n.backing)
		card := nic.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		card.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true}
		devices = append(devices, nic)
	}
	spec.DeviceChange, _ = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)

	if p.createDate != nil {
		spec.ExtraConfig = append(spec.ExtraConfig, &types.OptionValue{Key: "SET.config.createDate", Value: *p.createDate})
	}
	if full := guestNames[p.guestID]; full != "" {
		spec.ExtraConfig = append(spec.ExtraConfig,
			&types.OptionValue{Key: "SET.config.guestFullName", Value: full},
			&types.OptionValue{Key: "SET.summary.config.guestFullName", Value: full})
	}
	if running {
		// The power state of a built VM is set at creation, as if it had
		// been running for a while: a PowerOnVM_Task (and SuspendVM_Task)
		// per VM would double the build time. vcsim's power tasks only
		// check runtime.powerState, so later power operations behave as
		// for any other VM.
		spec.ExtraConfig = append(spec.ExtraConfig,
			&types.OptionValue{Key: "SET.runtime.powerState", Value: p.power},
			&types.OptionValue{Key: "SET.summary.runtime.powerState", Value: p.power})
	}
	if p.power == types.VirtualMachinePowerStatePoweredOn {
		// vcsim's power tasks keep a boot time only while powered on.
		spec.ExtraConfig = append(spec.ExtraConfig,
			&types.OptionValue{Key: "SET.runtime.bootTime", Value: p.bootTime},
			&types.OptionValue{Key: "SET.summary.runtime.bootTime", Value: p.bootTime})
	}
	if p.ip != "" {
		spec.ExtraConfig = append(spec.ExtraConfig,
			&types.OptionValue{Key: "SET.guest.ipAddress", Value: p.ip},
			&types.OptionValue{Key: "SET.guest.hostName", Value: p.name})
	}
	return spec
}

// createVMs creates the planned VMs on o.Workers goroutines. Each creation
// holds its datastore's lock (see Sim.dsLocks).
func (s *Sim) createVMs(ctx context.Context, plans []vmPlan) error {
	s.buildSession = &simulator.Session{
		UserSession: types.UserSession{Key: "vcsim-build", UserName: s.Options.Username},
		Registry:    simulator.NewRegistry(),
		Map:         s.Model.Map(),
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	jobs := make(chan *vmPlan)
	var wg sync.WaitGroup
	for range min(s.Options.Workers, max(len(plans), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if err := s.createPlanned(ctx, p); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for i := range plans {
		select {
		case jobs <- &plans[i]:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func (s *Sim) createPlanned(ctx context.Context, p *vmPlan) error {
	m := s.Model.Map()
	folder, ok := m.Get(p.folder).(*simulator.Folder)
	if !ok {
		return fmt.Errorf("vcsim: folder %s not found", p.folder)
	}
	req := &types.CreateVM_Task{This: p.folder, Config: p.configSpec(), Pool: p.pool, Host: &p.host}

	mu := s.dsLocks[p.ds.ref]
	mu.Lock()
	var body soap.HasFault
	sctx := s.buildContext(ctx)
	m.WithLock(sctx, folder, func() { body = folder.CreateVMTask(sctx, req) })
	var res types.AnyType
	err := faultErr(body)
	if err == nil {
		res, err = s.waitTask(ctx, body.(*methods.CreateVM_TaskBody).Res.Returnval)
	}
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("vcsim: create VM %s: %w", p.name, err)
	}
	ref := res.(types.ManagedObjectReference)
	s.finishBuilt(ref, p)

	if p.template {
		vm := m.Get(ref).(*simulator.VirtualMachine)
		sctx := s.buildContext(ctx)
		m.WithLock(sctx, vm, func() { body = vm.MarkAsTemplate(&types.MarkAsTemplate{This: ref}) })
		if err := faultErr(body); err != nil {
			return fmt.Errorf("vcsim: mark %s as template: %w", p.name, err)
		}
	}
	return nil
}

// finishBuilt completes what ExtraConfig cannot set on a new VM: it clears
// config.createDate when the plan has none, and connects the NICs of a
// powered-on VM as PowerOnVM_Task would (vcsim connects devices only while
// a VM is powered on). It runs under the VM's lock, before the server
// serves any request.
func (s *Sim) finishBuilt(ref types.ManagedObjectReference, p *vmPlan) {
	m := s.Model.Map()
	vm, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	ctx := s.lockContext()
	m.WithLock(ctx, vm, func() {
		var changes []types.PropertyChange
		if p.createDate == nil {
			changes = append(changes, types.PropertyChange{Name: "config.createDate", Val: nil})
		}
		if p.power == types.VirtualMachinePowerStatePoweredOn {
			devices := slices.Clone(vm.Config.Hardware.Device)
			for _, d := range devices {
				if conn := d.GetVirtualDevice().Connectable; conn != nil {
					c := *conn
					c.Connected = c.StartConnected
					d.GetVirtualDevice().Connectable = &c
				}
			}
			changes = append(changes, types.PropertyChange{Name: "config.hardware.device", Val: devices})
		}
		if len(changes) > 0 {
			m.Update(ctx, vm, changes)
		}
	})
}

// buildContext returns a fresh simulator context for calling simulator
// methods directly while building, the way vcsim's Service.call does for a
// SOAP request (a new context per call: vcsim's object locks are re-entrant
// per context). Calling the methods directly skips the XML deep copy of
// every request that even the in-process client pays.
func (s *Sim) buildContext(ctx context.Context) *simulator.Context {
	return &simulator.Context{Context: ctx, Map: s.Model.Map(), Session: s.buildSession}
}

func faultErr(body soap.HasFault) error {
	if f := body.Fault(); f != nil {
		if mf, ok := f.Detail.Fault.(types.BaseMethodFault); ok {
			return fmt.Errorf("%s: %T", f.String, mf)
		}
		return fmt.Errorf("fault: %s", f.String)
	}
	return nil
}

// waitTask waits for a vcsim task by polling the task object in the
// registry under its lock. It is much cheaper than object.Task.Wait, whose
// PropertyCollector round trips deep-copy the task info through XML several
// times per task; it is used while building, before the server starts.
func (s *Sim) waitTask(ctx context.Context, ref types.ManagedObjectReference) (types.AnyType, error) {
	t, ok := s.Model.Map().Get(ref).(*simulator.Task)
	if !ok {
		return nil, fmt.Errorf("vcsim: task %s not found", ref)
	}
	lock := &simulator.Context{Context: ctx, Map: s.Model.Map()}
	pause := 20 * time.Microsecond
	for {
		var (
			state  types.TaskInfoState
			result types.AnyType
			fault  *types.LocalizedMethodFault
		)
		s.Model.Map().WithLock(lock, t, func() {
			state, result, fault = t.Info.State, t.Info.Result, t.Info.Error
		})
		switch state {
		case types.TaskInfoStateSuccess:
			return result, nil
		case types.TaskInfoStateError:
			if fault != nil {
				return nil, fmt.Errorf("%s: %s", t.Info.DescriptionId, faultString(fault))
			}
			return nil, fmt.Errorf("%s failed", t.Info.DescriptionId)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Millisecond)
	}
}

func faultString(f *types.LocalizedMethodFault) string {
	if f.LocalizedMessage != "" {
		return fmt.Sprintf("%s (%T)", f.LocalizedMessage, f.Fault)
	}
	return fmt.Sprintf("%T", f.Fault)
}
