package vcsim

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// Detail mutations: snapshots, disks, NICs, notes, Tools, hardware
// version and guest information, for tests of RVTools-depth capture. All
// but SetGuest and SetProperty go through the vSphere API (the Sim's
// Client), so property collectors see them as they would on a vCenter.

// CreateSnapshot takes a snapshot of a VM (CreateSnapshot_Task) and returns
// the snapshot's moref value. memory records the power state (vcsim writes
// no memory file); quiesce sets the snapshot's quiesced flag. vcsim creates
// an empty .vmsn file and no delta disks, so the snapshot's size on disk
// (layoutEx) is 0.
func (s *Sim) CreateSnapshot(ctx context.Context, vm, name, description string, memory, quiesce bool) (string, error) {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return "", err
	}
	unlock := s.lockDatastores(s.vmDatastores(ref))
	defer unlock()
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	task, err := obj.CreateSnapshot(ctx, name, description, memory, quiesce)
	if err != nil {
		return "", fmt.Errorf("vcsim: snapshot %s: %w", vm, err)
	}
	res, err := task.WaitForResult(ctx)
	if err != nil {
		return "", fmt.Errorf("vcsim: snapshot %s: %w", vm, err)
	}
	if r, ok := res.Result.(types.ManagedObjectReference); ok {
		return r.Value, nil
	}
	return "", nil
}

// RemoveSnapshot removes a VM's snapshot (RemoveSnapshot_Task), named by
// its name or moref value; removeChildren removes its subtree too. The
// current snapshot moves to the parent when it is removed.
func (s *Sim) RemoveSnapshot(ctx context.Context, vm, snapshot string, removeChildren bool) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	unlock := s.lockDatastores(s.vmDatastores(ref))
	defer unlock()
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err = s.runTask(ctx, func(ctx context.Context) (*object.Task, error) {
		return obj.RemoveSnapshot(ctx, snapshot, removeChildren, nil)
	})
	if err != nil {
		return fmt.Errorf("vcsim: remove snapshot %q of %s: %w", snapshot, vm, err)
	}
	return nil
}

// RevertToSnapshot makes a snapshot (name or moref value) the VM's current
// one (RevertToSnapshot_Task); vcsim changes nothing else.
func (s *Sim) RevertToSnapshot(ctx context.Context, vm, snapshot string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err = s.runTask(ctx, func(ctx context.Context) (*object.Task, error) {
		return obj.RevertToSnapshot(ctx, snapshot, true)
	})
	if err != nil {
		return fmt.Errorf("vcsim: revert %s to %q: %w", vm, snapshot, err)
	}
	return nil
}

// DiskSpec describes a virtual disk for AddDisk.
type DiskSpec struct {
	// CapacityMB is the disk size in MiB. Required.
	CapacityMB int64
	// Datastore is the datastore name. Defaults to the datastore of the
	// VM's configuration file.
	Datastore string
	// Thin and EagerlyScrub set the provisioning (both false: lazy zeroed
	// thick).
	Thin, EagerlyScrub bool
	// Mode is the disk mode. Defaults to "persistent".
	Mode string
}

