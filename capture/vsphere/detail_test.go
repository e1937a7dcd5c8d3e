package vsphere_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// Hostile values: quotes, unicode, a spreadsheet formula, markup.
const (
	hostileName = `=cmd|' /C calc'!A0 "snap" <script>alert(1)</script>`
	hostileNote = "Prod — équipe \"ops\"\n=HYPERLINK(\"http://x\")<b>"
)

// detailFixture mutates a small simulator through the vcsim kit (and
// govmomi for what the kit does not cover) and returns the VM it changed.
type detailFixture struct {
	sim                       *vcsim.Sim
	vm                        string // moref value
	snap1, snap2              string
	thinDisk, eagerDisk, nicK int32
	dvNIC                     int32
	cluster, host, ds0, ds1   string
	dvs, dvsType              string
}

func newDetailFixture(t *testing.T) *detailFixture {
	t.Helper()
	ctx := context.Background()
	sim := newSim(t, vcsim.Options{VMs: 4, Templates: -1, Seed: 7})
	f := &detailFixture{sim: sim}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.vm = sim.VMRefs()[0]
	c := sim.Client.Client
	obj := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: f.vm})

	// Hardware upgrade (powered off), then back on.
	must(sim.PowerOff(ctx, f.vm))
	must(sim.UpgradeHardware(ctx, f.vm, "vmx-15"))
	// Allocations and hot-add flags through ReconfigVM_Task.
	task, err := obj.Reconfigure(ctx, types.VirtualMachineConfigSpec{
		CpuHotAddEnabled: types.NewBool(true), MemoryHotAddEnabled: types.NewBool(true),
		CpuAllocation: &types.ResourceAllocationInfo{
			Reservation: types.NewInt64(500), Limit: types.NewInt64(4000), ExpandableReservation: types.NewBool(false),
			Shares: &types.SharesInfo{Level: types.SharesLevelCustom, Shares: 3000},
		},
		MemoryAllocation: &types.ResourceAllocationInfo{
			Reservation: types.NewInt64(1024), Limit: types.NewInt64(-1), ExpandableReservation: types.NewBool(true),
			Shares: &types.SharesInfo{Level: types.SharesLevelHigh},
		},
	})
	must(err)
	must(task.Wait(ctx))
	// A CD drive with an ISO.
	devs, err := obj.Device(ctx)
	must(err)
	ide, err := devs.FindIDEController("")
	must(err)
	cd, err := devs.CreateCdrom(ide)
	must(err)
	must(obj.AddDevice(ctx, devs.InsertIso(cd, "[LocalDS_0] iso/ubuntu 24.04 «LTS».iso")))
	must(sim.PowerOn(ctx, f.vm))

	f.snap1, err = sim.CreateSnapshot(ctx, f.vm, hostileName, hostileNote, false, false)
	must(err)
	f.thinDisk, err = sim.AddDisk(ctx, f.vm, vcsim.DiskSpec{CapacityMB: 2048, Datastore: "LocalDS_1", Thin: true})
	must(err)
	f.eagerDisk, err = sim.AddDisk(ctx, f.vm, vcsim.DiskSpec{CapacityMB: 1024, EagerlyScrub: true, Mode: "independent_persistent"})
	must(err)
	must(sim.ResizeDisk(ctx, f.vm, f.eagerDisk, 3072))
	f.snap2, err = sim.CreateSnapshot(ctx, f.vm, "after disks", "", true, true)
	must(err)
	f.nicK, err = sim.AddNIC(ctx, f.vm, "VM Network", "e1000e")
	must(err)
	f.dvNIC, err = sim.AddNIC(ctx, f.vm, "DC0_DVPG1", "")
	must(err)
	must(sim.SetNICConnected(ctx, f.vm, f.nicK, false))
	must(sim.SetAnnotation(ctx, f.vm, hostileNote))
	must(sim.SetTools(ctx, f.vm, vcsim.Tools{RunningStatus: "guestToolsRunning", VersionStatus: "guestToolsCurrent", Version: "12352", UpgradePolicy: "upgradeAtPowerCycle"}))
	must(sim.SetGuest(f.vm, vcsim.Guest{
		HostName: "web-01.example", State: "running", FullName: "Ubuntu Linux (64-bit)", Heartbeat: "green",
		IPs: []string{"10.0.0.5", "fe80::1", "10.0.0.6"},
		Partitions: []types.GuestDiskInfo{
			{DiskPath: "/", Capacity: 20 << 30, FreeSpace: 5 << 30},
			{DiskPath: `C:\ "quoted"`, Capacity: 100 << 30, FreeSpace: 1 << 30},
		},
		ConsolidationNeeded: types.NewBool(true),
	}))

	// Host, cluster, datastore and switch settings vcsim does not model.
	var vm mo.VirtualMachine
	must(property.DefaultCollector(c).RetrieveOne(ctx, obj.Reference(), []string{"runtime.host", "datastore"}, &vm))
	f.host = vm.Runtime.Host.Value
	var host mo.HostSystem
	must(property.DefaultCollector(c).RetrieveOne(ctx, *vm.Runtime.Host, []string{"parent"}, &host))
	f.cluster = host.Parent.Value
	must(sim.SetProperty("HostSystem", f.host, "config.dateTimeInfo", &types.HostDateTimeInfo{
		TimeZone: types.HostDateTimeSystemTimeZone{Key: "UTC"}, NtpConfig: &types.HostNtpConfig{Server: []string{"ntp1.example", "10.1.1.1"}},
	}))
	must(sim.SetProperty("HostSystem", f.host, "config.hyperThread", &types.HostHyperThreadScheduleInfo{Available: true, Active: true, Config: true}))
	must(sim.SetProperty("HostSystem", f.host, "triggeredAlarmState", []types.AlarmState{
		{Key: "alarm-1.host", Entity: *vm.Runtime.Host, Alarm: types.ManagedObjectReference{Type: "Alarm", Value: "alarm-1"}, OverallStatus: types.ManagedEntityStatusRed, Time: time.Now()},
		{Key: "alarm-2.host", Entity: *vm.Runtime.Host, Alarm: types.ManagedObjectReference{Type: "Alarm", Value: "alarm-2"}, OverallStatus: types.ManagedEntityStatusYellow, Time: time.Now()},
	}))
	must(sim.SetProperty("HostSystem", f.host, "overallStatus", types.ManagedEntityStatusRed))

	var cl mo.ClusterComputeResource
	must(property.DefaultCollector(c).RetrieveOne(ctx, *host.Parent, []string{"configurationEx", "summary"}, &cl))
	cfg := *cl.ConfigurationEx.(*types.ClusterConfigInfoEx)
	cfg.DasConfig.Enabled = types.NewBool(true)
	cfg.DasConfig.AdmissionControlEnabled = types.NewBool(true)
	cfg.DasConfig.HostMonitoring = "enabled"
	cfg.DasConfig.VmMonitoring = "vmMonitoringOnly"
	cfg.DasConfig.FailoverLevel = 1
	cfg.DasConfig.DefaultVmSettings = &types.ClusterDasVmSettings{RestartPriority: "high", IsolationResponse: "powerOff"}
	cfg.DasVmConfig = []types.ClusterDasVmConfigInfo{{Key: obj.Reference(), DasSettings: &types.ClusterDasVmSettings{RestartPriority: "lowest"}}}
	cfg.DrsConfig.DefaultVmBehavior = types.DrsBehaviorPartiallyAutomated
	cfg.DrsConfig.VmotionRate = 2
	must(sim.SetProperty("ClusterComputeResource", f.cluster, "configurationEx", &cfg))
	sum := *cl.Summary.(*types.ClusterComputeResourceSummary)
	sum.CurrentEVCModeKey = "intel-broadwell"
	must(sim.SetProperty("ClusterComputeResource", f.cluster, "summary", &sum))

	dss := map[string]string{}
	for _, r := range sim.Model.Map().All("Datastore") {
		dss[r.Entity().Name] = r.Reference().Value
	}
	f.ds0, f.ds1 = dss["LocalDS_0"], dss["LocalDS_1"]
	must(sim.SetProperty("Datastore", f.ds0, "info", &types.VmfsDatastoreInfo{
		DatastoreInfo: types.DatastoreInfo{Name: "LocalDS_0", Url: "ds:///vmfs/volumes/1/"},
		Vmfs: &types.HostVmfsVolume{
			HostFileSystemVolume: types.HostFileSystemVolume{Type: "VMFS", Name: "LocalDS_0"},
			Version:              "6.82", BlockSizeMb: 1, MajorVersion: 6,
			Extent: []types.HostScsiDiskPartition{{DiskName: "naa.600508b1001c", Partition: 1}, {DiskName: "naa.600508b1001d", Partition: 1}},
		},
	}))
	var ds0 mo.Datastore
	must(property.DefaultCollector(c).RetrieveOne(ctx, types.ManagedObjectReference{Type: "Datastore", Value: f.ds0}, []string{"summary"}, &ds0))
	ds0.Summary.MultipleHostAccess = types.NewBool(true)
	must(sim.SetProperty("Datastore", f.ds0, "summary", ds0.Summary))
	must(sim.SetProperty("Datastore", f.ds1, "info", &types.NasDatastoreInfo{
		DatastoreInfo: types.DatastoreInfo{Name: "LocalDS_1", Url: "ds:///vmfs/volumes/2/"},
		Nas:           &types.HostNasVolume{HostFileSystemVolume: types.HostFileSystemVolume{Type: "NFS", Name: "LocalDS_1"}, RemoteHost: "nas-01.example", RemotePath: "/export/vm's"},
	}))
	must(sim.SetProperty("Datastore", f.ds1, "summary.maintenanceMode", "inMaintenance"))

	sw := sim.Model.Map().All("DistributedVirtualSwitch")
	if len(sw) != 1 {
		t.Fatalf("%d distributed switches, want 1", len(sw))
	}
	f.dvs, f.dvsType = sw[0].Reference().Value, sw[0].Reference().Type
	var dvs mo.DistributedVirtualSwitch
	must(property.DefaultCollector(c).RetrieveOne(ctx, sw[0].Reference(), []string{"config"}, &dvs))
	dcfg := *dvs.Config.(*types.VMwareDVSConfigInfo)
	dcfg.CreateTime = time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC)
	dcfg.MaxMtu = 9000
	dcfg.MaxPorts = 8192
	dcfg.Description = hostileNote
	must(sim.SetProperty(sw[0].Reference().Type, f.dvs, "config", &dcfg))
	return f
}

