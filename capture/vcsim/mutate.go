package vcsim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// ErrNotFound is returned (wrapped) when a VM, host or pool named in a call
// does not exist.
var ErrNotFound = errors.New("vcsim: not found")

// ErrAmbiguous is returned (wrapped) when a name matches more than one VM or
// pool; use the moref value or a qualified pool name instead.
var ErrAmbiguous = errors.New("vcsim: ambiguous name")

// ErrNotSupported is returned (wrapped) for operations the simulated
// endpoint does not offer, such as custom attributes on ESXi.
var ErrNotSupported = errors.New("vcsim: not supported")

// VMSpec describes a VM for CreateVM.
type VMSpec struct {
	// Name is the VM name. Required.
	Name string
	// Host is the name of the host to place the VM on. Defaults to the
	// first host of the pool's compute resource (of the first cluster when
	// Pool is empty too).
	Host string
	// Pool is the resource pool: a child pool name such as "Gold", resolved
	// in the host's compute resource, or "<compute resource>/<pool>" such as
	// "DC0_C1/Gold". Defaults to the compute resource's root pool
	// ("Resources").
	Pool string
	// Datastore is the datastore name. Defaults to LocalDS_0.
	Datastore string
	// Network is the name of the network for the VM's one NIC. Defaults to
	// "VM Network"; "-" means no NIC.
	Network string
	// VCPU is the number of virtual CPUs. Defaults to 1.
	VCPU int32
	// MemoryMB is the memory size in MiB. Defaults to 1024.
	MemoryMB int64
	// DiskGB is the size of the VM's one disk in GiB. Defaults to 16; -1
	// means no disk.
	DiskGB int64
	// GuestID is the guest OS identifier. Defaults to "otherLinux64Guest".
	GuestID string
	// CreateDate sets config.createDate. The zero value keeps vcsim's
	// default, the creation time; see NoCreateDate.
	CreateDate time.Time
	// NoCreateDate leaves config.createDate unset, as for VMs created before
	// vSphere recorded it.
	NoCreateDate bool
	// IP sets guest.ipAddress (and the first NIC's guest address).
	IP string
	// PowerOn powers the VM on after creating it.
	PowerOn bool
}

// CreateVM creates a VM through CreateVM_Task and returns its moref value
// (such as "vm-123").
func (s *Sim) CreateVM(ctx context.Context, spec VMSpec) (string, error) {
	if spec.Name == "" {
		return "", errors.New("vcsim: VMSpec.Name is required")
	}
	host, pool, ci, err := s.placement(spec.Host, spec.Pool)
	if err != nil {
		return "", err
	}
	p := vmPlan{
		name:     spec.Name,
		dc:       ci.dc,
		folder:   ci.dc.vmFolder,
		pool:     pool,
		host:     host,
		guestID:  cmp.Or(spec.GuestID, "otherLinux64Guest"),
		vcpu:     cmp.Or(spec.VCPU, 1),
		memoryMB: cmp.Or(spec.MemoryMB, 1024),
		ip:       spec.IP,
	}
	if spec.DiskGB >= 0 {
		p.disksGB = []int64{cmp.Or(spec.DiskGB, 16)}
	}
	dsName := cmp.Or(spec.Datastore, "LocalDS_0")
	i := slices.IndexFunc(ci.dc.datastores, func(d dsInfo) bool { return d.name == dsName })
	if i < 0 {
		return "", fmt.Errorf("vcsim: datastore %q in %s: %w", dsName, ci.dc.name, ErrNotFound)
	}
	p.ds = ci.dc.datastores[i]
	if spec.Network != "-" {
		netName := cmp.Or(spec.Network, "VM Network")
		i := slices.IndexFunc(ci.dc.networks, func(n netInfo) bool { return n.name == netName })
		if i < 0 {
			return "", fmt.Errorf("vcsim: network %q in %s: %w", netName, ci.dc.name, ErrNotFound)
		}
		p.nets = []netInfo{ci.dc.networks[i]}
	}
	if !spec.CreateDate.IsZero() {
		t := spec.CreateDate
		p.createDate = &t
	}

	c := s.Client.Client
	unlock := s.lockDatastores([]types.ManagedObjectReference{p.ds.ref})
	task, err := object.NewFolder(c, p.folder).CreateVM(ctx, p.configSpec(), object.NewResourcePool(c, pool), object.NewHostSystem(c, host))
	var info *types.TaskInfo
	if err == nil {
		info, err = task.WaitForResult(ctx)
	}
	unlock()
	if err != nil {
		return "", fmt.Errorf("vcsim: create VM %s: %w", spec.Name, err)
	}
	ref := info.Result.(types.ManagedObjectReference)
	if spec.NoCreateDate {
		s.clearCreateDate(ref)
	}
	s.syncVMLists(ref) // Network.vm
	// vcsim may miss the new VM's enter in a filter over a container view
	// (the view's change re-collects the filter's objects in the same
	// step): report its core paths so a watcher sees it either way.
	s.pushVM(ref, pathName, pathHost, pathPool, pathPower, pathNumCPU, pathMemoryMB)
	if spec.PowerOn {
		if err := s.PowerOn(ctx, ref.Value); err != nil {
			return ref.Value, err
		}
	}
	return ref.Value, nil
}