// AddDisk adds a virtual disk on the VM's first disk controller
// (ReconfigVM_Task, file operation create) and returns its device key.
// vcsim creates a tiny file and takes the capacity off the datastore's
// free space.
func (s *Sim) AddDisk(ctx context.Context, vm string, spec DiskSpec) (int32, error) {
	if spec.CapacityMB <= 0 {
		return 0, fmt.Errorf("vcsim: add disk to %s: capacity %d MiB: must be positive", vm, spec.CapacityMB)
	}
	ref, err := s.resolveVM(vm)
	if err != nil {
		return 0, err
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	devs, err := obj.Device(ctx)
	if err != nil {
		return 0, fmt.Errorf("vcsim: add disk to %s: %w", vm, err)
	}
	ctrl, err := devs.FindDiskController("")
	if err != nil {
		return 0, fmt.Errorf("vcsim: add disk to %s: %w", vm, err)
	}
	vmx, err := s.vmxPath(ref)
	if err != nil {
		return 0, fmt.Errorf("vcsim: add disk to %s: %w", vm, err)
	}
	var p object.DatastorePath
	if !p.FromString(vmx) {
		return 0, fmt.Errorf("vcsim: add disk to %s: configuration file %q is not a datastore path", vm, vmx)
	}
	dsName := cmp.Or(spec.Datastore, p.Datastore)
	st := s.vmState(ref)
	if st.compute == nil {
		return 0, fmt.Errorf("vcsim: add disk to %s: the VM has no host: %w", vm, ErrNotFound)
	}
	i := slices.IndexFunc(st.compute.dc.datastores, func(d dsInfo) bool { return d.name == dsName })
	if i < 0 {
		return 0, fmt.Errorf("vcsim: add disk to %s: datastore %q: %w", vm, dsName, ErrNotFound)
	}
	ds := st.compute.dc.datastores[i].ref
	// A file name no disk of the VM uses yet.
	dir, base := path.Dir(p.Path), strings.TrimSuffix(path.Base(p.Path), ".vmx")
	used := map[string]bool{}
	for _, d := range devs.SelectByType((*types.VirtualDisk)(nil)) {
		if fb, ok := d.GetVirtualDevice().Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
			used[fb.GetVirtualDeviceFileBackingInfo().FileName] = true
		}
	}
	var file string
	for n := len(used); ; n++ {
		file = fmt.Sprintf("[%s] %s/%s_%d.vmdk", dsName, dir, base, n)
		if !used[file] {
			break
		}
	}
	if dsName != p.Datastore {
		// The VM's directory on another datastore may not exist yet.
		dc := object.NewDatacenter(s.Client.Client, st.compute.dc.ref)
		err := object.NewFileManager(s.Client.Client).MakeDirectory(ctx, fmt.Sprintf("[%s] %s", dsName, dir), dc, true)
		if err != nil && !fault.Is(err, &types.FileAlreadyExists{}) {
			return 0, fmt.Errorf("vcsim: add disk to %s: create the directory: %w", vm, err)
		}
	}
	disk := devs.CreateDisk(ctrl, ds, file)
	disk.CapacityInBytes = spec.CapacityMB << 20
	disk.CapacityInKB = spec.CapacityMB << 10
	b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	b.ThinProvisioned = types.NewBool(spec.Thin)
	b.EagerlyScrub = types.NewBool(spec.EagerlyScrub)
	b.DiskMode = cmp.Or(spec.Mode, string(types.VirtualDiskModePersistent))
	change := &types.VirtualDeviceConfigSpec{
		Operation:     types.VirtualDeviceConfigSpecOperationAdd,
		FileOperation: types.VirtualDeviceConfigSpecFileOperationCreate,
		Device:        disk,
	}
	if err := s.reconfigureOn(ctx, ref, []types.ManagedObjectReference{ds}, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{change}}); err != nil {
		return 0, fmt.Errorf("vcsim: add disk to %s: %w", vm, err)
	}
	return s.newDeviceKey(ctx, obj, devs)
}

// ResizeDisk grows a VM's disk (by device key) to capacityMB MiB
// (ReconfigVM_Task, edit). vcsim rejects shrinking.
func (s *Sim) ResizeDisk(ctx context.Context, vm string, key int32, capacityMB int64) error {
	ref, _, dev, err := s.device(ctx, vm, key)
	if err != nil {
		return fmt.Errorf("vcsim: resize disk %d of %s: %w", key, vm, err)
	}
	disk, ok := dev.(*types.VirtualDisk)
	if !ok {
		return fmt.Errorf("vcsim: resize disk %d of %s: device is a %T: %w", key, vm, dev, ErrNotFound)
	}
	disk.CapacityInBytes = capacityMB << 20
	disk.CapacityInKB = capacityMB << 10
	change := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: disk}
	if err := s.reconfigureOn(ctx, ref, nil, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{change}}); err != nil {
		return fmt.Errorf("vcsim: resize disk %d of %s: %w", key, vm, err)
	}
	return nil
}

// RemoveDisk removes a VM's disk (by device key) and deletes its file
// (ReconfigVM_Task, file operation destroy).
func (s *Sim) RemoveDisk(ctx context.Context, vm string, key int32) error {
	return s.removeDevice(ctx, vm, key, "disk", true)
}