// TestRetrieveDetails checks every detail field against what govmomi
// reads back from the simulator after the mutations.
func TestRetrieveDetails(t *testing.T) {
	f := newDetailFixture(t)
	ctx := context.Background()
	src, _ := open(t, f.sim, vsphere.Options{})
	st, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := st.Details
	if len(d.VMs) != len(st.VMs) || len(d.Hosts) != len(st.Hosts) || len(d.Clusters) != len(st.Clusters) || len(d.Datastores) != len(st.Datastores) || len(d.Switches) != 1 {
		t.Fatalf("detail counts: %d VMs, %d hosts, %d clusters, %d datastores, %d switches; state has %d, %d, %d, %d",
			len(d.VMs), len(d.Hosts), len(d.Clusters), len(d.Datastores), len(d.Switches), len(st.VMs), len(st.Hosts), len(st.Clusters), len(st.Datastores))
	}
	for i, v := range d.VMs {
		if v.Vcenter != "vc1" || v.VMID != st.VMs[i].ID {
			t.Fatalf("VM detail %d is %s/%s, want vc1/%s (ordered by id)", i, v.Vcenter, v.VMID, st.VMs[i].ID)
		}
	}
	c := f.sim.Client.Client
	pc := property.DefaultCollector(c)
	ref := func(kind, id string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: kind, Value: id}
	}

	// --- the VM -----------------------------------------------------------
	var vm mo.VirtualMachine
	if err := pc.RetrieveOne(ctx, ref("VirtualMachine", f.vm), []string{"config", "guest", "runtime", "snapshot", "layoutEx", "overallStatus", "configStatus", "guestHeartbeatStatus"}, &vm); err != nil {
		t.Fatal(err)
	}
	got := d.VMs[slices.IndexFunc(d.VMs, func(v inventory.VMDetail) bool { return v.VMID == f.vm })]
	vmState := st.VMs[slices.IndexFunc(st.VMs, func(v inventory.VM) bool { return v.ID == f.vm })]

	// Scalars: what we set, and what vcsim holds.
	want := inventory.VMDetail{
		Vcenter: "vc1", VMID: f.vm,
		HardwareVersion: "vmx-15", Firmware: vm.Config.Firmware, Annotation: hostileNote,
		DNSName: "web-01.example", IPAddresses: []string{"10.0.0.5", "fe80::1", "10.0.0.6"},
		GuestState: "running", GuestFullName: "Ubuntu Linux (64-bit)", GuestHeartbeat: "green",
		OverallStatus: string(vm.OverallStatus), ConfigStatus: string(vm.ConfigStatus),
		ConnectionState: string(vm.Runtime.ConnectionState), ConsolidationNeeded: true,
		BootTime:           vm.Runtime.BootTime.UTC(),
		ToolsRunningStatus: "guestToolsRunning", ToolsVersionStatus: "guestToolsCurrent", ToolsVersion: "12352",
		ToolsUpgradePolicy: "upgradeAtPowerCycle", CoresPerSocket: int(*vm.Config.Hardware.NumCoresPerSocket),
		CPU:       inventory.Allocation{Reservation: 500, Limit: 4000, Shares: inventory.Shares{Level: "custom", Shares: 3000}},
		Memory:    inventory.Allocation{Reservation: 1024, Limit: -1, Shares: inventory.Shares{Level: "high", Shares: vm.Config.MemoryAllocation.Shares.Shares}},
		CPUHotAdd: true, MemoryHotAdd: true,
		HARestartPriority: "lowest",
		VMXPath:           vm.Config.Files.VmPathName,
		FolderPath:        vmState.Folder,
		Partitions: []inventory.GuestPartition{
			{Path: "/", CapacityMB: 20 << 10, FreeMB: 5 << 10},
			{Path: `C:\ "quoted"`, CapacityMB: 100 << 10, FreeMB: 1 << 10},
		},
	}
	if vm.Config.Firmware == "" || vm.Runtime.BootTime == nil || vm.Config.Files.VmPathName == "" || vmState.Folder == "" {
		t.Fatalf("simulator values missing: firmware %q, boot %v, vmx %q, folder %q", vm.Config.Firmware, vm.Runtime.BootTime, vm.Config.Files.VmPathName, vmState.Folder)
	}

	// Snapshots: the tree as govmomi reads it, sizes 0 (vcsim's files are
	// empty), files from layoutEx.
	if vm.Snapshot == nil || len(vm.Snapshot.RootSnapshotList) != 1 || len(vm.Snapshot.RootSnapshotList[0].ChildSnapshotList) != 1 {
		t.Fatalf("simulator snapshot tree: %+v", vm.Snapshot)
	}
	file := func(snap string) string {
		for _, s := range vm.LayoutEx.Snapshot {
			if s.Key.Value == snap {
				for _, fi := range vm.LayoutEx.File {
					if fi.Key == s.DataKey {
						return fi.Name
					}
				}
			}
		}
		t.Fatalf("no layoutEx file for snapshot %s", snap)
		return ""
	}
	root, child := vm.Snapshot.RootSnapshotList[0], vm.Snapshot.RootSnapshotList[0].ChildSnapshotList[0]
	want.Snapshots = []inventory.VMSnapshot{
		{ID: root.Id, Name: hostileName, Description: hostileNote, Created: root.CreateTime.UTC(), Quiesced: false,
			State: inventory.PowerState(root.State), Depth: 1, Current: false, File: file(f.snap1)},
		{ID: child.Id, Name: "after disks", Created: child.CreateTime.UTC(), Quiesced: true,
			State: "poweredOn", Depth: 2, Current: true, File: file(f.snap2)},
	}
	if root.Snapshot.Value != f.snap1 || child.Snapshot.Value != f.snap2 || root.State != "poweredOff" {
		t.Fatalf("simulator snapshots: root %s (%s), child %s; want %s, %s", root.Snapshot.Value, root.State, child.Snapshot.Value, f.snap1, f.snap2)
	}

	// Devices, by key, from govmomi's device list.
	devs := object.VirtualDeviceList(vm.Config.Hardware.Device)
	names := map[string]string{}
	for _, kind := range []string{"Datastore", "Network", "DistributedVirtualPortgroup"} {
		for _, e := range f.sim.Model.Map().All(kind) {
			names[e.Reference().Value] = e.Entity().Name
		}
	}
	for _, dev := range devs {
		vd := dev.GetVirtualDevice()
		label := vd.DeviceInfo.GetDescription().Label
		switch x := dev.(type) {
		case *types.VirtualDisk:
			b := x.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			prov := inventory.DiskThick
			if *b.ThinProvisioned {
				prov = inventory.DiskThin
			} else if b.EagerlyScrub != nil && *b.EagerlyScrub {
				prov = inventory.DiskEagerZeroedThick
			}
			disk := inventory.VirtualDisk{Key: vd.Key, Label: label, CapacityMB: x.CapacityInBytes >> 20, Provisioning: prov,
				DatastoreID: b.Datastore.Value, Datastore: names[b.Datastore.Value], FilePath: b.FileName,
				Controller: devs.FindByKey(vd.ControllerKey).GetVirtualDevice().DeviceInfo.GetDescription().Label,
				UnitNumber: *vd.UnitNumber, Mode: b.DiskMode, LimitIOPS: -1}
			if a := x.StorageIOAllocation; a != nil {
				if a.Limit != nil {
					disk.LimitIOPS = *a.Limit
				}
				if a.Shares != nil {
					disk.Shares = inventory.Shares{Level: string(a.Shares.Level), Shares: a.Shares.Shares}
				}
			}
			want.Disks = append(want.Disks, disk)
		case types.BaseVirtualEthernetCard:
			e := x.GetVirtualEthernetCard()
			n := inventory.VirtualNIC{Key: vd.Key, Label: label, MAC: e.MacAddress, Connected: vd.Connectable.Connected, StartConnected: vd.Connectable.StartConnected}
			switch b := e.Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				n.NetworkID, n.Network = b.Network.Value, names[b.Network.Value]
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				n.NetworkID, n.Network = b.Port.PortgroupKey, names[b.Port.PortgroupKey] // vcsim: key = moref
			}
			switch x.(type) {
			case *types.VirtualVmxnet3:
				n.AdapterType = "vmxnet3"
			case *types.VirtualE1000e:
				n.AdapterType = "e1000e"
			}
			want.NICs = append(want.NICs, n)
		case *types.VirtualCdrom:
			r := inventory.RemovableDrive{Key: vd.Key, Kind: inventory.DriveCDROM, Label: label, Connected: vd.Connectable.Connected, StartConnected: vd.Connectable.StartConnected}
			if iso, ok := x.Backing.(*types.VirtualCdromIsoBackingInfo); ok {
				r.Backing = iso.FileName
			}
			want.Removables = append(want.Removables, r)
		}
	}
	byKey := func(a, b int32) int { return cmp.Compare(a, b) }
	slices.SortFunc(want.Disks, func(a, b inventory.VirtualDisk) int { return byKey(a.Key, b.Key) })
	slices.SortFunc(want.NICs, func(a, b inventory.VirtualNIC) int { return byKey(a.Key, b.Key) })
	slices.SortFunc(want.Removables, func(a, b inventory.RemovableDrive) int { return byKey(a.Key, b.Key) })
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("VM detail (-want +got):\n%s", diff)
	}
	// What the mutations must have produced, independent of the reading
	// above.
	disk := func(k int32) inventory.VirtualDisk {
		return got.Disks[slices.IndexFunc(got.Disks, func(d inventory.VirtualDisk) bool { return d.Key == k })]
	}
	nic := func(k int32) inventory.VirtualNIC {
		return got.NICs[slices.IndexFunc(got.NICs, func(n inventory.VirtualNIC) bool { return n.Key == k })]
	}
	if d := disk(f.thinDisk); d.CapacityMB != 2048 || d.Provisioning != inventory.DiskThin || d.Datastore != "LocalDS_1" || d.DatastoreID != f.ds1 {
		t.Errorf("thin disk: %+v", d)
	}
	if d := disk(f.eagerDisk); d.CapacityMB != 3072 || d.Provisioning != inventory.DiskEagerZeroedThick || d.Mode != "independent_persistent" || !strings.HasPrefix(vm.Config.Files.VmPathName, "["+d.Datastore+"]") {
		t.Errorf("eager disk: %+v", d)
	}
	if n := nic(f.nicK); n.AdapterType != "e1000e" || n.Network != "VM Network" || n.Connected || n.StartConnected {
		t.Errorf("disconnected e1000e NIC: %+v", n)
	}
	if n := nic(f.dvNIC); n.AdapterType != "vmxnet3" || n.Network != "DC0_DVPG1" || !n.Connected {
		t.Errorf("distributed NIC: %+v", n)
	}
	if len(got.Removables) != 1 || got.Removables[0].Backing != "[LocalDS_0] iso/ubuntu 24.04 «LTS».iso" {
		t.Errorf("removables: %+v", got.Removables)
	}
	if len(got.Snapshots) != 2 || got.Snapshots[0].SizeMB != 0 || got.Snapshots[0].File == "" {
		t.Errorf("snapshots: %+v", got.Snapshots)
	}

	// Another VM: cluster default restart priority, vcsim defaults.
	for _, v := range d.VMs {
		if v.VMID == f.vm {
			continue
		}
		vs := st.VMs[slices.IndexFunc(st.VMs, func(x inventory.VM) bool { return x.ID == v.VMID })]
		wantPrio := ""
		if vs.Cluster != "" && vs.HostID != "" {
			var h mo.HostSystem
			if err := pc.RetrieveOne(ctx, ref("HostSystem", vs.HostID), []string{"parent"}, &h); err != nil {
				t.Fatal(err)
			}
			if h.Parent.Value == f.cluster {
				wantPrio = "high"
			}
		}
		if v.HARestartPriority != wantPrio || v.Annotation == hostileNote || len(v.Snapshots) != 0 || len(v.Disks) == 0 || len(v.NICs) == 0 {
			t.Errorf("VM %s: priority %q (want %q), %d snapshots, %d disks, %d NICs", v.VMID, v.HARestartPriority, wantPrio, len(v.Snapshots), len(v.Disks), len(v.NICs))
		}
	}

	// --- the host -----------------------------------------------------------
	var host mo.HostSystem
	if err := pc.RetrieveOne(ctx, ref("HostSystem", f.host), []string{"config", "runtime"}, &host); err != nil {
		t.Fatal(err)
	}
	wantHost := inventory.HostDetail{Vcenter: "vc1", HostID: f.host, BootTime: host.Runtime.BootTime.UTC(), OverallStatus: "red", AlarmCount: 2,
		Hyperthreading: true, NTPServers: []string{"ntp1.example", "10.1.1.1"}, DNSServers: host.Config.Network.DnsConfig.GetHostDnsConfig().Address}
	dev := map[string]string{}
	for _, p := range host.Config.Network.Pnic {
		dev[p.Key] = p.Device
		wantHost.NICs = append(wantHost.NICs, inventory.HostNIC{Device: p.Device, Driver: p.Driver, SpeedMb: p.LinkSpeed.SpeedMb, FullDuplex: p.LinkSpeed.Duplex, MAC: p.Mac, PCI: p.Pci})
	}
	for _, s := range host.Config.Network.Vswitch {
		sw := inventory.HostSwitch{Name: s.Name, NumPorts: s.NumPorts, FreePorts: s.NumPortsAvailable, MTU: s.Mtu}
		for _, k := range s.Pnic {
			sw.Uplinks = append(sw.Uplinks, dev[k])
		}
		wantHost.VSwitches = append(wantHost.VSwitches, sw)
	}
	for _, pg := range host.Config.Network.Portgroup {
		wantHost.Portgroups = append(wantHost.Portgroups, inventory.HostPortgroup{Name: pg.Spec.Name, VSwitch: pg.Spec.VswitchName, VLAN: pg.Spec.VlanId})
	}
	kinds := map[string]string{"HostParallelScsiHba": "ParallelScsi", "HostBlockHba": "BlockHba"}
	for _, a := range host.Config.StorageDevice.HostBusAdapter {
		b := a.GetHostHostBusAdapter()
		typ := kinds[typeName(a)]
		if typ == "" {
			t.Fatalf("unexpected HBA type %T", a)
		}
		wantHost.HBAs = append(wantHost.HBAs, inventory.HostHBA{Device: b.Device, Type: typ, Model: b.Model, Driver: b.Driver, Status: b.Status})
	}
	if len(wantHost.NICs) == 0 || len(wantHost.HBAs) == 0 || len(wantHost.VSwitches) == 0 || len(wantHost.Portgroups) == 0 || len(wantHost.DNSServers) == 0 {
		t.Fatalf("simulator host config is missing parts: %+v", wantHost)
	}
	gotHost := d.Hosts[slices.IndexFunc(d.Hosts, func(h inventory.HostDetail) bool { return h.HostID == f.host })]
	if diff := gocmp.Diff(wantHost, gotHost); diff != "" {
		t.Errorf("host detail (-want +got):\n%s", diff)
	}

	// --- the cluster ----------------------------------------------------------
	var cl mo.ClusterComputeResource
	if err := pc.RetrieveOne(ctx, ref("ClusterComputeResource", f.cluster), []string{"summary", "overallStatus"}, &cl); err != nil {
		t.Fatal(err)
	}
	cs := cl.Summary.(*types.ClusterComputeResourceSummary)
	wantCl := inventory.ClusterDetail{Vcenter: "vc1", ClusterID: f.cluster, OverallStatus: string(cl.OverallStatus), EVCMode: "intel-broadwell",
		DRSBehavior: "partiallyAutomated", DRSVmotionRate: 2, HAAdmissionControl: true, HAHostMonitoring: "enabled",
		HARestartPriority: "high", HAIsolationResponse: "powerOff", HAVMMonitoring: "vmMonitoringOnly", HAFailoverLevel: 1,
		EffectiveHosts: cs.NumEffectiveHosts, EffectiveCPUMHz: int64(cs.EffectiveCpu), EffectiveMemoryMB: cs.EffectiveMemory,
		NumCPUCores: int32(cs.NumCpuCores), NumCPUThreads: int32(cs.NumCpuThreads)}
	if cs.NumEffectiveHosts == 0 || cs.EffectiveCpu == 0 || cs.NumCpuCores == 0 {
		t.Fatalf("simulator cluster summary is empty: %+v", cs)
	}
	gotCl := d.Clusters[slices.IndexFunc(d.Clusters, func(c inventory.ClusterDetail) bool { return c.ClusterID == f.cluster })]
	if diff := gocmp.Diff(wantCl, gotCl); diff != "" {
		t.Errorf("cluster detail (-want +got):\n%s", diff)
	}

	// --- datastores -----------------------------------------------------------
	for _, id := range []string{f.ds0, f.ds1} {
		var ds mo.Datastore
		if err := pc.RetrieveOne(ctx, ref("Datastore", id), []string{"vm", "overallStatus", "summary"}, &ds); err != nil {
			t.Fatal(err)
		}
		w := inventory.DatastoreDetail{Vcenter: "vc1", DatastoreID: id, OverallStatus: string(ds.OverallStatus), VMCount: len(ds.Vm), MaintenanceMode: ds.Summary.MaintenanceMode}
		if id == f.ds0 {
			w.VMFSVersion, w.BlockSizeMB, w.Extents, w.MultipleHostAccess = "6.82", 1, []string{"naa.600508b1001c", "naa.600508b1001d"}, true
		} else {
			w.NFSServer, w.NFSPath, w.MaintenanceMode = "nas-01.example", "/export/vm's", "inMaintenance"
		}
		if len(ds.Vm) == 0 {
			t.Fatalf("datastore %s has no VMs in the simulator", id)
		}
		g := d.Datastores[slices.IndexFunc(d.Datastores, func(x inventory.DatastoreDetail) bool { return x.DatastoreID == id })]
		if diff := gocmp.Diff(w, g); diff != "" {
			t.Errorf("datastore %s detail (-want +got):\n%s", id, diff)
		}
	}

	// --- the distributed switch -----------------------------------------------
	var dvs mo.DistributedVirtualSwitch
	if err := pc.RetrieveOne(ctx, ref(f.dvsType, f.dvs), []string{"summary", "name"}, &dvs); err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, h := range dvs.Summary.HostMember {
		members = append(members, h.Value)
	}
	slices.SortFunc(members, func(a, b string) int { return cmp.Compare(len(a), len(b))*2 + cmp.Compare(a, b) })
	wantSw := inventory.DistributedSwitch{Vcenter: "vc1", ID: f.dvs, Name: dvs.Name, Datacenter: "DC0",
		Vendor: dvs.Summary.ProductInfo.Vendor, Version: dvs.Summary.ProductInfo.Version, Description: hostileNote,
		Created: time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC), HostIDs: members, NumPorts: dvs.Summary.NumPorts, MaxPorts: 8192, MaxMTU: 9000}
	if len(members) == 0 || wantSw.Vendor == "" {
		t.Fatalf("simulator switch summary: %+v", dvs.Summary)
	}
	if diff := gocmp.Diff(wantSw, d.Switches[0]); diff != "" {
		t.Errorf("switch detail (-want +got):\n%s", diff)
	}

	// DisableDetails reads none, and the core state is the same.
	src2, _ := open(t, f.sim, vsphere.Options{DisableDetails: true})
	st2, err := src2.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !gocmp.Equal(st2.Details, inventory.Details{}) {
		t.Errorf("DisableDetails: details %+v", st2.Details)
	}
	st.Details = inventory.Details{}
	if diff := gocmp.Diff(st, st2); diff != "" {
		t.Errorf("core state with and without details (-with +without):\n%s", diff)
	}
}