// DestroyVM destroys a VM (Destroy_Task), powering it off first if needed.
// vm is a moref value or a VM name.
func (s *Sim) DestroyVM(ctx context.Context, vm string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	if err := s.ensurePoweredOff(ctx, ref); err != nil {
		return err
	}
	unlock := s.lockDatastores(s.vmDatastores(ref))
	err = s.runTask(ctx, object.NewVirtualMachine(s.Client.Client, ref).Destroy)
	unlock()
	if err != nil {
		return fmt.Errorf("vcsim: destroy %s: %w", vm, err)
	}
	// Remove the moref from any list a stale relocation left it in.
	s.syncVMLists(ref)
	s.nudgeCollectors()
	return nil
}

// PowerOn powers a VM on (PowerOnVM_Task); a suspended VM resumes.
func (s *Sim) PowerOn(ctx context.Context, vm string) error {
	return s.vmTask(ctx, vm, "power on", (*object.VirtualMachine).PowerOn)
}

// PowerOff powers a VM off (PowerOffVM_Task).
func (s *Sim) PowerOff(ctx context.Context, vm string) error {
	return s.vmTask(ctx, vm, "power off", (*object.VirtualMachine).PowerOff)
}

// Suspend suspends a powered-on VM (SuspendVM_Task).
func (s *Sim) Suspend(ctx context.Context, vm string) error {
	return s.vmTask(ctx, vm, "suspend", (*object.VirtualMachine).Suspend)
}

func (s *Sim) vmTask(ctx context.Context, vm, what string, f func(*object.VirtualMachine, context.Context) (*object.Task, error)) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err = s.runTask(ctx, func(ctx context.Context) (*object.Task, error) { return f(obj, ctx) })
	s.syncBootTime(ref)
	if err != nil {
		return fmt.Errorf("vcsim: %s %s: %w", what, vm, err)
	}
	return nil
}

// syncBootTime copies summary.runtime.bootTime to runtime.bootTime, which
// vcsim's power tasks do not set.
func (s *Sim) syncBootTime(ref types.ManagedObjectReference) {
	m := s.Model.Map()
	vm, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	ctx := s.lockContext()
	m.WithLock(ctx, vm, func() {
		if !timesEqual(vm.Runtime.BootTime, vm.Summary.Runtime.BootTime) {
			var val any
			if t := vm.Summary.Runtime.BootTime; t != nil {
				val = *t
			}
			m.Update(ctx, vm, []types.PropertyChange{{Name: "runtime.bootTime", Val: val}})
		}
	})
}

func timesEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// Reconfigure changes a VM's vCPU count and memory size (ReconfigVM_Task);
// a zero value leaves that setting unchanged. vcsim only lets a template
// change its name and annotation, so a template is converted to a VM,
// reconfigured and converted back, as an administrator would.
func (s *Sim) Reconfigure(ctx context.Context, vm string, vcpu int32, memoryMB int64) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	spec := types.VirtualMachineConfigSpec{NumCPUs: vcpu, MemoryMB: memoryMB}
	st := s.vmState(ref)
	if !st.template {
		if err := s.reconfigure(ctx, ref, spec); err != nil {
			return fmt.Errorf("vcsim: reconfigure %s: %w", vm, err)
		}
		return nil
	}

	obj := object.NewVirtualMachine(s.Client.Client, ref)
	if err := obj.MarkAsVirtualMachine(ctx, *object.NewResourcePool(s.Client.Client, st.computePool), nil); err != nil {
		return fmt.Errorf("vcsim: convert template %s to VM: %w", vm, err)
	}
	err = s.reconfigure(ctx, ref, spec)
	if terr := obj.MarkAsTemplate(context.WithoutCancel(ctx)); terr != nil && err == nil {
		err = fmt.Errorf("convert back to template: %w", terr)
	}
	s.syncVMLists(ref)
	s.pushVM(ref, pathTemplate, pathPool)
	if err != nil {
		return fmt.Errorf("vcsim: reconfigure template %s: %w", vm, err)
	}
	return nil
}

func (s *Sim) reconfigure(ctx context.Context, ref types.ManagedObjectReference, spec types.VirtualMachineConfigSpec) error {
	unlock := s.lockDatastores(s.vmDatastores(ref))
	defer unlock()
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err := s.runTask(ctx, func(ctx context.Context) (*object.Task, error) { return obj.Reconfigure(ctx, spec) })
	// ReconfigVM_Task sets the hardware without telling the collectors.
	s.pushVM(ref, pathName, pathNumCPU, pathMemoryMB, pathDevice, pathDS, pathNetwork)
	return err
}

// MigrateHost moves a VM to another host (RelocateVM_Task), like a vMotion.
// When the host is in another compute resource the VM also moves to that
// compute resource's pool of the same name, or its root pool. vcsim leaves
// HostSystem.vm and ResourcePool.vm stale after a relocation; MigrateHost
// fixes them so that a ContainerView lists the VM under its new host only.
func (s *Sim) MigrateHost(ctx context.Context, vm, host string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	target, err := s.hostRef(host)
	if err != nil {
		return err
	}
	st := s.vmState(ref)
	spec := types.VirtualMachineRelocateSpec{Host: &target}
	if to := s.computeOfHost(target); to != st.compute && !st.template {
		pool := to.pools[0]
		if i := slices.IndexFunc(to.pools, func(p poolInfo) bool { return p.name == st.poolName }); i > 0 {
			pool = to.pools[i]
		}
		spec.Pool = &pool.ref
	}
	if err := s.relocate(ctx, ref, spec); err != nil {
		return fmt.Errorf("vcsim: migrate %s to %s: %w", vm, host, err)
	}
	return nil
}

// MovePool moves a VM to another resource pool (RelocateVM_Task with a
// pool; vcsim has no MoveIntoResourcePool). pool is a pool name in the VM's
// compute resource ("Gold", "Resources" for the root pool) or
// "<compute resource>/<pool>". Like MigrateHost it fixes the pools' vm
// lists afterwards.
func (s *Sim) MovePool(ctx context.Context, vm, pool string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	st := s.vmState(ref)
	if st.template {
		return fmt.Errorf("vcsim: move %s: a template has no resource pool: %w", vm, ErrNotSupported)
	}
	target, ci, err := s.findPool(st.compute, pool)
	if err != nil {
		return err
	}
	spec := types.VirtualMachineRelocateSpec{Pool: &target}
	if ci != st.compute {
		spec.Host = &ci.hosts[0]
	}
	if err := s.relocate(ctx, ref, spec); err != nil {
		return fmt.Errorf("vcsim: move %s to pool %s: %w", vm, pool, err)
	}
	return nil
}

func (s *Sim) relocate(ctx context.Context, ref types.ManagedObjectReference, spec types.VirtualMachineRelocateSpec) error {
	unlock := s.lockDatastores(s.vmDatastores(ref))
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err := s.runTask(ctx, func(ctx context.Context) (*object.Task, error) {
		return obj.Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
	})
	unlock()
	s.syncVMLists(ref)
	s.pushVM(ref, pathHost, pathPool, pathDS)
	return err
}