// AddNIC adds a network adapter of the given type (vmxnet3 when empty;
// e1000, e1000e, pcnet32, vmxnet2, sriov…) on a standard or distributed
// port group of the VM's datacenter, by name, and returns its device key.
func (s *Sim) AddNIC(ctx context.Context, vm, network, adapterType string) (int32, error) {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return 0, err
	}
	st := s.vmState(ref)
	if st.compute == nil {
		return 0, fmt.Errorf("vcsim: add NIC to %s: the VM has no host: %w", vm, ErrNotFound)
	}
	i := slices.IndexFunc(st.compute.dc.networks, func(n netInfo) bool { return n.name == network })
	if i < 0 {
		return 0, fmt.Errorf("vcsim: add NIC to %s: network %q in %s: %w", vm, network, st.compute.dc.name, ErrNotFound)
	}
	card, err := object.EthernetCardTypes().CreateEthernetCard(cmp.Or(adapterType, "vmxnet3"), st.compute.dc.networks[i].backing)
	if err != nil {
		return 0, fmt.Errorf("vcsim: add NIC to %s: %w", vm, err)
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	devs, err := obj.Device(ctx)
	if err != nil {
		return 0, fmt.Errorf("vcsim: add NIC to %s: %w", vm, err)
	}
	change := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: card}
	if err := s.reconfigureOn(ctx, ref, nil, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{change}}); err != nil {
		return 0, fmt.Errorf("vcsim: add NIC to %s: %w", vm, err)
	}
	s.syncVMLists(ref) // Network.vm
	return s.newDeviceKey(ctx, obj, devs)
}

// RemoveNIC removes a VM's network adapter (by device key).
func (s *Sim) RemoveNIC(ctx context.Context, vm string, key int32) error {
	if err := s.removeDevice(ctx, vm, key, "NIC", false); err != nil {
		return err
	}
	if ref, err := s.resolveVM(vm); err == nil {
		s.syncVMLists(ref)
	}
	return nil
}

// SetNICConnected connects or disconnects a VM's network adapter (by
// device key): connected and startConnected both take the value. vcsim
// forces connected to false on a VM that is not powered on.
func (s *Sim) SetNICConnected(ctx context.Context, vm string, key int32, connected bool) error {
	ref, _, dev, err := s.device(ctx, vm, key)
	if err != nil {
		return fmt.Errorf("vcsim: connect NIC %d of %s: %w", key, vm, err)
	}
	if _, ok := dev.(types.BaseVirtualEthernetCard); !ok {
		return fmt.Errorf("vcsim: connect NIC %d of %s: device is a %T: %w", key, vm, dev, ErrNotFound)
	}
	vd := dev.GetVirtualDevice()
	if vd.Connectable == nil {
		vd.Connectable = &types.VirtualDeviceConnectInfo{AllowGuestControl: true}
	}
	vd.Connectable.Connected, vd.Connectable.StartConnected = connected, connected
	change := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: dev}
	if err := s.reconfigureOn(ctx, ref, nil, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{change}}); err != nil {
		return fmt.Errorf("vcsim: connect NIC %d of %s: %w", key, vm, err)
	}
	return nil
}

// SetAnnotation sets a VM's (or template's) notes (ReconfigVM_Task). An
// empty text clears them: vcsim ignores an empty spec.annotation, so that
// goes through its SET.config.annotation extraConfig key.
func (s *Sim) SetAnnotation(ctx context.Context, vm, text string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	spec := types.VirtualMachineConfigSpec{Annotation: text}
	if text == "" {
		spec.ExtraConfig = []types.BaseOptionValue{&types.OptionValue{Key: "SET.config.annotation", Value: ""}}
	}
	if err := s.reconfigureOn(ctx, ref, nil, spec); err != nil {
		return fmt.Errorf("vcsim: set annotation of %s: %w", vm, err)
	}
	return nil
}

// Tools is the VMware Tools state SetTools gives a VM; empty fields are
// left unchanged.
type Tools struct {
	// RunningStatus is guest.toolsRunningStatus (guestToolsRunning,
	// guestToolsNotRunning, guestToolsExecutingScripts).
	RunningStatus string
	// VersionStatus is guest.toolsVersionStatus2 (guestToolsCurrent,
	// guestToolsNeedUpgrade, guestToolsNotInstalled, ...).
	VersionStatus string
	// Version is guest.toolsVersion, e.g. "12352".
	Version string
	// UpgradePolicy is config.tools.toolsUpgradePolicy (manual,
	// upgradeAtPowerCycle).
	UpgradePolicy string
}

