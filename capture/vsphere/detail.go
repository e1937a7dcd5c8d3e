package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

// deref returns a property value of struct type T as a pointer, whether
// the decoder built a value or a pointer.
func deref[T any](v any) *T {
	switch x := v.(type) {
	case T:
		return &x
	case *T:
		return x
	}
	return nil
}

// elems returns the elements of an array property value: an ArrayOf*
// wrapper (value or pointer) or a plain slice of T.
func elems[T any](v any) []T {
	if v == nil {
		return nil
	}
	if x, ok := v.([]T); ok {
		return x
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct && rv.NumField() == 1 {
		rv = rv.Field(0)
	}
	if rv.Kind() != reflect.Slice {
		return nil
	}
	if x, ok := rv.Interface().([]T); ok {
		return x
	}
	return nil
}

// readLayouts reads layoutEx, in bulk (explicit object specs, paged), for
// the VMs that have snapshots. A fault on the property is logged like any
// detail fault; NotAuthenticated means the session expired.
func (s *Source) readLayouts(ctx context.Context, b *batch) error {
	byRef := map[moref]*rawVM{}
	var objs []types.ObjectSpec
	for _, v := range b.vms {
		if v.det.snapshot != nil {
			byRef[v.ref] = v
			objs = append(objs, types.ObjectSpec{Obj: v.ref})
		}
	}
	if len(objs) == 0 {
		return nil
	}
	pres, err := methods.CreatePropertyCollector(ctx, s.vc, &types.CreatePropertyCollector{This: s.vc.ServiceContent.PropertyCollector})
	if err != nil {
		return err
	}
	pc := pres.Returnval
	defer s.cleanup(ctx, func(ctx context.Context) error {
		_, err := methods.DestroyPropertyCollector(ctx, s.raw, &types.DestroyPropertyCollector{This: pc})
		return err
	})
	spec := types.PropertyFilterSpec{
		ObjectSet:                     objs,
		PropSet:                       []types.PropertySpec{{Type: tVM, PathSet: vmLayoutProps}},
		ReportMissingObjectsInResults: types.NewBool(true),
	}
	var lost bool
	var faults faultList
	err = s.pages(ctx, pc, spec, func(objs []types.ObjectContent) {
		for _, o := range objs {
			if deleted(o) {
				continue
			}
			if notAuthenticated(o.MissingSet) {
				lost = true
			}
			for _, m := range o.MissingSet {
				faults.add(o.Obj.Type + " " + o.Obj.Value + ": " + faultName(m))
			}
			v := byRef[o.Obj]
			for _, p := range o.PropSet {
				if v != nil && p.Name == "layoutEx" {
					v.det.layout = deref[types.VirtualMachineFileLayoutEx](p.Val)
				}
			}
		}
	})
	if err != nil && fault.Is(err, &types.InvalidProperty{}) {
		s.log.Warn("the server refused layoutEx; snapshot files and sizes are left empty", slog.Any("error", err))
		return nil
	}
	if err != nil {
		return err
	}
	if lost {
		return fmt.Errorf("VirtualMachine.layoutEx: %w", errSessionLost)
	}
	b.detailMissing.merge(faults)
	return nil
}

// vmDet holds a VM's detail properties as read, resolved by build.
type vmDet struct {
	d                inventory.VMDetail
	net              []types.GuestNicInfo
	snapshot         *types.VirtualMachineSnapshotInfo
	layout           *types.VirtualMachineFileLayoutEx
	partitions       []types.GuestDiskInfo
	cpuAlloc, memAll *types.ResourceAllocationInfo
	// dvPorts maps the key of a NIC on a distributed port to its port
	// group key, resolved to the port group by build.
	dvPorts map[int32]string
}

func (v *vmDet) decode(p types.DynamicProperty) {
	d := &v.d
	switch p.Name {
	case "config.version":
		d.HardwareVersion = asString(p.Val)
	case "config.firmware":
		d.Firmware = asString(p.Val)
	case "config.annotation":
		d.Annotation = asString(p.Val)
	case "guest.hostName":
		d.DNSName = asString(p.Val)
	case "guest.net":
		v.net = elems[types.GuestNicInfo](p.Val)
	case "guest.guestState":
		d.GuestState = asString(p.Val)
	case "guest.guestFullName":
		d.GuestFullName = asString(p.Val)
	case "guestHeartbeatStatus":
		d.GuestHeartbeat = asString(p.Val)
	case "overallStatus":
		d.OverallStatus = asString(p.Val)
	case "configStatus":
		d.ConfigStatus = asString(p.Val)
	case "runtime.connectionState":
		d.ConnectionState = asString(p.Val)
	case "runtime.consolidationNeeded":
		d.ConsolidationNeeded = asBool(p.Val)
	case "runtime.bootTime":
		d.BootTime = asTime(p.Val)
	case "guest.toolsRunningStatus":
		d.ToolsRunningStatus = asString(p.Val)
	case "guest.toolsVersionStatus2":
		d.ToolsVersionStatus = asString(p.Val)
	case "guest.toolsVersion":
		d.ToolsVersion = asString(p.Val)
	case "config.tools.toolsUpgradePolicy":
		d.ToolsUpgradePolicy = asString(p.Val)
	case "config.hardware.numCoresPerSocket":
		n, _ := asInt64(p.Val)
		d.CoresPerSocket = int(n)
	case "config.cpuAllocation":
		v.cpuAlloc = deref[types.ResourceAllocationInfo](p.Val)
	case "config.memoryAllocation":
		v.memAll = deref[types.ResourceAllocationInfo](p.Val)
	case "config.cpuHotAddEnabled":
		d.CPUHotAdd = asBool(p.Val)
	case "config.cpuHotRemoveEnabled":
		d.CPUHotRemove = asBool(p.Val)
	case "config.memoryHotAddEnabled":
		d.MemoryHotAdd = asBool(p.Val)
	case "config.files.vmPathName":
		d.VMXPath = asString(p.Val)
	case "snapshot":
		v.snapshot = deref[types.VirtualMachineSnapshotInfo](p.Val)
	case "layoutEx":
		v.layout = deref[types.VirtualMachineFileLayoutEx](p.Val)
	case "guest.disk":
		v.partitions = elems[types.GuestDiskInfo](p.Val)
	}
}

// hostDet holds a host's detail properties as read.
type hostDet struct {
	d          inventory.HostDetail
	pnics      []types.PhysicalNic
	vswitches  []types.HostVirtualSwitch
	portgroups []types.HostPortGroup
	hbas       []types.BaseHostHostBusAdapter
}

func (h *hostDet) decode(p types.DynamicProperty) {
	d := &h.d
	switch p.Name {
	case "runtime.bootTime":
		d.BootTime = asTime(p.Val)
	case "overallStatus":
		d.OverallStatus = asString(p.Val)
	case "triggeredAlarmState":
		d.AlarmCount = len(elems[types.AlarmState](p.Val))
	case "config.hyperThread.active":
		d.Hyperthreading = asBool(p.Val)
	case "config.network.pnic":
		h.pnics = elems[types.PhysicalNic](p.Val)
	case "config.network.vswitch":
		h.vswitches = elems[types.HostVirtualSwitch](p.Val)
	case "config.network.portgroup":
		h.portgroups = elems[types.HostPortGroup](p.Val)
	case "config.network.dnsConfig":
		switch x := p.Val.(type) {
		case types.BaseHostDnsConfig:
			d.DNSServers = x.GetHostDnsConfig().Address
		case types.HostDnsConfig:
			d.DNSServers = x.Address
		}
	case "config.storageDevice.hostBusAdapter":
		h.hbas = elems[types.BaseHostHostBusAdapter](p.Val)
	case "config.dateTimeInfo.ntpConfig.server":
		d.NTPServers = elems[string](p.Val)
	}
}

// rawDVS is a distributed virtual switch as read.
type rawDVS struct {
	ref     moref
	name    string
	parent  moref
	summary *types.DVSSummary
	config  types.BaseDVSConfigInfo
}

func decodeDVS(o types.ObjectContent) *rawDVS {
	d := &rawDVS{ref: o.Obj}
	for _, p := range o.PropSet {
		switch p.Name {
		case "name":
			d.name = asString(p.Val)
		case "parent":
			d.parent = asRef(p.Val)
		case "summary":
			d.summary = deref[types.DVSSummary](p.Val)
		case "config":
			switch x := p.Val.(type) {
			case types.BaseDVSConfigInfo:
				d.config = x
			case types.VMwareDVSConfigInfo:
				d.config = &x
			case types.DVSConfigInfo:
				d.config = &x
			}
		}
	}
	return d
}

func allocation(a *types.ResourceAllocationInfo) inventory.Allocation {
	var out inventory.Allocation
	if a == nil {
		return out
	}
	if a.Reservation != nil {
		out.Reservation = *a.Reservation
	}
	out.Limit = -1
	if a.Limit != nil {
		out.Limit = *a.Limit
	}
	out.Shares = shares(a.Shares)
	return out
}

func shares(s *types.SharesInfo) inventory.Shares {
	if s == nil {
		return inventory.Shares{}
	}
	return inventory.Shares{Level: string(s.Level), Shares: s.Shares}
}

// detailResolver resolves detail references: datastore and network names,
// distributed port groups by key, cluster HA settings per VM.
type detailResolver struct {
	*resolver
	dsNames  map[string]string // by moref value
	netNames map[string]string // by moref value
	dvpgKeys map[string]moref
	ha       map[moref]map[moref]string // cluster -> VM -> restart priority
}

func newDetailResolver(r *resolver, b *batch) *detailResolver {
	d := &detailResolver{
		resolver: r,
		dsNames:  make(map[string]string, len(b.dss)),
		netNames: make(map[string]string, len(b.nets)),
		dvpgKeys: b.dvpgKeys,
		ha:       map[moref]map[moref]string{},
	}
	for _, ds := range b.dss {
		d.dsNames[ds.ref.Value] = ds.name
	}
	for _, n := range b.nets {
		d.netNames[n.ref.Value] = n.name
	}
	return d
}

// haPriority returns a VM's HA restart priority in its cluster: the VM's
// own dasVmConfig setting, else the cluster default; empty outside an HA
// cluster.
func (r *detailResolver) haPriority(v *rawVM) string {
	var c *rawCR
	if h, ok := r.hosts[v.host]; ok {
		c = r.crs[h.parent]
	}
	if c == nil {
		if p, ok := r.pools[v.pool]; ok {
			c = r.crs[p.owner]
		}
	}
	if c == nil || !c.cluster || !c.ha || c.cfg == nil {
		return ""
	}
	m, ok := r.ha[c.ref]
	if !ok {
		m = map[moref]string{}
		for _, vc := range c.cfg.DasVmConfig {
			prio := string(vc.RestartPriority)
			if vc.DasSettings != nil && vc.DasSettings.RestartPriority != "" {
				prio = vc.DasSettings.RestartPriority
			}
			if prio != "" {
				m[vc.Key] = prio
			}
		}
		r.ha[c.ref] = m
	}
	if p, ok := m[v.ref]; ok {
		return p
	}
	if s := c.cfg.DasConfig.DefaultVmSettings; s != nil {
		return s.RestartPriority
	}
	return ""
}

// vmDetail resolves a VM's detail.
func (r *detailResolver) vmDetail(vc string, v *rawVM, folder string) inventory.VMDetail {
	d := v.det.d
	d.Vcenter, d.VMID = vc, v.ref.Value
	d.FolderPath = folder
	d.CPU = allocation(v.det.cpuAlloc)
	d.Memory = allocation(v.det.memAll)
	d.HARestartPriority = r.haPriority(v)
	d.IPAddresses = guestIPs(v.ip, v.det.net)
	for _, g := range v.det.partitions {
		d.Partitions = append(d.Partitions, inventory.GuestPartition{Path: g.DiskPath, CapacityMB: g.Capacity / mib, FreeMB: g.FreeSpace / mib})
	}
	d.Snapshots = snapshots(v.det.snapshot, v.det.layout)
	// Devices were decoded with the page; names are resolved here (in
	// place: the raw VM is not used again).
	for i := range d.Disks {
		d.Disks[i].Datastore = r.dsNames[d.Disks[i].DatastoreID]
	}
	for i := range d.NICs {
		n := &d.NICs[i]
		if key, ok := v.det.dvPorts[n.Key]; ok {
			n.NetworkID = key
			if ref, ok := r.dvpgKeys[key]; ok {
				n.NetworkID, n.Network = ref.Value, r.netNames[ref.Value]
			}
		} else if name, ok := r.netNames[n.NetworkID]; ok && n.NetworkID != "" {
			n.Network = name
		}
	}
	return d
}

// guestIPs lists every guest IP address, the primary first, without
// duplicates.
func guestIPs(primary string, nics []types.GuestNicInfo) []string {
	var ips []string
	if primary != "" {
		ips = append(ips, primary)
	}
	for _, n := range nics {
		for _, ip := range n.IpAddress {
			if ip != "" && !slices.Contains(ips, ip) {
				ips = append(ips, ip)
			}
		}
	}
	return ips
}

// devices fills a VM's disks, NICs and removable drives from its
// config.hardware.device, by device key, as the page is decoded (so the
// device structures need not be kept): datastore and network names are
// resolved by vmDetail.
func (v *vmDet) devices(devs []types.BaseVirtualDevice) {
	d := &v.d
	labels := make(map[int32]string, len(devs))
	for _, dev := range devs {
		vd := dev.GetVirtualDevice()
		labels[vd.Key] = label(vd)
	}
	for _, dev := range devs {
		vd := dev.GetVirtualDevice()
		switch x := dev.(type) {
		case *types.VirtualDisk:
			d.Disks = append(d.Disks, disk(x, labels))
		case *types.VirtualCdrom:
			d.Removables = append(d.Removables, removable(vd, inventory.DriveCDROM))
		case *types.VirtualFloppy:
			d.Removables = append(d.Removables, removable(vd, inventory.DriveFloppy))
		case types.BaseVirtualEthernetCard:
			n, port := nic(x)
			d.NICs = append(d.NICs, n)
			if port != "" {
				if v.dvPorts == nil {
					v.dvPorts = map[int32]string{}
				}
				v.dvPorts[n.Key] = port
			}
		}
	}
	slices.SortFunc(d.Disks, func(a, b inventory.VirtualDisk) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(d.NICs, func(a, b inventory.VirtualNIC) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(d.Removables, func(a, b inventory.RemovableDrive) int { return cmp.Compare(a.Key, b.Key) })
}

func label(vd *types.VirtualDevice) string {
	if di := vd.DeviceInfo; di != nil {
		if desc := di.GetDescription(); desc != nil {
			return desc.Label
		}
	}
	return ""
}

func connectable(vd *types.VirtualDevice) (connected, start bool) {
	if c := vd.Connectable; c != nil {
		return c.Connected, c.StartConnected
	}
	return false, false
}

func disk(x *types.VirtualDisk, labels map[int32]string) inventory.VirtualDisk {
	capacity := x.CapacityInBytes
	if capacity <= 0 {
		capacity = x.CapacityInKB * 1024
	}
	disk := inventory.VirtualDisk{
		Key:        x.Key,
		Label:      label(&x.VirtualDevice),
		CapacityMB: capacity / mib,
		Controller: labels[x.ControllerKey],
		LimitIOPS:  -1,
	}
	if x.UnitNumber != nil {
		disk.UnitNumber = *x.UnitNumber
	}
	if fb, ok := x.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
		f := fb.GetVirtualDeviceFileBackingInfo()
		disk.FilePath = f.FileName
		if f.Datastore != nil {
			disk.DatastoreID = f.Datastore.Value
		}
	}
	switch b := x.Backing.(type) {
	case *types.VirtualDiskFlatVer2BackingInfo:
		disk.Mode = b.DiskMode
		switch {
		case asBool(b.ThinProvisioned):
			disk.Provisioning = inventory.DiskThin
		case asBool(b.EagerlyScrub):
			disk.Provisioning = inventory.DiskEagerZeroedThick
		default:
			disk.Provisioning = inventory.DiskThick
		}
	case *types.VirtualDiskSeSparseBackingInfo:
		disk.Mode, disk.Provisioning = b.DiskMode, inventory.DiskThin
	case *types.VirtualDiskSparseVer2BackingInfo:
		disk.Mode, disk.Provisioning = b.DiskMode, inventory.DiskThin
	case *types.VirtualDiskRawDiskMappingVer1BackingInfo:
		disk.Mode = b.DiskMode
	case *types.VirtualDiskFlatVer1BackingInfo:
		disk.Mode = b.DiskMode
	case *types.VirtualDiskSparseVer1BackingInfo:
		disk.Mode = b.DiskMode
	}
	if a := x.StorageIOAllocation; a != nil {
		disk.Shares = shares(a.Shares)
		if a.Limit != nil {
			disk.LimitIOPS = *a.Limit
		}
	}
	return disk
}

// adapterType names a virtual NIC's type as RVTools does.
func adapterType(c types.BaseVirtualEthernetCard) string {
	switch c.(type) {
	case *types.VirtualVmxnet3:
		return "vmxnet3"
	case *types.VirtualVmxnet3Vrdma:
		return "vmxnet3vrdma"
	case *types.VirtualE1000e:
		return "e1000e"
	case *types.VirtualE1000:
		return "e1000"
	case *types.VirtualVmxnet2:
		return "vmxnet2"
	case *types.VirtualVmxnet:
		return "vmxnet"
	case *types.VirtualPCNet32:
		return "pcnet32"
	case *types.VirtualSriovEthernetCard:
		return "sriov"
	}
	return strings.TrimPrefix(reflect.TypeOf(c).Elem().Name(), "Virtual")
}

// nic decodes a virtual NIC; for a distributed port it returns the port
// group key, resolved later.
func nic(c types.BaseVirtualEthernetCard) (inventory.VirtualNIC, string) {
	e := c.GetVirtualEthernetCard()
	n := inventory.VirtualNIC{Key: e.Key, Label: label(&e.VirtualDevice), AdapterType: adapterType(c), MAC: e.MacAddress}
	n.Connected, n.StartConnected = connectable(&e.VirtualDevice)
	switch b := e.Backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		n.Network = b.DeviceName
		if b.Network != nil {
			n.NetworkID = b.Network.Value
		}
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		return n, b.Port.PortgroupKey
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		n.NetworkID = b.OpaqueNetworkId
	}
	return n, ""
}

func removable(vd *types.VirtualDevice, kind string) inventory.RemovableDrive {
	d := inventory.RemovableDrive{Key: vd.Key, Kind: kind, Label: label(vd)}
	d.Connected, d.StartConnected = connectable(vd)
	switch b := vd.Backing.(type) {
	case *types.VirtualCdromIsoBackingInfo:
		d.Backing = b.FileName
	case *types.VirtualFloppyImageBackingInfo:
		d.Backing = b.FileName
	case *types.VirtualCdromAtapiBackingInfo, *types.VirtualCdromPassthroughBackingInfo, *types.VirtualFloppyDeviceBackingInfo:
		d.Backing = "host device"
	case *types.VirtualCdromRemoteAtapiBackingInfo, *types.VirtualCdromRemotePassthroughBackingInfo, *types.VirtualFloppyRemoteDeviceBackingInfo:
		d.Backing = "client device"
	}
	return d
}

// snapshots flattens a VM's snapshot tree depth-first, with each
// snapshot's .vmsn file and size from layoutEx.
func snapshots(info *types.VirtualMachineSnapshotInfo, layout *types.VirtualMachineFileLayoutEx) []inventory.VMSnapshot {
	if info == nil {
		return nil
	}
	sizes := snapshotSizes(layout)
	var out []inventory.VMSnapshot
	var walk func([]types.VirtualMachineSnapshotTree, int)
	walk = func(nodes []types.VirtualMachineSnapshotTree, depth int) {
		for _, n := range nodes {
			s := inventory.VMSnapshot{
				ID:          n.Id,
				Name:        n.Name,
				Description: n.Description,
				Created:     n.CreateTime.UTC(),
				Quiesced:    n.Quiesced,
				State:       inventory.PowerState(n.State),
				Depth:       depth,
				Current:     info.CurrentSnapshot != nil && *info.CurrentSnapshot == n.Snapshot,
			}
			if sz, ok := sizes[n.Snapshot]; ok {
				s.File, s.SizeMB = sz.file, float64(sz.bytes)/mib
			}
			out = append(out, s)
			if depth < 512 {
				walk(n.ChildSnapshotList, depth+1)
			}
		}
	}
	walk(info.RootSnapshotList, 1)
	return out
}

type snapSize struct {
	file  string
	bytes int64
}

// snapshotSizes computes, per snapshot, its .vmsn (and memory) file and
// the size of those files plus the delta disks it created: for each of
// its disks, the chain link right after the snapshot's own chain, in the
// chain of a later snapshot or of the running disk that extends it.
func snapshotSizes(l *types.VirtualMachineFileLayoutEx) map[moref]snapSize {
	if l == nil || len(l.Snapshot) == 0 {
		return nil
	}
	files := make(map[int32]types.VirtualMachineFileLayoutExFileInfo, len(l.File))
	for _, f := range l.File {
		files[f.Key] = f
	}
	// Every disk chain known: the running disks' and each snapshot's.
	chains := map[int32][][]types.VirtualMachineFileLayoutExDiskUnit{}
	for _, d := range l.Disk {
		chains[d.Key] = append(chains[d.Key], d.Chain)
	}
	for _, s := range l.Snapshot {
		for _, d := range s.Disk {
			chains[d.Key] = append(chains[d.Key], d.Chain)
		}
	}
	out := make(map[moref]snapSize, len(l.Snapshot))
	for _, s := range l.Snapshot {
		keys := map[int32]bool{}
		var sz snapSize
		if f, ok := files[s.DataKey]; ok {
			sz.file = f.Name
			keys[f.Key] = true
		}
		if s.MemoryKey >= 0 {
			if _, ok := files[s.MemoryKey]; ok {
				keys[s.MemoryKey] = true
			}
		}
		for _, d := range s.Disk {
			n := len(d.Chain)
			for _, c := range chains[d.Key] {
				if len(c) > n && chainPrefix(c, d.Chain) {
					for _, k := range c[n].FileKey {
						keys[k] = true
					}
					break
				}
			}
		}
		for k := range keys {
			sz.bytes += files[k].Size
		}
		out[s.Key] = sz
	}
	return out
}

func chainPrefix(c, prefix []types.VirtualMachineFileLayoutExDiskUnit) bool {
	for i, u := range prefix {
		if !slices.Equal(c[i].FileKey, u.FileKey) {
			return false
		}
	}
	return true
}

// hostDetail resolves a host's detail.
func hostDetail(vc string, h *rawHost) inventory.HostDetail {
	d := h.det.d
	d.Vcenter, d.HostID = vc, h.ref.Value
	pnicDev := make(map[string]string, len(h.det.pnics))
	for _, p := range h.det.pnics {
		pnicDev[p.Key] = p.Device
		n := inventory.HostNIC{Device: p.Device, Driver: p.Driver, MAC: p.Mac, PCI: p.Pci}
		if ls := p.LinkSpeed; ls != nil {
			n.SpeedMb, n.FullDuplex = ls.SpeedMb, ls.Duplex
		}
		d.NICs = append(d.NICs, n)
	}
	for _, s := range h.det.vswitches {
		sw := inventory.HostSwitch{Name: s.Name, NumPorts: s.NumPorts, FreePorts: s.NumPortsAvailable, MTU: s.Mtu}
		for _, k := range s.Pnic {
			sw.Uplinks = append(sw.Uplinks, cmp.Or(pnicDev[k], k))
		}
		d.VSwitches = append(d.VSwitches, sw)
	}
	for _, pg := range h.det.portgroups {
		d.Portgroups = append(d.Portgroups, inventory.HostPortgroup{Name: pg.Spec.Name, VSwitch: pg.Spec.VswitchName, VLAN: pg.Spec.VlanId})
	}
	for _, a := range h.det.hbas {
		base := a.GetHostHostBusAdapter()
		hba := inventory.HostHBA{Device: base.Device, Model: base.Model, Driver: base.Driver, Status: base.Status, Type: hbaType(a)}
		if fc, ok := a.(*types.HostFibreChannelHba); ok && fc.PortWorldWideName != 0 {
			hba.WWN = wwn(fc.PortWorldWideName)
		}
		d.HBAs = append(d.HBAs, hba)
	}
	return d
}

// hbaType names a storage adapter's kind.
func hbaType(a types.BaseHostHostBusAdapter) string {
	switch a.(type) {
	case *types.HostFibreChannelHba, *types.HostFibreChannelOverEthernetHba:
		return "FibreChannel"
	case *types.HostInternetScsiHba:
		return "iScsi"
	case *types.HostParallelScsiHba:
		return "ParallelScsi"
	case *types.HostBlockHba:
		return "BlockHba"
	case *types.HostSerialAttachedHba:
		return "SerialAttached"
	}
	return strings.TrimPrefix(reflect.TypeOf(a).Elem().Name(), "Host")
}

// wwn renders a world-wide name as colon-separated hex bytes.
func wwn(n int64) string {
	s := fmt.Sprintf("%016x", uint64(n))
	parts := make([]string, 0, 8)
	for i := 0; i < 16; i += 2 {
		parts = append(parts, s[i:i+2])
	}
	return strings.Join(parts, ":")
}

// clusterDetail resolves a cluster's detail.
func clusterDetail(vc string, c *rawCR) inventory.ClusterDetail {
	d := inventory.ClusterDetail{Vcenter: vc, ClusterID: c.ref.Value, OverallStatus: c.status}
	if s := c.summary; s != nil {
		d.EVCMode = s.CurrentEVCModeKey
		d.EffectiveHosts = s.NumEffectiveHosts
		d.EffectiveCPUMHz = int64(s.EffectiveCpu)
		d.EffectiveMemoryMB = s.EffectiveMemory
		d.NumCPUCores, d.NumCPUThreads = int32(s.NumCpuCores), int32(s.NumCpuThreads)
	}
	if cfg := c.cfg; cfg != nil {
		d.DRSBehavior = string(cfg.DrsConfig.DefaultVmBehavior)
		d.DRSVmotionRate = cfg.DrsConfig.VmotionRate
		das := cfg.DasConfig
		d.HAAdmissionControl = asBool(das.AdmissionControlEnabled)
		d.HAHostMonitoring = das.HostMonitoring
		d.HAVMMonitoring = das.VmMonitoring
		d.HAFailoverLevel = das.FailoverLevel
		if p, ok := das.AdmissionControlPolicy.(*types.ClusterFailoverLevelAdmissionControlPolicy); ok && d.HAFailoverLevel == 0 {
			d.HAFailoverLevel = p.FailoverLevel
		}
		if s := das.DefaultVmSettings; s != nil {
			d.HARestartPriority = s.RestartPriority
			d.HAIsolationResponse = s.IsolationResponse
		}
	}
	return d
}

// datastoreDetail resolves a datastore's detail.
func datastoreDetail(vc string, ds *rawDS) inventory.DatastoreDetail {
	d := inventory.DatastoreDetail{Vcenter: vc, DatastoreID: ds.ref.Value, OverallStatus: ds.status, VMCount: ds.vmCount}
	if s := ds.summary; s != nil {
		d.MaintenanceMode = s.MaintenanceMode
		d.MultipleHostAccess = asBool(s.MultipleHostAccess)
	}
	var vmfs *types.HostVmfsVolume
	var nas *types.HostNasVolume
	switch x := ds.info.(type) {
	case *types.VmfsDatastoreInfo:
		vmfs = x.Vmfs
	case types.VmfsDatastoreInfo:
		vmfs = x.Vmfs
	case *types.NasDatastoreInfo:
		nas = x.Nas
	case types.NasDatastoreInfo:
		nas = x.Nas
	}
	if vmfs != nil {
		d.VMFSVersion, d.BlockSizeMB = vmfs.Version, vmfs.BlockSizeMb
		for _, e := range vmfs.Extent {
			d.Extents = append(d.Extents, e.DiskName)
		}
	}
	if nas != nil {
		d.NFSServer, d.NFSPath = nas.RemoteHost, nas.RemotePath
		if d.NFSServer == "" && len(nas.RemoteHostNames) > 0 {
			d.NFSServer = strings.Join(nas.RemoteHostNames, ",")
		}
	}
	return d
}

// switchDetail resolves a distributed switch.
func switchDetail(vc string, s *rawDVS, r *resolver) inventory.DistributedSwitch {
	d := inventory.DistributedSwitch{Vcenter: vc, ID: s.ref.Value, Name: s.name, Datacenter: r.datacenter(s.parent)}
	var cfg *types.DVSConfigInfo
	if s.config != nil {
		cfg = s.config.GetDVSConfigInfo()
		d.Description, d.MaxPorts, d.NumPorts = cfg.Description, cfg.MaxPorts, cfg.NumPorts
		if !cfg.CreateTime.IsZero() {
			d.Created = cfg.CreateTime.UTC()
		}
		if v, ok := s.config.(*types.VMwareDVSConfigInfo); ok {
			d.MaxMTU = v.MaxMtu
		}
		d.Vendor, d.Version = cfg.ProductInfo.Vendor, cfg.ProductInfo.Version
	}
	if sum := s.summary; sum != nil {
		d.Description = cmp.Or(sum.Description, d.Description)
		if sum.NumPorts > 0 {
			d.NumPorts = sum.NumPorts
		}
		p := sum.ProductInfo
		d.Vendor, d.Version = cmp.Or(p.Vendor, d.Vendor), cmp.Or(p.Version, d.Version)
		d.HostIDs = refIDs(sum.HostMember)
	}
	return d
}