// Rename renames a VM (Rename_Task). vcsim's Rename_Task changes only the
// name property, so Rename follows it with a name-only ReconfigVM_Task to
// update config.name and summary.config.name as vCenter does.
func (s *Sim) Rename(ctx context.Context, vm, newName string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	if err := s.runTask(ctx, func(ctx context.Context) (*object.Task, error) { return obj.Rename(ctx, newName) }); err != nil {
		return fmt.Errorf("vcsim: rename %s: %w", vm, err)
	}
	if err := s.reconfigure(ctx, ref, types.VirtualMachineConfigSpec{Name: newName}); err != nil {
		return fmt.Errorf("vcsim: rename %s (config.name): %w", vm, err)
	}
	return nil
}

// MarkAsTemplate turns a VM into a template, powering it off first if
// needed. vcsim clears the VM's resourcePool but leaves it in the pool's
// vm list; MarkAsTemplate removes it.
func (s *Sim) MarkAsTemplate(ctx context.Context, vm string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	if err := s.ensurePoweredOff(ctx, ref); err != nil {
		return err
	}
	if err := object.NewVirtualMachine(s.Client.Client, ref).MarkAsTemplate(ctx); err != nil {
		return fmt.Errorf("vcsim: mark %s as template: %w", vm, err)
	}
	s.syncVMLists(ref)
	s.pushVM(ref, pathTemplate, pathPool)
	return nil
}

// MarkAsVirtualMachine turns a template back into a VM in the given pool
// (as for MovePool; "" means the root pool of the template's host).
func (s *Sim) MarkAsVirtualMachine(ctx context.Context, vm, pool string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	st := s.vmState(ref)
	target := st.computePool
	if pool != "" {
		if target, _, err = s.findPool(st.compute, pool); err != nil {
			return err
		}
	}
	if err := object.NewVirtualMachine(s.Client.Client, ref).MarkAsVirtualMachine(ctx, *object.NewResourcePool(s.Client.Client, target), nil); err != nil {
		return fmt.Errorf("vcsim: mark %s as VM: %w", vm, err)
	}
	s.syncVMLists(ref)
	s.pushVM(ref, pathTemplate, pathPool)
	return nil
}

// SetCustomValue sets the custom attribute key on a VM through the
// CustomFieldsManager, defining the attribute for VirtualMachine first if
// needed. It returns ErrNotSupported with ESX, which has no custom
// attributes.
func (s *Sim) SetCustomValue(ctx context.Context, vm, key, value string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	c := s.Client.Client
	if c.ServiceContent.CustomFieldsManager == nil {
		return fmt.Errorf("vcsim: custom attributes: %w", ErrNotSupported)
	}
	m := object.NewCustomFieldsManager(c)
	s.fieldMu.Lock()
	k, err := m.FindKey(ctx, key)
	if errors.Is(err, object.ErrKeyNameNotFound) {
		var def *types.CustomFieldDef
		def, err = m.Add(ctx, key, "VirtualMachine", nil, nil)
		if err == nil {
			k = def.Key
		}
	}
	s.fieldMu.Unlock()
	if err != nil {
		return fmt.Errorf("vcsim: custom attribute %q: %w", key, err)
	}
	if err := m.Set(ctx, ref, k, value); err != nil {
		return fmt.Errorf("vcsim: set %s on %s: %w", key, vm, err)
	}
	s.pushVM(ref, pathCustom)
	return nil
}

// VMs returns every VM and template by name, with its moref value. When
// names repeat, one of them wins; use VMRefs for all.
func (s *Sim) VMs() map[string]string {
	out := map[string]string{}
	for _, v := range s.vmNames() {
		out[v.name] = v.ref.Value
	}
	return out
}

// VMRefs returns the moref values of every VM and template, sorted.
func (s *Sim) VMRefs() []string {
	var out []string
	for _, v := range s.vmNames() {
		out = append(out, v.ref.Value)
	}
	slices.Sort(out)
	return out
}