// SetTools sets a VM's Tools status, version and upgrade policy through
// ReconfigVM_Task: the guest properties with vcsim's SET.<path>
// extraConfig keys (guest.* and summary.guest.*), the policy with
// spec.tools.
func (s *Sim) SetTools(ctx context.Context, vm string, t Tools) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	var spec types.VirtualMachineConfigSpec
	set := func(path, v string) {
		if v != "" {
			spec.ExtraConfig = append(spec.ExtraConfig, &types.OptionValue{Key: "SET." + path, Value: v})
		}
	}
	set("guest.toolsRunningStatus", t.RunningStatus)
	set("summary.guest.toolsRunningStatus", t.RunningStatus)
	set("guest.toolsVersionStatus2", t.VersionStatus)
	set("summary.guest.toolsVersionStatus2", t.VersionStatus)
	set("guest.toolsVersion", t.Version)
	if t.UpgradePolicy != "" {
		spec.Tools = &types.ToolsConfigInfo{ToolsUpgradePolicy: t.UpgradePolicy}
	}
	if err := s.reconfigureOn(ctx, ref, nil, spec); err != nil {
		return fmt.Errorf("vcsim: set Tools of %s: %w", vm, err)
	}
	return nil
}

// UpgradeHardware upgrades a powered-off VM's virtual hardware
// (UpgradeVM_Task) to version, e.g. "vmx-19"; empty means the host's
// latest. vcsim accepts the versions its environment browser lists for the
// host and refuses a VM already at the latest.
func (s *Sim) UpgradeHardware(ctx context.Context, vm, version string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err = s.runTask(ctx, func(ctx context.Context) (*object.Task, error) { return obj.UpgradeVM(ctx, version) })
	if err != nil {
		return fmt.Errorf("vcsim: upgrade hardware of %s to %q: %w", vm, version, err)
	}
	return nil
}

// Guest is the guest information SetGuest gives a VM; nil or empty fields
// are left unchanged.
type Guest struct {
	// HostName is guest.hostName; State guest.guestState (running,
	// notRunning, ...); FullName guest.guestFullName; Heartbeat
	// guestHeartbeatStatus (gray, green, yellow, red).
	HostName, State, FullName, Heartbeat string
	// IPs are the guest's addresses: the first becomes guest.ipAddress, all
	// go on the first guest.net entry (one is added when there is none).
	IPs []string
	// Partitions are the guest file systems (guest.disk).
	Partitions []types.GuestDiskInfo
	// ConsolidationNeeded sets runtime.consolidationNeeded.
	ConsolidationNeeded *bool
}

// SetGuest sets guest information vcsim has no API for, through its
// registry (Map.Update under the VM's lock, so property collectors see
// it), as VMware Tools would report it.
func (s *Sim) SetGuest(vm string, g Guest) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	m := s.Model.Map()
	v, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("vcsim: set guest of %s: %w", vm, ErrNotFound)
	}
	ctx := s.lockContext()
	m.WithLock(ctx, v, func() {
		var ch []types.PropertyChange
		str := func(p, val string) {
			if val != "" {
				ch = append(ch, types.PropertyChange{Name: p, Val: val})
			}
		}
		str("guest.hostName", g.HostName)
		str("summary.guest.hostName", g.HostName)
		str("guest.guestState", g.State)
		str("guest.guestFullName", g.FullName)
		str("summary.guest.guestFullName", g.FullName)
		str("guestHeartbeatStatus", g.Heartbeat)
		if len(g.IPs) > 0 {
			str("guest.ipAddress", g.IPs[0])
			str("summary.guest.ipAddress", g.IPs[0])
			net := slices.Clone(v.Guest.Net)
			if len(net) == 0 {
				net = []types.GuestNicInfo{{Connected: true, DeviceConfigId: -1}}
			}
			net[0].IpAddress = slices.Clone(g.IPs)
			ch = append(ch, types.PropertyChange{Name: "guest.net", Val: net})
		}
		if g.Partitions != nil {
			ch = append(ch, types.PropertyChange{Name: "guest.disk", Val: slices.Clone(g.Partitions)})
		}
		if g.ConsolidationNeeded != nil {
			ch = append(ch, types.PropertyChange{Name: "runtime.consolidationNeeded", Val: *g.ConsolidationNeeded})
		}
		if len(ch) > 0 {
			m.Update(ctx, v, ch)
		}
	})
	return nil
}