// typeName is the name of v's (pointed-to) type, e.g. "HostBlockHba".
func typeName(v any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", v), "*types.")
}

// TestDetailPathRefused: a server that refuses a detail path with an
// InvalidProperty fault (an older vCenter that does not know it) fails
// the whole call; that kind is then read without its detail, and the
// retrieval succeeds with a complete core inventory.
func TestDetailPathRefused(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 6, Templates: -1})
	ctx := context.Background()
	plain, _ := open(t, sim, vsphere.Options{DisableDetails: true})
	want, err := plain.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One unit at a time: the first RetrievePropertiesEx is the VMs'.
	src, _ := open(t, sim, vsphere.Options{Concurrency: 1})
	inj := sim.InjectFault(vcsim.FaultRule{Method: "RetrievePropertiesEx", Type: simulator.FaultTypeCustom,
		Fault: &types.InvalidProperty{Name: "guest.toolsVersionStatus2"}, Times: 1})
	defer inj.Remove()
	got, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve with a refused detail path: %v", err)
	}
	if inj.Fired() != 1 {
		t.Fatalf("fault fired %d times, want 1", inj.Fired())
	}
	for _, v := range got.Details.VMs {
		if v.HardwareVersion != "" || v.VMXPath != "" {
			t.Fatalf("VM %s has detail read despite the refusal: %+v", v.VMID, v)
		}
	}
	if len(got.Details.VMs) != len(want.VMs) || len(got.Details.Hosts) == 0 || got.Details.Hosts[0].OverallStatus == "" {
		t.Fatalf("details: %d VMs (want %d), hosts %+v", len(got.Details.VMs), len(want.VMs), got.Details.Hosts)
	}
	got.Details = inventory.Details{}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("core inventory differs (-want +got):\n%s", diff)
	}

	// A core path refused the same way still fails: the retry without
	// detail is refused too.
	inj2 := sim.InjectFault(vcsim.FaultRule{Method: "RetrievePropertiesEx", Type: simulator.FaultTypeCustom,
		Fault: &types.InvalidProperty{Name: "name"}, Times: 2})
	defer inj2.Remove()
	if _, err := src.Retrieve(ctx); err == nil {
		t.Fatal("Retrieve succeeded with a refused core path")
	}
}