// VMByName returns the moref value of the VM or template with the given
// name. It wraps ErrNotFound or ErrAmbiguous.
func (s *Sim) VMByName(name string) (string, error) {
	var found []string
	for _, v := range s.vmNames() {
		if v.name == name {
			found = append(found, v.ref.Value)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("vcsim: VM %q: %w", name, ErrNotFound)
	case 1:
		return found[0], nil
	default:
		slices.Sort(found)
		return "", fmt.Errorf("vcsim: VM %q is %s: %w", name, strings.Join(found, ", "), ErrAmbiguous)
	}
}

// Hosts returns every host name with its moref value.
func (s *Sim) Hosts() map[string]string {
	out := map[string]string{}
	s.hostMu.RLock()
	for name, ref := range s.inv.hosts {
		out[name] = ref.Value
	}
	s.hostMu.RUnlock()
	return out
}

// Pools returns every resource pool as "<compute resource>/<pool>" (the
// root pool is "<compute resource>/Resources") with its moref value.
func (s *Sim) Pools() map[string]string {
	out := map[string]string{}
	for _, ci := range s.inv.computes {
		for _, p := range ci.pools {
			out[ci.name+"/"+p.name] = p.ref.Value
		}
	}
	return out
}

type vmName struct {
	ref  types.ManagedObjectReference
	name string
}

func (s *Sim) vmNames() []vmName {
	m := s.Model.Map()
	var out []vmName
	lock := s.lockContext()
	for _, e := range m.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		m.WithLock(lock, vm, func() { out = append(out, vmName{vm.Self, vm.Name}) })
	}
	return out
}

// resolveVM accepts a moref value or a name.
func (s *Sim) resolveVM(vm string) (types.ManagedObjectReference, error) {
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: vm}
	if _, ok := s.Model.Map().Get(ref).(*simulator.VirtualMachine); ok {
		return ref, nil
	}
	v, err := s.VMByName(vm)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	ref.Value = v
	return ref, nil
}

// vmSnapshot is a VM's placement, read under its lock.
type vmSnapshot struct {
	host, pool  *types.ManagedObjectReference
	datastores  []types.ManagedObjectReference
	power       types.VirtualMachinePowerState
	template    bool
	compute     *computeInfo
	computePool types.ManagedObjectReference // root pool of compute
	poolName    string
}

func (s *Sim) vmState(ref types.ManagedObjectReference) vmSnapshot {
	var st vmSnapshot
	m := s.Model.Map()
	vm, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return st
	}
	m.WithLock(s.lockContext(), vm, func() {
		if vm.Runtime.Host != nil {
			h := *vm.Runtime.Host
			st.host = &h
		}
		if vm.ResourcePool != nil {
			p := *vm.ResourcePool
			st.pool = &p
		}
		st.datastores = slices.Clone(vm.Datastore)
		st.power = vm.Runtime.PowerState
		st.template = vm.Config != nil && vm.Config.Template
	})
	if st.host != nil {
		st.compute = s.computeOfHost(*st.host)
	}
	if st.compute != nil {
		st.computePool = st.compute.pools[0].ref
		for _, p := range st.compute.pools {
			if st.pool != nil && p.ref == *st.pool {
				st.poolName = p.name
			}
		}
	}
	return st
}

func (s *Sim) vmDatastores(ref types.ManagedObjectReference) []types.ManagedObjectReference {
	return s.vmState(ref).datastores
}

func (s *Sim) computeOfHost(host types.ManagedObjectReference) *computeInfo {
	for _, ci := range s.inv.computes {
		if slices.Contains(ci.hosts, host) {
			return ci
		}
	}
	return nil
}

// placement resolves CreateVM's host and pool names.
func (s *Sim) placement(hostName, poolName string) (host, pool types.ManagedObjectReference, ci *computeInfo, err error) {
	switch {
	case hostName != "":
		h, herr := s.hostRef(hostName)
		if herr != nil {
			return host, pool, nil, herr
		}
		ci = s.computeOfHost(h)
		host = h
	case len(s.inv.computes) > 0:
		ci = s.inv.computes[0]
		host = ci.hosts[0]
	default:
		return host, pool, nil, fmt.Errorf("vcsim: no compute resource: %w", ErrNotFound)
	}
	if poolName == "" {
		return host, ci.pools[0].ref, ci, nil
	}
	p, pci, err := s.findPool(ci, poolName)
	if err != nil {
		return host, pool, nil, err
	}
	if pci != ci {
		if hostName != "" {
			return host, pool, nil, fmt.Errorf("vcsim: pool %q is not in host %s's compute resource", poolName, hostName)
		}
		ci, host = pci, pci.hosts[0]
	}
	return host, p, ci, nil
}