// SetProperty sets any property of any managed object (kind such as
// "HostSystem", id its moref value) through vcsim's registry, under the
// object's lock, for what neither the API nor the helpers above reach:
// a host's config.dateTimeInfo, a cluster's configurationEx or
// summary, a datastore's info, a switch's config... val must have the
// property's Go type (or be assignable to it); an unknown path or a wrong
// type is returned as an error (vcsim panics on both).
func (s *Sim) SetProperty(kind, id, path string, val any) (err error) {
	m := s.Model.Map()
	obj := m.Get(types.ManagedObjectReference{Type: kind, Value: id})
	if obj == nil {
		return fmt.Errorf("vcsim: set %s of %s %s: %w", path, kind, id, ErrNotFound)
	}
	ctx := s.lockContext()
	unlock := m.AcquireLock(ctx, obj)
	defer unlock() // also when vcsim panics: WithLock would keep the lock
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vcsim: set %s of %s %s: %v", path, kind, id, r)
		}
	}()
	m.Update(ctx, obj, []types.PropertyChange{{Name: path, Val: val}})
	return nil
}

// vmxPath returns a VM's config.files.vmPathName.
func (s *Sim) vmxPath(ref types.ManagedObjectReference) (string, error) {
	m := s.Model.Map()
	v, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return "", ErrNotFound
	}
	var p string
	m.WithLock(s.lockContext(), v, func() {
		if v.Config != nil {
			p = v.Config.Files.VmPathName
		}
	})
	return p, nil
}

// reconfigureOn runs ReconfigVM_Task holding the locks of the VM's
// datastores and of extra ones.
func (s *Sim) reconfigureOn(ctx context.Context, ref types.ManagedObjectReference, extra []types.ManagedObjectReference, spec types.VirtualMachineConfigSpec) error {
	ds := slices.Concat(s.vmDatastores(ref), extra)
	slices.SortFunc(ds, func(a, b types.ManagedObjectReference) int { return strings.Compare(a.Value, b.Value) })
	unlock := s.lockDatastores(slices.Compact(ds))
	defer unlock()
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	err := s.runTask(ctx, func(ctx context.Context) (*object.Task, error) { return obj.Reconfigure(ctx, spec) })
	// ReconfigVM_Task changes devices without telling the collectors.
	s.pushVM(ref, pathNumCPU, pathMemoryMB, pathDevice, pathDS, pathNetwork)
	return err
}

// device returns a VM's device by key, read through the API.
func (s *Sim) device(ctx context.Context, vm string, key int32) (types.ManagedObjectReference, *object.VirtualMachine, types.BaseVirtualDevice, error) {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return ref, nil, nil, err
	}
	obj := object.NewVirtualMachine(s.Client.Client, ref)
	devs, err := obj.Device(ctx)
	if err != nil {
		return ref, nil, nil, err
	}
	dev := devs.FindByKey(key)
	if dev == nil {
		return ref, nil, nil, fmt.Errorf("device %d: %w", key, ErrNotFound)
	}
	return ref, obj, dev, nil
}

func (s *Sim) removeDevice(ctx context.Context, vm string, key int32, what string, destroy bool) error {
	ref, _, dev, err := s.device(ctx, vm, key)
	if err != nil {
		return fmt.Errorf("vcsim: remove %s %d of %s: %w", what, key, vm, err)
	}
	change := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: dev}
	if destroy {
		change.FileOperation = types.VirtualDeviceConfigSpecFileOperationDestroy
	}
	if err := s.reconfigureOn(ctx, ref, nil, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{change}}); err != nil {
		return fmt.Errorf("vcsim: remove %s %d of %s: %w", what, key, vm, err)
	}
	return nil
}

// newDeviceKey returns the key of the device a VM has now that it did not
// have in before.
func (s *Sim) newDeviceKey(ctx context.Context, obj *object.VirtualMachine, before object.VirtualDeviceList) (int32, error) {
	after, err := obj.Device(ctx)
	if err != nil {
		return 0, err
	}
	for _, d := range after {
		if before.FindByKey(d.GetVirtualDevice().Key) == nil {
			return d.GetVirtualDevice().Key, nil
		}
	}
	return 0, fmt.Errorf("vcsim: the new device of %s is not in its device list", obj.Reference().Value)
}