// findPool resolves "Gold" in ci, or "DC0_C1/Gold" anywhere.
func (s *Sim) findPool(ci *computeInfo, name string) (types.ManagedObjectReference, *computeInfo, error) {
	if compute, pool, ok := strings.Cut(name, "/"); ok {
		var match []*computeInfo
		for _, c := range s.inv.computes {
			if c.name == compute {
				match = append(match, c)
			}
		}
		switch len(match) {
		case 0:
			return types.ManagedObjectReference{}, nil, fmt.Errorf("vcsim: compute resource %q: %w", compute, ErrNotFound)
		case 1:
			ci, name = match[0], pool
		default:
			return types.ManagedObjectReference{}, nil, fmt.Errorf("vcsim: compute resource %q: %w", compute, ErrAmbiguous)
		}
	}
	if ci != nil {
		for _, p := range ci.pools {
			if p.name == name {
				return p.ref, ci, nil
			}
		}
	}
	return types.ManagedObjectReference{}, nil, fmt.Errorf("vcsim: pool %q: %w", name, ErrNotFound)
}

func (s *Sim) ensurePoweredOff(ctx context.Context, ref types.ManagedObjectReference) error {
	if s.vmState(ref).power == types.VirtualMachinePowerStatePoweredOff {
		return nil
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err := s.runTask(ctx, obj.PowerOff)
	if err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
		return fmt.Errorf("vcsim: power off %s: %w", ref.Value, err)
	}
	return nil
}

// runTask starts a task with the Sim's client and waits for it.
func (s *Sim) runTask(ctx context.Context, f func(context.Context) (*object.Task, error)) error {
	task, err := f(ctx)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

// lockDatastores takes the Sim's per-datastore locks in a fixed order and
// returns the function that releases them.
func (s *Sim) lockDatastores(refs []types.ManagedObjectReference) func() {
	refs = slices.Clone(refs)
	slices.SortFunc(refs, func(a, b types.ManagedObjectReference) int { return strings.Compare(a.Value, b.Value) })
	refs = slices.Compact(refs)
	var locked []*sync.Mutex
	for _, r := range refs {
		if mu := s.dsLocks[r]; mu != nil {
			mu.Lock()
			locked = append(locked, mu)
		}
	}
	return func() {
		for _, mu := range slices.Backward(locked) {
			mu.Unlock()
		}
	}
}

// lockContext returns a fresh simulator context to own registry locks: the
// simulator's object locks are re-entrant per context, so every caller needs
// its own.
func (s *Sim) lockContext() *simulator.Context {
	return &simulator.Context{Context: context.Background(), Map: s.Model.Map()}
}

// clearCreateDate removes config.createDate from a VM, under its lock.
func (s *Sim) clearCreateDate(ref types.ManagedObjectReference) {
	m := s.Model.Map()
	vm, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	ctx := s.lockContext()
	m.WithLock(ctx, vm, func() {
		m.Update(ctx, vm, []types.PropertyChange{{Name: "config.createDate", Val: nil}})
	})
}

// syncVMLists makes HostSystem.vm, ResourcePool.vm and Network.vm agree
// with the given VMs' runtime.host, resourcePool and network (all VMs when
// none are given). vcsim's RelocateVM_Task, MarkAsTemplate and
// MarkAsVirtualMachine leave the host and pool lists stale, ContainerView
// walks them, and vcsim never fills Network.vm. Each list is rewritten
// through Registry.Update under the object's lock, so property collectors
// see the change.
func (s *Sim) syncVMLists(refs ...types.ManagedObjectReference) {
	m := s.Model.Map()
	ctx := s.lockContext()

	if len(refs) == 0 {
		for _, e := range m.All("VirtualMachine") {
			refs = append(refs, e.Reference())
		}
	}
	type want struct {
		host, pool types.ManagedObjectReference
		nets       []types.ManagedObjectReference
	}
	wants := make(map[types.ManagedObjectReference]want, len(refs))
	wanted := map[types.ManagedObjectReference][]types.ManagedObjectReference{} // container -> VMs
	for _, ref := range refs {
		var w want
		if vm, ok := m.Get(ref).(*simulator.VirtualMachine); ok {
			m.WithLock(ctx, vm, func() {
				if vm.Runtime.Host != nil {
					w.host = *vm.Runtime.Host
				}
				if vm.ResourcePool != nil {
					w.pool = *vm.ResourcePool
				}
				w.nets = slices.Clone(vm.Network)
			})
		}
		wants[ref] = w // zero for a destroyed VM: listed nowhere
		wanted[w.host] = append(wanted[w.host], ref)
		wanted[w.pool] = append(wanted[w.pool], ref)
		for _, n := range w.nets {
			wanted[n] = append(wanted[n], ref)
		}
	}

	fix := func(obj mo.Reference, list *[]types.ManagedObjectReference, self types.ManagedObjectReference, belongs func(want) bool) {
		m.WithLock(ctx, obj, func() {
			have := make(map[types.ManagedObjectReference]bool, len(*list))
			next := make([]types.ManagedObjectReference, 0, len(*list))
			changed := false
			for _, r := range *list {
				if w, tracked := wants[r]; (tracked && !belongs(w)) || have[r] {
					changed = true
					continue
				}
				have[r] = true
				next = append(next, r)
			}
			for _, r := range wanted[self] {
				if !have[r] {
					have[r] = true
					next = append(next, r)
					changed = true
				}
			}
			if changed {
				m.Update(ctx, obj, []types.PropertyChange{{Name: "vm", Val: next}})
			}
		})
	}
	for _, ref := range s.allHosts() {
		if h, ok := m.Get(ref).(*simulator.HostSystem); ok {
			fix(h, &h.Vm, ref, func(w want) bool { return w.host == ref })
		}
	}
	for _, p := range s.inv.pools {
		if rp, ok := m.Get(p.ref).(*simulator.ResourcePool); ok {
			fix(rp, &rp.Vm, p.ref, func(w want) bool { return w.pool == p.ref })
		}
	}
	for _, dc := range s.inv.datacenters {
		for _, n := range dc.networks {
			belongs := func(w want) bool { return slices.Contains(w.nets, n.ref) }
			switch obj := m.Get(n.ref).(type) {
			case *mo.Network:
				fix(obj, &obj.Vm, n.ref, belongs)
			case *simulator.DistributedVirtualPortgroup:
				fix(obj, &obj.Vm, n.ref, belongs)
			}
		}
	}
}

func (s *Sim) allHosts() []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	for _, ci := range s.inv.computes {
		out = append(out, ci.hosts...)
	}
	return out
}

// VM property paths pushVM can report.
const (
	pathName     = "name"
	pathNumCPU   = "config.hardware.numCPU"
	pathMemoryMB = "config.hardware.memoryMB"
	pathDevice   = "config.hardware.device"
	pathTemplate = "config.template"
	pathPool     = "resourcePool"
	pathHost     = "runtime.host"
	pathPower    = "runtime.powerState"
	pathDS       = "datastore"
	pathNetwork  = "network"
	pathCustom   = "customValue"
)

// pushVM reports the current values of a VM's leaf property paths to the
// property collectors (Registry.Update under the VM's lock, as
// clearCreateDate does). vcsim sets some properties without telling the
// collectors (ReconfigVM_Task's hardware, SetCustomValue, MarkAsTemplate),
// so a watcher (WaitForUpdatesEx) would never see those changes; only a
// leaf path reaches a filter that names it.
func (s *Sim) pushVM(ref types.ManagedObjectReference, paths ...string) {
	m := s.Model.Map()
	vm, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	ctx := s.lockContext()
	m.WithLock(ctx, vm, func() {
		var ch []types.PropertyChange
		for _, p := range paths {
			var val any
			switch p {
			case pathName:
				val = vm.Name
			case pathNumCPU, pathMemoryMB, pathDevice, pathTemplate:
				if vm.Config == nil {
					continue
				}
				switch p {
				case pathNumCPU:
					val = vm.Config.Hardware.NumCPU
				case pathMemoryMB:
					val = vm.Config.Hardware.MemoryMB
				case pathDevice:
					val = vm.Config.Hardware.Device
				default:
					val = vm.Config.Template
				}
			case pathPool:
				if vm.ResourcePool != nil {
					val = *vm.ResourcePool
				}
			case pathHost:
				if vm.Runtime.Host != nil {
					val = *vm.Runtime.Host
				}
			case pathPower:
				val = vm.Runtime.PowerState
			case pathDS:
				val = slices.Clone(vm.Datastore)
			case pathNetwork:
				val = slices.Clone(vm.Network)
			case pathCustom:
				val = slices.Clone(vm.CustomValue)
			default:
				continue
			}
			ch = append(ch, types.PropertyChange{Name: p, Val: val})
		}
		if len(ch) > 0 {
			m.Update(ctx, vm, ch)
		}
	})
}

// nudgeCollectors reports an unchanged property of a host. vcsim drops the
// leave of an object removed from a container view that a property filter
// traverses (the view's change makes the filter forget its objects), and
// only the next change recomputes the filter: every object in it enters
// again, the removed one missing. A watcher that re-reads its views when
// known objects enter again (capture/vsphere does) then sees the removal
// at once rather than at the next unrelated change.
func (s *Sim) nudgeCollectors() {
	hosts := s.allHosts()
	if len(hosts) == 0 {
		return
	}
	m := s.Model.Map()
	h, ok := m.Get(hosts[0]).(*simulator.HostSystem)
	if !ok {
		return
	}
	ctx := s.lockContext()
	m.WithLock(ctx, h, func() {
		m.Update(ctx, h, []types.PropertyChange{{Name: "name", Val: h.Name}})
	})
}

// RenameHost renames a host (vcsim has no Rename_Task for hosts: the name
// is set through the registry, so property collectors see it). host is a
// host name or moref value.
func (s *Sim) RenameHost(ctx context.Context, host, newName string) error {
	if newName == "" {
		return errors.New("vcsim: rename host: the new name is empty")
	}
	ref, err := s.hostRef(host)
	if err != nil {
		return err
	}
	m := s.Model.Map()
	h, ok := m.Get(ref).(*simulator.HostSystem)
	if !ok {
		return fmt.Errorf("vcsim: host %q: %w", host, ErrNotFound)
	}
	lctx := s.lockContext()
	var old string
	m.WithLock(lctx, h, func() {
		old = h.Name
		m.Update(lctx, h, []types.PropertyChange{{Name: "name", Val: newName}, {Name: "summary.config.name", Val: newName}})
	})
	s.hostMu.Lock()
	if s.inv.hosts[old] == ref {
		delete(s.inv.hosts, old)
	}
	s.inv.hosts[newName] = ref
	s.hostMu.Unlock()
	return nil
}

// SetHostMaintenance puts a host in maintenance mode or takes it out
// (EnterMaintenanceMode_Task / ExitMaintenanceMode_Task), then reports
// runtime.inMaintenanceMode, which vcsim sets without telling property
// collectors. host is a host name or moref value.
func (s *Sim) SetHostMaintenance(ctx context.Context, host string, on bool) error {
	ref, err := s.hostRef(host)
	if err != nil {
		return err
	}
	obj := object.NewHostSystem(s.Client.Client, ref)
	err = s.runTask(ctx, func(ctx context.Context) (*object.Task, error) {
		if on {
			return obj.EnterMaintenanceMode(ctx, 0, false, nil)
		}
		return obj.ExitMaintenanceMode(ctx, 0)
	})
	if err != nil {
		return fmt.Errorf("vcsim: maintenance mode %v on %s: %w", on, host, err)
	}
	m := s.Model.Map()
	if h, ok := m.Get(ref).(*simulator.HostSystem); ok {
		lctx := s.lockContext()
		m.WithLock(lctx, h, func() {
			m.Update(lctx, h, []types.PropertyChange{{Name: "runtime.inMaintenanceMode", Val: h.Runtime.InMaintenanceMode}})
		})
	}
	return nil
}

// hostRef resolves a host name or moref value.
func (s *Sim) hostRef(host string) (types.ManagedObjectReference, error) {
	ref := types.ManagedObjectReference{Type: "HostSystem", Value: host}
	if _, ok := s.Model.Map().Get(ref).(*simulator.HostSystem); ok {
		return ref, nil
	}
	s.hostMu.RLock()
	r, ok := s.inv.hosts[host]
	s.hostMu.RUnlock()
	if !ok {
		return ref, fmt.Errorf("vcsim: host %q: %w", host, ErrNotFound)
	}
	return r, nil
}
